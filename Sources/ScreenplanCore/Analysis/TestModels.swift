import Foundation

// MARK: - The test the lab runs (`analysis.test`): one analytical model per test
//
// The pseudo-bulk estimator's variance is ErrorModel.swift's. This file holds the others, called
// from the per-gene loop of `Analyzer.evaluate` (docs/batching.md, section 2.6):
//
// * glm: per-cell NB GLM log μ_c = log L_c + α_b + β·x_c. With α_b profiled out the information
//   for β is Σ_b I_pb·I_0b/(I_pb + I_0b), I = Σ_c w_c, w_c = μ_c/(1 + μ_c/θ) averaged over the
//   library-size distribution and the cells' biological variation (a gamma mixing of the NB mean).
//   A batch without its own controls adds nothing; a perturbation with no controlled batch is
//   compared with the pooled reference controls and carries the batch effect τ² as today.
// * wilcoxon / t-test: scanpy's rank_genes_groups on log1p(10⁴·y/N_c), cells pooled over batches.
//   t-test from the mean and variance of log1p(10⁴·y/(U·L)) (U the median total UMIs); Wilcoxon
//   from P = Pr(X_p > X_0) + ½Pr(X_p = X_0) and the tie-corrected null variance (ties are the
//   zeros: L is continuous, so nonzero normalised values almost never tie).
//
// Every model returns its sampling variance on the log2 scale (for the rank tests the variance of
// the log2-equivalent: 1/slope², slope = d z/d log2 effect) and the effect on the test's scale.

/// The counts of one gene in one group of cells: y | L ~ NB(mean·L, θ_eff) with 1/θ_eff = `mixing`
/// (the NB's own dispersion and the cells' biological variation combined as one gamma mixing,
/// CV²_mix = (1 + v)(1 + 1/θ) − 1), then set to zero with probability `zeroInflation`.
/// L ~ LogNormal(0, s²) is the cell's library size relative to the batch median.
public struct CellGroup: Hashable, Sendable {
    /// Mean UMIs of the gene in a median-library cell (before zero inflation).
    public var mean: Double
    /// Squared CV of the gamma mixing of the NB mean (1/θ_eff).
    public var mixing: Double
    /// Extra zero-inflation probability π₀.
    public var zeroInflation: Double

    public init(mean: Double, mixing: Double, zeroInflation: Double = 0) {
        self.mean = mean
        self.mixing = mixing
        self.zeroInflation = zeroInflation
    }

    /// The gamma mixing of NB(θ) with biological relative variance v: (1 + v)(1 + 1/θ) − 1.
    public static func mixing(dispersion theta: Double, biological v: Double) -> Double {
        (1 + v) * (1 + 1 / max(theta, 1e-12)) - 1
    }

    /// Quantised copy used as a cache key (0.1% in mean and mixing, 10⁻⁵ in π₀): moves power by
    /// far less than 10⁻³.
    var key: CellGroup {
        func q(_ x: Double) -> Double { x > 0 ? Foundation.exp((Foundation.log(x) * 1000).rounded() / 1000) : 0 }
        return CellGroup(mean: q(mean), mixing: q(mixing), zeroInflation: (zeroInflation * 1e5).rounded() / 1e5)
    }
}

/// Nodes of the library-size distribution: a trapezoid rule on log L over ±4.5 sd with normal
/// weights (exponentially accurate for smooth integrands, and robust for the step functions of
/// rank comparisons).
public struct LibraryNodes: Sendable {
    /// Relative library sizes L_k.
    public let size: [Double]
    /// Their probabilities (sum 1).
    public let weight: [Double]

    public init(sd: Double, count: Int) {
        guard sd > 0, count > 1 else {
            size = [1]
            weight = [1]
            return
        }
        let half = 4.5
        let h = 2 * half / Double(count - 1)
        var s: [Double] = []
        var w: [Double] = []
        for i in 0..<count {
            let z = -half + Double(i) * h
            s.append(Foundation.exp(sd * z))
            w.append(Foundation.exp(-z * z / 2))
        }
        let total = w.reduce(0, +)
        size = s
        weight = w.map { $0 / total }
    }
}

/// Negative-binomial probabilities.
enum NegativeBinomial {
    /// pmf of NB(mean μ, size θ) for y = 0 … until the upper tail is below 1e-10 (at most `cap`);
    /// θ = ∞ (mixing 0) is Poisson.
    static func pmf(mean mu: Double, mixing c: Double, cap: Int = 200_000) -> [Double] {
        guard mu > 0 else { return [1] }
        let theta = c > 1e-10 ? 1 / c : 1e10
        let ratio = mu / (mu + theta)
        var p = Foundation.exp(theta * Foundation.log1p(-ratio))
        if !(p > 0) {
            // Far from zero: start from the mode on the log scale.
            p = 0
        }
        var out: [Double] = []
        out.reserveCapacity(Int(mu * 3) + 16)
        var cumulative = 0.0
        var y = 0
        if p == 0 {
            // Underflow at zero (huge means): fall back to lgamma per term.
            while y < cap {
                let l =
                    Foundation.lgamma(Double(y) + theta) - Foundation.lgamma(theta) - Foundation.lgamma(Double(y) + 1)
                    + theta * Foundation.log(theta / (theta + mu)) + Double(y) * Foundation.log(ratio)
                let v = Foundation.exp(l)
                out.append(v)
                cumulative += v
                if Double(y) > mu && 1 - cumulative < 1e-10 { break }
                y += 1
            }
            return out
        }
        while y < cap {
            out.append(p)
            cumulative += p
            if Double(y) > mu && 1 - cumulative < 1e-10 { break }
            p *= (Double(y) + theta) / Double(y + 1) * ratio
            y += 1
        }
        return out
    }
}

