// Ziggurat normals for up to four streams at once (see include/ScreenplanZiggurat.h).
#include "ScreenplanZiggurat.h"

#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// Bit-for-bit agreement with the Swift loop needs every rounding in the same place.
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

#define LAYERS 128

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t next(uint64_t *s) {
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static inline double uniform(uint64_t *s) { return ((double)(next(s) >> 11) + 0.5) * 0x1.0p-53; }

static inline double centred(uint64_t bits) { return 2 * (((double)(bits >> 11) + 0.5) * 0x1.0p-53) - 1; }

// The rare branches (RandomStream.zigguratSlow): the tail and the wedges, then a fresh draw.
static double slow(uint64_t *s, double u, int i, const double *x, double r) {
    const double *ratio = x + LAYERS + 1;
    for (;;) {
        if (fabs(u) < ratio[i]) return u * x[i];
        if (i == 0) {
            double xt, yt;
            do {
                xt = log(uniform(s)) / r;
                yt = log(uniform(s));
            } while (-2 * yt < xt * xt);
            return u < 0 ? xt - r : r - xt;
        }
        double xx = u * x[i];
        double f0 = exp(-0.5 * (x[i] * x[i] - xx * xx));
        double f1 = exp(-0.5 * (x[i + 1] * x[i + 1] - xx * xx));
        if (f1 + uniform(s) * (f0 - f1) < 1) return xx;
        uint64_t bits = next(s);
        u = centred(bits);
        i = (int)(bits & 0x7F);
    }
}

static void fill_scalar(uint64_t *s, double *out, long count, const double *x, double r) {
    const double *ratio = x + LAYERS + 1;
    for (long k = 0; k < count; k++) {
        uint64_t bits = next(s);
        double u = centred(bits);
        int i = (int)(bits & 0x7F);
        out[k] = fabs(u) < ratio[i] ? u * x[i] : slow(s, u, i, x, r);
    }
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) static inline __m256i rotl4(__m256i v, int k) {
    return _mm256_or_si256(_mm256_slli_epi64(v, k), _mm256_srli_epi64(v, 64 - k));
}

// A lane left the fast path (bit l of `fast` clear): finish it on its own stream, from its
// current state (the four state words s0…s3 hold lane l's words in their lanes l). Shared by the
// AVX2 and AVX-512 kernels.
__attribute__((target("avx2"))) static inline void finish_slow_lanes(
    int fast, __m256d u, __m256i idx, __m256i *s0, __m256i *s1, __m256i *s2, __m256i *s3, double *v4,
    const double *x, double r
) {
    double u4[4];
    int64_t i4[4];
    uint64_t lane[4][4];
    _mm256_storeu_pd(u4, u);
    _mm256_storeu_si256((__m256i *)i4, idx);
    _mm256_storeu_si256((__m256i *)lane[0], *s0);
    _mm256_storeu_si256((__m256i *)lane[1], *s1);
    _mm256_storeu_si256((__m256i *)lane[2], *s2);
    _mm256_storeu_si256((__m256i *)lane[3], *s3);
    for (int l = 0; l < 4; l++) {
        if (fast & (1 << l)) continue;
        uint64_t s[4] = {lane[0][l], lane[1][l], lane[2][l], lane[3][l]};
        v4[l] = slow(s, u4[l], (int)i4[l], x, r);
        lane[0][l] = s[0];
        lane[1][l] = s[1];
        lane[2][l] = s[2];
        lane[3][l] = s[3];
    }
    *s0 = _mm256_loadu_si256((const __m256i *)lane[0]);
    *s1 = _mm256_loadu_si256((const __m256i *)lane[1]);
    *s2 = _mm256_loadu_si256((const __m256i *)lane[2]);
    *s3 = _mm256_loadu_si256((const __m256i *)lane[3]);
}

// Four streams in the lanes of s0…s3 (lane l is states[4l…4l+3]).
__attribute__((target("avx2"))) static void fill4_avx2(
    uint64_t *states, double *out, long stride, long count, const double *x, double r) {
    const double *ratio = x + LAYERS + 1;
    uint64_t lane[4][4];
    __m256i s0 = _mm256_set_epi64x((long long)states[12], (long long)states[8], (long long)states[4], (long long)states[0]);
    __m256i s1 = _mm256_set_epi64x((long long)states[13], (long long)states[9], (long long)states[5], (long long)states[1]);
    __m256i s2 = _mm256_set_epi64x((long long)states[14], (long long)states[10], (long long)states[6], (long long)states[2]);
    __m256i s3 = _mm256_set_epi64x((long long)states[15], (long long)states[11], (long long)states[7], (long long)states[3]);
    const __m256i magic = _mm256_set1_epi64x(0x4330000000000000LL);  // 2^52 as a double's bits
    const __m256d two52 = _mm256_set1_pd(0x1.0p52);
    const __m256i oneBits = _mm256_set1_epi64x(0x3FF0000000000000LL);  // 1.0
    const __m256i one = _mm256_set1_epi64x(1);
    const __m256i seven = _mm256_set1_epi64x(0x7F);
    const __m256d half = _mm256_set1_pd(0.5), scale = _mm256_set1_pd(0x1.0p-53);
    const __m256d two = _mm256_set1_pd(2), unit = _mm256_set1_pd(1);
    const __m256d absMask = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7FFFFFFFFFFFFFFFLL));
    double v4[4];
    for (long k = 0; k < count; k++) {
        // result = rotl(s1·5, 7)·9, then the state update, in every lane.
        __m256i m5 = _mm256_add_epi64(_mm256_slli_epi64(s1, 2), s1);
        __m256i rr = rotl4(m5, 7);
        __m256i bits = _mm256_add_epi64(_mm256_slli_epi64(rr, 3), rr);
        __m256i t = _mm256_slli_epi64(s1, 17);
        s2 = _mm256_xor_si256(s2, s0);
        s3 = _mm256_xor_si256(s3, s1);
        s1 = _mm256_xor_si256(s1, s2);
        s0 = _mm256_xor_si256(s0, s3);
        s2 = _mm256_xor_si256(s2, t);
        s3 = rotl4(s3, 45);
        // Double(bits >> 11) exactly: the top 52 of its 53 bits through the 2^52 trick, doubled,
        // plus its lowest bit.
        __m256i v53 = _mm256_srli_epi64(bits, 11);
        __m256d hi = _mm256_sub_pd(
            _mm256_castsi256_pd(_mm256_or_si256(_mm256_srli_epi64(v53, 1), magic)), two52);
        __m256d lo = _mm256_castsi256_pd(
            _mm256_and_si256(_mm256_sub_epi64(_mm256_setzero_si256(), _mm256_and_si256(v53, one)), oneBits));
        __m256d d = _mm256_add_pd(_mm256_mul_pd(hi, two), lo);
        __m256d u = _mm256_sub_pd(_mm256_mul_pd(two, _mm256_mul_pd(_mm256_add_pd(d, half), scale)), unit);
        __m256i idx = _mm256_and_si256(bits, seven);
        __m256d rat = _mm256_i64gather_pd(ratio, idx, 8);
        __m256d xg = _mm256_i64gather_pd(x, idx, 8);
        __m256d ok = _mm256_cmp_pd(_mm256_and_pd(u, absMask), rat, _CMP_LT_OQ);
        _mm256_storeu_pd(v4, _mm256_mul_pd(u, xg));
        int mask = _mm256_movemask_pd(ok);
        if (mask != 0xF) finish_slow_lanes(mask, u, idx, &s0, &s1, &s2, &s3, v4, x, r);
        out[k] = v4[0];
        out[stride + k] = v4[1];
        out[2 * stride + k] = v4[2];
        out[3 * stride + k] = v4[3];
    }
    _mm256_storeu_si256((__m256i *)lane[0], s0);
    _mm256_storeu_si256((__m256i *)lane[1], s1);
    _mm256_storeu_si256((__m256i *)lane[2], s2);
    _mm256_storeu_si256((__m256i *)lane[3], s3);
    for (int l = 0; l < 4; l++) {
        for (int w = 0; w < 4; w++) states[4 * l + w] = lane[w][l];
    }
}

