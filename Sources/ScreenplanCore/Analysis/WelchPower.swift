import Foundation

// Welch's t-test at low counts: scanpy `rank_genes_groups(method="t-test")` on log1p of counts
// per 10k, which calls scipy's `ttest_ind_from_stats(equal_var=False)` on each group's mean and
// unbiased variance, compares t with Student's t on the Welch–Satterthwaite degrees of freedom,
// and sets p = 1 where t is NaN (both groups constant). docs/batching.md, section 2.6 ("t-test at
// low counts").
//
// The statistic's denominator is the perturbed group's *sample* variance. On a sparse gene most
// of a perturbation's 20–30 cells count zero, and that variance is set by how many do not: with
// k nonzero cells of values v it is about Σv²/n, so a screen with few nonzero cells has a small
// denominator and a large |t| (with none, t = −x̄₀√n₀/s₀, beyond any threshold for a gene the
// controls see). The normal model with the expected variance misses both, so the model here
// conditions on k: k ~ Binomial(n, 1 − π) (cells are independent and each is zero with the
// group's zero probability π), and given k the perturbed mean and variance are those of k
// independent draws of a nonzero cell's value, the rejection probability given k then follows
// the noncentral t's normal approximation (Abramowitz & Stegun 26.7.10) on that k's
// Welch–Satterthwaite df.

/// The raw moments E x, E x², E x³, E x⁴ and the zero probability of x = log1p(10⁴·y/N) for one
/// group of cells: what Welch's test sees of a group (the third and fourth give the sampling
/// spread of its sample variance, which at low counts is far from χ²).
public struct LogMoments: Sendable, Equatable {
    /// E x.
    public var mean: Double
    /// E x².
    public var second: Double
    /// E x³.
    public var third: Double
    /// E x⁴.
    public var fourth: Double
    /// Pr(x = 0), i.e. Pr(y = 0).
    public var zero: Double

    /// Moments from their parts.
    public init(mean: Double, second: Double, third: Double, fourth: Double, zero: Double) {
        self.mean = mean
        self.second = second
        self.third = third
        self.fourth = fourth
        self.zero = zero
    }

    /// Var x.
    public var variance: Double { max(0, second - mean * mean) }

    /// The moments of a group by exact sums over y and the 33-node quadrature over L of
    /// `TestModels.logNormalisedMoments` (scale = 10⁴/U), cached per quantised group.
    public static func of(_ g: CellGroup, librarySD s: Double, scale: Double) -> LogMoments {
        let key = MomentKey(group: g.key, sd: s, scale: scale)
        if let hit = cache.withLock({ $0[key] }) { return hit }
        let g = key.group
        let nodes = LibraryNodes(sd: s, count: TestModels.smoothNodes)
        let pi0 = min(max(g.zeroInflation, 0), 1)
        var m1 = 0.0
        var m2 = 0.0
        var m3 = 0.0
        var m4 = 0.0
        var zero = 0.0
        for k in 0..<nodes.size.count {
            let l = nodes.size[k]
            let pmf = NegativeBinomial.pmf(mean: g.mean * l, mixing: g.mixing)
            var p1 = 0.0
            var p2 = 0.0
            var p3 = 0.0
            var p4 = 0.0
            for y in 1..<max(1, pmf.count) {
                let x = Foundation.log1p(scale * Double(y) / l)
                let px = pmf[y] * x
                let px2 = px * x
                p1 += px
                p2 += px2
                p3 += px2 * x
                p4 += px2 * x * x
            }
            let w = nodes.weight[k] * (1 - pi0)
            m1 += w * p1
            m2 += w * p2
            m3 += w * p3
            m4 += w * p4
            zero += nodes.weight[k] * (pi0 + (1 - pi0) * pmf[0])
        }
        let out = LogMoments(mean: m1, second: m2, third: m3, fourth: m4, zero: zero)
        cache.withLock { entries in
            if entries.count > 200_000 { entries.removeAll() }
            entries[key] = out
        }
        return out
    }

    private static let cache = Locked<[MomentKey: LogMoments]>([:])
}

