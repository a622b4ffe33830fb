import Foundation

// MARK: - The GLM score's lower tail near its floor: a lattice of counts, not a normal tail
//
// The score of a knockdown is U = Σ_p y_c/d_c − I_p (docs/batching.md, section 2.6): its lowest
// value −I_p (the floor) is reached when every perturbed cell counts zero, and each count moves
// it up by about 1/d̄. On the log2-equivalent scale of `Normal.power` (x = z·σ₀, E x = δ) a screen
// therefore sits at x = −B + Y/λ + ε, where B is the floor, Y the perturbed cells' total count
// (E Y = λ(δ + B): λ = n_p·m·E L / B counts per log2 unit, from E x = 0 at the null) and ε the
// rest of the statistic's noise (the perturbed cells' libraries, which move the floor itself,
// and the controls' fit). When the rejection threshold lies a few counts above the floor, the
// normal tail of x misplaces the atoms at Y = 0, 1, 2, …: on the differentiating validation
// designs at 0.23–0.34 UMIs per control cell the zero-count screens sat at z ≈ −2.2, just inside
// pysceptre's threshold, so few of them rejected, while the normal tail put 0.11 below it (0.15
// predicted, 0.10 rejected by pysceptre over 990 tests; section 8.1). The lattice tail sums the
// atoms instead: P(x ≤ −c) = Σ_k P(Y = k)·Φ((B − c − k/λ)/σ_B), with Y negative binomial
// (mean λ(δ + B), the perturbed cells' mixing) and σ_B the spread of the floor itself over
// screens (how many cells are assigned, their libraries, the fitted mean): the atom at Y = 0
// rejects in a screen whose floor lies beyond the threshold.

/// The perturbed count lattice of a GLM score's lower tail (`Normal.power(lattice:)`).
public struct ScoreLattice: Sendable, Equatable {
    /// λ: expected perturbed counts per log2-equivalent unit of the statistic.
    public var countsPerLog2: Double
    /// Squared CV of the perturbed total count's mixing beyond Poisson (per-cell NB mixing and
    /// library spread, over the n_p cells).
    public var mixing: Double
    /// sd of the floor over screens (log2 units): it blurs every atom of the lattice.
    public var blur: Double

    /// Thresholds more than this many counts above the floor are left to the normal tail (the
    /// lattice is then fine enough), and so is a blur wider than `maxBlurCounts` counts.
    static let maxCounts = 4.0
    static let maxBlurCounts = 3.0

    /// The lattice of a target's score: `nullCount` the perturbed cells' total count the fit
    /// expects (n_p·m̂·E L: the floor I_p in counts), `floor` B (log2 units), `perCellMixing` the
    /// perturbed cells' NB mixing, `cells` n_p, and `floorCV2` the squared CV of the floor over
    /// screens. nil when there is no finite floor or no count.
    public static func make(
        nullCount: Double, floor: Double, perCellMixing: Double, cells: Double, floorCV2: Double
    ) -> ScoreLattice? {
        guard floor.isFinite, floor > 0, nullCount > 0, cells > 0 else { return nil }
        return ScoreLattice(
            countsPerLog2: nullCount / floor, mixing: max(0, perCellMixing) / cells,
            blur: floor * max(0, floorCV2).squareRoot())
    }

