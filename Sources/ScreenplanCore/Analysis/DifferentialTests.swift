import Foundation

// MARK: - The differential-expression tests labs run, on counts
//
// `montecarlo` runs the design's `analysis.test` on every simulated replicate, so the power the
// analysis predicts can be compared with the rejection rate of the test itself. Each test takes
// the cells of one perturbation and of its reference group (non-targeting controls at low MOI,
// the complement at high MOI) for one gene and returns a two-sided p-value:
//
// - glm: the score test of β = 0 in the negative-binomial GLM (skew-corrected, see nbScore)
//   y_c ~ NB(μ_c, θ), log μ_c = log L_c + α_b + β·x_c, fitted under the null on the union of the
//   two groups (Fisher scoring per batch; with batch dummies the information matrix is diagonal,
//   so α is profiled out in closed form). θ is estimated per gene from the data, as SCEPTRE's
//   is: `montecarlo` takes the moment estimate over every cell the analysis keeps at the time
//   point (one rate per batch). The simulator's counts carry biological and niche variation
//   beyond the design's `dispersion`, so a θ from the design would make the test
//   anti-conservative; a θ from the controls alone (a few hundred cells) is noisy enough to
//   double the false-positive rate at α = 0.01 on a 20-perturbation screen (measured: 2.1% with
//   controls only, 1.4% with every cell).
// - wilcoxon: the rank-sum test on log1p(10⁴·y/L), normal approximation with the tie-corrected
//   variance and no continuity correction (scanpy's `rank_genes_groups(method="wilcoxon",
//   tie_correct=True)`).
// - t-test: Welch's t-test on log1p(10⁴·y/L) with the Welch–Satterthwaite degrees of freedom
//   (scanpy's `t-test`, which calls scipy's `ttest_ind_from_stats(equal_var=False)`).
// - pseudobulk: the mean over batches of per-batch log pseudo-bulk ratios (docs/batching.md §1)
//   with a z-test whose variance is the delta method on the batch means of the data.

/// One group of cells for one gene: counts, library sizes and batch (layout unit) of each cell.
public struct GeneCells: Sendable, Equatable {
    /// UMIs of the gene per cell.
    public var counts: [Double]
    /// Library size (UMIs over all measured genes) per cell: the offset and the normaliser.
    public var library: [Double]
    /// Layout unit (batch × time point) per cell, the GLM's batch covariate.
    public var unit: [Int]

    public init(counts: [Double] = [], library: [Double] = [], unit: [Int] = []) {
        self.counts = counts
        self.library = library
        self.unit = unit
    }

    public var count: Int { counts.count }

    /// log1p(10⁴·y/L) per cell, the values scanpy's tests rank or average.
    public var logNormalised: [Double] {
        (0..<counts.count).map { Foundation.log1p(1e4 * counts[$0] / library[$0]) }
    }
}

/// A test's statistic (z, t or W standardised) and two-sided p-value.
public struct TestOutcome: Sendable, Equatable {
    /// z (glm, wilcoxon, pseudobulk) or t (t-test); its sign is the direction of the effect.
    public var statistic: Double
    /// Two-sided p-value.
    public var p: Double
    /// The estimate behind it where the test has one (pseudobulk: Δ̂ in log2; otherwise nil).
    public var estimate: Double?

    public init(statistic: Double, p: Double, estimate: Double? = nil) {
        self.statistic = statistic
        self.p = p
        self.estimate = estimate
    }

    /// A test that cannot be computed (no cells, no counts): never a rejection.
    public static let untestable = TestOutcome(statistic: 0, p: 1)
}

/// The tests `montecarlo` runs on simulated counts, one (perturbation, gene) at a time, so that the
/// analysis's predicted power can be checked against the test a lab will run.
public enum DifferentialTests {
    /// Two-sided normal p-value 2·Φ(−|z|).
    @inline(__always)
    static func normalP(_ z: Double) -> Double { Foundation.erfc(abs(z) / 2.0.squareRoot()) }

    // MARK: NB GLM score test

    /// Moment estimate of the NB size θ on `cells` after a Poisson fit of one rate per unit:
    /// θ̂ = Σμ² / Σ[(y − μ)² − μ], since Var(y) = μ + μ²/θ. Over-dispersion at or below Poisson
    /// gives θ = 10⁸ (a Poisson test); θ is kept at least 10⁻².
    public static func momentTheta(_ cells: GeneCells, units: Int) -> Double {
        var sy = [Double](repeating: 0, count: units)
        var sl = [Double](repeating: 0, count: units)
        for c in 0..<cells.count {
            sy[cells.unit[c]] += cells.counts[c]
            sl[cells.unit[c]] += cells.library[c]
        }
        var num = 0.0
        var den = 0.0
        for c in 0..<cells.count {
            let u = cells.unit[c]
            guard sl[u] > 0 else { continue }
            let mu = cells.library[c] * sy[u] / sl[u]
            let r = cells.counts[c] - mu
            num += mu * mu
            den += r * r - mu
        }
        guard den > 0, num > 0 else { return 1e8 }
        return min(1e8, max(1e-2, num / den))
    }