/// Rejection probability of Welch's t-test (scanpy's `t-test`) with the perturbed group's count
/// of nonzero cells as a binomial mixture (see the file comment).
public enum WelchPower {
    /// P(p < `level`) for n_p perturbed cells with values of moments `perturbed` against n_0
    /// controls with `control`, two-sided. `shift` is the variance (x units²) of a shift of the
    /// perturbed group's mean that the test does not see (batch × perturbation interaction,
    /// batch effects that do not cancel), added to the numerator's variance. A fractional n_p
    /// (the expected assigned cells) interpolates linearly between its neighbouring integers.
    public static func rejection(
        perturbed: LogMoments, control: LogMoments, np: Double, n0: Double, level: Double, shift: Double = 0
    ) -> Double {
        rejection(terms(perturbed: perturbed, control: control, np: np, n0: n0, shift: shift), level: level)
    }

    /// The probability that all n perturbed cells count zero (the atom the normal model misses).
    public static func allZero(_ perturbed: LogMoments, np: Double) -> Double {
        Foundation.exp(np * Foundation.log(max(perturbed.zero, 1e-300)))
    }

    /// One k of the mixture, everything but the level: its weight, the numerator's mean and
    /// variance, the estimated standard error's mean, variance and covariance with the numerator,
    /// and the Welch–Satterthwaite df.
    struct Term {
        var weight: Double
        var mu: Double
        var varN: Double
        var meanSE: Double
        var varSE: Double
        var covNSE: Double
        var df: Double
    }

    /// The mixture's terms (level-free, so a multiple-testing iteration makes them once).
    static func terms(perturbed: LogMoments, control: LogMoments, np: Double, n0: Double, shift: Double) -> [Term] {
        guard np >= 2, n0 >= 2, np.isFinite, n0.isFinite else { return [] }
        let lo = np.rounded(.down)
        let w = np - lo
        var out = terms(perturbed, control, n: Int(lo), n0: n0, shift: shift, scale: w > 1e-9 ? 1 - w : 1)
        if w > 1e-9 { out += terms(perturbed, control, n: Int(lo) + 1, n0: n0, shift: shift, scale: w) }
        return out
    }

    /// P(reject) from the terms at a per-test level.
    static func rejection(_ terms: [Term], level: Double) -> Double {
        guard level > 0, level < 1, !terms.isEmpty else { return 0 }
        let z = Normal.quantile(1 - level / 2)
        var total = 0.0
        for term in terms {
            let t = z * Normal.studentQuantileRatio(z: z, df: term.df)
            // N > t·ŜE and N < −t·ŜE, each normal to first order.
            let upper = term.varN + t * t * term.varSE - 2 * t * term.covNSE
            let lower = term.varN + t * t * term.varSE + 2 * t * term.covNSE
            let mu = term.mu
            let pUpper =
                upper > 0 ? Normal.cdf((mu - t * term.meanSE) / upper.squareRoot()) : (mu > t * term.meanSE ? 1 : 0)
            let pLower =
                lower > 0 ? Normal.cdf((-mu - t * term.meanSE) / lower.squareRoot()) : (-mu > t * term.meanSE ? 1 : 0)
            total += term.weight * (pUpper + pLower)
        }
        return min(1, total)
    }

