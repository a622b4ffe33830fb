import Foundation

// MARK: - Power beyond the target: a downstream gene at a given expression and effect
//
// The target's power says nothing about the genes a perturbation changes downstream, which are
// usually weaker and often less expressed. These functions give the power of `analysis.test` for
// one gene of given mean UMIs per control cell and log2 fold change in the typical perturbation's
// cells (the perturbation with the median cell count), as a grid over cells per perturbation and
// reads per cell with the fewest cells reaching the target power at each depth, and the minimal
// detectable effect per expression decile of the testable genes. The gene has no biological
// variation beyond the NB and no guide spread (a downstream gene's guide spread scales with its
// unknown elasticity): these are sampling powers. The per-test level is the design's (the typical
// perturbation's level after multiple testing). docs/batching.md, section 4.1.

/// Power of a downstream gene over cells per perturbation × reads per cell.
public struct DownstreamPowerGrid: Codable, Equatable, Sendable {
    /// The test (`analysis.test`).
    public var test: String
    /// Mean UMIs per control cell of the gene at the design's sequencing depth (it scales with
    /// the UMIs per cell at other depths).
    public var umisPerCell: Double
    /// The gene's log2 fold change in the perturbed cells.
    public var effectLog2: Double
    /// Per-test level used (after multiple testing at the design as written).
    public var level: Double
    /// The power whose contour `contour_cells` traces (`analysis.target_power`).
    public var targetPower: Double
    /// Cells per perturbation (columns).
    public var cellsPerPerturbation: [Int]
    /// Reads per cell (rows).
    public var readsPerCell: [Double]
    /// power[r][c] at reads_per_cell[r] and cells_per_perturbation[c].
    public var power: [[Double]]
    /// For each reads_per_cell, the fewest cells per perturbation reaching `target_power`
    /// (bisection up to 100,000; nil when not reached).
    public var contourCells: [Int?]

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case test
        case umisPerCell = "umis_per_cell"
        case effectLog2 = "effect_log2"
        case level
        case targetPower = "target_power"
        case cellsPerPerturbation = "cells_per_perturbation"
        case readsPerCell = "reads_per_cell"
        case power
        case contourCells = "contour_cells"
    }
}

/// The minimal detectable effect of one expression decile of the testable genes.
public struct ExpressionDecileMDE: Codable, Equatable, Sendable {
    /// 1 … 10 (lowest to highest expression).
    public var decile: Int
    /// Mean UMIs per control cell at the decile's middle (its 5th, 15th, … percentile).
    public var umisPerCell: Double
    /// Smallest down-regulation (|log2 FC|) detected with the target power; nil beyond 10 log2.
    public var mdeLog2Down: Double?
    /// Smallest up-regulation (log2 FC) detected with the target power; nil beyond 10 log2.
    public var mdeLog2Up: Double?

    // Unreached values are written as null, so the keys are always there.
    enum CodingKeys: String, CodingKey {
        case decile
        case umisPerCell = "umis_per_cell"
        case mdeLog2Down = "mde_log2_down"
        case mdeLog2Up = "mde_log2_up"
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(decile, forKey: .decile)
        try c.encode(umisPerCell, forKey: .umisPerCell)
        try c.encode(mdeLog2Down, forKey: .mdeLog2Down)
        try c.encode(mdeLog2Up, forKey: .mdeLog2Up)
    }
}

extension Analyzer {
    /// Sampling power of `analysis.test` for one gene (mean `umis` per control cell, log2 fold
    /// change `effect`) in the cells of perturbation `p` of `layout`, at per-test level `level`.
    public static func genePower(
        _ design: Design, layout: Layout, perturbation p: Int, umis m0: Double,
        effect: Double, level: Double
    ) -> Double {
        genePowerFunction(design, layout: layout, perturbation: p)(m0, effect, level)
    }

