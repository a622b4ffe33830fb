import Foundation

// MARK: - The analytical error model (model reference, section 4)
//
// Estimator: Δ̂_pg = (1/|B_p|) Σ_{b∈B_p} [log ȳ_pbg − R_bg], where ȳ is the mean of
// library-size-normalised counts of the cells of p in batch b and R_bg is log ȳ_0bg when batch b
// holds controls, else the mean of log ȳ_0cg over the C control batches c of the same time point
// (or of the nearest time point that has controls). With
//   log ȳ_pbg = μ_g(t_b) + Δ_pg + β_bg + γ_pbg + ε_pbg,   Var ε = CV²_pg / n_pb,
// the error Δ̂ − Δ is a linear combination of independent terms, so its variance is exact given
// the coefficients: perturbed cells Σ_b CV²_p/(|B|² n_pb); controls Σ_c a_c² CV²_0/n_0c with
// a_c = [c ∈ B_p]/|B| + w/C (w = share of B_p without controls); interaction ω²/|B|; and batch
// effects that do not cancel, Σ_levels τ_l² Σ_units (Σ_{b ∈ unit} coefficient_b)². With one
// uncontrolled batch and one control batch the last term is the reference's 2τ²; it does not
// shrink with cells. docs/batching.md has the derivation.

/// How the cells and batches of one perturbation (at one time point) weigh each noise source.
/// Variances follow as weight × per-cell CV² (natural-log scale).
public struct ContrastWeights: Equatable, Sendable {
    /// Batches the perturbation is in (|B_p|).
    public var batches: Int
    /// Its cells at this time point.
    public var cells: Int
    /// Batches of B_p without their own controls.
    public var uncontrolledBatches: Int
    /// Σ_b 1/(|B|² n_pb): multiplies CV²_pg.
    public var perturbed: Double
    /// Σ_c a_c²/n_0c: multiplies CV²_0g.
    public var control: Double
    /// 1/|B|: multiplies ω².
    public var interaction: Double
    /// Batch-effect variance that does not cancel (natural-log units²).
    public var confounding: Double
    /// |t − t_ref| of the controls used when none are at the perturbation's time point (hours).
    public var mismatchH: Double
    /// Control cells the contrast uses.
    public var controlCells: Int
    /// Σ_b 1/(|B|² n_pb²) and Σ_c a_c²/n_0c²: the second-order terms of the delta method,
    /// Var(log ȳ) ≈ v + v²/2 with v = CV²/n (gamma-like skewness), which matter for small n.
    public var perturbedSecond: Double = 0
    public var controlSecond: Double = 0
}