    /// The score test of β = 0 for `perturbed` against `reference` with NB size `theta`:
    /// z = U/√I with U = Σ_{c∈p} (y_c − μ_c)/(1 + μ_c/θ) and the efficient information
    /// I = Σ_b I_pb·I_0b/(I_pb + I_0b), I = Σ μ/(1 + μ/θ) over the group's cells in batch b, at
    /// the null fit on both groups. Batches without reference cells carry no information.
    public static func nbScore(perturbed: GeneCells, reference: GeneCells, theta: Double, units: Int) -> TestOutcome {
        // Null fit per unit: Fisher scoring for α_b, from the Poisson estimate.
        var sy = [Double](repeating: 0, count: units)
        var sl = [Double](repeating: 0, count: units)
        var hasRef = [Bool](repeating: false, count: units)
        var hasP = [Bool](repeating: false, count: units)
        for c in 0..<reference.count {
            sy[reference.unit[c]] += reference.counts[c]
            sl[reference.unit[c]] += reference.library[c]
            hasRef[reference.unit[c]] = true
        }
        for c in 0..<perturbed.count {
            sy[perturbed.unit[c]] += perturbed.counts[c]
            sl[perturbed.unit[c]] += perturbed.library[c]
            hasP[perturbed.unit[c]] = true
        }
        let inv = 1 / theta
        var alpha = [Double](repeating: -.infinity, count: units)
        var active = [Bool](repeating: false, count: units)
        for u in 0..<units where hasRef[u] && hasP[u] && sy[u] > 0 && sl[u] > 0 {
            alpha[u] = Foundation.log(sy[u] / sl[u])
            active[u] = true
        }
        // All units at once: each α_b has its own score equation, one pass over the cells per step.
        var s = [Double](repeating: 0, count: units)
        var w = [Double](repeating: 0, count: units)
        var ea = [Double](repeating: 0, count: units)
        for _ in 0..<50 {
            for u in 0..<units {
                s[u] = 0
                w[u] = 0
                ea[u] = active[u] ? Foundation.exp(alpha[u]) : 0
            }
            for g in [reference, perturbed] {
                for c in 0..<g.count {
                    let u = g.unit[c]
                    guard active[u] else { continue }
                    let mu = g.library[c] * ea[u]
                    let d = 1 / (1 + mu * inv)
                    s[u] += (g.counts[c] - mu) * d
                    w[u] += mu * d
                }
            }
            var largest = 0.0
            for u in 0..<units where active[u] && w[u] > 0 {
                let step = s[u] / w[u]
                alpha[u] += step
                largest = max(largest, abs(step))
            }
            if largest < 1e-10 { break }
        }
        var score = 0.0
        var ip = [Double](repeating: 0, count: units)
        var i0 = [Double](repeating: 0, count: units)
        for c in 0..<perturbed.count {
            let u = perturbed.unit[c]
            guard alpha[u].isFinite else { continue }
            let mu = perturbed.library[c] * Foundation.exp(alpha[u])
            let d = 1 / (1 + mu * inv)
            score += (perturbed.counts[c] - mu) * d
            ip[u] += mu * d
        }
        for c in 0..<reference.count {
            let u = reference.unit[c]
            guard alpha[u].isFinite else { continue }
            let mu = reference.library[c] * Foundation.exp(alpha[u])
            i0[u] += mu / (1 + mu * inv)
        }
        var info = 0.0
        for u in 0..<units where ip[u] + i0[u] > 0 { info += ip[u] * i0[u] / (ip[u] + i0[u]) }
        guard info > 0 else { return .untestable }
        let z = score / info.squareRoot()
        // Skewness of U under the null: U = Σ a_c r_c with a_c = x_c − I_pb/(I_pb + I_0b) (the
        // efficient score) and κ₃(r_c) = μ(1 + 2μ/θ)/(1 + μ/θ)² (the NB third cumulant over the
        // cube of the working denominator). Low counts make U right-skewed (it is bounded below),
        // so the normal tail is conservative for knockdowns. SCEPTRE refers the score to a
        // skew-normal fitted by moments to its resampled statistics; here the skew-normal is
        // moment-matched to the score's null cumulants (mean 0, variance 1, skewness γ), the
        // same curve the power model's thresholds come from (SkewNormal.swift).
        var k3 = 0.0
        func third(_ g: GeneCells, perturbed isP: Bool) {
            for c in 0..<g.count {
                let u = g.unit[c]
                guard alpha[u].isFinite, ip[u] + i0[u] > 0 else { continue }
                let share = ip[u] / (ip[u] + i0[u])
                let a = (isP ? 1 : 0) - share
                let mu = g.library[c] * Foundation.exp(alpha[u])
                let v = 1 + mu * inv
                k3 += a * a * a * mu * (1 + 2 * mu * inv) / (v * v)
            }
        }
        third(perturbed, perturbed: true)
        third(reference, perturbed: false)
        let gamma = k3 / (info * info.squareRoot())
        return TestOutcome(statistic: z, p: skewNormalP(z, skewness: gamma))
    }

