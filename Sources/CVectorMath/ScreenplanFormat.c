// See include/ScreenplanFormat.h.
#include "ScreenplanFormat.h"

#include <string.h>

#include "CVectorMath.h"

static const uint64_t pow10_u64[20] = {
    1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL, 100000000ULL,
    1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL, 10000000000000ULL,
    100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
    1000000000000000000ULL, 10000000000000000000ULL};

// floor(a·10^k) for a = mant·2^-shift, with the fraction's comparison to 1/2: -1 below, 0 equal,
// 1 above (the exact value, from the shifted-out bits).
static inline uint64_t scaled_floor(uint64_t mant, int shift, int k, int *half) {
    unsigned __int128 p = (unsigned __int128)mant * pow10_u64[k];
    uint64_t q = (uint64_t)(p >> shift);
    unsigned __int128 rem = p - ((unsigned __int128)q << shift);
    unsigned __int128 h = (unsigned __int128)1 << (shift - 1);
    *half = rem < h ? -1 : (rem == h ? 0 : 1);
    return q;
}


int screenplan_format_g6_exact(char *out, double value) {
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    int negative = (int)(bits >> 63);
    int biased = (int)((bits >> 52) & 0x7ff);
    // Normal values in [2^-47, 2^19], inside 1e-14…1e6 up to the checks below.
    if (biased >= 1023 - 47 && biased <= 1023 + 19) {
        uint64_t mant = (bits & ((1ULL << 52) - 1)) | (1ULL << 52);
        int binary = biased - 1023;  // 2^binary <= |v| < 2^(binary+1)
        int shift = 52 - binary;     // |v| = mant · 2^-shift, 33 <= shift <= 99
        // floor(binary·log10 2): the decimal exponent or one below it.
        int e = (binary * 78913) >> 18;
        int k = 5 - e;
        if (k >= 0 && k <= 19) {
            int half;
            uint64_t q = scaled_floor(mant, shift, k, &half);
            if (q >= 1000000 && k >= 1) {
                e += 1;
                k -= 1;
                q = scaled_floor(mant, shift, k, &half);
            }
            if (q >= 100000 && q < 1000000) {
                if (half > 0 || (half == 0 && (q & 1))) q += 1;  // half to even
                if (q == 1000000) {
                    q = 100000;
                    e += 1;
                }
                return screenplan_print_g6(out, negative, (uint32_t)q, e);
            }
        }
    }
    return screenplan_format_g6(out, 32, value);
}

long screenplan_format_state_values(char *out, const double *x, long rows) {
    char *p = out;
    for (long i = 0; i < rows; i++) {
        double v = x[i];
        if (v == 0) {
            *p++ = '0';
        } else {
            p += screenplan_format_g6_exact(p, v);
        }
        *p++ = '\n';
    }
    return (long)(p - out);
}
