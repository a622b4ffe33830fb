// The count sampler's inversion search, several genes side by side (see ScreenplanCounts.c).
//
// Each gene's count is the inversion of its negative binomial with its own uniform, drawn in gene
// order by the caller; the search itself draws nothing, so searching four genes in the four lanes
// of an AVX2 register gives each gene exactly the count the one-gene loop of
// RandomStream.countNegativeBinomial gives it (same IEEE operations in the same order, no fused
// multiply-add). CountSamplerTests compares the two bit for bit.
#ifndef SCREENPLAN_COUNTS_H
#define SCREENPLAN_COUNTS_H

/// For each i < n: k[i] = the smallest k < limit with u[i] ≤ cdf_k, or limit, where
/// cdf_k = p_0 + … + p_k, p_0 = p0[i] and p_{j+1} = p_j · ((r[i] · (j + theta[i])) · inverse[j + 1]).
/// When k[i] = limit, p[i] and cdf[i] are p_k and cdf_k (for the caller to continue the search
/// beyond the table when u[i] > cdf[i]); otherwise cdf[i] ≥ u[i]. `inverse` holds 1/j for j ≤ limit.
void screenplan_count_search(
    long n, const double *u, const double *p0, const double *r, const double *theta, const double *inverse,
    long limit, long *k, double *p, double *cdf);

#endif