    /// Two-sided p-value of a standardised statistic whose null is the skew-normal with mean 0,
    /// variance 1 and skewness γ (`SkewNormal.effectiveSkewness` applied, as SCEPTRE does): twice
    /// the tail beyond z on the side of the distribution's median (pysceptre's
    /// `fit_and_evaluate_skew_normal`), i.e. 2·min(F(z), 1 − F(z)). Rejecting at p < t is rejecting
    /// beyond `SkewNormal.criticalValues(z: Φ⁻¹(1 − t/2), skewness: γ)`, the thresholds of the
    /// power model.
    static func skewNormalP(_ z: Double, skewness gamma: Double) -> Double {
        guard gamma.isFinite, gamma != 0, z.isFinite else { return normalP(z) }
        let g = SkewNormal.effectiveSkewness(gamma)
        let s = SkewNormal.shape(skewness: g)
        // 96 Simpson intervals: the short tail's Φ − 2T cancels (SkewNormal.Table uses as many).
        let f = SkewNormal.standardCDF(s.mean + s.sd * z, alpha: s.alpha, intervals: 96)
        return min(1, 2 * min(f, 1 - f))
    }

    // MARK: Wilcoxon rank-sum

    /// Rank-sum test of `perturbed` against `reference` values: z = (R − n_p(n + 1)/2)/σ with
    /// σ² = n_p·n_0·(n + 1)/12 · (1 − Σ(t³ − t)/(n³ − n)) over tie groups of size t.
    public static func wilcoxon(perturbed: [Double], reference: [Double]) -> TestOutcome {
        let np = perturbed.count
        let n0 = reference.count
        let n = np + n0
        guard np > 0, n0 > 0 else { return .untestable }
        // Sort both; walk the merged order tie group by tie group.
        let a = perturbed.sorted()
        let b = reference.sorted()
        var i = 0
        var j = 0
        var rank = 0.0
        var rankSum = 0.0
        var ties = 0.0
        while i < np || j < n0 {
            let v = i < np && (j >= n0 || a[i] <= b[j]) ? a[i] : b[j]
            var inA = 0
            var inB = 0
            while i < np && a[i] == v {
                inA += 1
                i += 1
            }
            while j < n0 && b[j] == v {
                inB += 1
                j += 1
            }
            let t = Double(inA + inB)
            let mid = rank + (t + 1) / 2
            rankSum += Double(inA) * mid
            rank += t
            if t > 1 { ties += t * t * t - t }
        }
        let nd = Double(n)
        let correction = nd > 1 ? 1 - ties / (nd * nd * nd - nd) : 0
        let variance = Double(np) * Double(n0) * (nd + 1) / 12 * correction
        guard variance > 0 else { return .untestable }
        let z = (rankSum - Double(np) * (nd + 1) / 2) / variance.squareRoot()
        return TestOutcome(statistic: z, p: normalP(z))
    }

    // MARK: Welch t-test