extension ContrastWeights {
    /// The weights of every perturbation at time index `t` of `layout`.
    ///
    /// - Parameter complementControls: MOI > 1: every cell lacking the perturbation's guide is a
    ///   control, so each batch's controls are its cells minus the perturbation's.
    /// - Parameter only: the perturbations to compute (all when nil), in that order.
    /// Complexity O(K·B).
    public static func compute(
        _ layout: Layout, design: Design, time t: Int,
        complementControls: Bool, only: [Int]? = nil
    ) -> [ContrastWeights] {
        let bCount = layout.batchCount
        let times = design.timePoints
        // Control batches of this time point, or of the nearest one that has any.
        var refTime = t
        var refBatches = (0..<bCount).filter { layout.batchTime[$0] == t && layout.controls[$0] > 0 }
        if refBatches.isEmpty {
            let candidates = Set(layout.controlledBatches.map { layout.batchTime[$0] })
            if let nearest = candidates.min(by: { abs(times[$0] - times[t]) < abs(times[$1] - times[t]) }) {
                refTime = nearest
                refBatches = (0..<bCount).filter { layout.batchTime[$0] == nearest && layout.controls[$0] > 0 }
            }
        }
        let mismatch = abs(times[min(refTime, times.count - 1)] - times[t])
        let tauInner = design.batching.batchEffectSd
        let levels = design.batching.nested.map(\.effectSd)
        let moi = max(1, design.perturbations.moi)
        let cellsInBatch: [Double] =
            complementControls
            ? zip(layout.perturbedCellsPerBatch, layout.controls).map { Double($0) / moi + Double($1) }
            : []

        var out: [ContrastWeights] = []
        out.reserveCapacity(layout.perturbationCount)
        var coef = [Double](repeating: 0, count: bCount)
        var controlCoef = [Double](repeating: 0, count: bCount)
        var unitSum: [[Double]] = levels.indices.map { l in
            [Double](repeating: 0, count: (layout.batchUnits[l].max() ?? 0) + 1)
        }
        for p in only ?? Array(0..<layout.perturbationCount) {
            var bp: [Int] = []
            var cells = 0
            for b in 0..<bCount where layout.batchTime[b] == t {
                let n = layout.cells[p * bCount + b]
                if n > 0 {
                    bp.append(b)
                    cells += n
                }
            }
            guard !bp.isEmpty else {
                out.append(
                    ContrastWeights(
                        batches: 0, cells: 0, uncontrolledBatches: 0, perturbed: .infinity,
                        control: 0, interaction: 0, confounding: 0, mismatchH: 0,
                        controlCells: 0))
                continue
            }
            let nb = Double(bp.count)
            var perturbed = 0.0
            var perturbedSecond = 0.0
            for b in bp {
                let n = Double(layout.cells[p * bCount + b])
                perturbed += 1 / (nb * nb * n)
                perturbedSecond += 1 / (nb * nb * n * n)
            }
            if complementControls {
                var control = 0.0
                var controlSecond = 0.0
                var used = 0
                for b in bp {
                    let n0 = max(1, cellsInBatch[b] - Double(layout.cells[p * bCount + b]))
                    control += 1 / (nb * nb * n0)
                    controlSecond += 1 / (nb * nb * n0 * n0)
                    used += Int(n0)
                }
                out.append(
                    ContrastWeights(
                        batches: bp.count, cells: cells, uncontrolledBatches: 0,
                        perturbed: perturbed, control: control, interaction: 1 / nb,
                        confounding: 0, mismatchH: 0, controlCells: used,
                        perturbedSecond: perturbedSecond, controlSecond: controlSecond))
                continue
            }
            let uncontrolled = bp.filter { layout.controls[$0] == 0 || refTime != t }
            let w = Double(uncontrolled.count) / nb
            let c = Double(max(1, refBatches.count))
            // Coefficient of each control batch's ε_0 and of every batch's β.
            var control = 0.0
            var used = 0
            var touched: [Int] = []
            for b in bp where layout.controls[b] > 0 && refTime == t {
                coef[b] = 0
                touched.append(b)
            }
            var controlTouched: [Int] = []
            for b in bp where layout.controls[b] > 0 && refTime == t {
                if controlCoef[b] == 0 { controlTouched.append(b) }
                controlCoef[b] += 1 / nb
            }
            if w > 0 {
                for r in refBatches {
                    if controlCoef[r] == 0 { controlTouched.append(r) }
                    controlCoef[r] += w / c
                }
            }
            var controlSecond = 0.0
            for b in controlTouched {
                let a = controlCoef[b]
                control += a * a / Double(layout.controls[b])
                controlSecond += a * a / (Double(layout.controls[b]) * Double(layout.controls[b]))
                used += layout.controls[b]
                controlCoef[b] = 0
            }
            var confounding = 0.0
            if w > 0 {
                for b in uncontrolled {
                    coef[b] += 1 / nb
                    touched.append(b)
                }
                for r in refBatches {
                    coef[r] -= w / c
                    touched.append(r)
                }
                let unique = Array(Set(touched))
                confounding += ContrastWeights.batchEffectVariance(
                    coef, over: unique, innerSD: tauInner, levels: levels,
                    batchUnits: layout.batchUnits, scratch: &unitSum)
                for b in unique { coef[b] = 0 }
            }
            out.append(
                ContrastWeights(
                    batches: bp.count, cells: cells, uncontrolledBatches: uncontrolled.count,
                    perturbed: perturbed, control: control, interaction: 1 / nb,
                    confounding: confounding, mismatchH: w > 0 ? mismatch : 0,
                    controlCells: used, perturbedSecond: perturbedSecond,
                    controlSecond: controlSecond))
        }
        return out
    }
}