/// Per-cell statistics of one group of cells under the test models.
public enum TestModels {
    /// Library-size nodes for the GLM weight and the t-test moments.
    static let smoothNodes = 33
    /// Library-size nodes for the Wilcoxon comparison (nodes² work per pair).
    static let rankNodes = 25

    /// Mean NB working weight E[w_c] = E_L[μL/(1 + μL·c)] of one cell (the per-cell Fisher
    /// information for β in a log-link NB GLM with the gene's dispersion), zero inflation folded
    /// into the mixing (mean (1 − π₀)μ, CV² (1 + c)/(1 − π₀) − 1).
    public static func glmWeight(_ g: CellGroup, nodes: LibraryNodes) -> Double {
        let keep = 1 - min(g.zeroInflation, 0.999)
        let mu = g.mean * keep
        let c = (1 + g.mixing) / keep - 1
        var sum = 0.0
        for k in 0..<nodes.size.count {
            let m = mu * nodes.size[k]
            sum += nodes.weight[k] * m / (1 + m * c)
        }
        return sum
    }

    /// E_L[μL(1 + 2μL·c)/(1 + μL·c)²] of one cell at the null: the NB third cumulant of its
    /// score contribution (the Gamma–Poisson κ₃ = m(1 + mc)(1 + 2mc) over the cube of the working
    /// denominator 1 + mc), which makes the score right-skewed at low counts. Zero inflation
    /// folded into the mean and mixing as in `glmWeight` (an approximation for the third moment).
    public static func glmThirdCumulant(_ g: CellGroup, nodes: LibraryNodes) -> Double {
        let keep = 1 - min(g.zeroInflation, 0.999)
        let mu = g.mean * keep
        let c = (1 + g.mixing) / keep - 1
        var sum = 0.0
        for k in 0..<nodes.size.count {
            let m = mu * nodes.size[k]
            let d = 1 + m * c
            sum += nodes.weight[k] * m * (1 + 2 * m * c) / (d * d)
        }
        return sum
    }