    /// Welch's t-test of `perturbed` against `reference` values, two-sided, Student t with the
    /// Welch–Satterthwaite degrees of freedom.
    public static func welch(perturbed: [Double], reference: [Double]) -> TestOutcome {
        func moments(_ x: [Double]) -> (Double, Double) {
            let n = Double(x.count)
            let m = x.reduce(0, +) / n
            let v = x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1)
            return (m, v)
        }
        guard perturbed.count >= 2, reference.count >= 2 else { return .untestable }
        let (m1, v1) = moments(perturbed)
        let (m0, v0) = moments(reference)
        let a = v1 / Double(perturbed.count)
        let b = v0 / Double(reference.count)
        guard a + b > 0 else { return .untestable }
        let t = (m1 - m0) / (a + b).squareRoot()
        let df = (a + b) * (a + b) / (a * a / Double(perturbed.count - 1) + b * b / Double(reference.count - 1))
        return TestOutcome(statistic: t, p: StudentT.twoSidedP(t, df: df))
    }

    // MARK: Pseudo-bulk z-test

    /// One unit's pseudo-bulk: log of the mean of y/L and the delta-method variance of that log,
    /// s²/(n·m²) (nil when the unit has no cells; −∞ when it has no counts).
    static func logMean(_ cells: GeneCells, unit u: Int) -> (Double, Double)? {
        var n = 0.0
        var s = 0.0
        var s2 = 0.0
        for c in 0..<cells.count where cells.unit[c] == u {
            let x = cells.counts[c] / cells.library[c]
            n += 1
            s += x
            s2 += x * x
        }
        guard n >= 1 else { return nil }
        // No counts: log 0, which makes the whole estimate non-finite (as the §8 check has it).
        guard s > 0 else { return (-.infinity, .infinity) }
        let m = s / n
        let v = n > 1 ? max(0, (s2 - n * m * m) / (n - 1)) : 0
        return (Foundation.log(m), v / (n * m * m))
    }

    /// The pseudo-bulk estimate Δ̂ (log2) over `units` (the perturbation's units at this time
    /// point) with `own[u]` true where the unit's own reference cells are used, otherwise the
    /// mean over `referenceUnits` of their log means; z = Δ̂/SE with the delta-method variance of
    /// that linear combination of independent log means.
    public static func pseudobulk(
        perturbed: GeneCells, reference: GeneCells, units: [Int], own: [Bool],
        referenceUnits: [Int]
    ) -> TestOutcome {
        var total = 0.0
        var used = 0
        var variance = 0.0
        var refLogs: [(Double, Double)] = []
        var refNeeded = 0
        var terms: [(Double, Double)] = []
        for (k, u) in units.enumerated() {
            guard let lp = logMean(perturbed, unit: u) else { continue }
            if own[k] {
                // Controls planned, none realised.
                guard let l0 = logMean(reference, unit: u) else { return .untestable }
                total += lp.0 - l0.0
                terms.append((lp.1, l0.1))
            } else {
                total += lp.0
                terms.append((lp.1, 0))
                refNeeded += 1
            }
            used += 1
        }
        guard used > 0 else { return .untestable }
        if refNeeded > 0 {
            refLogs = referenceUnits.compactMap { logMean(reference, unit: $0) }
            guard !refLogs.isEmpty else { return .untestable }
            let r = Double(refLogs.count)
            total -= Double(refNeeded) * refLogs.reduce(0) { $0 + $1.0 } / r
            // Each reference unit enters with coefficient refNeeded/r.
            let c = Double(refNeeded) / r
            variance += c * c * refLogs.reduce(0) { $0 + $1.1 }
        }
        for (vp, v0) in terms { variance += vp + v0 }
        let n = Double(used)
        let estimate = total / n / M_LN2
        let se = variance.squareRoot() / n / M_LN2
        guard se > 0, estimate.isFinite else {
            return TestOutcome(statistic: 0, p: 1, estimate: estimate.isFinite ? estimate : nil)
        }
        let z = estimate / se
        return TestOutcome(statistic: z, p: normalP(z), estimate: estimate)
    }
}

// MARK: - Student t distribution

/// The Student t distribution's two-sided tail, from the regularised incomplete beta function.
public enum StudentT {
    /// P(|T| > |t|) for T ~ t(df): I_{df/(df + t²)}(df/2, 1/2).
    public static func twoSidedP(_ t: Double, df: Double) -> Double {
        guard t.isFinite else { return t.isNaN ? 1 : 0 }
        guard df.isFinite, df > 0 else { return DifferentialTests.normalP(t) }
        if df > 1e7 { return DifferentialTests.normalP(t) }
        return regularizedBeta(df / (df + t * t), df / 2, 0.5)
    }

    /// I_x(a, b) by the continued fraction (Lentz), using the symmetry for x > (a + 1)/(a + b + 2).
    public static func regularizedBeta(_ x: Double, _ a: Double, _ b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let lnFront =
            Foundation.lgamma(a + b) - Foundation.lgamma(a) - Foundation.lgamma(b)
            + a * Foundation.log(x) + b * Foundation.log1p(-x)
        if x > (a + 1) / (a + b + 2) { return 1 - regularizedBeta(1 - x, b, a) }
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var f = d
        for m in 1...300 {
            let md = Double(m)
            var num = md * (b - md) * x / ((a + 2 * md - 1) * (a + 2 * md))
            d = 1 + num * d
            if abs(d) < tiny { d = tiny }
            c = 1 + num / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            f *= d * c
            num = -(a + md) * (a + b + md) * x / ((a + 2 * md) * (a + 2 * md + 1))
            d = 1 + num * d
            if abs(d) < tiny { d = tiny }
            c = 1 + num / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            f *= delta
            if abs(delta - 1) < 1e-14 { break }
        }
        return Foundation.exp(lnFront) * f / a
    }
}
