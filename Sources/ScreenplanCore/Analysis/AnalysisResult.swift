// MARK: - What the analysis returns (the contract for the CLI JSON, the TUI and reports)
//
// JSON keys are snake_case and documented in docs/batching.md. `target_effect` and `target_sd`
// are log2 fold changes; costs are in `summary.currency`.

/// Predicted error and power of one perturbation.
public struct PerturbationReport: Codable, Equatable, Sendable {
    /// Perturbation name (the target gene, or genes joined by `+` for combinations).
    public var name: String
    /// Targeted gene(s).
    public var target: String
    /// Cells of this perturbation over all batches and time points (after QC).
    public var cells: Int
    /// Batches it appears in.
    public var batches: Int
    /// Expected log2 fold change of the targeted gene.
    public var targetEffect: Double
    /// Predicted standard error of the estimated target log2 fold change; nil (JSON null) when it
    /// cannot be estimated (target below the expression threshold, no controls), with the reason
    /// in `flags`.
    public var targetSd: Double?
    /// Power of `analysis.test` to detect the target effect at the design's alpha after
    /// multiple-testing correction, averaged over guide libraries (sampling and guide quality).
    public var power: Double
    /// Power given the library's guides (their effect equal to the gene's): sampling alone.
    public var samplingPower: Double
    /// Chance that the library's guides produce an effect at least the size sampling detects with
    /// the target power: guide quality alone.
    public var guideEffectProbability: Double
    /// Expected number of genes detected as changed (target included).
    public var deGenes: Double
    /// Problems specific to this perturbation (e.g. "confounded", "below expression threshold").
    public var flags: [String]
    /// Expected UMIs of the target gene per control cell (what sets its counting noise).
    public var targetUmis: Double = 0
    /// With `analyze --downstream`: every testable affected gene beyond the target and the power
    /// of `analysis.test` for it (absent otherwise; docs/batching.md section 4.1).
    public var downstream: [DownstreamGenePower]?

    public init(
        name: String, target: String, cells: Int, batches: Int, targetEffect: Double,
        targetSd: Double?, power: Double, deGenes: Double, flags: [String],
        samplingPower: Double? = nil, guideEffectProbability: Double? = nil, targetUmis: Double = 0
    ) {
        self.targetUmis = targetUmis
        self.name = name
        self.target = target
        self.cells = cells
        self.batches = batches
        self.targetEffect = targetEffect
        self.targetSd = targetSd
        self.power = power
        self.samplingPower = samplingPower ?? power
        self.guideEffectProbability = guideEffectProbability ?? (power > 0 ? 1 : 0)
        self.deGenes = deGenes
        self.flags = flags
    }

    // `target_sd` is written as null when it cannot be estimated, so the key is always there.
    enum CodingKeys: String, CodingKey {
        case name, target, cells, batches
        case targetEffect = "target_effect"
        case targetSd = "target_sd"
        case power
        case samplingPower = "sampling_power"
        case
            guideEffectProbability = "guide_effect_probability"
        case deGenes = "de_genes"
        case flags
        case targetUmis = "target_umis"
        case downstream
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(target, forKey: .target)
        try c.encode(cells, forKey: .cells)
        try c.encode(batches, forKey: .batches)
        try c.encode(targetEffect, forKey: .targetEffect)
        try c.encode(targetSd, forKey: .targetSd)
        try c.encode(power, forKey: .power)
        try c.encode(samplingPower, forKey: .samplingPower)
        try c.encode(guideEffectProbability, forKey: .guideEffectProbability)
        try c.encode(deGenes, forKey: .deGenes)
        try c.encode(flags, forKey: .flags)
        try c.encode(targetUmis, forKey: .targetUmis)
        try c.encodeIfPresent(downstream, forKey: .downstream)
    }
}

/// Design-level figures.
public struct AnalysisSummary: Codable, Equatable, Sendable {
    public var medianPower: Double
    /// Median over perturbations of `sampling_power` and `guide_effect_probability`.
    public var medianSamplingPower: Double = 0
    public var medianGuideEffectProbability: Double = 0
    /// The test the power is for (`analysis.test`).
    public var test: String = DifferentialTest.glm.rawValue
    /// Total cost in `currency`.
    public var cost: Double
    public var currency: String
    public var cellsLoaded: Int
    public var batches: Int
    public var perturbations: Int
    /// Name of the perturbation with the lowest power.
    public var worstPerturbation: String
    public var worstPower: Double

    public init(
        medianPower: Double, cost: Double, currency: String, cellsLoaded: Int, batches: Int,
        perturbations: Int, worstPerturbation: String, worstPower: Double
    ) {
        self.medianPower = medianPower
        self.cost = cost
        self.currency = currency
        self.cellsLoaded = cellsLoaded
        self.batches = batches
        self.perturbations = perturbations
        self.worstPerturbation = worstPerturbation
        self.worstPower = worstPower
    }

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case medianPower = "median_power"
        case medianSamplingPower = "median_sampling_power"
        case medianGuideEffectProbability = "median_guide_effect_probability"
        case test
        case cost
        case currency
        case cellsLoaded = "cells_loaded"
        case batches
        case perturbations
        case worstPerturbation = "worst_perturbation"
        case worstPower = "worst_power"
    }
}