    /// `genePower` with the layout's contrasts computed once: (umis, effect, level) → power.
    static func genePowerFunction(_ design: Design, layout: Layout, perturbation p: Int)
        -> (Double, Double, Double) -> Double
    {
        let highMOI = design.perturbations.moi > 1
        guard p < layout.perturbationCount else { return { _, _, _ in 0 } }
        let w = ContrastWeights.compute(layout, design: design, time: 0, complementControls: highMOI, only: [p])[0]
        let cc = ContrastCells.compute(layout, design: design, time: 0, complementControls: highMOI, only: [p])[0]
        let perturbedPerBatch = layout.perturbedCellsPerBatch
        let covariates =
            highMOI
            || (0..<layout.batchCount).allSatisfy {
                layout.batchTime[$0] != 0 || perturbedPerBatch[$0] == 0 || layout.controls[$0] > 0
            }
        let nodes = LibraryNodes(sd: design.measurement.librarySizeSd, count: TestModels.smoothNodes)
        let budget = CellBudget(design, layout: layout)
        let q = design.measurement.guideCapture
        let f = budget.perturbedShare
        let contamination = budget.multipletRate(design) * ((1 - f) + f * (1 - q)) / 2
        let cells = (
            assigned: budget.assignableFraction(design), control: budget.controlAssignableFraction(design),
            contamination: contamination
        )
        return { m0, effect, level in
            genePower(
                design, w: w, cc: cc, covariates: covariates, nodes: nodes, cells: cells,
                umis: m0, effect: effect, level: level)
        }
    }

    private static func genePower(
        _ design: Design, w: ContrastWeights, cc: ContrastCells, covariates: Bool,
        nodes: LibraryNodes,
        cells: (assigned: Double, control: Double, contamination: Double),
        umis m0: Double, effect: Double, level: Double
    ) -> Double {
        let m = design.measurement
        let ln2sq = M_LN2 * M_LN2
        guard m0 > 0 else { return 0 }
        let contamination = cells.contamination
        let assigned = cells.assigned
        let controlAssigned = cells.control
        let fold = Foundation.exp2(effect)
        let foldSeen = (1 - contamination) * fold + contamination
        func zi(_ mean: Double) -> Double {
            m.dropout == .zeroInflation ? m.dropoutRate * Foundation.exp(-mean / max(1e-12, m.dropoutMidpoint)) : 0
        }
        let pi0p = zi(m0 * fold)
        let pi00 = zi(m0)
        var observed = Foundation.log2(foldSeen)
        if m.dropout == .zeroInflation && m.dropoutRate > 0 { observed += Foundation.log2((1 - pi0p) / (1 - pi00)) }
        guard w.batches > 0 else { return 0 }
        let omega2 = design.batching.interactionSd * design.batching.interactionSd
        let z = Normal.quantile(1 - level / 2)
        var effectSeen = observed
        var sd = Double.infinity
        var spread = 0.0
        switch design.analysis.test {
        case .pseudobulk:
            let lib = Foundation.exp(m.librarySizeSd * m.librarySizeSd / 2)
            let cvp =
                CellNoise.cv2(
                    meanUMIs: m0 * fold, libraryFactor: lib, dispersion: m.dispersion, biological: 0,
                    zeroInflation: pi0p) / assigned
            let cv0 =
                CellNoise.cv2(
                    meanUMIs: m0, libraryFactor: lib, dispersion: m.dispersion, biological: 0,
                    zeroInflation: pi00) / controlAssigned
            let v =
                w.perturbed * cvp + 0.5 * w.perturbedSecond * cvp * cvp + w.control * cv0
                + 0.5 * w.controlSecond * cv0 * cv0 + w.interaction * omega2 + w.confounding
            sd = (v / ln2sq).squareRoot()
        case .glm:
            let within = covariates ? 1 : Foundation.exp(cc.withinShift)
            let mix = (1 + CellGroup.mixing(dispersion: m.dispersion, biological: 0)) * within - 1
            let gp = CellGroup(mean: m0 * foldSeen, mixing: mix, zeroInflation: pi0p)
            let g0 = CellGroup(mean: m0, mixing: mix, zeroInflation: pi00)
            let pairs = covariates ? cc.paired : [(n: cc.perturbed, n0: cc.controls, count: 1)]
            let score = TestModels.glmScore(
                pairs, perturbed: gp, control: g0, perturbedAssigned: assigned, controlAssigned: controlAssigned,
                nodes: nodes, nullInfo: TestModels.glmWeight(g0, nodes: nodes),
                nullThird: TestModels.glmThirdCumulant(g0, nodes: nodes), table: GLMNodeTable.shared(nodes))
            guard score.zPerFold > 0 else { return 0 }
            let zMean = score.z
            let nullSD = abs(observed) > 1e-9 && zMean != 0 ? abs(observed / zMean) : 1 / (M_LN2 * score.zPerFold)
            sd = nullSD * score.varianceRatio.squareRoot()
            spread =
                covariates
                ? (omega2 * score.shareSquares / ln2sq).squareRoot()
                : ((w.interaction * omega2 + cc.pooledShift) / ln2sq).squareRoot()
            return Normal.power(
                effect: effectSeen, sd: sd, critical: z, spread: spread, nullSD: nullSD,
                nullSkewness: score.skewness, floor: score.floor * nullSD)
        case .wilcoxon, .tTest:
            let mix =
                (1 + CellGroup.mixing(dispersion: m.dispersion, biological: 0)) * Foundation.exp(cc.withinShift) - 1
            let r = TestModels.scanpyModel(
                design.analysis.test,
                perturbed: CellGroup(mean: m0 * foldSeen, mixing: mix, zeroInflation: pi0p),
                control: CellGroup(mean: m0, mixing: mix, zeroInflation: pi00),
                observedLog2: observed, np: cc.perturbed * assigned,
                n0: cc.controls * controlAssigned, librarySD: m.librarySizeSd,
                scale: 1e4 / max(1e-12, design.expectedUMIsPerCell))
            effectSeen = r.effect
            sd = r.variance.squareRoot()
            spread = ((w.interaction * omega2 + cc.pooledShift) / ln2sq).squareRoot()
        }
        return Normal.power(effect: effectSeen, sd: sd, critical: z, spread: spread)
    }

