import Foundation

// MARK: - The analysis: error, power and cost of every perturbation, with caching
//
// Three stages, each cached on the design fields it reads, so that the TUI can re-analyse on
// every keystroke: expected effects (system, perturbations, protocol, sampling times, measured
// genes, effect source) → layout (batching, sampling, perturbation count) → error and power
// (everything else; O(K·B + Σ_p affected genes)).

/// The variance of one estimated log2 fold change split by source (log2 units²).
public struct VarianceComponents: Equatable, Sendable {
    /// Counting and biological noise of the perturbed cells.
    public var perturbedCells: Double = 0
    /// Counting and biological noise of the control cells.
    public var controlCells: Double = 0
    /// Batch × perturbation interaction ω², averaged over the perturbation's batches.
    public var interaction: Double = 0
    /// Batch effects that do not cancel because controls are in other batches.
    public var confounding: Double = 0
    /// Guide-to-guide spread of the effect, averaged over the perturbation's guides.
    public var guides: Double = 0
    /// Squared bias from controls at another time point (differentiating regimes).
    public var timeMismatch: Double = 0

    public init() {}

    /// The mean squared error of the estimate.
    public var total: Double { perturbedCells + controlCells + interaction + confounding + guides + timeMismatch }

    /// (name, value) pairs in budget order.
    public var items: [(String, Double)] {
        [
            ("perturbed cells", perturbedCells), ("control cells", controlCells),
            ("batch × perturbation", interaction), ("batch confounding", confounding),
            ("guide-to-guide", guides), ("time mismatch", timeMismatch),
        ]
    }
}

/// The analysis of one perturbation at one time point.
public struct PerturbationEvaluation: Sendable {
    public var name: String
    public var target: String
    /// Index into `Design.timePoints`.
    public var timeIndex: Int
    public var cells: Int
    public var batches: Int
    public var uncontrolledBatches: Int
    /// Expected log2 fold change of the target (network or fixed).
    public var targetEffect: Double
    /// What the estimator sees on average (after doublet contamination and dropout).
    public var observedEffect: Double
    /// Variance of the target estimate by source (log2²).
    public var components: VarianceComponents
    public var power: Double
    public var deGenes: Double
    /// Per-test level after multiple testing.
    public var level: Double
    /// Mean UMIs per control cell of the target gene.
    public var targetUMIs: Double
    public var flags: [String]
    /// The test the power is for (`analysis.test`).
    public var test: DifferentialTest = .pseudobulk
    /// The target's effect on the test's scale (log2; for wilcoxon and t-test the log2-equivalent
    /// z/slope of the standardised statistic, section 2.6 of docs/batching.md).
    public var testEffect: Double = 0
    /// The sampling variance the test sees (log2²): pseudobulk everything but the guide spread;
    /// glm, wilcoxon and t-test the perturbed and control cells only.
    public var testVariance: Double = .infinity
    /// The statistic's variance under the null (log2²), which sets the rejection threshold: the
    /// GLM's score test is standardised by it; the other tests use `testVariance`.
    public var testNullVariance: Double = .infinity
    /// Skewness of the statistic under the null (the GLM score at low counts; 0 for the others):
    /// it moves the rejection thresholds (Cornish–Fisher, `Normal.power`).
    public var testNullSkewness: Double = 0
    /// Variance of the shifts of the true effect the test does not see (log2²): the guide spread,
    /// and for glm/wilcoxon/t-test also the interaction, batch confounding and time mismatch.
    public var spreadVariance: Double = 0
    /// Power given the library's guides (their effect = the gene's): no guide spread.
    public var samplingPower: Double = 0
    /// Chance that the library's guides produce an effect at least the size the sampling detects
    /// with the target power (`analysis.target_power`).
    public var guideEffectProbability: Double = 0
    /// The genes this perturbation's test covers beyond its target (indices into
    /// `ExpectedEffects.geneNames`: the affected genes that are testable) and the power of
    /// `analysis.test` for each at `level` (the terms of `deGenes`), so a validation can compare
    /// every tested (perturbation, gene) pair with what the analysis predicts for it.
    public var downstreamGenes: [Int32] = []
    /// Power of each of `downstreamGenes`, in the same order.
    public var downstreamPowers: [Double] = []

    /// Predicted standard error of the target estimate (log2): its root mean squared error
    /// against the gene's effect, guide-to-guide spread included.
    public var targetSD: Double { components.total.squareRoot() }
    /// The standard error the test sees (log2).
    public var testSD: Double { testVariance.squareRoot() }
    /// The standard error under the null (log2): the rejection threshold is z × this.
    public var testNullSD: Double { testNullVariance.squareRoot() }
    /// The guide-to-guide spread of the library's effect around the gene's (log2).
    public var guideSpread: Double { components.guides.squareRoot() }
    /// Spread of the true effect the test does not see (log2): guides, and for glm/wilcoxon/t-test
    /// batch shifts.
    public var spreadSD: Double { spreadVariance.squareRoot() }
}

/// Everything the analysis computed for one design and layout: the detailed rows behind the
/// `AnalysisResult` contract, kept for solvers, curves and the TUI.
public struct Evaluation: Sendable {
    public var design: Design
    public var layout: Layout
    public var rows: [PerturbationEvaluation]
    /// Testable genes (mean UMIs per control cell ≥ analysis.expression_threshold).
    public var testableGenes: Int
    public var cost: CostBreakdown
    /// Mean UMIs per control cell of the testable genes at the first time point, ascending (for
    /// the minimal detectable effect per expression decile).
    public var testableUMIs: [Double] = []
    /// Median power over perturbations (and time points).
    public let medianPower: Double
    /// Median over perturbations of the target estimate's variance (log2²).
    public let medianVariance: Double
    private let medianIndex: Int?

