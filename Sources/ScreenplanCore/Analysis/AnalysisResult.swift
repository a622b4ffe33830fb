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
    public var target_effect: Double
    /// Predicted standard error of the estimated target log2 fold change; nil (JSON null) when it
    /// cannot be estimated (target below the expression threshold, no controls), with the reason
    /// in `flags`.
    public var target_sd: Double?
    /// Power of `analysis.test` to detect the target effect at the design's alpha after
    /// multiple-testing correction, averaged over guide libraries (sampling and guide quality).
    public var power: Double
    /// Power given the library's guides (their effect equal to the gene's): sampling alone.
    public var sampling_power: Double
    /// Chance that the library's guides produce an effect at least the size sampling detects with
    /// the target power: guide quality alone.
    public var guide_effect_probability: Double
    /// Expected number of genes detected as changed (target included).
    public var de_genes: Double
    /// Problems specific to this perturbation (e.g. "confounded", "below expression threshold").
    public var flags: [String]
    /// Expected UMIs of the target gene per control cell (what sets its counting noise).
    public var target_umis: Double = 0

    public init(name: String, target: String, cells: Int, batches: Int, target_effect: Double,
                target_sd: Double?, power: Double, de_genes: Double, flags: [String],
                sampling_power: Double? = nil, guide_effect_probability: Double? = nil, target_umis: Double = 0) {
        self.target_umis = target_umis
        self.name = name
        self.target = target
        self.cells = cells
        self.batches = batches
        self.target_effect = target_effect
        self.target_sd = target_sd
        self.power = power
        self.sampling_power = sampling_power ?? power
        self.guide_effect_probability = guide_effect_probability ?? (power > 0 ? 1 : 0)
        self.de_genes = de_genes
        self.flags = flags
    }

    // `target_sd` is written as null when it cannot be estimated, so the key is always there.
    enum CodingKeys: String, CodingKey {
        case name, target, cells, batches, target_effect, target_sd, power, sampling_power,
             guide_effect_probability, de_genes, flags, target_umis
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(target, forKey: .target)
        try c.encode(cells, forKey: .cells)
        try c.encode(batches, forKey: .batches)
        try c.encode(target_effect, forKey: .target_effect)
        try c.encode(target_sd, forKey: .target_sd)
        try c.encode(power, forKey: .power)
        try c.encode(sampling_power, forKey: .sampling_power)
        try c.encode(guide_effect_probability, forKey: .guide_effect_probability)
        try c.encode(de_genes, forKey: .de_genes)
        try c.encode(flags, forKey: .flags)
        try c.encode(target_umis, forKey: .target_umis)
    }
}

/// Design-level figures.
public struct AnalysisSummary: Codable, Equatable, Sendable {
    public var median_power: Double
    /// Median over perturbations of `sampling_power` and `guide_effect_probability`.
    public var median_sampling_power: Double = 0
    public var median_guide_effect_probability: Double = 0
    /// The test the power is for (`analysis.test`).
    public var test: String = DifferentialTest.glm.rawValue
    /// Total cost in `currency`.
    public var cost: Double
    public var currency: String
    public var cells_loaded: Int
    public var batches: Int
    public var perturbations: Int
    /// Name of the perturbation with the lowest power.
    public var worst_perturbation: String
    public var worst_power: Double

    public init(median_power: Double, cost: Double, currency: String, cells_loaded: Int, batches: Int,
                perturbations: Int, worst_perturbation: String, worst_power: Double) {
        self.median_power = median_power
        self.cost = cost
        self.currency = currency
        self.cells_loaded = cells_loaded
        self.batches = batches
        self.perturbations = perturbations
        self.worst_perturbation = worst_perturbation
        self.worst_power = worst_power
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
    public var median_power_before: Double
    public var median_power_after: Double
    /// Total cost before and after, in `currency`.
    public var cost_before: Double
    public var cost_after: Double
    public var currency: String
    /// `analysis.target_power` of the design.
    public var target_power: Double

    public init(median_power_before: Double, median_power_after: Double, cost_before: Double, cost_after: Double,
                currency: String, target_power: Double) {
        self.median_power_before = median_power_before
        self.median_power_after = median_power_after
        self.cost_before = cost_before
        self.cost_after = cost_after
        self.currency = currency
        self.target_power = target_power
    }

    /// Whether the edited design reaches the target power.
    public var meetsTarget: Bool { median_power_after >= target_power }

    /// Whether the change takes the median power below the target (or further below it).
    public var lowersPowerBelowTarget: Bool { median_power_after < target_power && median_power_after < median_power_before - 1e-9 }
}

/// The full analytical result for one design and layout.
public struct AnalysisResult: Codable, Equatable, Sendable {
    public var design: String
    public var layout: String
    public var perturbations: [PerturbationReport]
    public var summary: AnalysisSummary
    public var error_budget: [ErrorBudgetItem]
    public var recommendations: [Recommendation]
    /// Cost by item and the order list (kits, flow cells), in `summary.currency`.
    public var cost_breakdown: CostBreakdown?
    /// Solutions for the target power for the design as written (computed on request).
    public var solutions: PowerSolutions?
    /// Genetic interactions of the combinations (`GeneticInteractions`); nil without combinations.
    public var interactions: [InteractionResult]? = nil
    /// Power per cell type (`CellTypePower`); nil without `system.cell_types`.
    public var cell_types: [CellTypeResult]? = nil
    /// The cell type the headline figures (summary, perturbations) are for
    /// (`analysis.cell_type`); nil = all cells pooled.
    public var cell_type: String? = nil
    /// Minimal detectable log2 fold change of a downstream gene per expression decile of the
    /// testable genes (typical perturbation's cells, target power, `analysis.test`).
    public var mde_by_expression_decile: [ExpressionDecileMDE]?

    public init(design: String, layout: String, perturbations: [PerturbationReport], summary: AnalysisSummary,
                error_budget: [ErrorBudgetItem], recommendations: [Recommendation],
                cost_breakdown: CostBreakdown? = nil, solutions: PowerSolutions? = nil) {
        self.design = design
        self.layout = layout
        self.perturbations = perturbations
        self.summary = summary
        self.error_budget = error_budget
        self.recommendations = recommendations
        self.cost_breakdown = cost_breakdown
        self.solutions = solutions
    }
}