    /// The GLM score test as SCEPTRE computes it (docs/batching.md, section 2.6): the null model
    /// α_b fitted on the **union** of the perturbation's cells and its controls in each batch
    /// (SCEPTRE's low-MOI discovery refits the gene on the target's cells plus the NT cells; at
    /// high MOI on every cell; montecarlo's `nbScore` the same), the score for β summed over the
    /// perturbed cells and standardised by its model variance at the fitted mean.
    ///
    /// Per batch, with n_p perturbed and n_0 control cells (assigned), f = n_p/(n_p + n_0), control
    /// mean m and fold F, the fit's mean is m̂ = m(1 + f(F − 1)) (a ratio of totals), so the
    /// perturbed cells' residuals are m(F − 1)(1 − f)·L, not m(F − 1)·L:
    ///   E U_b = n_p (mF − m̂) E_L[L/d],  D_b = I_p I_0/(I_p + I_0) = n_p (1 − f) w̄(m̂),
    /// d = 1 + m̂L·c, w̄(m̂) = E_L[m̂L/d], and E z = Σ E U_b/√(Σ D_b). For a knockdown m̂ < m, so
    /// |E z| exceeds the control-fit value (F − 1)√(Σ n_p(1 − f) w̄(m)) by up to m/m̂ (at f = 0.12
    /// and F = 0.3, 5–7%). The variance of z linearises U and its denominator in m̂ (a Poisson fit:
    /// δm̂ = Σ_union (y − E y)/Σ L): δz·√D = Σ_p (y − E y)/d + G·δm̂, G = ∂U/∂m̂ − E U·∂D/∂m̂/(2D),
    /// so Var₁ z = [n_p E(V_p (1/d + g)²) + g² n_0 E V_0]/D, g = G/(N·E L), V the NB variance
    /// of a cell's count (checked against simulated cells in `TestModelTests`). Under the null the
    /// same expression is κ = [(1 − 2f) + f·w̄₀ E V₀/(m E L)²]/(1 − f), not 1 (the Poisson fit of α_b
    /// weighs cells differently from the NB score); SCEPTRE's resampling refers z to that spread,
    /// so E z and Var₁ are returned in units of √κ.
    ///
    /// `nullInfo` w̄₀ and `nullThird` k₃ (`glmWeight`, `glmThirdCumulant` of the controls) give
    /// the null skewness γ = Σ_b [(1 − f)³ n_p − f³ n_0]·k₃ / (Σ_b n_p(1 − f) w̄₀)^{3/2}: the
    /// perturbed cells' counts enter U with weight 1 − f, the controls' (through α̂_b) with −f.
    /// Returns E z, the slope of E z in F − 1 at F = 1 (√(Σ n_p(1 − f) w̄₀), the profiled Fisher
    /// information's root), Var₁/Var₀ of z, the perturbed cells' share of Var₁, Σ s_b² (s_b the
    /// batches' shares of the information, the weights on per-batch shifts), γ, and the floor
    /// |z_min| = Σ I_p(m̂)/√(κ Σ D): with every perturbed cell at zero U = −Σ_p w_c, so no screen
    /// shows a decrease beyond it (at 0.12 UMIs per cell and 20 perturbed cells |z_min| ≈ 1.6,
    /// below the 2.58 of α = 0.01: such a knockdown cannot be detected at all).
    public static func glmScore(
        _ pairs: [(n: Double, n0: Double, count: Int)], perturbed gp: CellGroup, control g0: CellGroup,
        perturbedAssigned ap: Double, controlAssigned a0: Double, nodes: LibraryNodes,
        nullInfo w0: Double, nullThird k3: Double = 0, table: GLMNodeTable? = nil
    )
        -> (
            z: Double, zPerFold: Double, varianceRatio: Double, perturbedShare: Double, shareSquares: Double,
            skewness: Double, floor: Double
        )
    {
        // Zero inflation folded into mean and mixing as in `glmWeight`; the fit's dispersion is
        // the controls' (SCEPTRE estimates one θ per gene).
        let kp = 1 - min(gp.zeroInflation, 0.999)
        let k0 = 1 - min(g0.zeroInflation, 0.999)
        let mF = gp.mean * kp
        let cp = (1 + gp.mixing) / kp - 1
        let m = g0.mean * k0
        let c = (1 + g0.mixing) / k0 - 1
        var meanLibrary = table?.meanLibrary ?? 0
        var squareLibrary = table?.squareLibrary ?? 0
        if table == nil {
            for k in 0..<nodes.size.count {
                meanLibrary += nodes.weight[k] * nodes.size[k]
                squareLibrary += nodes.weight[k] * nodes.size[k] * nodes.size[k]
            }
        }
        // The null variance of U relative to D: the Poisson fit of α_b is not the NB score's own
        // weighting, so Var₀ U = n_p w̄₀ [(1 − 2f) + f·w̄₀·E V₀/(m E L)²] (1 when c = 0).
        let nullVarianceFactor =
            w0 * (m * meanLibrary + m * m * c * squareLibrary) / max(1e-300, m * m * meanLibrary * meanLibrary)
        var nullVariance = 0.0
        struct Batch {
            var np, n0, count, eu, d, ip, dPrime, uPrime, vpd2, vpd, vp, v0: Double
        }
        var batches: [Batch] = []
        batches.reserveCapacity(pairs.count)
        var info0 = 0.0
        var third = 0.0
        for q in pairs {
            let np = q.n * ap
            let n0 = q.n0 * a0
            guard np > 0 && n0 > 0 else { continue }
            let f = np / (np + n0)
            let mh = m * (1 + f * (mF / max(m, 1e-300) - 1))
            // Node sums at the fitted mean: E[L/d], E[L/d²], E[L²c/d²], E[V_p/d²], E[V_p/d], E V_p, E V_0.
            var l1 = 0.0
            var l2 = 0.0
            var l3 = 0.0
            var a1 = 0.0
            var a2 = 0.0
            var a3 = 0.0
            var a4 = 0.0
            if let table, mh * c > 0 {
                // The same sums from the four tabulated functions of m̂·c (GLMNodeTable.swift).
                let s = table.sums(mh * c)
                l1 = s.s1
                l2 = s.s2
                l3 = c * s.t2
                a1 = mF * s.s2 + mF * mF * cp * s.t2
                a2 = mF * s.s1 + mF * mF * cp * s.t1
                a3 = mF * meanLibrary + mF * mF * cp * squareLibrary
                a4 = m * meanLibrary + m * m * c * squareLibrary
            } else {
                for k in 0..<nodes.size.count {
                    let l = nodes.size[k]
                    let wk = nodes.weight[k]
                    let d = 1 + mh * l * c
                    let mup = mF * l
                    let mu0 = m * l
                    let vpk = mup + mup * mup * cp
                    l1 += wk * l / d
                    l2 += wk * l / (d * d)
                    l3 += wk * l * l * c / (d * d)
                    a1 += wk * vpk / (d * d)
                    a2 += wk * vpk / d
                    a3 += wk * vpk
                    a4 += wk * (mu0 + mu0 * mu0 * c)
                }
            }
            let ip = np * mh * l1
            let i0 = n0 * mh * l1
            let total = ip + i0
            let dp = np * l2
            let d0 = n0 * l2
            // D = I_p − I_p²/I and its derivative in m̂ (∂w/∂m̂ = L/d²).
            let dPrime = dp - 2 * ip * dp / total + ip * ip * (dp + d0) / (total * total)
            let uPrime = -np * l1 - np * (mF - mh) * l3
            let m3 = Double(q.count)
            batches.append(
                Batch(
                    np: np, n0: n0, count: m3, eu: np * (mF - mh) * l1, d: ip - ip * ip / total, ip: ip,
                    dPrime: dPrime, uPrime: uPrime, vpd2: a1, vpd: a2, vp: a3, v0: a4))
            info0 += m3 * np * (1 - f) * w0
            nullVariance += m3 * np * w0 * ((1 - 2 * f) + f * nullVarianceFactor)
            third += m3 * ((1 - f) * (1 - f) * (1 - f) * np - f * f * f * n0) * k3
        }
        var eu = 0.0
        var dTotal = 0.0
        var lowest = 0.0
        for b in batches {
            eu += b.count * b.eu
            dTotal += b.count * b.d
            lowest += b.count * b.ip
        }
        guard dTotal > 0, info0 > 0, nullVariance > 0 else { return (0, 0, 1, 0.5, 0, 0, .infinity) }
        // SCEPTRE's resampling (and any calibrated test) refers z = U/√D to its null spread √κ.
        let kappa = nullVariance / info0
        var perturbedPart = 0.0
        var controlPart = 0.0
        var s2 = 0.0
        for b in batches {
            let g = (b.uPrime - eu * b.dPrime / (2 * dTotal)) / ((b.np + b.n0) * meanLibrary)
            perturbedPart += b.count * b.np * (b.vpd2 + 2 * g * b.vpd + g * g * b.vp)
            controlPart += b.count * g * g * b.n0 * b.v0
            s2 += b.count * b.d * b.d
        }
        let alternative = perturbedPart + controlPart
        let skew = third / (nullVariance * nullVariance.squareRoot())
        return (
            eu / (dTotal * kappa).squareRoot(), info0 / nullVariance.squareRoot(),
            alternative > 0 ? alternative / (dTotal * kappa) : 1,
            alternative > 0 ? perturbedPart / alternative : 0.5, s2 / (dTotal * dTotal), skew.isFinite ? skew : 0,
            lowest / (dTotal * kappa).squareRoot()
        )
    }