// The same four streams with AVX-512 (F, VL, DQ) on 256-bit registers: one-instruction rotations,
// the exact conversion of the 53-bit integer (vcvtqq2pd), and each lane's layer read from `pairs`
// (x[i], ratio[i] side by side: two 128-bit loads per pair of lanes instead of two gathers, which
// are slow on the machines measured). Same words, same operations, same numbers as fill4_avx2.
__attribute__((target("avx2,avx512f,avx512vl,avx512dq"))) static void fill4_avx512(
    uint64_t *states, double *out, long stride, long count, const double *x, const double *pairs, double r) {
    uint64_t lane[4][4];
    __m256i s0 = _mm256_set_epi64x((long long)states[12], (long long)states[8], (long long)states[4], (long long)states[0]);
    __m256i s1 = _mm256_set_epi64x((long long)states[13], (long long)states[9], (long long)states[5], (long long)states[1]);
    __m256i s2 = _mm256_set_epi64x((long long)states[14], (long long)states[10], (long long)states[6], (long long)states[2]);
    __m256i s3 = _mm256_set_epi64x((long long)states[15], (long long)states[11], (long long)states[7], (long long)states[3]);
    const __m256i seven = _mm256_set1_epi64x(0x7F);
    const __m256d half = _mm256_set1_pd(0.5), scale = _mm256_set1_pd(0x1.0p-53);
    const __m256d two = _mm256_set1_pd(2), unit = _mm256_set1_pd(1);
    const __m256d absMask = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7FFFFFFFFFFFFFFFLL));
    double v4[4];
    for (long k = 0; k < count; k++) {
        __m256i m5 = _mm256_add_epi64(_mm256_slli_epi64(s1, 2), s1);
        __m256i rr = _mm256_rol_epi64(m5, 7);
        __m256i bits = _mm256_add_epi64(_mm256_slli_epi64(rr, 3), rr);
        __m256i t = _mm256_slli_epi64(s1, 17);
        s2 = _mm256_xor_si256(s2, s0);
        s3 = _mm256_xor_si256(s3, s1);
        s1 = _mm256_xor_si256(s1, s2);
        s0 = _mm256_xor_si256(s0, s3);
        s2 = _mm256_xor_si256(s2, t);
        s3 = _mm256_rol_epi64(s3, 45);
        // bits >> 11 < 2^53: converted exactly.
        __m256d d = _mm256_cvtepi64_pd(_mm256_srli_epi64(bits, 11));
        __m256d u = _mm256_sub_pd(_mm256_mul_pd(two, _mm256_mul_pd(_mm256_add_pd(d, half), scale)), unit);
        __m256i idx = _mm256_and_si256(bits, seven);
        __m128i lo = _mm256_castsi256_si128(idx), hi = _mm256_extracti128_si256(idx, 1);
        long i0 = _mm_cvtsi128_si64(lo), i1 = _mm_extract_epi64(lo, 1);
        long i2 = _mm_cvtsi128_si64(hi), i3 = _mm_extract_epi64(hi, 1);
        __m256d pa = _mm256_insertf128_pd(_mm256_castpd128_pd256(_mm_loadu_pd(pairs + 2 * i0)), _mm_loadu_pd(pairs + 2 * i2), 1);
        __m256d pb = _mm256_insertf128_pd(_mm256_castpd128_pd256(_mm_loadu_pd(pairs + 2 * i1)), _mm_loadu_pd(pairs + 2 * i3), 1);
        __m256d xg = _mm256_unpacklo_pd(pa, pb);
        __m256d rat = _mm256_unpackhi_pd(pa, pb);
        __mmask8 ok = _mm256_cmp_pd_mask(_mm256_and_pd(u, absMask), rat, _CMP_LT_OQ);
        _mm256_storeu_pd(v4, _mm256_mul_pd(u, xg));
        if (ok != 0xF) finish_slow_lanes(ok, u, idx, &s0, &s1, &s2, &s3, v4, x, r);
        out[k] = v4[0];
        out[stride + k] = v4[1];
        out[2 * stride + k] = v4[2];
        out[3 * stride + k] = v4[3];
    }
    _mm256_storeu_si256((__m256i *)lane[0], s0);
    _mm256_storeu_si256((__m256i *)lane[1], s1);
    _mm256_storeu_si256((__m256i *)lane[2], s2);
    _mm256_storeu_si256((__m256i *)lane[3], s3);
    for (int l = 0; l < 4; l++) {
        for (int w = 0; w < 4; w++) states[4 * l + w] = lane[w][l];
    }
}

static int have_avx512(void) {
    static int known = -1;
    if (known < 0) {
        known = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                __builtin_cpu_supports("avx512dq") ? 1 : 0;
    }
    return known;
}
#endif

void screenplan_ziggurat_fill_path(
    int path, uint64_t *states, int lanes, double *out, long stride, long count, const double *table,
    const double *pairs, double r) {
#if defined(__x86_64__)
    if (lanes == 4 && path >= 2 && have_avx512()) {
        fill4_avx512(states, out, stride, count, table, pairs, r);
        return;
    }
    if (lanes == 4 && path >= 1 && __builtin_cpu_supports("avx2")) {
        fill4_avx2(states, out, stride, count, table, r);
        return;
    }
#endif
    for (int l = 0; l < lanes; l++) fill_scalar(states + 4 * l, out + l * stride, count, table, r);
}

void screenplan_ziggurat_fill(
    uint64_t *states, int lanes, double *out, long stride, long count, const double *table, const double *pairs,
    double r) {
    screenplan_ziggurat_fill_path(2, states, lanes, out, stride, count, table, pairs, r);
}