    public init(design: Design, layout: Layout, rows: [PerturbationEvaluation], testableGenes: Int, cost: CostBreakdown)
    {
        self.design = design
        self.layout = layout
        self.rows = rows
        self.testableGenes = testableGenes
        self.cost = cost
        medianPower = median(rows.map(\.power))
        medianVariance = median(rows.map(\.components.total).filter(\.isFinite))
        let order = rows.indices.filter { rows[$0].components.total.isFinite }
            .sorted { rows[$0].components.total < rows[$1].components.total }
        medianIndex = order.isEmpty ? (rows.isEmpty ? nil : 0) : order[order.count / 2]
    }

    /// The row at the median of the predicted target sd (the "typical" perturbation).
    public var medianRow: PerturbationEvaluation? { medianIndex.map { rows[$0] } }
}

/// Median of a list (0 when empty); public so the benchmarks take their medians the same way.
public func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let s = values.sorted()
    let n = s.count
    return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2])
}

/// Analyses designs, caching what does not depend on the fields that changed. Thread-safe.
public final class Analyzer: Sendable {
    /// The last expected effects, the key they were computed for, and how many were computed.
    private struct EffectsSlot {
        var key: EffectsKey?
        var effects: ExpectedEffects?
        var computations = 0
    }
    private let effectsSlot = Locked(EffectsSlot())
    private let layouts = RecentCache<LayoutKey, Layout>(capacity: 8)
    private let contrastCache = ContrastCache()
    private let evaluations = RecentCache<EvaluationKey, Evaluation>(capacity: 8)
    private let glmScores = GLMScoreMemo()

    public init() {}

    /// How many times the expected effects were computed (not taken from the cache).
    @_spi(Testing) public var effectsComputed: Int {
        effectsSlot.withLock { $0.computations }
    }

    /// How many evaluations took their GLM scores from an earlier one's (only ω differed).
    @_spi(Testing) public var glmScoreTablesReused: Int { glmScores.reused }

    /// One analysis with a fresh cache.
    public static func analyze(_ design: Design, layout: LayoutStrategy? = nil) throws -> AnalysisResult {
        try Analyzer().analyze(design, layout: layout)
    }

    /// The analysis result (the JSON contract) of `design` under `layout` (its own when nil).
    public func analyze(_ design: Design, layout: LayoutStrategy? = nil) throws -> AnalysisResult {
        let evaluation = try evaluate(design, layout: layout)
        return evaluation.result(recommendations: Recommendations.make(evaluation, analyzer: self))
    }

    /// The expected effects of `design`, from the cache when the fields they depend on are unchanged.
    public func effects(for design: Design) throws -> ExpectedEffects {
        let key = EffectsKey(design)
        if let cached = effectsSlot.withLock({ $0.key == key ? $0.effects : nil }) { return cached }
        // Computed outside the lock: other threads keep reading the cache meanwhile.
        let computed = try ExpectedEffects.compute(design)
        effectsSlot.withLock {
            $0.key = key
            $0.effects = computed
            $0.computations += 1
        }
        return computed
    }

    /// The layout of `design` under `strategy`, cached.
    public func layout(for design: Design, strategy: LayoutStrategy? = nil) -> Layout {
        let key = LayoutKey(design, strategy ?? design.batching.layout)
        if let cached = layouts.value(key) { return cached }
        let made = Layout.make(design, strategy: strategy)
        layouts.store(key, made)
        return made
    }

    /// The detailed analysis: every perturbation's variance components, power and DE genes.
    /// The last few distinct designs' evaluations are kept (AnalyzerCaches.swift).
    public func evaluate(_ design: Design, layout strategy: LayoutStrategy? = nil) throws -> Evaluation {
        let key = EvaluationKey(design: design, strategy: strategy)
        if let cached = evaluations.value(key) { return cached }
        let effects = try effects(for: design)
        let layout = layout(for: design, strategy: strategy)
        // `analysis.cell_type`: the headline figures are that type's (CellTypes.swift).
        if design.analysis.cellType != nil,
            let typed = try CellTypePower.headline(design, layout: layout, effects: effects)
        {
            evaluations.store(key, typed)
            return typed
        }
        // The GLM scores of a design that differed only in ω (GLMScoreMemo.swift).
        let scoreKey = design.analysis.test == .glm ? GLMScoreMemo.key(design, strategy: strategy) : nil
        let scores = scoreKey.map { glmScores.table($0) }
        let evaluation = Analyzer.evaluate(
            design, layout: layout, effects: effects, contrasts: contrastCache, scores: scores)
        if let scoreKey, let scores { glmScores.store(scoreKey, scores) }
        evaluations.store(key, evaluation)
        return evaluation
    }

    /// The error model on a given layout and effects (no caching; pure).
    /// - Parameter cellFraction: the share of every perturbation's and control's cells that are
    ///   analysed (one cell type's effective fraction, CellTypes.swift); 1 = all cells.
    public static func evaluate(
        _ design: Design, layout: Layout, effects: ExpectedEffects,
        cellFraction: Double = 1
    ) -> Evaluation {
        evaluate(design, layout: layout, effects: effects, cellFraction: cellFraction, contrasts: nil)
    }