    static func terms(
        _ p: LogMoments, _ c: LogMoments, n: Int, n0: Double, shift: Double, scale: Double
    ) -> [Term] {
        let nD = Double(n)
        // The controls: mean, variance of their mean, and their sample variance's spread and
        // covariance with their mean (central moments; sparse values are skewed and heavy-tailed).
        let v0 = c.variance
        let mu3 = c.third - 3 * c.mean * c.second + 2 * c.mean * c.mean * c.mean
        let mu4 =
            c.fourth - 4 * c.mean * c.third + 6 * c.mean * c.mean * c.second - 3 * c.mean * c.mean * c.mean * c.mean
        let c0 = v0 / n0
        let controlVarianceOfB = max(0, mu4 - v0 * v0 * (n0 - 3) / (n0 - 1)) / n0 / (n0 * n0)
        let controlCov = mu3 / (n0 * n0)  // Cov(x̄₀, s₀²/n₀)
        let q = min(1, max(0, 1 - p.zero))
        // A nonzero cell's value v: raw moments a = E v, b = E v², e3, e4.
        let a = q > 1e-300 ? p.mean / q : 0
        let b = q > 1e-300 ? p.second / q : 0
        let e3 = q > 1e-300 ? p.third / q : 0
        let e4 = q > 1e-300 ? p.fourth / q : 0
        let within = max(0, b - a * a)
        func given(_ k: Int, weight: Double) -> Term? {
            let kd = Double(k)
            // Given k: S = Σv over the k nonzero cells, Q = Σv²; x̄_p = S/n, s_p² = (Q − S²/n)/(n − 1).
            let meanP = kd * a / nD
            let meanVariance = kd * within / (nD * nD)
            let s2 = max(0, kd * b / nD - kd * (kd - 1) * a * a / (nD * (nD - 1)))
            // Delta method for D = Q − S²/n at S = k·a: dD = dQ − (2ka/n) dS.
            let g = 2 * kd * a / nD
            let varQ = kd * max(0, e4 - b * b)
            let covQS = kd * (e3 - a * b)
            let varD = max(0, varQ + g * g * kd * within - 2 * g * covQS)
            let covSD = covQS - g * kd * within
            let vp = s2 / nD
            let se2 = vp + c0
            // Both groups constant: scipy's t is NaN, and scanpy sets p = 1.
            guard se2 > 0 else { return nil }
            let se = se2.squareRoot()
            let df = se2 * se2 / (vp * vp / (nD - 1) + c0 * c0 / max(1, n0 - 1))
            // The estimated SE² = A + B: its variance and covariance with the numerator N = x̄_p − x̄₀.
            let varSE2 = varD / (nD * (nD - 1)) / (nD * (nD - 1)) + controlVarianceOfB
            let covN = covSD / (nD * nD * (nD - 1)) - controlCov
            return Term(
                weight: weight * scale, mu: meanP - c.mean, varN: meanVariance + c0 + shift,
                meanSE: se * (1 - varSE2 / (8 * se2 * se2)), varSE: varSE2 / (4 * se2), covNSE: covN / (2 * se),
                df: df)
        }
        guard q > 1e-12 else { return given(0, weight: 1).map { [$0] } ?? [] }
        guard q < 1 - 1e-12 else { return given(n, weight: 1).map { [$0] } ?? [] }
        // k ~ Binomial(n, q), over mean ± 10 sd (the rest is below 10⁻²²).
        let mean = nD * q
        let sd = (nD * q * (1 - q)).squareRoot()
        let first = max(0, Int((mean - 10 * sd - 1).rounded(.down)))
        let last = min(n, Int((mean + 10 * sd + 1).rounded(.up)))
        let lq = Foundation.log(q)
        let l1q = Foundation.log1p(-q)
        let front: Double = Foundation.lgamma(nD + 1)
        var out: [Term] = []
        for k in first...last {
            let kd = Double(k)
            let lk: Double = Foundation.lgamma(kd + 1)
            let lnk: Double = Foundation.lgamma(nD - kd + 1)
            let weight = Foundation.exp(front - lk - lnk + kd * lq + (nD - kd) * l1q)
            if weight < 1e-12 { continue }
            if let term = given(k, weight: weight) { out.append(term) }
        }
        return out
    }
}

/// One gene's Welch power as the analysis passes it to `MultipleTestingLevel.solve`: the
/// perturbed group's moments at equally likely draws of its effect (the guide library's draws
/// for a target, one draw otherwise), the controls' moments, the cells and the unseen shift.
public struct WelchTarget: Sendable {
    /// Perturbed-group moments, one per equally likely draw of the effect.
    public let draws: [LogMoments]
    /// The controls' moments.
    public let control: LogMoments
    /// Perturbed cells n_p (expected, assignable).
    public let np: Double
    /// Control cells n_0.
    public let n0: Double
    /// Variance of the unseen shift of the perturbed mean (x units², `WelchPower.rejection`).
    public let shift: Double

    /// The fields as named.
    public init(draws: [LogMoments], control: LogMoments, np: Double, n0: Double, shift: Double) {
        self.draws = draws
        self.control = control
        self.np = np
        self.n0 = n0
        self.shift = shift
        let each = 1 / Double(max(1, draws.count))
        terms = draws.flatMap { d in
            WelchPower.terms(perturbed: d, control: control, np: np, n0: n0, shift: shift).map {
                var t = $0
                t.weight *= each
                return t
            }
        }
    }

    /// The draws' mixture terms, made once (they do not depend on the level).
    let terms: [WelchPower.Term]

    /// Power at a per-test level: the mean of `WelchPower.rejection` over the draws.
    public func power(level: Double) -> Double {
        WelchPower.rejection(terms, level: level)
    }
}