    /// P(x ≤ −threshold) for a decrease `effect` (log2-equivalent, the draw's E x) with floor
    /// `floor` and extra normal spread `spread`; nil when the normal tail should stand (the
    /// threshold is far above the floor in counts, or the blur covers many counts).
    func lowerTail(effect: Double, threshold: Double, floor: Double, spread: Double) -> Double? {
        let lambda = countsPerLog2
        let edge = lambda * (floor - threshold)  // counts at or below which a sharp screen rejects
        guard edge <= Self.maxCounts else { return nil }
        let sd = spread > 0 ? (blur * blur + spread * spread).squareRoot() : blur
        let sdCounts = lambda * sd
        guard sdCounts <= Self.maxBlurCounts else { return nil }
        let mean = max(0, lambda * (effect + floor))
        let top = edge + 6 * sdCounts
        guard top >= 0 else { return 0 }
        // NB(mean, size 1/mixing) pmf by recurrence (Poisson when the mixing vanishes).
        var p: Double
        var ratio: Double
        let size = mixing > 1e-12 ? 1 / mixing : .infinity
        if size.isFinite {
            p = Foundation.exp(-size * Foundation.log1p(mean / size))
            ratio = mean / (mean + size)
        } else {
            p = Foundation.exp(-mean)
            ratio = 1
        }
        var total = 0.0
        var k = 0.0
        while k <= top {
            let reject = sdCounts > 1e-9 ? Normal.cdf((edge - k) / sdCounts) : (k <= edge ? 1 : 0)
            total += p * reject
            p *= size.isFinite ? (k + size) / (k + 1) * ratio : mean / (k + 1)
            k += 1
        }
        return min(1, total)
    }
}

extension ScoreLattice {
    /// The lattice of a GLM target's score (`TestModels.glmScore`'s cells). The perturbed cells
    /// n_p = Σ n·assigned over the batch pairs; their total count at the floor's fitted mean
    /// Σ_b n_pb·m̂_b·E L (m̂_b = m(1 + f_b(F − 1)), the union fit's mean, m the controls' mean after
    /// zero inflation). The floor −Σ_p w_c/√(κD) scales as √(n_p·m̂·L̄) (w_c ∝ m̂L_c at low counts),
    /// so over screens its squared CV is ¼ of the sum of: the binomial count of assigned cells,
    /// (1 − a)/n_p; their mean library's, (e^{s²} − 1)/n_p; the fitted mean's, from the union's
    /// counts (1/(N m E L) + c₀/N over its N cells) and the gene's batch effects (τ² Σ_b s_b²,
    /// `shareSquares` the batches' shares of the information). Measured on the in vitro
    /// differentiating validation design at 0.23–0.34 UMIs: the zero-count screens' pysceptre z
    /// had sd 0.25 around −2.2 (35 screens), the model's floor sd 0.2.
    static func glmTarget(
        _ pairs: [(n: Double, n0: Double, count: Int)], perturbed gp: CellGroup, control g0: CellGroup,
        perturbedAssigned ap: Double, controlAssigned a0: Double, nodes: LibraryNodes, floor: Double,
        shareSquares: Double, batchEffectSd tau: Double
    ) -> ScoreLattice? {
        let kp = 1 - min(gp.zeroInflation, 0.999)
        let k0 = 1 - min(g0.zeroInflation, 0.999)
        let m = g0.mean * k0
        let fold = m > 0 ? gp.mean * kp / m : 1
        var cells = 0.0
        var controls = 0.0
        var fitted = 0.0
        for q in pairs where q.n0 > 0 {
            let np = q.n * ap * Double(q.count)
            let f = q.n * ap / (q.n * ap + q.n0 * a0)
            cells += np
            controls += q.n0 * a0 * Double(q.count)
            fitted += np * m * (1 + f * (fold - 1))
        }
        var meanLibrary = 0.0
        var squareLibrary = 0.0
        for k in 0..<nodes.size.count {
            meanLibrary += nodes.weight[k] * nodes.size[k]
            squareLibrary += nodes.weight[k] * nodes.size[k] * nodes.size[k]
        }
        guard meanLibrary > 0, cells > 0, m > 0 else { return nil }
        let union = cells + controls
        let c0 = (1 + g0.mixing) / k0 - 1
        let libraryCV2 = squareLibrary / (meanLibrary * meanLibrary) - 1
        let floorCV2 =
            0.25
            * ((1 - min(1, ap)) / cells + libraryCV2 / cells + 1 / (union * m * meanLibrary) + c0 / union
                + tau * tau * shareSquares)
        return make(
            nullCount: fitted * meanLibrary, floor: floor, perCellMixing: (1 + gp.mixing) / kp - 1, cells: cells,
            floorCV2: floorCV2)
    }
}