    /// Mean, variance and zero probability of x = log1p(scale·y/L) (scale = 10⁴/U: counts per 10k
    /// with the cell's total U·L), by exact sums over y and quadrature over L.
    public static func logNormalisedMoments(_ g: CellGroup, librarySD s: Double, scale: Double)
        -> (mean: Double, variance: Double, zero: Double)
    {
        let key = MomentKey(group: g.key, sd: s, scale: scale)
        if let hit = TestModelCache.shared.moments(key) { return hit }
        let g = key.group  // compute on the key, so results never depend on call order
        let nodes = LibraryNodes(sd: s, count: smoothNodes)
        let pi0 = min(max(g.zeroInflation, 0), 1)
        var m1 = 0.0
        var m2 = 0.0
        var zero = 0.0
        for k in 0..<nodes.size.count {
            let l = nodes.size[k]
            let pmf = NegativeBinomial.pmf(mean: g.mean * l, mixing: g.mixing)
            var a = 0.0
            var b = 0.0
            for y in 1..<max(1, pmf.count) {
                let x = Foundation.log1p(scale * Double(y) / l)
                a += pmf[y] * x
                b += pmf[y] * x * x
            }
            m1 += nodes.weight[k] * (1 - pi0) * a
            m2 += nodes.weight[k] * (1 - pi0) * b
            zero += nodes.weight[k] * (pi0 + (1 - pi0) * pmf[0])
        }
        let out = (m1, max(0, m2 - m1 * m1), zero)
        TestModelCache.shared.store(key, out)
        return out
    }

    /// The rank comparison of one perturbed cell X and one control cell Y (`rankProbability`).
    public struct RankPair: Sendable {
        /// P = Pr(X > Y) + ½Pr(X = Y).
        public var p: Double
        /// Zero probabilities of X and Y.
        public var zeroP: Double
        public var zeroC: Double
        /// Var ψ(X), ψ(x) = Pr(Y < x) + ½Pr(Y = x): the spread of a perturbed cell's placement
        /// among the controls (1/12 under a continuous null).
        public var placementP: Double
        /// Var φ(Y), φ(y) = Pr(X > y) + ½Pr(X = y).
        public var placementC: Double
        /// Var h(X, Y) of the kernel h = 1{X > Y} + ½·1{X = Y} (¼ under a continuous null).
        public var kernel: Double

        /// Var U of the rank sum for n_p perturbed and n_0 control cells under this alternative
        /// (the U-statistic variance, Lehmann 1975): n_p n_0 [Var h + (n_0 − 1) Var ψ + (n_p − 1) Var φ].
        public func variance(np: Double, n0: Double) -> Double {
            np * n0 * (kernel + (n0 - 1) * placementP + (np - 1) * placementC)
        }
    }