extension ContrastWeights {
    /// The variance of Σ_b k_b·β_b when every batch has its own effect (sd `innerSD`) and each
    /// nested level adds one shared by the batches of a unit (sd `levels[l]`):
    /// τ²·Σ_b k_b² + Σ_l τ_l²·Σ_units (Σ_{b ∈ unit} k_b)². `batches` lists the b with k_b ≠ 0, each
    /// once; `scratch` holds one zeroed sum per unit and level and is left zeroed.
    static func batchEffectVariance(
        _ k: [Double], over batches: [Int], innerSD: Double, levels: [Double],
        batchUnits: [[Int]], scratch: inout [[Double]]
    ) -> Double {
        var inner = 0.0
        for b in batches { inner += k[b] * k[b] }
        var variance = innerSD * innerSD * inner
        for (l, tau) in levels.enumerated() {
            for b in batches { scratch[l][batchUnits[l][b]] += k[b] }
            var s = 0.0
            for b in batches {
                let u = batchUnits[l][b]
                s += scratch[l][u] * scratch[l][u]
                scratch[l][u] = 0
            }
            variance += tau * tau * s
        }
        return variance
    }
}

// MARK: - Per-cell noise of a normalised count

/// The squared coefficient of variation of one cell's library-size-normalised count.
public enum CellNoise {
    /// CV² of x = y/L for y | L, r ~ NB(m·r·L, θ), relative library size L ~ LogNormal(0, s²),
    /// biological variation r with E r = 1 and Var r = v, and extra zero inflation π₀:
    ///   CV² = [e^{s²/2}/m + (1 + v)/θ + v + 1] / (1 − π₀) − 1.
    /// (Var(x) = E[Var(x | L, r)] + Var(E[x | L, r]) = m·E[1/L] + m²(1+v)/θ + m²·v, with
    /// E[1/L] = e^{s²/2}; zero inflation keeps a fraction 1 − π₀ of the cells' counts.)
    @inline(__always)
    public static func cv2(
        meanUMIs m: Double, librarySD s: Double, dispersion theta: Double,
        biological v: Double, zeroInflation pi0: Double = 0
    ) -> Double {
        cv2(meanUMIs: m, libraryFactor: Foundation.exp(s * s / 2), dispersion: theta, biological: v, zeroInflation: pi0)
    }

    /// The same with E[1/L] = e^{s²/2} precomputed (the inner loop of the analysis).
    @inline(__always)
    static func cv2(
        meanUMIs m: Double, libraryFactor: Double, dispersion theta: Double,
        biological v: Double, zeroInflation pi0: Double
    ) -> Double {
        guard m > 0 else { return .infinity }
        let base = libraryFactor / m + (1 + v) / theta + v
        if pi0 <= 0 { return base }
        return (base + 1) / (1 - min(pi0, 0.999)) - 1
    }
}

// MARK: - Guide-to-guide and cell-to-cell variation of the perturbation's strength

/// How much a perturbation's strength κ varies between its guides and between cells.
///
/// Each guide's efficiency e_g ~ Beta(μc, (1 − μ)c) (μ = knockdown_mean, c =
/// knockdown_concentration); each cell's e ~ Beta(e_g·c_cell, (1 − e_g)·c_cell) around its guide's
/// (c_cell = `SimulationParameters.cellEfficiencyConcentration`). CRISPRi: κ = 1 − e; CRISPRa:
/// κ = 1 + a·e/μ; knockout: κ fixed (its guide spread is `guide_effect_sd`, log2 units).
public struct GuideVariation: Equatable, Sendable {
    /// log2 of the mean κ of the first target (the elasticity denominator).
    public var log2MeanKappa: Double
    /// CV² of κ between guides.
    public var betweenGuidesCV2: Double
    /// CV² of κ between cells of one guide.
    public var withinGuideCV2: Double
    /// Guides per perturbation.
    public var guides: Double
    /// Variance of log κ̄ of a perturbation's guides (natural log²): log(1 + CV²_between/G),
    /// plus guide_effect_sd² (converted) for knockouts. Shared by all its batches: not reduced by
    /// cells or batches.
    public var meanLogVariance: Double
    /// Extra per-cell relative variance of κ in a pseudo-bulk: within-guide plus the spread of the
    /// (G − 1)/G between-guide part the cells' random guide choice leaves in.
    public var perCellCV2: Double

