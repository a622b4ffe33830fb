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

#include <stdio.h>

/// `%.6g` of one double into `out` (at most `size` bytes, NUL included); returns the length.
/// A C call: formatting from Swift through `withVaList` boxes each value as a CVarArg, whose
/// dynamic casts cost more than the formatting itself (states.mtx.gz writes millions of values).
static inline int screenplan_format_g6(char *out, int size, double value) {
    return snprintf(out, (size_t)size, "%.6g", value);
}

#endif