    /// P = Pr(X_p > X_0) + ½Pr(X_p = X_0) for one perturbed and one control cell (the ranks use
    /// only y/L, so the normalisation's scale does not matter): exact sums over the counts,
    /// quadrature over both cells' library sizes. Returns P, both zero probabilities and the
    /// placement variances that give the rank sum's variance under the alternative.
    public static func rankProbability(_ p: CellGroup, _ c: CellGroup, librarySD s: Double)
        -> RankPair
    {
        let key = RankKey(p: p.key, c: c.key, sd: s)
        if let hit = TestModelCache.shared.rank(key) { return hit }
        let p = key.p
        let c = key.c  // compute on the key, so results never depend on call order
        let nodes = LibraryNodes(sd: s, count: rankNodes)
        let n = nodes.size.count
        let pi0p = min(max(p.zeroInflation, 0), 1)
        let pi0c = min(max(c.zeroInflation, 0), 1)
        // Per node: pmf and cdf of the perturbed cell's count, pmf of the control's.
        var pp: [[Double]] = []
        var pcdf: [[Double]] = []
        var pc: [[Double]] = []
        var ccdf: [[Double]] = []
        for k in 0..<n {
            var a = NegativeBinomial.pmf(mean: p.mean * nodes.size[k], mixing: p.mixing)
            for y in 0..<a.count { a[y] *= (1 - pi0p) }
            a[0] += pi0p
            var cdf = a
            for y in 1..<max(1, cdf.count) { cdf[y] += cdf[y - 1] }
            pp.append(a)
            pcdf.append(cdf)
            var b = NegativeBinomial.pmf(mean: c.mean * nodes.size[k], mixing: c.mixing)
            for y in 0..<b.count { b[y] *= (1 - pi0c) }
            b[0] += pi0c
            pc.append(b)
            var bc = b
            for y in 1..<max(1, bc.count) { bc[y] += bc[y - 1] }
            ccdf.append(bc)
        }
        var total = 0.0
        var zeroP = 0.0
        var zeroC = 0.0
        for k in 0..<n {
            zeroP += nodes.weight[k] * pp[k][0]
            zeroC += nodes.weight[k] * pc[k][0]
        }
        // φ(j, y0) accumulated over the perturbed cell's nodes; the kernel's second moment.
        var phi: [[Double]] = pc.map { [Double](repeating: 0, count: $0.count) }
        var tiesTotal = 0.0
        for k in 0..<n {  // perturbed cell's library node
            let lk = nodes.size[k]
            let cdf = pcdf[k]
            let pmf = pp[k]
            let top = cdf.count - 1
            for j in 0..<n {  // control cell's library node
                let ratio = lk / nodes.size[j]
                let pcj = pc[j]
                let wk = nodes.weight[k]
                var sum = 0.0
                var ties = 0.0
                for y0 in 0..<pcj.count {
                    // Pr(y_p/L_k > y0/L_j) + ½ Pr(=): y_p > y0·L_k/L_j.
                    let t = Double(y0) * ratio
                    let f = t.rounded(.down)
                    var above: Double
                    if f >= Double(top) { above = 0 } else { above = 1 - cdf[Int(f)] }
                    var equal = 0.0
                    if abs(t - f) < 1e-9 && Int(f) <= top { equal = pmf[Int(f)] }
                    above = max(0, above) + 0.5 * equal
                    sum += pcj[y0] * above
                    ties += pcj[y0] * equal
                    phi[j][y0] += wk * above
                }
                total += wk * nodes.weight[j] * sum
                tiesTotal += wk * nodes.weight[j] * ties
            }
        }
        let pHat = min(1, max(0, total))
        var phiSquare = 0.0
        for j in 0..<n {
            var a = 0.0
            for y0 in 0..<pc[j].count { a += pc[j][y0] * phi[j][y0] * phi[j][y0] }
            phiSquare += nodes.weight[j] * a
        }
        // ψ(k, y) = Σ_j w_j [Pr(Y_j < y·L_j/L_k) + ½ Pr(Y_j = y·L_j/L_k)].
        var psiSquare = 0.0
        for k in 0..<n {
            let lk = nodes.size[k]
            let pmf = pp[k]
            var a = 0.0
            for y in 0..<pmf.count where pmf[y] > 1e-14 {
                var psi = 0.0
                for j in 0..<n {
                    let t = Double(y) * nodes.size[j] / lk
                    let f = t.rounded(.down)
                    let cdf = ccdf[j]
                    let top = cdf.count - 1
                    let fi = Int(min(f, Double(top)))
                    var below: Double
                    var equal = 0.0
                    if abs(t - f) < 1e-9 {
                        below = fi >= 1 ? cdf[fi - 1] : 0
                        if Int(f) <= top { equal = pc[j][Int(f)] }
                    } else {
                        below = cdf[fi]
                    }
                    psi += nodes.weight[j] * (min(1, below) + 0.5 * equal)
                }
                a += pmf[y] * psi * psi
            }
            psiSquare += nodes.weight[k] * a
        }
        // E h² = Pr(X > Y) + ¼Pr(X = Y) = P − ¼Pr(=).
        let out = RankPair(
            p: pHat, zeroP: zeroP, zeroC: zeroC, placementP: max(0, psiSquare - pHat * pHat),
            placementC: max(0, phiSquare - pHat * pHat), kernel: max(0, pHat - 0.25 * tiesTotal - pHat * pHat))
        TestModelCache.shared.store(key, out)
        return out
    }