/// Share of the variance of the median perturbation's target estimate from each source; shares
/// sum to 1.
public struct ErrorBudgetItem: Codable, Equatable, Sendable {
    /// e.g. "perturbed cells", "control cells", "batch × perturbation", "batch confounding",
    /// "time mismatch".
    public var source: String
    public var share: Double
    /// Variance contributed (log2 units squared).
    public var variance: Double

    public init(source: String, share: Double, variance: Double) {
        self.source = source
        self.share = share
        self.variance = variance
    }
}

/// One field edit that a recommendation applies (through `Design.setting(_:to:)`).
public struct FieldChange: Codable, Equatable, Sendable {
    public var path: String
    public var value: String

    public init(path: String, value: String) {
        self.path = path
        self.value = value
    }
}

/// A recommendation with its quantitative reason and the concrete change that applies it.
public struct Recommendation: Codable, Equatable, Sendable {
    /// Stable identifier, e.g. "controls-in-every-batch".
    public var id: String
    /// What to do and why, with numbers.
    public var message: String
    /// The edits that apply it; empty when it cannot be applied as a field change.
    public var change: [FieldChange]
    /// Median power and cost before and after the change, from re-analysing the edited design
    /// (nil for advice without a change, or when the edited design cannot be analysed).
    public var effect: RecommendationEffect?

    public init(id: String, message: String, change: [FieldChange], effect: RecommendationEffect? = nil) {
        self.id = id
        self.message = message
        self.change = change
        self.effect = effect
    }
}

/// What applying a recommendation does to the headline figures, so it is never a surprise.
public struct RecommendationEffect: Codable, Equatable, Sendable {
    public var medianPowerBefore: Double
    public var medianPowerAfter: Double
    /// Total cost before and after, in `currency`.
    public var costBefore: Double
    public var costAfter: Double
    public var currency: String
    /// `analysis.target_power` of the design.
    public var targetPower: Double
    /// The quantity the recommendation improves when that is neither power nor cost (e.g. the
    /// multiplet rate per lane); nil otherwise (RecommendationGain.swift).
    public var gain: RecommendationGain? = nil

    public init(
        medianPowerBefore: Double, medianPowerAfter: Double, costBefore: Double, costAfter: Double,
        currency: String, targetPower: Double, gain: RecommendationGain? = nil
    ) {
        self.gain = gain
        self.medianPowerBefore = medianPowerBefore
        self.medianPowerAfter = medianPowerAfter
        self.costBefore = costBefore
        self.costAfter = costAfter
        self.currency = currency
        self.targetPower = targetPower
    }

    /// Whether the edited design reaches the target power.
    public var meetsTarget: Bool { medianPowerAfter >= targetPower }

    /// Whether the change takes the median power below the target (or further below it).
    public var lowersPowerBelowTarget: Bool {
        medianPowerAfter < targetPower && medianPowerAfter < medianPowerBefore - 1e-9
    }

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case medianPowerBefore = "median_power_before"
        case medianPowerAfter = "median_power_after"
        case costBefore = "cost_before"
        case costAfter = "cost_after"
        case currency
        case targetPower = "target_power"
        case gain
    }
}

/// The full analytical result for one design and layout.
public struct AnalysisResult: Codable, Equatable, Sendable {
    public var design: String
    public var layout: String
    public var perturbations: [PerturbationReport]
    public var summary: AnalysisSummary
    public var errorBudget: [ErrorBudgetItem]
    public var recommendations: [Recommendation]
    /// Cost by item and the order list (kits, flow cells), in `summary.currency`.
    public var costBreakdown: CostBreakdown?
    /// Solutions for the target power for the design as written (computed on request).
    public var solutions: PowerSolutions?
    /// Genetic interactions of the combinations (`GeneticInteractions`); nil without combinations.
    public var interactions: [InteractionResult]? = nil
    /// Power per cell type (`CellTypePower`); nil without `system.cell_types`.
    public var cellTypes: [CellTypeResult]? = nil
    /// The cell type the headline figures (summary, perturbations) are for
    /// (`analysis.cell_type`); nil = all cells pooled.
    public var cellType: String? = nil
    /// Minimal detectable log2 fold change of a downstream gene per expression decile of the
    /// testable genes (typical perturbation's cells, target power, `analysis.test`).
    public var mdeByExpressionDecile: [ExpressionDecileMDE]?

    public init(
        design: String, layout: String, perturbations: [PerturbationReport], summary: AnalysisSummary,
        errorBudget: [ErrorBudgetItem], recommendations: [Recommendation],
        costBreakdown: CostBreakdown? = nil, solutions: PowerSolutions? = nil
    ) {
        self.design = design
        self.layout = layout
        self.perturbations = perturbations
        self.summary = summary
        self.errorBudget = errorBudget
        self.recommendations = recommendations
        self.costBreakdown = costBreakdown
        self.solutions = solutions
    }

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case design
        case layout
        case perturbations
        case summary
        case errorBudget = "error_budget"
        case recommendations
        case costBreakdown = "cost_breakdown"
        case solutions
        case interactions
        case cellTypes = "cell_types"
        case cellType = "cell_type"
        case mdeByExpressionDecile = "mde_by_expression_decile"
    }
}