    /// The perturbation with the median cell count (the "typical" one for downstream genes).
    static func typicalPerturbation(_ layout: Layout) -> Int {
        guard layout.perturbationCount > 0 else { return 0 }
        let order = (0..<layout.perturbationCount).sorted { layout.totalCells(of: $0) < layout.totalCells(of: $1) }
        return order[order.count / 2]
    }

    /// Power of a downstream gene (mean `umis` UMIs per control cell at the design's depth, log2
    /// fold change `effect`) over `cells` per perturbation × `reads` per cell, with the target-power
    /// contour: the data behind the report's downstream plot and the TUI's.
    /// - Complexity: one layout per grid point (no network solve) plus one bisection per depth.
    public func downstreamPowerGrid(
        _ design: Design, umis: Double, effect: Double, cells: [Int], reads: [Double],
        layout strategy: LayoutStrategy? = nil
    ) throws -> DownstreamPowerGrid {
        let base = try evaluate(design, layout: strategy)
        let level = base.medianRow?.level ?? design.analysis.alpha
        let baseUMIs = max(1e-12, design.expectedUMIsPerCell)
        func power(_ n: Int, _ r: Double) -> Double {
            var d = design
            d.sampling.cellsPerPerturbation = max(1, n)
            d.measurement.readsPerCell = r
            d.batching.maxCellsPerBatch = Int.max / 4
            let layout = Layout.make(d, strategy: strategy)
            return Analyzer.genePower(
                d, layout: layout, perturbation: Analyzer.typicalPerturbation(layout),
                umis: umis * d.expectedUMIsPerCell / baseUMIs, effect: effect, level: level)
            // (one layout per point: the cells change it)
        }
        let grid = reads.map { r in cells.map { power($0, r) } }
        let target = design.analysis.targetPower
        let contour = reads.map { r in bisect(low: 1, high: 100_000) { power($0, r) >= target } }
        return DownstreamPowerGrid(
            test: design.analysis.test.rawValue, umisPerCell: umis, effectLog2: effect,
            level: level, targetPower: target, cellsPerPerturbation: cells,
            readsPerCell: reads, power: grid, contourCells: contour)
    }

    /// The minimal detectable |log2 fold change| (down and up) of a gene at the middle of each
    /// expression decile of the testable genes, in the typical perturbation's cells, at the target
    /// power and the typical perturbation's level.
    public static func mdeByExpressionDecile(_ e: Evaluation) -> [ExpressionDecileMDE] {
        let d = e.design
        guard let row = e.medianRow else { return [] }
        let expressed = e.testableUMIs
        guard !expressed.isEmpty else { return [] }
        let power = genePowerFunction(d, layout: e.layout, perturbation: typicalPerturbation(e.layout))
        let target = d.analysis.targetPower
        return (0..<10).map { k in
            let idx = min(expressed.count - 1, Int((Double(k) + 0.5) / 10 * Double(expressed.count)))
            let m0 = expressed[idx]
            func mde(_ sign: Double) -> Double? {
                func ok(_ x: Double) -> Bool {
                    power(m0, sign * x, row.level) >= target
                }
                guard ok(10) else { return nil }
                var lo = 0.0
                var hi = 10.0
                for _ in 0..<40 {
                    let mid = 0.5 * (lo + hi)
                    if ok(mid) { hi = mid } else { lo = mid }
                }
                return hi
            }
            return ExpressionDecileMDE(decile: k + 1, umisPerCell: m0, mdeLog2Down: mde(-1), mdeLog2Up: mde(1))
        }
    }
}
