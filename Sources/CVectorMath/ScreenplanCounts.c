// The count sampler's inversion search, four genes per AVX2 register (include/ScreenplanCounts.h).
//
// One gene's search (RandomStream.countNegativeBinomial) is a dependent chain of about λ steps,
// each a multiply and an add, ending on a branch the predictor cannot know: the core waits on the
// chain and pays a misprediction per count. Four genes in the lanes of one register advance their
// four chains in the same instructions, and the loop ends when every lane's search has, one
// unpredictable branch per four counts. All lanes share the
// step number j (a lane still searching at step j has taken exactly j steps), so 1/(j + 1) is one
// broadcast from the table. The arithmetic of a lane is the scalar loop's, operation for
// operation.
#include "ScreenplanCounts.h"

#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

#if defined(__x86_64__)
#include <immintrin.h>
#endif

static void search_one(
    long i, const double *u, const double *p0, const double *r, const double *theta, const double *inverse,
    long limit, long *k, double *p, double *cdf) {
    double pi = p0[i], c = pi, ui = u[i], ri = r[i], ti = theta[i], kd = 0;
    long j = 0;
    while (ui > c && j < limit) {
        pi *= ri * (kd + ti) * inverse[j + 1];
        j += 1;
        kd += 1;
        c += pi;
    }
    k[i] = j;
    p[i] = pi;
    cdf[i] = c;
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) static void search_avx2(
    long n, const double *u, const double *p0, const double *r, const double *theta, const double *inverse,
    long limit, long *k, double *p, double *cdf) {
    long i = 0;
    const __m256d one = _mm256_set1_pd(1.0);
    for (; i + 4 <= n; i += 4) {
        __m256d U = _mm256_loadu_pd(u + i);
        __m256d P = _mm256_loadu_pd(p0 + i);
        __m256d C = P;
        __m256d R = _mm256_loadu_pd(r + i);
        __m256d T = _mm256_loadu_pd(theta + i);
        __m256d K = _mm256_setzero_pd();
        // No lane is frozen: P and C go on for every lane, and a lane's count is the number of
        // steps j with u > cdf_j, which is the scalar loop's count because the CDF never
        // decreases (p ≥ 0). The loop's chain is then one multiply and one add per step; the
        // comparisons and the count hang off it.
        __m256d active = _mm256_cmp_pd(U, C, _CMP_GT_OQ);
        long j = 0;
        while (j < limit && _mm256_movemask_pd(active)) {
            K = _mm256_add_pd(K, _mm256_and_pd(active, one));
            __m256d kd = _mm256_set1_pd((double)j);
            __m256d step = _mm256_mul_pd(_mm256_mul_pd(R, _mm256_add_pd(kd, T)), _mm256_set1_pd(inverse[j + 1]));
            P = _mm256_mul_pd(P, step);
            C = _mm256_add_pd(C, P);
            j += 1;
            active = _mm256_cmp_pd(U, C, _CMP_GT_OQ);
        }
        __m128i k32 = _mm256_cvtpd_epi32(K);
        k[i] = _mm_extract_epi32(k32, 0);
        k[i + 1] = _mm_extract_epi32(k32, 1);
        k[i + 2] = _mm_extract_epi32(k32, 2);
        k[i + 3] = _mm_extract_epi32(k32, 3);
        _mm256_storeu_pd(p + i, P);
        _mm256_storeu_pd(cdf + i, C);
    }
    for (; i < n; i++) search_one(i, u, p0, r, theta, inverse, limit, k, p, cdf);
}

static int have_avx2(void) {
    static int known = -1;
    if (known < 0) known = __builtin_cpu_supports("avx2") ? 1 : 0;
    return known;
}
#endif

void screenplan_count_search(
    long n, const double *u, const double *p0, const double *r, const double *theta, const double *inverse,
    long limit, long *k, double *p, double *cdf) {
#if defined(__x86_64__)
    if (have_avx2()) {
        search_avx2(n, u, p0, r, theta, inverse, limit, k, p, cdf);
        return;
    }
#endif
    for (long i = 0; i < n; i++) search_one(i, u, p0, r, theta, inverse, limit, k, p, cdf);
}
