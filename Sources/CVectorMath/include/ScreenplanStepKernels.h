// The per-cell kernels of the simulator's regulator step, in C for AVX2.
//
// Swift on Linux compiles for baseline x86-64 (SSE2: two doubles per instruction) and has no way
// to compile one function for a wider instruction set. These kernels are the Swift loops of
// StepKernels.swift and SparseRows, with the same operations in the same order and no fused
// multiply-add (contraction off), compiled a second time for AVX2 (four doubles) and chosen at
// run time: results are bit for bit those of the Swift loops (StepKernelTests compares them).
#ifndef SCREENPLAN_STEP_KERNELS_H
#define SCREENPLAN_STEP_KERNELS_H

/// H[ch] = qⁿ/(1 + qⁿ), q = x[regulator[ch]]·invHalf[ch], for the runs of channels
/// [runStart[r], runEnd[r]) with Hill exponent exponent[r] (2 and 4 by multiplication, else pow).
void screenplan_hill_channels(
    const double *x, double *h, long count, const long *regulator, const double *invHalf, long runs,
    const long *runStart, const long *runEnd, const double *exponent);

/// s[rowOrder[i]] = Σ value[k]·h[column[k]] over that row's nonzeros, the rows ordered by their
/// number of nonzeros: group g is rows [groupBegin[g], groupEnd[g]) of rowOrder, each with
/// groupLength[g] nonzeros, consecutive in column/value (the sum from 0 in nonzero order).
void screenplan_sparse_rows(
    const double *h, double *s, const long *rowOrder, long groups, const long *groupLength,
    const long *groupBegin, const long *groupEnd, const long *column, const double *value);

/// x ← max(0, x·e + P·f + σ·√(P + γx)·ξ), P = max(0, input + s) (input may be NULL: P = s).
void screenplan_euler_update(
    double *x, const double *s, const double *input, const double *xi, long count, const double *decayFactor,
    const double *productionFactor, const double *noiseFactor, const double *decay);

#endif
