import Foundation

// MARK: - Normal distribution, power and multiple testing

/// The standard normal distribution.
public enum Normal {
    /// Φ(x), from `erfc` (accurate in both tails).
    @inline(__always)
    public static func cdf(_ x: Double) -> Double { 0.5 * Foundation.erfc(-x / 2.0.squareRoot()) }

    /// Φ⁻¹(p) for p in (0, 1): Acklam's rational approximation (relative error 1.2e-9), refined
    /// by one Halley step.
    public static func quantile(_ p: Double) -> Double {
        if p <= 0 { return -.infinity }
        if p >= 1 { return .infinity }
        let a = [
            -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
            1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00,
        ]
        let b = [
            -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
            6.680131188771972e+01, -1.328068155288572e+01,
        ]
        let c = [
            -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
            -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00,
        ]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        var x: Double
        if p < low {
            let q = (-2 * Foundation.log(p)).squareRoot()
            x =
                (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if p <= 1 - low {
            let q = p - 0.5
            let r = q * q
            x =
                (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        } else {
            let q = (-2 * Foundation.log(1 - p)).squareRoot()
            x =
                -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        let e = cdf(x) - p
        let u = e * (2 * Double.pi).squareRoot() * Foundation.exp(x * x / 2)
        x -= u / (1 + x * u / 2)
        return x
    }

    /// Two-sided power of a z-test: P(|δ + u + ε| > z·σ) for a true effect δ, test noise
    /// ε ~ N(0, σ²) (the estimate's standard error, which the test uses) and a spread u ~ N(0, s²)
    /// of the effect itself (guide-to-guide: the library's effect differs from the gene's, but
    /// the test does not see it). δ + u + ε ~ N(δ, σ² + s²), so power is
    /// Φ((|δ| − zσ)/τ) + Φ((−|δ| − zσ)/τ) with τ = √(σ² + s²); s = 0 is the usual formula.
    ///
    /// `nullSD` (when given) is the statistic's standard error under the null, which sets the
    /// rejection threshold z·nullSD, while `sd` is its standard error under the alternative (a
    /// score test standardised with the null variance: the GLM, docs/batching.md section 2.6).
    ///
    /// `nullSkewness` γ is the skewness of the statistic under the null (the GLM score at low
    /// counts is right-skewed). The test then rejects beyond the skewed null's quantiles (the skew
    /// SCEPTRE captures by fitting a skew-normal to its resampled statistics, and montecarlo's
    /// score test by the same skew-normal's tail): a decrease is easier to detect than an
    /// increase of the same size. The
    /// quantiles are those of the moment-matched skew-normal SCEPTRE fits to its resampled
    /// statistics (`SkewNormal.criticalValues`; heavier in the short tail than −z + γ(z² − 1)/6,
    /// the one-term Cornish–Fisher value used before, which over-predicted low-count knockdowns).
    ///
    /// `floor` B (log2-equivalent units, ∞ for none) is the most extreme decrease the statistic
    /// can show: the GLM score is Σ_p y/d − I_p ≥ −I_p, reached when every perturbed cell counts
    /// zero (docs/batching.md, 2.6). A decrease whose rejection threshold lies beyond −B cannot be
    /// detected, so its same-sign tail is 0; the normal tail would credit it with power (at 0.12
    /// UMIs per cell and 20 perturbed cells no screen reaches α = 0.01; the normal tail said 5%).
    /// Inside the floor the normal tail stands: the mass it puts below −B is about the atom of
    /// screens with no count at all, which do reject (checked against simulated screens).
    ///
    /// Φ is read from a table (`tabulatedCDF`, within 10⁻¹³ absolute of erfc: NormalTable.swift);
    /// `exactTail` takes it from erfc.
    @inline(__always)
    public static func power(
        effect: Double, sd: Double, critical z: Double, spread: Double = 0,
        nullSD: Double? = nil, nullSkewness: Double = 0, floor: Double = .infinity, exactTail: Bool = false
    ) -> Double {
        guard let (s0, lower, upper) = nullCriticalValues(sd: sd, critical: z, nullSD: nullSD, skewness: nullSkewness)
        else { return 0 }
        return power(
            effect: effect, sd: sd, spread: spread, nullScale: s0, lower: lower, upper: upper, floor: floor,
            exactTail: exactTail)
    }

    /// The null's scale and its lower and upper critical values (skew-normal when the null is
    /// skewed), shared by `power` and its guide-draw form; nil when the test has no power (no
    /// finite sd or threshold).
    @inline(__always)
    static func nullCriticalValues(
        sd: Double, critical z: Double, nullSD: Double?, skewness: Double
    ) -> (scale: Double, lower: Double, upper: Double)? {
        guard sd > 0, sd.isFinite else { return nil }
        let s0 = nullSD ?? sd
        guard (z * s0).isFinite else { return nil }
        guard skewness != 0 && skewness.isFinite else { return (s0, z, z) }
        let (lower, upper) = SkewNormal.criticalValues(z: z, skewness: skewness)
        return (s0, lower, upper)
    }

    /// `power` with the null's critical values already made (`SkewNormal.criticalValues`, reject
    /// below −lower·s0 or above upper·s0): an average over draws of the effect makes them once.
    /// Φ is the tabulated one (`tabulatedCDF`, 10⁻¹³ absolute) unless `exactTail` (erfc).
    @inline(__always)
    static func power(
        effect: Double, sd: Double, spread: Double, nullScale s0: Double, lower: Double, upper: Double,
        floor: Double, exactTail: Bool = false
    ) -> Double {
        let tau = spread > 0 ? (sd * sd + spread * spread).squareRoot() : sd
        let a = abs(effect)
        // Same-sign critical value: below zero the null's lower quantile −lower, above it upper.
        let zsSame = (effect < 0 ? lower : upper) * s0
        let zsOpposite = (effect < 0 ? upper : lower) * s0
        // The wrong-sign tail is below 1e-15 beyond (|δ| + zσ)/τ > 8: skip its erfc.
        let far = (a + zsOpposite) / tau
        let near = (a - zsSame) / tau
        let same = effect < 0 && zsSame >= floor ? 0 : (exactTail ? cdf(near) : tabulatedCDF(near))
        return far > 8 ? same : same + (exactTail ? cdf(-far) : tabulatedCDF(-far))
    }

    /// Standard normal quantiles at the midpoints of 64 equal-probability slices: the nodes of
    /// `power(effect:…curvature:)`'s average over the spread (each slice weighs 1/64, so a step
    /// in the integrand costs at most 1/128 of power).
    static let spreadNodes: [Double] = (0..<64).map { quantile((Double($0) + 0.5) / 64) }

    /// `power` when the test's statistic is not linear in the log2 effect: its mean at a library
    /// effect δ' is proportional to h(δ') = (2^{κδ'} − 1)/κ (κ = `curvature`; κ = 0 is linear in
    /// log2, κ = 1 is linear in the fold F − 1, the GLM score's E U = (F − 1)·I). The test noise
    /// (`sd`, `nullSD`, `nullSkewness`) is the one at δ, the spread u ~ N(0, s²) is on the log2
    /// scale (guides act multiplicatively), and power = E_u power(δ·h(δ + u)/h(δ), s = 0),
    /// averaged over `spreadNodes`. The linear form (the secant δ/σ through 0, κ = 0) under-states
    /// a concave statistic's power for weaker draws of the spread and over-states it for
    /// stronger ones; for a knockdown's saturating score the first wins (docs/batching.md, 2.6).
    ///
    /// `offsets` (when not empty) replace the normal spread by equally likely draws of it (log2;
    /// the guide library's own distribution, `GuideVariation.log2Offsets`: skewed, with the
    /// Jensen shift of log κ̄), and `spread` is then the normal rest (batch shifts), added to the
    /// test noise as in `power`.
    public static func power(
        effect: Double, sd: Double, critical z: Double, spread: Double, nullSD: Double?,
        nullSkewness: Double, curvature kappa: Double, offsets: [Double] = [], floor: Double = .infinity
    ) -> Double {
        power(
            effect: effect, sd: sd, critical: z, spread: spread, nullSD: nullSD, nullSkewness: nullSkewness,
            draws: curvedDraws(effect: effect, spread: spread, curvature: kappa, offsets: offsets), floor: floor)
    }

    /// The equally likely effects `power(effect:…curvature:offsets:)` averages over, and whether the
    /// normal rest `spread` still adds to the test noise (with `offsets`); nil when it reduces to
    /// the linear `power` (no spread to bend, or a vanishing effect). They do not depend on the
    /// level, so a multiple-testing iteration makes them once.
    static func curvedDraws(effect: Double, spread: Double, curvature kappa: Double, offsets: [Double])
        -> (effects: [Double], addsSpread: Bool)?
    {
        let linear = kappa == 0 || !kappa.isFinite
        guard (spread > 0 && !linear) || !offsets.isEmpty, abs(effect) > 1e-9 else { return nil }
        func h(_ x: Double) -> Double { linear ? x : Foundation.expm1(kappa * x * M_LN2) / kappa }
        let h0 = h(effect)
        guard h0 != 0, h0.isFinite else { return nil }
        if offsets.isEmpty { return (spreadNodes.map { effect * h(effect + spread * $0) / h0 }, false) }
        return (offsets.map { effect * h(effect + $0) / h0 }, true)
    }

    /// `power` averaged over `draws` of the effect (`curvedDraws`); the linear `power` when nil.
    static func power(
        effect: Double, sd: Double, critical z: Double, spread: Double, nullSD: Double?,
        nullSkewness: Double, draws: (effects: [Double], addsSpread: Bool)?, floor: Double = .infinity,
        exactTail: Bool = false
    ) -> Double {
        guard let draws else {
            return power(
                effect: effect, sd: sd, critical: z, spread: spread, nullSD: nullSD, nullSkewness: nullSkewness,
                floor: floor, exactTail: exactTail)
        }
        let s = draws.addsSpread ? spread : 0
        // The guards and critical values of `power` are the same for every draw: made once.
        guard let (s0, lower, upper) = nullCriticalValues(sd: sd, critical: z, nullSD: nullSD, skewness: nullSkewness)
        else { return 0 }
        var sum = 0.0
        for e in draws.effects {
            sum += power(
                effect: e, sd: sd, spread: s, nullScale: s0, lower: lower, upper: upper, floor: floor,
                exactTail: exactTail)
        }
        return sum / Double(draws.effects.count)
    }

    /// t_df(p)/z for the normal quantile z = Φ⁻¹(p): the Cornish–Fisher (Fisher 1925) expansion
    /// of Student's quantile, t ≈ z + (z³ + z)/4ν + (5z⁵ + 16z³ + 3z)/96ν² + (3z⁷ + 19z⁵ + 17z³ − 15z)/384ν³
    /// (ν ≥ 3: within 0.5% at z = 3.3, the α = 0.001 critical value; 1 for ν = ∞).
    public static func studentQuantileRatio(z: Double, df nu: Double) -> Double {
        guard nu.isFinite, nu > 0, z > 0 else { return 1 }
        let v = max(3, nu)
        let z2 = z * z
        let t =
            z + (z2 * z + z) / (4 * v) + (5 * z2 * z2 * z + 16 * z2 * z + 3 * z) / (96 * v * v)
            + (3 * z2 * z2 * z2 * z + 19 * z2 * z2 * z + 17 * z2 * z - 15 * z) / (384 * v * v * v)
        return t / z
    }

    /// The curvature κ of `power(effect:…curvature:)` for which h(δ/2)/h(δ) = `halfRatio`, the
    /// ratio of a test's mean statistic at half the effect to that at the effect: with
    /// y = 2^{κδ/2}, h(δ/2)/h(δ) = 1/(1 + y), so κ = 2·log2(1/r − 1)/δ (0 when r = ½, linear).
    /// Clamped to [−4, 4].
    public static func curvature(effect delta: Double, halfRatio r: Double) -> Double {
        guard abs(delta) > 1e-9, r > 0, r < 1, r.isFinite else { return 0 }
        let k = 2 * Foundation.log2(1 / r - 1) / delta
        return k.isFinite ? max(-4, min(4, k)) : 0
    }
}

/// Per-test levels under multiple testing over the testable genes of one perturbation.
public enum MultipleTestingLevel {
    /// The per-test level and the power of each of the affected genes.
    ///
    /// - Bonferroni: t = α/m. None: t = α.
    /// - Benjamini–Hochberg: the expected-discoveries approximation: BH rejects p-values below
    ///   t = α·R/m, where R is the number of rejections; with R replaced by its expectation
    ///   R(t) = Σ_affected power_g(t) + (m − m₁)·t, t is the fixed point of t = α·max(1, R(t))/m,
    ///   found by iterating from the Bonferroni level (monotone, so it converges upwards).
    /// - Parameters: `effects` and `sds` of the affected genes (log2 units), `m` testable genes;
    ///   `targetCurvature` the test's κ for gene 0, the target (`Normal.power(…curvature:)`), with
    ///   its guide spread as draws `targetGuideOffsets` (log2) and the rest `targetOtherSpread`,
    ///   and the floor of its statistic `targetFloor` (`Normal.power(floor:)`); `geneModels` (when
    ///   not empty, one per gene) a gene's power as a function of the per-test level that replaces the
    ///   normal model (the t-test's `WelchTarget`: its statistic is not normal at low counts);
    ///   `exactTails` takes Φ from erfc instead of the table (the exact path the shortcut is tested
    ///   against).
    public static func solve(
        effects: [Double], sds: [Double], spreads: [Double]? = nil, nullSDs: [Double]? = nil,
        nullSkews: [Double]? = nil, targetCurvature: Double = 0,
        targetGuideOffsets: [Double] = [], targetOtherSpread: Double = 0, targetFloor: Double = .infinity,
        geneModels: [((Double) -> Double)?] = [],
        testable m: Int, alpha: Double, method: MultipleTesting, exactTails: Bool = false
    ) -> (level: Double, powers: [Double]) {
        let m = max(1, m)
        var t: Double
        switch method {
        case .none: t = alpha
        case .bonferroni, .bh: t = alpha / Double(m)
        }
        // The target (gene 0) with the test's curvature over its spread and its floor: its draws of
        // the effect do not depend on the level, so they are made once for every iteration.
        let curved = (targetCurvature != 0 || !targetGuideOffsets.isEmpty || targetFloor.isFinite) && !effects.isEmpty
        let rest = curved ? (targetGuideOffsets.isEmpty ? (spreads?[0] ?? 0) : targetOtherSpread) : 0
        let draws =
            curved
            ? Normal.curvedDraws(
                effect: effects[0], spread: rest, curvature: targetCurvature, offsets: targetGuideOffsets)
            : nil
        func powers(_ t: Double) -> [Double] {
            let z = Normal.quantile(1 - t / 2)
            var out = [Double](repeating: 0, count: effects.count)
            for i in (curved ? 1 : 0)..<effects.count {
                out[i] = Normal.power(
                    effect: effects[i], sd: sds[i], critical: z, spread: spreads?[i] ?? 0,
                    nullSD: nullSDs?[i], nullSkewness: nullSkews?[i] ?? 0, exactTail: exactTails)
            }
            if curved && (geneModels.isEmpty || geneModels[0] == nil) {
                out[0] = Normal.power(
                    effect: effects[0], sd: sds[0], critical: z, spread: rest,
                    nullSD: nullSDs?[0], nullSkewness: nullSkews?[0] ?? 0, draws: draws, floor: targetFloor,
                    exactTail: exactTails)
            }
            // A gene's own model of the level where it has one (scanpy's t-test: WelchPower).
            for (i, f) in geneModels.enumerated() where i < out.count {
                if let f { out[i] = f(t) }
            }
            return out
        }
        var pw = powers(t)
        // The level `pw` was computed at: an iteration that leaves the level unchanged (at most one
        // expected discovery) needs no second pass.
        var pwLevel = t
        if method == .bh {
            let m1 = min(effects.count, m)
            for _ in 0..<30 {
                let r = pw.reduce(0, +) + Double(m - m1) * t
                let next = min(alpha, alpha * max(1, r) / Double(m))
                // 1% of the level moves power by far less than 1%.
                if abs(next - t) <= 1e-2 * t {
                    t = next
                    break
                }
                t = next
                pw = powers(t)
                pwLevel = t
            }
            if t != pwLevel { pw = powers(t) }
        }
        return (t, pw)
    }
}