    /// The same, with the contrast weights and cells from `contrasts` when it holds them, on
    /// `workers` threads (nil: `Analyzer.workers` for 64 perturbations or more, else one); the GLM
    /// scores are read from `scores` when it is a complete table of this design's scores (ω aside)
    /// and recorded into it when it is an empty one; `exact` computes the GLM scores' node sums
    /// and the power's normal tails without their tables (GLMNodeTable.swift, NormalTable.swift).
    static func evaluate(
        _ design: Design, layout: Layout, effects: ExpectedEffects, cellFraction: Double = 1,
        contrasts contrastCache: ContrastCache?, workers: Int? = nil, scores: GLMScoreTable? = nil,
        exact: Bool = false
    ) -> Evaluation {
        let m = design.measurement
        let ln2sq = M_LN2 * M_LN2
        let umis = design.expectedUMIsPerCell
        let highMOI = design.perturbations.moi > 1
        let omega2 = design.batching.interactionSd * design.batching.interactionSd
        let guideModel = GuideVariation(design)
        // The cells (CellBudget: one definition with validate, cost and the TUI).
        let budget = CellBudget(design, layout: layout)
        let perturbedShare = budget.perturbedShare
        // Multiplets: a share d of the cells loaded on a lane. A multiplet whose partner's
        // targeting guide is detected is ambiguous and dropped; one whose partner is a control or
        // an undetected perturbed cell stays and mixes the two cells' molecules half and half.
        let doublet = budget.multipletRate(design)
        let q = m.guideCapture
        let contamination = doublet * ((1 - perturbedShare) + perturbedShare * (1 - q)) / 2
        // Cells an analysis can assign: guide detected (guide_capture) and not ambiguous.
        let assigned = budget.assignableFraction(design) * cellFraction
        let controlAssigned = budget.controlAssignableFraction(design) * cellFraction
        let threshold = design.analysis.expressionThreshold
        let libraryFactor = Foundation.exp(m.librarySizeSd * m.librarySizeSd / 2)
        let zeroInflated = m.dropout == .zeroInflation && m.dropoutRate > 0
        @Sendable func zeroInflation(_ mean: Double) -> Double {
            m.dropout == .zeroInflation ? m.dropoutRate * Foundation.exp(-mean / max(1e-12, m.dropoutMidpoint)) : 0
        }

        let test = design.analysis.test
        let nodes = LibraryNodes(sd: m.librarySizeSd, count: TestModels.smoothNodes)
        // The GLM score's node sums as tabulated functions of m̂·c (GLMNodeTable.swift).
        // `exact`: the quadrature and erfc the shortcuts replace (test
        // `evaluationsWithTheShortcutsMatchTheExactPaths`).
        let glmTable = test == .glm && !exact ? GLMNodeTable.shared(nodes) : nil
        // Counts per 10k: scale of log1p(10⁴·y/N_c) with N_c = U·L.
        let normScale = 1e4 / max(umis, 1e-12)
        var rows: [PerturbationEvaluation] = []
        var testableTotal = 0
        var testableUMIs: [Double] = []
        var guideVarianceByResponse: [Double: Double] = [:]
        var timingByResponse: [Double: Double] = [:]
        var offsetsByResponse: [Double: [Double]] = [:]
        for (t, slice) in effects.slices.enumerated() {
            let (weights, contrasts) =
                contrastCache?.contrasts(
                    layout, design: design, time: t, complementControls: highMOI,
                    withCells: test != .pseudobulk)
                ?? (
                    ContrastWeights.compute(layout, design: design, time: t, complementControls: highMOI),
                    test == .pseudobulk
                        ? []
                        : ContrastCells.compute(layout, design: design, time: t, complementControls: highMOI)
                )
            let shareSquares = slice.share.reduce(0) { $0 + $1 * $1 }
            let g = slice.share.count
            var mean0 = [Double](repeating: 0, count: g)
            var cv0 = [Double](repeating: 0, count: g)
            var bio = slice.biologicalCV2
            if highMOI {
                // Every cell carries ~MOI other guides: their effects add to each cell's variation.
                var extra = [Double](repeating: 0, count: g)
                let k = Double(max(1, slice.genes.count))
                for (p, gs) in slice.genes.enumerated() {
                    for (j, gene) in gs.enumerated() {
                        let r = Foundation.exp2(slice.effects[p][j]) - 1
                        extra[Int(gene)] += r * r / k
                    }
                }
                for i in 0..<g { bio[i] = (1 + bio[i]) * (1 + design.perturbations.moi * extra[i]) - 1 }
            }
            var testable = 0
            for i in 0..<g {
                mean0[i] = umis * slice.share[i]
                cv0[i] = CellNoise.cv2(
                    meanUMIs: mean0[i], librarySD: m.librarySizeSd, dispersion: slice.dispersion?[i] ?? m.dispersion,
                    biological: bio[i], zeroInflation: zeroInflation(mean0[i]))
                if mean0[i] >= threshold { testable += 1 }
            }
            testableTotal = max(testableTotal, testable)
            if t == 0 { testableUMIs = mean0.filter { $0 >= threshold }.sorted() }
            // Per control cell GLM information of each gene (computed when first needed, per worker).
            let glmControlWeight = [Double](repeating: -1, count: test == .glm ? g : 0)
            let glmControlThird = [Double](repeating: -1, count: test == .glm ? g : 0)
            // The GLM has batch covariates when every batch of this time point that holds
            // perturbed cells also holds controls (always at high MOI: complement controls);
            // otherwise the lab must pool batches, and batch effects come back (section 2.6).
            let perturbedPerBatch = layout.perturbedCellsPerBatch
            let glmBatchCovariates =
                highMOI
                || (0..<layout.batchCount).allSatisfy {
                    layout.batchTime[$0] != t || perturbedPerBatch[$0] == 0 || layout.controls[$0] > 0
                }
            // The perturbations on the cores: a row depends only on its own inputs and on per-gene
            // and per-response values that are the same whoever computes them first, so the rows do
            // not depend on the number of workers (test `evaluationDoesNotDependOnWorkers`). Where
            // a cached value is the first perturbation's (the pooled GLM's control weight reads that
            // perturbation's batch shift, the timing term its response variance) the loop stays
            // sequential, as it does for small designs.
            let wanted = workers ?? (weights.count >= 64 ? Analyzer.workers : 1)
            let parallel =
                wanted > 1 && (test != .glm || glmBatchCovariates) && !slice.responseVariance.contains { $0 > 0 }
            // Contiguous blocks, several per thread, taken as threads free up: on a loaded machine
            // a descheduled thread does not hold up the others' share. The per-response guide
            // terms (pure in the response) are made once for every block.
            let chunks = parallel ? min(8 * wanted, max(1, weights.count)) : 1
            if chunks > 1 {
                for p in weights.indices {
                    let r = slice.responseMean.isEmpty ? 1 : slice.responseMean[p]
                    if guideVarianceByResponse[r] == nil {
                        let v = guideModel.logVariance(response: r)
                        guideVarianceByResponse[r] = v
                        offsetsByResponse[r] = guideModel.log2Offsets(response: r, variance: v)
                    }
                }
            }
            let slots = WaveSlots<PerturbationEvaluation>(weights.count)
            let cachedScores = scores?.scores(time: t)
            let recordedScores =
                scores != nil && cachedScores == nil && test == .glm ? WaveSlots<[GLMScoreEntry]>(weights.count) : nil
            let filled = WaveSlots<(guides: [Double: Double], timing: [Double: Double], offsets: [Double: [Double]])>(
                chunks)
            DispatchQueue.concurrentPerform(iterations: chunks) {
                [
                    glmControlWeight, glmControlThird, guideVarianceByResponse, timingByResponse, offsetsByResponse,
                    mean0, cv0, bio, testable
                ] chunk in
                var glmControlWeight = glmControlWeight
                var glmControlThird = glmControlThird
                var guideVarianceByResponse = guideVarianceByResponse
                var timingByResponse = timingByResponse
                var offsetsByResponse = offsetsByResponse
                for p in (chunk * weights.count / chunks)..<((chunk + 1) * weights.count / chunks) {
                    let w = weights[p]
                    let gs = slice.genes[p]
                    // This perturbation's GLM scores from the table, or recorded into it, in gene order.
                    let knownScores = cachedScores.flatMap { p < $0.count ? $0[p] : nil }
                    var newScores: [GLMScoreEntry] = []
                    var scoreIndex = 0
                    var flags: [String] = []
                    var effectsObs: [Double] = []
                    var sds: [Double] = []
                    var spreads: [Double] = []
                    var targetComponents = VarianceComponents()
                    var targetTest = (effect: 0.0, variance: Double.infinity, spread: 0.0)
                    var targetNull = Double.infinity
                    var targetSkew = 0.0
                    // How the test's mean statistic bends with the target's effect (Normal.power(…curvature:)):
                    // the GLM score is linear in F − 1; the scanpy tests are measured at δ/2 and δ.
                    var targetCurvature = test == .glm ? 1.0 : 0.0
                    // The most extreme decrease the target's statistic can show (glm; ∞ otherwise).
                    var targetFloor = Double.infinity
                    var nullSDs: [Double] = []
                    var nullSkews: [Double] = []
                    // t-test: each tested gene's Welch power at low counts (WelchPower.swift), in
                    // the order of effectsObs.
                    var welchModels: [WelchTarget?] = []
                    // The target's Welch power given the library's guides (sampling power).
                    var targetWelchSampling: WelchTarget?
                    // The gene behind each entry of effectsObs (downstreamGenes).
                    var testedGenes: [Int32] = []
                    var observedTarget = 0.0
                    let target = slice.targetEffect[p]
                    let logKappa = guideModel.log2MeanKappa
                    let confounding = w.confounding / ln2sq
                    let interaction = w.interaction * omega2 / ln2sq
                    let rMean = slice.responseMean.isEmpty ? 1 : slice.responseMean[p]
                    if guideVarianceByResponse[rMean] == nil {
                        guideVarianceByResponse[rMean] = guideModel.logVariance(response: rMean)
                    }
                    let targetGuideVariance = guideVarianceByResponse[rMean]!
                    if offsetsByResponse[rMean] == nil {
                        offsetsByResponse[rMean] = guideModel.log2Offsets(
                            response: rMean, variance: targetGuideVariance)
                    }
                    var targetElasticity = 0.0
                    let rVar = slice.responseVariance.isEmpty ? 0 : slice.responseVariance[p]
                    for (j, gene32) in gs.enumerated() {
                        let i = Int(gene32)
                        let full = slice.folds.isEmpty ? Foundation.exp2(slice.effects[p][j]) : slice.folds[p][j]
                        // Cells that have not fully responded: fold 1 + (F − 1)·r, averaged over cells.
                        let fold = rMean == 1 ? full : 1 + (full - 1) * rMean
                        let delta = rMean == 1 ? slice.effects[p][j] : Foundation.log2(max(fold, 1e-12))
                        // Timing spread: exact average over guide libraries for the target; other genes
                        // by their own fold.
                        let timingCV2: Double
                        if rVar <= 0 {
                            timingCV2 = 0
                        } else if j == 0 {
                            if timingByResponse[rMean] == nil {
                                timingByResponse[rMean] = guideModel.timingCV2(
                                    responseMean: rMean, responseVariance: rVar,
                                    fallbackKappa: full)
                            }
                            let kappaFold = Foundation.exp2(guideModel.log2MeanKappa)
                            // Scale the κ-based value to this target's own full fold (feedback).
                            let own = (full - 1) * (full - 1) / ((kappaFold - 1) * (kappaFold - 1) + 1e-300)
                            timingCV2 = timingByResponse[rMean]! * (abs(kappaFold - 1) > 1e-9 ? min(own, 1e6) : 1)
                        } else {
                            timingCV2 = (full - 1) * (full - 1) * rVar / (fold * fold)
                        }
                        let mp = mean0[i] * fold
                        let pi0p = zeroInflated ? zeroInflation(mp) : 0
                        let pi00 = zeroInflated ? zeroInflation(mean0[i]) : 0
                        // What the pseudo-bulk sees: contaminated by doublets, attenuated by dropout.
                        var observed =
                            contamination > 0 ? Foundation.log2((1 - contamination) * fold + contamination) : delta
                        if zeroInflated { observed += Foundation.log2((1 - pi0p) / (1 - pi00)) }
                        // Guides act through κ: a gene moves by its elasticity ε = Δ_g / log2 κ̄ times
                        // the guide's (and the cell's) relative change of κ.
                        // Elasticity of the pseudo-bulk's mean with respect to log κ; partial responses
                        // scale it by r·F/fold.
                        let elasticity =
                            logKappa != 0 ? slice.effects[p][j] / logKappa * (rMean == 1 ? 1 : rMean * full / fold) : 0
                        let e2 = elasticity * elasticity
                        let vp = (1 + bio[i]) * (1 + e2 * guideModel.perCellCV2) * (1 + timingCV2) - 1
                        // E[1/κ]·E[κ] > 1: cells of weaker-expressed guides count less, so the counting
                        // noise of perturbed cells grows by about 1 + ε²·CV²(κ).
                        let counting =
                            1 + e2 * (guideModel.perCellCV2 + guideModel.betweenGuidesCV2 / guideModel.guides)
                        let cvp = CellNoise.cv2(
                            meanUMIs: mp, libraryFactor: libraryFactor * counting,
                            dispersion: slice.dispersion?[i] ?? m.dispersion,
                            biological: vp, zeroInflation: pi0p)
                        var c = VarianceComponents()
                        let vp1 = cvp / assigned
                        let v01 = cv0[i] / controlAssigned
                        c.perturbedCells = (w.perturbed * vp1 + 0.5 * w.perturbedSecond * vp1 * vp1) / ln2sq
                        c.controlCells = (w.control * v01 + 0.5 * w.controlSecond * v01 * v01) / ln2sq
                        c.interaction = interaction
                        // Library-size normalisation divides by Σ_h π_h e^{β_h}: the gene's effective batch
                        // effect β_g − Σ_h π_h β_h has variance τ²(1 − 2π_g + Σ_h π_h²).
                        c.confounding = confounding * max(0, 1 - 2 * slice.share[i] + shareSquares)
                        // The target's guide term from the library sample at its response; other
                        // genes scale it by their elasticity relative to the target's.
                        if j == 0 { targetElasticity = elasticity }
                        let relative = targetElasticity != 0 ? elasticity / targetElasticity : 0
                        c.guides = relative * relative * targetGuideVariance / ln2sq
                        let bias = slice.driftLog2PerH[i] * w.mismatchH
                        c.timeMismatch = bias * bias
                        // The test's own model (TestModels.swift): what it sees and what shifts it.
                        var testEffect = observed
                        var testNullVariance = -1.0  // < 0: the same as testVariance
                        var testNullSkewness = 0.0
                        var testVariance = c.total - c.guides
                        var spreadVariance = c.guides
                        if test != .pseudobulk && w.batches > 0 && mean0[i] >= threshold {
                            let cc = contrasts[p]
                            let foldSeen = contamination > 0 ? (1 - contamination) * fold + contamination : fold
                            var gp = CellGroup(
                                mean: mean0[i] * foldSeen,
                                mixing: CellGroup.mixing(dispersion: m.dispersion, biological: vp),
                                zeroInflation: pi0p)
                            var g0 = CellGroup(
                                mean: mean0[i], mixing: CellGroup.mixing(dispersion: m.dispersion, biological: bio[i]),
                                zeroInflation: pi00)
                            let normalisation = max(0, 1 - 2 * slice.share[i] + shareSquares)
                            if test == .glm {
                                if !glmBatchCovariates {
                                    // Pooled fit: batch effects are per-cell variation within each group.
                                    let within = Foundation.exp(cc.withinShift * normalisation)
                                    gp.mixing = (1 + gp.mixing) * within - 1
                                    g0.mixing = (1 + g0.mixing) * within - 1
                                }
                                let known = knownScores.flatMap { scoreIndex < $0.count ? $0[scoreIndex] : nil }
                                scoreIndex += 1
                                if known == nil && glmControlWeight[i] < 0 {
                                    glmControlWeight[i] = TestModels.glmWeight(g0, nodes: nodes)
                                }
                                if known == nil && glmControlThird[i] < 0 {
                                    glmControlThird[i] = TestModels.glmThirdCumulant(g0, nodes: nodes)
                                }
                                // With batch covariates α_b is fitted batch by batch on its cells and
                                // controls; a pooled fit is one "batch" of all cells and all reference controls.
                                let pairs =
                                    glmBatchCovariates ? cc.paired : [(n: cc.perturbed, n0: cc.controls, count: 1)]
                                let score =
                                    known?.score
                                    ?? TestModels.glmScore(
                                        pairs, perturbed: gp, control: g0, perturbedAssigned: assigned,
                                        controlAssigned: controlAssigned, nodes: nodes, nullInfo: glmControlWeight[i],
                                        nullThird: glmControlThird[i], table: glmTable)
                                let z = score.z
                                var zHalfMade: Double?
                                if j == 0 && abs(observed) >= 0.1 && z != 0 {
                                    // The union fit's m̂ moves with the effect: E z is not linear in F − 1.
                                    let zHalf: Double
                                    if let h = known?.zHalf {
                                        zHalf = h
                                    } else {
                                        if glmControlWeight[i] < 0 {
                                            glmControlWeight[i] = TestModels.glmWeight(g0, nodes: nodes)
                                        }
                                        var half = gp
                                        half.mean *= Foundation.exp2(-observed / 2)
                                        zHalf =
                                            TestModels.glmScore(
                                                pairs, perturbed: half, control: g0, perturbedAssigned: assigned,
                                                controlAssigned: controlAssigned, nodes: nodes,
                                                nullInfo: glmControlWeight[i], table: glmTable
                                            ).z
                                    }
                                    zHalfMade = zHalf
                                    targetCurvature = Normal.curvature(effect: observed, halfRatio: zHalf / z)
                                }
                                if recordedScores != nil {
                                    newScores.append(GLMScoreEntry(score: score, zHalf: zHalfMade))
                                }
                                // log2-scale null sd: the secant δ/z (the local slope for tiny effects).
                                let nullSD =
                                    score.zPerFold <= 0
                                    ? Double.infinity
                                    : (abs(observed) > 1e-9 && z != 0
                                        ? abs(observed / z) : 1 / (M_LN2 * score.zPerFold))
                                testNullVariance = nullSD * nullSD
                                testNullSkewness = score.skewness
                                if j == 0 { targetFloor = score.floor * nullSD }
                                let alternative = testNullVariance * score.varianceRatio
                                c.perturbedCells = alternative * score.perturbedShare
                                c.controlCells = alternative * (1 - score.perturbedShare)
                                if glmBatchCovariates {
                                    c.interaction = omega2 * score.shareSquares / ln2sq
                                    c.confounding = 0
                                    c.timeMismatch = 0
                                } else {
                                    // The batch effects shift the estimate by Σ_b (f_pb − f_0b) β_b.
                                    c.confounding = cc.pooledShift * normalisation / ln2sq
                                }
                            } else {
                                // scanpy pools cells over batches: batch effects are per-cell variation
                                // within each group, and a shift when the groups' batch shares differ.
                                let within = Foundation.exp(cc.withinShift * normalisation)
                                gp.mixing = (1 + gp.mixing) * within - 1
                                g0.mixing = (1 + g0.mixing) * within - 1
                                let r = TestModels.scanpyModel(
                                    test, perturbed: gp, control: g0, observedLog2: observed,
                                    np: cc.perturbed * assigned, n0: cc.controls * controlAssigned,
                                    librarySD: m.librarySizeSd, scale: normScale)
                                testEffect = r.effect
                                if j == 0 && abs(observed) >= 0.1 {
                                    var half = gp
                                    half.mean *= Foundation.exp2(-observed / 2)
                                    let np = cc.perturbed * assigned
                                    let n0 = cc.controls * controlAssigned
                                    let zFull = TestModels.standardisedStatistic(
                                        test, perturbed: gp, control: g0, np: np, n0: n0,
                                        librarySD: m.librarySizeSd, scale: normScale
                                    ).z
                                    let zHalf = TestModels.standardisedStatistic(
                                        test, perturbed: half, control: g0, np: np, n0: n0,
                                        librarySD: m.librarySizeSd, scale: normScale
                                    ).z
                                    targetCurvature =
                                        zFull != 0 ? Normal.curvature(effect: observed, halfRatio: zHalf / zFull) : 0
                                }
                                if j == 0 && test == .wilcoxon && r.variance.isFinite {
                                    // The rank sum's floor: every perturbed cell at zero ties with the
                                    // controls' zeros, U = n_p n_0 π_0/2, with the ties of that screen.
                                    let np = cc.perturbed * assigned
                                    let n0 = cc.controls * controlAssigned
                                    let zc = TestModels.rankProbability(gp, g0, librarySD: m.librarySizeSd).zeroC
                                    let n = np + n0
                                    let zero = (np + n0 * zc) / n
                                    let v0 = np * n0 * (n + 1) / 12 * max(1e-12, 1 - zero * zero * zero)
                                    targetFloor = np * n0 * (1 - zc) / 2 / v0.squareRoot() * r.variance.squareRoot()
                                }
                                var alternativeVariance = r.variance
                                if test == .wilcoxon && r.variance.isFinite {
                                    // The rank sum's spread under the alternative (placements), with
                                    // the threshold at the null's.
                                    testNullVariance = r.variance
                                    alternativeVariance *= TestModels.wilcoxonVarianceRatio(
                                        perturbed: gp, control: g0, np: cc.perturbed * assigned,
                                        n0: cc.controls * controlAssigned, librarySD: m.librarySizeSd)
                                }
                                c.perturbedCells = alternativeVariance * r.perturbedShare
                                c.controlCells = alternativeVariance * (1 - r.perturbedShare)
                                c.confounding = cc.pooledShift * normalisation / ln2sq
                                if test == .tTest {
                                    // Welch's statistic is compared with Student t (Welch–Satterthwaite df),
                                    // not the normal: its critical value is t_df/z times wider.
                                    let np = cc.perturbed * assigned
                                    let n0 = cc.controls * controlAssigned
                                    let sp = r.perturbedShare
                                    let df = 1 / (sp * sp / max(1, np - 1) + (1 - sp) * (1 - sp) / max(1, n0 - 1))
                                    let zc = Normal.quantile(1 - design.analysis.alpha / 2)
                                    let ratio = Normal.studentQuantileRatio(z: zc, df: df)
                                    testNullVariance = r.variance * ratio * ratio
                                }
                            }
                            testVariance = c.perturbedCells + c.controlCells
                            spreadVariance = c.guides + c.interaction + c.confounding + c.timeMismatch
                        }
                        // scanpy's t-test at low counts: Welch's statistic given the number of
                        // nonzero perturbed cells (docs/batching.md 2.6). scanpy tests every gene, so
                        // the target is modelled below the expression threshold too.
                        var welch: WelchTarget?
                        if test == .tTest && w.batches > 0 && mean0[i] > 0 && (j == 0 || mean0[i] >= threshold) {
                            let cc = contrasts[p]
                            let np = cc.perturbed * assigned
                            let n0 = cc.controls * controlAssigned
                            if np >= 2 && n0 >= 2 {
                                let normalisation = max(0, 1 - 2 * slice.share[i] + shareSquares)
                                let within = Foundation.exp(cc.withinShift * normalisation)
                                let mixP = (1 + CellGroup.mixing(dispersion: m.dispersion, biological: vp)) * within - 1
                                let mix0 =
                                    (1 + CellGroup.mixing(dispersion: m.dispersion, biological: bio[i])) * within - 1
                                func group(_ f: Double) -> LogMoments {
                                    let seen = contamination > 0 ? (1 - contamination) * f + contamination : f
                                    return LogMoments.of(
                                        CellGroup(
                                            mean: mean0[i] * seen, mixing: mixP,
                                            zeroInflation: zeroInflated ? zeroInflation(mean0[i] * f) : 0),
                                        librarySD: m.librarySizeSd, scale: normScale)
                                }
                                let control = LogMoments.of(
                                    CellGroup(mean: mean0[i], mixing: mix0, zeroInflation: pi00),
                                    librarySD: m.librarySizeSd, scale: normScale)
                                let central = group(fold)
                                // x units per log2 of the effect (the secant; the local slope near 0).
                                // A downstream gene takes it from the scanpy model's log2 standard
                                // error (its secant or local slope), which saves a second moment sum.
                                let slope =
                                    abs(observed) >= 0.05
                                    ? abs(central.mean - control.mean) / abs(observed)
                                    : j > 0 && testVariance > 0 && testVariance.isFinite
                                        ? (central.variance / np + control.variance / n0).squareRoot()
                                            / testVariance.squareRoot()
                                        : abs(group(fold * Foundation.exp2(0.05)).mean - central.mean) / 0.05
                                // The target's guides as the library's draws (16 groups of 4 of the 64
                                // sorted offsets), or as normal nodes; the other spreads as a shift.
                                var offsets: [Double] = []
                                var shiftLog2 = spreadVariance
                                if j == 0 {
                                    let library = offsetsByResponse[rMean] ?? []
                                    if library.count == 64 {
                                        offsets = (0..<16).map { g in library[(4 * g)..<(4 * g + 4)].reduce(0, +) / 4 }
                                    } else if c.guides > 0 {
                                        offsets = (0..<16).map {
                                            c.guides.squareRoot() * Normal.quantile((Double($0) + 0.5) / 16)
                                        }
                                    }
                                    if !offsets.isEmpty { shiftLog2 = max(0, spreadVariance - c.guides) }
                                }
                                let draws =
                                    offsets.isEmpty ? [central] : offsets.map { group(fold * Foundation.exp2($0)) }
                                welch = WelchTarget(
                                    draws: draws, control: control, np: np, n0: n0, shift: shiftLog2 * slope * slope)
                                if j == 0 {
                                    targetWelchSampling = WelchTarget(
                                        draws: [central], control: control, np: np, n0: n0,
                                        shift: max(0, spreadVariance - c.guides) * slope * slope)
                                }
                            }
                        }
                        if j == 0 {
                            targetComponents = c
                            observedTarget = observed
                            targetTest = (testEffect, testVariance, spreadVariance)
                            targetNull = testNullVariance < 0 ? testVariance : testNullVariance
                            targetSkew = testNullSkewness
                        }
                        // Genes below the expression threshold are not tested.
                        if mean0[i] >= threshold && w.batches > 0 {
                            testedGenes.append(gene32)
                            effectsObs.append(testEffect)
                            sds.append(testVariance.squareRoot())
                            spreads.append(spreadVariance.squareRoot())
                            nullSDs.append((testNullVariance < 0 ? testVariance : testNullVariance).squareRoot())
                            nullSkews.append(testNullSkewness)
                            welchModels.append(welch)
                        } else if j == 0 {
                            testedGenes.append(gene32)
                            effectsObs.append(0)
                            sds.append(.infinity)
                            spreads.append(0)
                            nullSDs.append(.infinity)
                            nullSkews.append(0)
                            welchModels.append(welch)
                        }
                    }
                    let solved = MultipleTestingLevel.solve(
                        effects: effectsObs, sds: sds, spreads: spreads, nullSDs: nullSDs,
                        nullSkews: nullSkews, targetCurvature: targetCurvature,
                        targetGuideOffsets: offsetsByResponse[rMean] ?? [],
                        targetOtherSpread: max(0, targetTest.spread - targetComponents.guides).squareRoot(),
                        targetFloor: targetFloor,
                        geneModels: welchModels.map { model in model.map { w in { level in w.power(level: level) } } },
                        testable: testable,
                        alpha: design.analysis.alpha,
                        method: design.analysis.multipleTesting, exactTails: exact)
                    let targetUMIs = gs.isEmpty ? 0 : mean0[Int(gs[0])]
                    let power = solved.powers.first ?? 0
                    // Sampling apart from guide quality (docs/batching.md, section 4).
                    let zCrit = Normal.quantile(1 - solved.level / 2)
                    let targetTestable = targetUMIs >= threshold && w.batches > 0
                    let sdSeen = targetTestable ? targetTest.variance.squareRoot() : .infinity
                    let nonGuide = max(0, targetTest.spread - targetComponents.guides).squareRoot()
                    let nullSeen = targetTestable ? targetNull.squareRoot() : .infinity
                    let samplingPower =
                        targetWelchSampling != nil
                        ? targetWelchSampling!.power(level: solved.level)
                        : targetTestable
                            ? Normal.power(
                                effect: targetTest.effect, sd: sdSeen, critical: zCrit, spread: nonGuide,
                                nullSD: nullSeen,
                                nullSkewness: targetSkew, floor: targetFloor, exactTail: exact) : 0
                    let detectable = Normal.detectable(
                        power: design.analysis.targetPower, sd: sdSeen, critical: zCrit,
                        spread: nonGuide, nullSD: nullSeen,
                        nullSkewness: targetTest.effect < 0 ? targetSkew : -targetSkew)
                    let guideProbability =
                        targetTestable
                        ? Normal.exceedance(
                            effect: targetTest.effect, spread: targetComponents.guides.squareRoot(),
                            size: detectable) : 0
                    if w.batches == 0 { flags.append("not sampled at this time point") }
                    if targetUMIs < threshold {
                        flags.append("target below expression threshold")
                        if targetWelchSampling != nil {
                            flags.append(
                                "scanpy's t-test still tests it: power from Welch's test at low counts (all-zero perturbed cells)"
                            )
                        }
                        flags.append(
                            String(
                                format:
                                    "target_sd not estimable: %.3g UMIs per control cell < expression_threshold %.3g",
                                targetUMIs, threshold))
                    } else if w.batches > 0 && !targetComponents.total.isFinite {
                        flags.append("no control cells to compare with: target_sd not estimable")
                    }
                    if w.uncontrolledBatches > 0 {
                        flags.append(
                            String(
                                format: "confounded with batch in %d of %d batches (+%.3g log2² variance)",
                                w.uncontrolledBatches, w.batches, targetComponents.confounding))
                    }
                    if test == .glm && !glmBatchCovariates && w.batches > 0 {
                        flags.append(
                            "some batches hold no controls: the GLM is fitted without batch covariates, so batch effects shift the estimate"
                        )
                    }
                    if w.mismatchH > 0 { flags.append(String(format: "controls %.0f h away", w.mismatchH)) }
                    if w.batches == 1 { flags.append("in a single batch") }
                    if rMean < 0.95 && w.batches > 0 {
                        flags.append(
                            String(format: "cells reached %.0f%% of the full response when sampled", 100 * rMean))
                    }
                    let name =
                        effects.slices.count > 1
                        ? "\(effects.names[p]) @ \(formatHours(slice.timeH))" : effects.names[p]
                    var row =
                        PerturbationEvaluation(
                            name: name, target: effects.targetNames[p].joined(separator: "+"), timeIndex: t,
                            cells: w.cells, batches: w.batches, uncontrolledBatches: w.uncontrolledBatches,
                            targetEffect: target, observedEffect: observedTarget, components: targetComponents,
                            power: power, deGenes: solved.powers.reduce(0, +), level: solved.level,
                            targetUMIs: targetUMIs, flags: flags, test: test, testEffect: targetTest.effect,
                            testVariance: targetTest.variance, testNullVariance: targetNull,
                            testNullSkewness: targetSkew,
                            spreadVariance: targetTest.spread,
                            samplingPower: samplingPower, guideEffectProbability: guideProbability)
                    if testedGenes.count > 1 {
                        row.downstreamGenes = Array(testedGenes.dropFirst())
                        row.downstreamPowers = Array(solved.powers.dropFirst())
                    }
                    slots.values[p] = row
                    recordedScores?.values[p] = newScores
                }
                filled.values[chunk] = (guideVarianceByResponse, timingByResponse, offsetsByResponse)
            }
            for p in 0..<weights.count { rows.append(slots.values[p]!) }
            if let recordedScores { scores?.append((0..<weights.count).map { recordedScores.values[$0] ?? [] }) }
            // The per-response values stay for the next time point (the first computed wins, as
            // in one sequential pass: in parallel the timing term is never computed).
            for case let f? in filled.values {
                guideVarianceByResponse.merge(f.guides) { old, _ in old }
                timingByResponse.merge(f.timing) { old, _ in old }
                offsetsByResponse.merge(f.offsets) { old, _ in old }
            }
        }
        var evaluation = Evaluation(
            design: design, layout: layout, rows: rows, testableGenes: testableTotal,
            cost: CostBreakdown(design, layout: layout))
        evaluation.testableUMIs = testableUMIs
        return evaluation
    }
}

