// The regulator step's per-cell kernels (see include/ScreenplanStepKernels.h).
#include "ScreenplanStepKernels.h"

#include <math.h>

#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

// The bodies, compiled once for the baseline and once for AVX2 (the compiler vectorises the
// loops at each target's width; the arithmetic is the same IEEE operations in the same order).
#define HILL_BODY                                                                   \
    for (long ch = 0; ch < count; ch++) h[ch] = x[regulator[ch]] * invHalf[ch];    \
    for (long r = 0; r < runs; r++) {                                               \
        long a = runStart[r], b = runEnd[r];                                        \
        double n = exponent[r];                                                     \
        if (n == 1) {                                                               \
            for (long ch = a; ch < b; ch++) {                                       \
                double q = h[ch];                                                   \
                h[ch] = q / (1 + q);                                                \
            }                                                                       \
        } else if (n == 2) {                                                        \
            for (long ch = a; ch < b; ch++) {                                       \
                double q = h[ch];                                                   \
                double qn = q * q;                                                  \
                h[ch] = qn / (1 + qn);                                              \
            }                                                                       \
        } else if (n == 3) {                                                        \
            for (long ch = a; ch < b; ch++) {                                       \
                double q = h[ch];                                                   \
                double qn = q * q * q;                                              \
                h[ch] = qn / (1 + qn);                                              \
            }                                                                       \
        } else if (n == 4) {                                                        \
            for (long ch = a; ch < b; ch++) {                                       \
                double q = h[ch];                                                   \
                double q2 = q * q;                                                  \
                double qn = q2 * q2;                                                \
                h[ch] = qn / (1 + qn);                                              \
            }                                                                       \
        } else {                                                                    \
            for (long ch = a; ch < b; ch++) {                                       \
                double q = h[ch];                                                   \
                double qn = q > 0 ? pow(q, n) : 0;                                  \
                h[ch] = qn / (1 + qn);                                              \
            }                                                                       \
        }                                                                           \
    }

#define UPDATE_BODY                                                                 \
    if (input) {                                                                    \
        for (long p = 0; p < count; p++) {                                          \
            double prod = s[p] + input[p];                                          \
            prod = prod > 0 ? prod : 0;                                             \
            double xv = x[p];                                                       \
            double sd = __builtin_elementwise_sqrt(prod + decay[p] * xv);                                 \
            double v = xv * decayFactor[p] + prod * productionFactor[p] + noiseFactor[p] * sd * xi[p]; \
            x[p] = v > 0 ? v : 0;                                                   \
        }                                                                           \
    } else {                                                                        \
        for (long p = 0; p < count; p++) {                                          \
            double prod = s[p];                                                     \
            double xv = x[p];                                                       \
            double sd = __builtin_elementwise_sqrt(prod + decay[p] * xv);                                 \
            double v = xv * decayFactor[p] + prod * productionFactor[p] + noiseFactor[p] * sd * xi[p]; \
            x[p] = v > 0 ? v : 0;                                                   \
        }                                                                           \
    }

static void hill_base(
    const double *restrict x, double *restrict h, long count, const long *regulator, const double *invHalf, long runs,
    const long *runStart, const long *runEnd, const double *exponent) {
    HILL_BODY
}

static void update_base(
    double *restrict x, const double *restrict s, const double *restrict input, const double *restrict xi, long count,
    const double *decayFactor, const double *productionFactor, const double *noiseFactor, const double *decay) {
    UPDATE_BODY
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) static void hill_avx2(
    const double *restrict x, double *restrict h, long count, const long *regulator, const double *invHalf, long runs,
    const long *runStart, const long *runEnd, const double *exponent) {
    HILL_BODY
}

__attribute__((target("avx2"))) static void update_avx2(
    double *restrict x, const double *restrict s, const double *restrict input, const double *restrict xi, long count,
    const double *decayFactor, const double *productionFactor, const double *noiseFactor, const double *decay) {
    UPDATE_BODY
}

static int have_avx2(void) {
    static int known = -1;
    if (known < 0) known = __builtin_cpu_supports("avx2") ? 1 : 0;
    return known;
}
#endif

void screenplan_hill_channels(
    const double *x, double *h, long count, const long *regulator, const double *invHalf, long runs,
    const long *runStart, const long *runEnd, const double *exponent) {
#if defined(__x86_64__)
    if (have_avx2()) {
        hill_avx2(x, h, count, regulator, invHalf, runs, runStart, runEnd, exponent);
        return;
    }
#endif
    hill_base(x, h, count, regulator, invHalf, runs, runStart, runEnd, exponent);
}

void screenplan_euler_update(
    double *x, const double *s, const double *input, const double *xi, long count, const double *decayFactor,
    const double *productionFactor, const double *noiseFactor, const double *decay) {
#if defined(__x86_64__)
    if (have_avx2()) {
        update_avx2(x, s, input, xi, count, decayFactor, productionFactor, noiseFactor, decay);
        return;
    }
#endif
    update_base(x, s, input, xi, count, decayFactor, productionFactor, noiseFactor, decay);
}

void screenplan_sparse_rows(
    const double *h, double *s, const long *rowOrder, long groups, const long *groupLength,
    const long *groupBegin, const long *groupEnd, const long *column, const double *value) {
    long k = 0;
    for (long g = 0; g < groups; g++) {
        long len = groupLength[g], b = groupBegin[g], e = groupEnd[g];
        switch (len) {
        case 0:
            for (long i = b; i < e; i++) s[rowOrder[i]] = 0.0;
            break;
        case 1:
            for (long i = b; i < e; i++, k += 1) s[rowOrder[i]] = 0.0 + value[k] * h[column[k]];
            break;
        case 2:
            for (long i = b; i < e; i++, k += 2)
                s[rowOrder[i]] = (0.0 + value[k] * h[column[k]]) + value[k + 1] * h[column[k + 1]];
            break;
        case 3:
            for (long i = b; i < e; i++, k += 3)
                s[rowOrder[i]] = ((0.0 + value[k] * h[column[k]]) + value[k + 1] * h[column[k + 1]])
                    + value[k + 2] * h[column[k + 2]];
            break;
        default:
            for (long i = b; i < e; i++) {
                double acc = 0.0;
                for (long t = 0; t < len; t++, k++) acc += value[k] * h[column[k]];
                s[rowOrder[i]] = acc;
            }
        }
    }
}