    /// The standardised statistic (its expected value in null standard deviations) of the
    /// scanpy tests for n_p perturbed and n_0 control cells.
    /// - t-test (Welch): (E x_p − E x_0)/√(Var x_p/n_p + Var x_0/n_0).
    /// - wilcoxon: U − n_p n_0/2 over the tie-corrected null sd, E U = n_p n_0 P,
    ///   Var₀ U = n_p n_0 (N + 1)/12 · (1 − Σ(t³ − t)/(N³ − N)), the ties being the zeros:
    ///   Σ(t³ − t)/(N³ − N) ≈ π_z³ with π_z the pooled zero share.
    /// Also returns the share of the statistic's variance from the perturbed cells.
    public static func standardisedStatistic(
        _ test: DifferentialTest, perturbed: CellGroup, control: CellGroup,
        np: Double, n0: Double, librarySD s: Double, scale: Double
    )
        -> (z: Double, perturbedShare: Double)
    {
        guard np > 0, n0 > 0 else { return (0, 0.5) }
        switch test {
        case .wilcoxon:
            let r = rankProbability(perturbed, control, librarySD: s)
            let n = np + n0
            let zero = (np * r.zeroP + n0 * r.zeroC) / n
            let v0 = np * n0 * (n + 1) / 12 * max(1e-12, 1 - zero * zero * zero)
            return (np * n0 * (r.p - 0.5) / v0.squareRoot(), n0 / n)
        default:
            let a = logNormalisedMoments(perturbed, librarySD: s, scale: scale)
            let b = logNormalisedMoments(control, librarySD: s, scale: scale)
            let vp = a.variance / np
            let v0 = b.variance / n0
            let v = vp + v0
            guard v > 0 else { return (0, 0.5) }
            return ((a.mean - b.mean) / v.squareRoot(), vp / v)
        }
    }

    /// Var U under the alternative over the tie-corrected null variance the test standardises by
    /// (`RankPair.variance` over n_p n_0 (N + 1)/12 · (1 − π_z³)). Noether's approximation takes
    /// it as 1; for a strong knockdown against many controls (the complement at high MOI, n_0 ≫
    /// n_p) the perturbed cells' placements among the controls bunch near the bottom, Var ψ falls
    /// well below 1/12 and the statistic is less spread than the null: the power above one half
    /// is higher than Φ(E z − z_α) (docs/batching.md, section 2.6).
    public static func wilcoxonVarianceRatio(
        perturbed: CellGroup, control: CellGroup, np: Double, n0: Double, librarySD s: Double
    ) -> Double {
        guard np > 0, n0 > 0 else { return 1 }
        let r = rankProbability(perturbed, control, librarySD: s)
        let n = np + n0
        let zero = (np * r.zeroP + n0 * r.zeroC) / n
        let v0 = np * n0 * (n + 1) / 12 * max(1e-12, 1 - zero * zero * zero)
        let v1 = r.variance(np: np, n0: n0)
        return v1 > 0 && v1.isFinite ? v1 / v0 : 1
    }

    /// The rank and t tests as a log2-scale model. The statistic z(δ) is a nonlinear function of
    /// the log2 effect δ with z(0) = 0; it is represented by its secant z(δ)/δ (the effect δ with
    /// standard error δ/z), so that the power code adds the spreads (guides, batch shifts) on the
    /// log2 scale as for the GLM. The secant is exact at the effect and, z being concave in |δ|,
    /// errs on the conservative side for weaker guides. Below |δ| = 0.05 log2 the local slope at
    /// δ (a 0.05 ln forward difference) takes its place. Returns (effect, variance, perturbed share).
    public static func scanpyModel(
        _ test: DifferentialTest, perturbed: CellGroup, control: CellGroup,
        observedLog2 delta: Double, np: Double, n0: Double, librarySD s: Double,
        scale: Double
    ) -> (effect: Double, variance: Double, perturbedShare: Double) {
        let z = standardisedStatistic(
            test, perturbed: perturbed, control: control, np: np, n0: n0,
            librarySD: s, scale: scale)
        if abs(delta) >= 0.05 {
            guard abs(z.z) > 1e-12 else { return (delta, .infinity, z.perturbedShare) }
            let sd = abs(delta / z.z)
            return (z.z * sd, sd * sd, z.perturbedShare)
        }
        let h = 0.05  // natural log
        var moved = perturbed
        moved.mean *= Foundation.exp(h)
        let z2 = standardisedStatistic(
            test, perturbed: moved, control: control, np: np, n0: n0,
            librarySD: s, scale: scale)
        let slope = (z2.z - z.z) / (h / M_LN2)  // per log2 unit
        guard abs(slope) > 1e-9, slope.isFinite else { return (0, .infinity, z.perturbedShare) }
        return (z.z / slope, 1 / (slope * slope), z.perturbedShare)
    }
}

// MARK: - The cells of one contrast as the GLM and the pooled tests see them

/// Per perturbation (at one time point): its cells and controls batch by batch (for the GLM) and
/// pooled over batches (for the scanpy tests), with the batch-effect variance of the pooled
/// comparison.
public struct ContrastCells: Sendable {
    /// Batches of B_p with their own controls: (perturbed cells, control cells, how many batches).
    public var paired: [(n: Double, n0: Double, count: Int)] = []
    /// All its cells at this time point (after QC).
    public var perturbed: Double = 0
    /// The pooled control cells it is compared with (reference batches; complement at high MOI).
    public var controls: Double = 0
    /// Batch-effect variance of the pooled comparison (natural log²):
    /// Σ_levels τ_l² Σ_units (f_p,unit − f_0,unit)², f the share of each group's cells in the unit.
    public var pooledShift: Double = 0
    /// Batch-effect variance that stays in the pooled shift even with the same cell shares:
    /// cells within one batch share its effect, which a pooled test sees as per-cell variation
    /// (Σ τ_l², natural log²).
    public var withinShift: Double = 0

