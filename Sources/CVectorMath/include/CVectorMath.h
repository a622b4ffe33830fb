// Packed element-wise math for Swift's SIMD types.
//
// Swift's SIMD `squareRoot()` runs lane by lane through the scalar square root, which on Linux
// carries an errno branch to libm and so never becomes a packed instruction. Clang's elementwise
// builtin has no errno semantics and compiles to sqrtpd (x86-64) or fsqrt.2d (arm64). The vector
// typedefs are imported by Swift as SIMD4<Double>; the functions are static inline so the
// compiler inlines them into the Swift loops that call them.
#ifndef SCREENPLAN_CVECTORMATH_H
#define SCREENPLAN_CVECTORMATH_H

typedef double screenplan_double4 __attribute__((ext_vector_type(4)));

/// √x in every lane, packed (no errno; a negative lane gives NaN).
static inline screenplan_double4 screenplan_sqrt4(screenplan_double4 x) {
    return __builtin_elementwise_sqrt(x);
}

#include <stdint.h>
#include <stdio.h>

/// The six significant digits `m` (100000 ≤ m < 1000000) with decimal exponent e, laid out as
/// `%.6g` does (trailing zeros dropped, exponent form below 1e-4 and from 1e6); returns the length.
/// One layout for both converters below and in ScreenplanFormat.c.
static inline int screenplan_print_g6(char *out, int negative, uint32_t m, int e) {
    char digits[6];
    for (int i = 5; i >= 0; i--) {
        digits[i] = (char)('0' + m % 10);
        m /= 10;
    }
    int nd = 6;
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    char *p = out;
    if (negative) *p++ = '-';
    if (e < -4 || e >= 6) {
        *p++ = digits[0];
        if (nd > 1) {
            *p++ = '.';
            for (int i = 1; i < nd; i++) *p++ = digits[i];
        }
        *p++ = 'e';
        int x = e;
        if (x < 0) {
            *p++ = '-';
            x = -x;
        } else {
            *p++ = '+';
        }
        if (x >= 10) {
            *p++ = (char)('0' + x / 10);
            *p++ = (char)('0' + x % 10);
        } else {
            *p++ = '0';
            *p++ = (char)('0' + x);
        }
    } else if (e >= 0) {
        for (int i = 0; i <= e; i++) *p++ = i < nd ? digits[i] : '0';
        if (nd > e + 1) {
            *p++ = '.';
            for (int i = e + 1; i < nd; i++) *p++ = digits[i];
        }
    } else {
        *p++ = '0';
        *p++ = '.';
        for (int i = 0; i < -e - 1; i++) *p++ = '0';
        for (int i = 0; i < nd; i++) *p++ = digits[i];
    }
    *p = 0;
    return (int)(p - out);
}


/// `%.6g` of one double into `out` (at most `size` bytes, NUL included), with snprintf.
static inline int screenplan_format_g6_printf(char *out, int size, double value) {
    return snprintf(out, (size_t)size, "%.6g", value);
}

/// `%.6g` of one double into `out` (at least 32 bytes; NUL included); returns the length.
/// A C call: formatting from Swift through `withVaList` boxes each value as a CVarArg, whose
/// dynamic casts cost more than the formatting itself (states.mtx.gz writes millions of values).
/// glibc's printf converts through multi-precision arithmetic (a tenth of a peer-benchmark run's
/// time went to it), so values in 1e-20…1e30 are converted here: the six significant digits are
/// v·10^(5−e) rounded half-to-even in x87 extended precision (64-bit mantissa), where powers of
/// ten up to 10^27 are exact, so the rounding matches printf's exact decimal rounding except when
/// the value lies within 2^-64 of a rounding boundary without being exactly on it (a test compares
/// it with snprintf on a million values and on exact ties). Other values, and platforms without
/// an 80-bit long double, use snprintf.
static inline int screenplan_format_g6(char *out, int size, double value) {
#if defined(__LDBL_MANT_DIG__) && __LDBL_MANT_DIG__ == 64
    double a = value < 0 ? -value : value;
    if (size >= 32 && a >= 1e-20 && a < 1e30) {
        static const long double p10[28] = {
            1e0L, 1e1L, 1e2L, 1e3L, 1e4L, 1e5L, 1e6L, 1e7L, 1e8L, 1e9L, 1e10L, 1e11L, 1e12L, 1e13L,
            1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L, 1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L,
            1e26L, 1e27L};
        // Decimal exponent e with 10^e <= a < 10^(e+1) (the first guess may be one off).
        int e = 0;
        {
            long double x = a;
            int binary;
            (void)__builtin_frexp(a, &binary);  // 2^(binary−1) <= a < 2^binary
            // floor((binary − 1)·log10 2), within one of the decimal exponent.
            e = (int)__builtin_floor((binary - 1) * 0.30102999566398120);
            for (int pass = 0; pass < 2; pass++) {
                int k = 5 - e;
                long double scaled = k >= 0 ? x * p10[k] : x / p10[-k];
                if (scaled >= 1e6L) e += 1;
                else if (scaled < 1e5L) e -= 1;
                else break;
            }
        }
        int k = 5 - e;
        long double scaled = k >= 0 ? (long double)a * p10[k] : (long double)a / p10[-k];
        long long m = (long long)__builtin_rintl(scaled);  // half to even (default rounding mode)
        if (m >= 1000000) {
            m /= 10;
            e += 1;
        }
        return screenplan_print_g6(out, value < 0, (uint32_t)m, e);
    }
#endif
    return screenplan_format_g6_printf(out, size, value);
}

#include "ScreenplanZiggurat.h"
#include "ScreenplanStepKernels.h"
#include "ScreenplanFormat.h"
#include "ScreenplanCounts.h"

#endif