    /// κ̄ of the seeded sample of guide libraries (empty when guides do not vary).
    public var librarySamples: [Double]

    /// Var of log(1 + (κ̄ − 1)·r) over guide libraries: the guide term of a target whose cells
    /// reached a fraction r of the full response (r = 1: `meanLogVariance`).
    public func logVariance(response r: Double) -> Double {
        guard r < 0.999, !librarySamples.isEmpty else { return meanLogVariance }
        // The small sample gives the shape of the r-dependence; the large one the level.
        func sampleVariance(_ r: Double) -> Double {
            var sum = 0.0
            var sumSq = 0.0
            for k in librarySamples {
                let l = Foundation.log(max(1 + (k - 1) * r, 1e-12))
                sum += l
                sumSq += l * l
            }
            let n = Double(librarySamples.count)
            let m = sum / n
            return max(0, sumSq / n - m * m)
        }
        let full = sampleVariance(1)
        return full > 0 ? meanLogVariance * sampleVariance(r) / full : 0
    }

    /// The guide term of a target as 64 equally likely draws (log2): quantile midpoints of
    /// log2(1 + (κ̄ − 1)·r) − log2(1 + (κ_mean − 1)·r) over the library sample, scaled to
    /// standard deviation √`variance`/ln 2 (the model's guide variance at this response, natural
    /// log²) and keeping the sample's mean (log κ̄ sits below log κ_mean: Jensen). Empty when
    /// guides do not vary or there is no sample (knockouts: the normal spread is used).
    public func log2Offsets(response r: Double, variance: Double) -> [Double] {
        guard !librarySamples.isEmpty, variance > 0 else { return [] }
        let center = Foundation.log2(max(1 + (Foundation.exp2(log2MeanKappa) - 1) * r, 1e-12))
        let values = librarySamples.map { Foundation.log2(max(1 + ($0 - 1) * r, 1e-12)) - center }.sorted()
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        let sd = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot()
        guard sd > 0 else { return [] }
        let scale = variance.squareRoot() / M_LN2 / sd
        return (0..<64).map { i in
            let v = values[min(values.count - 1, Int((Double(i) + 0.5) / 64 * n))]
            return mean + (v - mean) * scale
        }
    }

    /// Per-cell CV² from response timing for the target: a cell's fold is 1 + (κ − 1)·r, so over
    /// cells Var/mean² = (κ − 1)²·Var(r)/(1 + (κ − 1)·r̄)², which grows steeply for strong guides
    /// (a few unresponded cells dominate a strongly knocked-down pseudo-bulk); averaged over the
    /// guide-library sample. `fallbackKappa` is used when guides do not vary.
    public func timingCV2(responseMean r: Double, responseVariance v: Double, fallbackKappa k: Double) -> Double {
        guard v > 0 else { return 0 }
        func one(_ kappa: Double) -> Double {
            let fold = max(1e-9, 1 + (kappa - 1) * r)
            return (kappa - 1) * (kappa - 1) * v / (fold * fold)
        }
        guard !librarySamples.isEmpty else { return one(k) }
        var sum = 0.0
        for kappa in librarySamples { sum += one(kappa) }
        return sum / Double(librarySamples.count)
    }

    /// Concentration of a cell's efficiency around its guide's (the simulator's default).
    public static let cellEfficiencyConcentration = SimulationParameters().cellEfficiencyConcentration