    /// Every perturbation's contrast cells at time index `t` (same reference rules as
    /// `ContrastWeights.compute`); `only` restricts it to some perturbations. Complexity O(K·B).
    public static func compute(
        _ layout: Layout, design: Design, time t: Int,
        complementControls: Bool, only: [Int]? = nil
    ) -> [ContrastCells] {
        let bCount = layout.batchCount
        let times = design.timePoints
        var refBatches = (0..<bCount).filter { layout.batchTime[$0] == t && layout.controls[$0] > 0 }
        var refTime = t
        if refBatches.isEmpty {
            let candidates = Set(layout.controlledBatches.map { layout.batchTime[$0] })
            if let nearest = candidates.min(by: { abs(times[$0] - times[t]) < abs(times[$1] - times[t]) }) {
                refTime = nearest
                refBatches = (0..<bCount).filter { layout.batchTime[$0] == nearest && layout.controls[$0] > 0 }
            }
        }
        let moi = max(1, design.perturbations.moi)
        let cellsInBatch: [Double] = zip(layout.perturbedCellsPerBatch, layout.controls).map {
            complementControls ? Double($0) / moi + Double($1) : Double($1)
        }
        let levels = design.batching.nested.map(\.effectSd)
        let tauInner = design.batching.batchEffectSd
        let within = tauInner * tauInner + levels.reduce(0) { $0 + $1 * $1 }
        // Reference control shares (low MOI).
        var refShare = [Double](repeating: 0, count: bCount)
        let refTotal = refBatches.reduce(0.0) { $0 + Double(layout.controls[$1]) }
        if refTotal > 0 { for b in refBatches { refShare[b] = Double(layout.controls[b]) / refTotal } }
        let timeBatches = (0..<bCount).filter { layout.batchTime[$0] == t }
        let timeCells = timeBatches.reduce(0.0) { $0 + cellsInBatch[$1] }
        var diff = [Double](repeating: 0, count: bCount)
        var seen = [Bool](repeating: false, count: bCount)
        var unitSum: [[Double]] = levels.indices.map { l in
            [Double](repeating: 0, count: (layout.batchUnits[l].max() ?? 0) + 1)
        }
        var out: [ContrastCells] = []
        out.reserveCapacity(layout.perturbationCount)
        var touched: [Int] = []
        var unique: [Int] = []
        for p in only ?? Array(0..<layout.perturbationCount) {
            var c = ContrastCells()
            c.withinShift = within
            var np = 0.0
            for b in timeBatches { np += Double(layout.cells[p * bCount + b]) }
            c.perturbed = np
            guard np > 0 else {
                out.append(c)
                continue
            }
            func addPair(_ n: Double, _ n0: Double) {
                if let i = c.paired.firstIndex(where: { $0.n == n && $0.n0 == n0 }) {
                    c.paired[i].count += 1
                } else {
                    c.paired.append((n, n0, 1))
                }
            }
            touched.removeAll(keepingCapacity: true)
            if complementControls {
                c.controls = max(0, timeCells - np)
                for b in timeBatches {
                    let n = Double(layout.cells[p * bCount + b])
                    let n0 = max(0, cellsInBatch[b] - n)
                    if n > 0 && n0 > 0 { addPair(n, n0) }
                    diff[b] = n / np - (c.controls > 0 ? n0 / c.controls : 0)
                    touched.append(b)
                }
            } else {
                c.controls = refTotal
                for b in timeBatches {
                    let n = Double(layout.cells[p * bCount + b])
                    if n > 0 && layout.controls[b] > 0 && refTime == t { addPair(n, Double(layout.controls[b])) }
                    if n > 0 {
                        diff[b] += n / np
                        touched.append(b)
                    }
                }
                for b in refBatches {
                    diff[b] -= refShare[b]
                    touched.append(b)
                }
            }
            unique.removeAll(keepingCapacity: true)
            for b in touched where !seen[b] {
                seen[b] = true
                unique.append(b)
            }
            for b in unique { seen[b] = false }
            c.pooledShift = ContrastWeights.batchEffectVariance(
                diff, over: unique, innerSD: tauInner, levels: levels,
                batchUnits: layout.batchUnits, scratch: &unitSum)
            for b in unique { diff[b] = 0 }
            out.append(c)
        }
        return out
    }
}

// MARK: - Caches

struct MomentKey: Hashable {
    var group: CellGroup
    var sd: Double
    var scale: Double
}
struct RankKey: Hashable {
    var p: CellGroup
    var c: CellGroup
    var sd: Double
}

/// Thread-safe caches of the per-group moments and per-pair rank probabilities (bounded: cleared
/// beyond 500,000 entries).
final class TestModelCache: Sendable {
    static let shared = TestModelCache()
    private let momentEntries = Locked<[MomentKey: (mean: Double, variance: Double, zero: Double)]>([:])
    private let rankEntries = Locked<[RankKey: TestModels.RankPair]>([:])

    func moments(_ k: MomentKey) -> (mean: Double, variance: Double, zero: Double)? {
        momentEntries.withLock { $0[k] }
    }

    func store(_ k: MomentKey, _ v: (mean: Double, variance: Double, zero: Double)) {
        Self.store(k, v, in: momentEntries)
    }

    func rank(_ k: RankKey) -> TestModels.RankPair? {
        rankEntries.withLock { $0[k] }
    }