/// "48 h", "7.5 h".
func formatHours(_ h: Double) -> String {
    h == h.rounded() ? String(format: "%.0f h", h) : String(format: "%.1f h", h)
}

// MARK: - Cache keys

/// The fields the expected effects depend on.
struct EffectsKey: Equatable {
    var system: SystemSpec
    var perturbations: PerturbationSpec
    var protocolSteps: [ProtocolStep]
    var times: [Double]
    var measuredGenes: Int
    var effect: EffectSource
    var effectSize: Double
    var baseDirectory: String
    var expressionProfile: String?

    init(_ d: Design) {
        system = d.system
        var p = d.perturbations
        // Fields the expected effects do not read.
        p.guideEffectSd = 0
        p.moi = 0
        p.guidesPerTarget = 0
        perturbations = p
        protocolSteps = d.protocolSteps
        times = d.timePoints
        measuredGenes = d.measurement.measuredGenes
        effect = d.analysis.effect
        effectSize = d.analysis.effectSizeLog2
        baseDirectory = d.baseDirectory
        expressionProfile = d.measurement.expressionProfile
    }
}

/// The fields a layout depends on.
struct LayoutKey: Equatable {
    var batching: BatchingSpec
    var sampling: SamplingSpec
    var perturbations: Int
    var times: Int
    var seed: UInt64
    var strategy: LayoutStrategy

    init(_ d: Design, _ strategy: LayoutStrategy) {
        var b = d.batching
        b.batchEffectSd = 0
        b.interactionSd = 0
        batching = b
        var s = d.sampling
        s.qcPassFraction = 0
        sampling = s
        perturbations = d.perturbationCount
        times = d.timePoints.count
        seed = d.system.network.seed
        self.strategy = strategy
    }
}