    public init(_ design: Design) {
        let p = design.perturbations
        let mu = min(max(p.knockdownMean, 1e-9), 1 - 1e-9)
        let c = p.knockdownConcentration
        let cc = GuideVariation.cellEfficiencyConcentration
        let varBetween = c > 0 && c.isFinite ? mu * (1 - mu) / (c + 1) : 0
        let varWithin = cc > 0 ? mu * (1 - mu) / (cc + 1) : 0
        guides = Double(max(1, p.guidesPerTarget))
        switch p.modality {
        case .crispri:
            let k = 1 - mu
            log2MeanKappa = Foundation.log2(k)
            betweenGuidesCV2 = varBetween / (k * k)
            withinGuideCV2 = varWithin / (k * k)
        case .crispra:
            let k = 1 + p.activation
            let slope = p.activation / mu
            log2MeanKappa = Foundation.log2(k)
            betweenGuidesCV2 = slope * slope * varBetween / (k * k)
            withinGuideCV2 = slope * slope * varWithin / (k * k)
        case .knockout:
            log2MeanKappa = Foundation.log2(max(p.koTranscriptRetention, 0.01))
            betweenGuidesCV2 = 0
            withinGuideCV2 = 0
        }
        // Var(log κ̄) of the mean κ of G guides: κ is skewed (Beta), so the delta method's
        // log(1 + CV²/G) underestimates it. A fixed, seeded sample of 2²⁰ libraries gives it to
        // about 0.5% (log κ is heavy-tailed: 10⁵ draws can be 3% off), the same on every run, computed once per
        // (modality, μ, c, G, a) and cached.
        var logVar = Foundation.log(1 + betweenGuidesCV2 / guides)
        var samples: [Double] = []
        if p.modality != .knockout && c > 0 && c.isFinite && varBetween > 0 {
            let key = GuideLibraryKey(
                modality: p.modality, mu: mu, c: c, guides: max(1, p.guidesPerTarget),
                activation: p.activation)
            let library = GuideLibraryCache.shared.library(key)
            logVar = library.logVariance
            samples = library.samples
        }
        if p.modality == .knockout && log2MeanKappa != 0 {
            let sd = p.guideEffectSd * M_LN2
            logVar += sd * sd / guides
        }
        meanLogVariance = logVar
        librarySamples = samples
        perCellCV2 = withinGuideCV2 + betweenGuidesCV2 * (guides - 1) / guides
    }
}

/// The parameters a guide-library sample depends on.
struct GuideLibraryKey: Hashable, Sendable {
    var modality: Modality
    var mu: Double
    var c: Double
    var guides: Int
    var activation: Double
}

/// Seeded guide-library samples, computed once per key (thread-safe).
final class GuideLibraryCache: Sendable {
    static let shared = GuideLibraryCache()
    private let entries = Locked<[GuideLibraryKey: (logVariance: Double, samples: [Double])]>([:])

    /// Var(log κ̄) from 2²⁰ libraries, and the first 8,192 κ̄ for the per-response terms.
    func library(_ key: GuideLibraryKey) -> (logVariance: Double, samples: [Double]) {
        if let hit = entries.withLock({ $0[key] }) { return hit }
        var rng = RandomStream(seed: 0x5EED_A11A, domain: .guides, 999_999)
        let a = key.mu * key.c
        let b = (1 - key.mu) * key.c
        let draws = 1 << 20
        let kept = 8192
        var sum = 0.0
        var sumSq = 0.0
        var samples: [Double] = []
        samples.reserveCapacity(kept)
        for d in 0..<draws {
            var kappa = 0.0
            for _ in 0..<key.guides {
                let e = rng.beta(a, b)
                kappa += key.modality == .crispri ? 1 - e : 1 + key.activation * e / key.mu
            }
            kappa /= Double(key.guides)
            if d < kept { samples.append(kappa) }
            let l = Foundation.log(max(kappa, 1e-12))
            sum += l
            sumSq += l * l
        }
        let m = sum / Double(draws)
        let value = (max(0, sumSq / Double(draws) - m * m), samples)
        entries.withLock { $0[key] = value }
        return value
    }
}