    func store(_ k: RankKey, _ v: TestModels.RankPair) {
        Self.store(k, v, in: rankEntries)
    }

    /// One bounded store for both tables: a table past 500,000 entries starts afresh.
    private static func store<Key: Hashable, Entry>(_ k: Key, _ v: Entry, in table: Locked<[Key: Entry]>) {
        table.withLock { entries in
            if entries.count > 500_000 { entries.removeAll() }
            entries[k] = v
        }
    }
}

extension Normal {
    /// The smallest |effect| detected with probability `power` at standard error `sd`, critical
    /// value `z` and effect spread `spread` (∞ when sd is not finite). Closed form
    /// d = z·σ₀ + Φ⁻¹(power)·τ when the wrong-sign tail is below 10⁻⁹ there (always at
    /// usual levels), else bisection.
    /// With `nullSkewness` γ the detectable size is that of a decrease (the direction a right-
    /// skewed null favours, as knockdowns and knockouts are); a skew-free test is symmetric.
    public static func detectable(
        power: Double, sd: Double, critical z: Double, spread: Double = 0,
        nullSD: Double? = nil, nullSkewness: Double = 0
    ) -> Double {
        guard sd > 0, sd.isFinite else { return .infinity }
        let tau = (sd * sd + spread * spread).squareRoot()
        let zs = z * (nullSD ?? sd)
        if nullSkewness == 0 {
            let closed = zs + Normal.quantile(power) * tau
            if closed > 0 && Normal.cdf((-closed - zs) / tau) < 1e-9 { return closed }
        } else if let closed = skewedClosedForm(
            power: power, sd: sd, critical: z, spread: spread, nullSD: nullSD,
            nullSkewness: nullSkewness)
        {
            return closed
        }
        return detectableByBisection(
            power: power, sd: sd, critical: z, spread: spread, nullSD: nullSD,
            nullSkewness: nullSkewness)
    }

    /// The root of `Normal.power(effect: −d, …) = power` without bisection: the closed form
    /// d₀ = lower·σ₀ + Φ⁻¹(power)·τ (the same skew-normal critical values as `Normal.power`) is
    /// exact when `Normal.power` is its single same-sign Φ term there; otherwise a few Newton steps
    /// on the two-term power (Φ((d − lower·σ₀)/τ) + Φ(−(d + upper·σ₀)/τ), the same branch `Normal.power`
    /// takes) reach the root to machine precision. The analysis calls this once per perturbation,
    /// and the 60-step bisection was a fifth of a re-analysis. nil (use the bisection) unless d
    /// lies where the power rises with d and solves the equation to 10⁻¹².
    static func skewedClosedForm(
        power: Double, sd: Double, critical z: Double, spread: Double,
        nullSD: Double?, nullSkewness: Double
    ) -> Double? {
        guard nullSkewness.isFinite, power > 0, power < 1 else { return nil }
        let tau = spread > 0 ? (sd * sd + spread * spread).squareRoot() : sd
        let s0 = nullSD ?? sd
        guard (z * s0).isFinite, tau > 0 else { return nil }
        let critical = SkewNormal.criticalValues(z: z, skewness: nullSkewness)
        let shift = z - critical.lower
        let same = critical.lower * s0
        let opposite = critical.upper * s0
        var d = same + Normal.quantile(power) * tau
        let density = 1 / (2 * Double.pi).squareRoot()
        for _ in 0..<8 {
            guard d > 0, d.isFinite else { return nil }
            let a = (d - same) / tau
            let far = (d + opposite) / tau
            let f = (far > 8 ? Normal.cdf(a) : Normal.cdf(a) + Normal.cdf(-far)) - power
            if abs(f) < 1e-12 { return d + shift * s0 > 0 ? d : nil }
            let slope =
                (density * Foundation.exp(-a * a / 2) - (far > 8 ? 0 : density * Foundation.exp(-far * far / 2))) / tau
            guard slope > 0 else { return nil }
            d -= f / slope
        }
        return nil
    }

    /// `detectable` by bisection on `Normal.power` (the exact path the closed forms are tested
    /// against).
    static func detectableByBisection(
        power: Double, sd: Double, critical z: Double, spread: Double,
        nullSD: Double?, nullSkewness: Double
    ) -> Double {
        func reaches(_ d: Double) -> Bool {
            Normal.power(effect: -d, sd: sd, critical: z, spread: spread, nullSD: nullSD, nullSkewness: nullSkewness)
                >= power
        }
        var lo = 0.0
        var hi = max(sd, 1e-9)
        while !reaches(hi) && hi < 1e6 { hi *= 2 }
        for _ in 0..<60 {
            let mid = 0.5 * (lo + hi)
            if reaches(mid) { hi = mid } else { lo = mid }
        }
        return hi
    }

    /// Chance that a library's effect δ + u, u ~ N(0, s²) (guide-to-guide), is at least `size`
    /// in magnitude (1 or 0 when the guides do not vary).
    public static func exceedance(effect: Double, spread s: Double, size: Double) -> Double {
        guard size.isFinite else { return 0 }
        let a = abs(effect)
        guard s > 0 else { return a >= size ? 1 : 0 }
        return cdf((a - size) / s) + cdf((-a - size) / s)
    }
}
