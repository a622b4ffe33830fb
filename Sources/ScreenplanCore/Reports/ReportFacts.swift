// MARK: - Figures and assumptions derived from a design, for reports

/// Headline figures of a design (all from `Design+Derived`, so they match validate and the TUI).
/// Cells to load are not here: they come from the analysis (`analysis.summary.cells_loaded`,
/// the order list), which accounts for MOI.
public struct DesignFigures: Codable, Equatable, Sendable {
    public var perturbations: Int
    public var guides: Int
    public var cells_per_perturbation: Int
    public var time_points_h: [Double]
    public var perturbed_cells: Int
    public var control_cells: Int
    public var cells_after_qc: Int
    public var batches: Int
    public var batch_unit: String
    public var batch_capacity: Int
    public var reads_per_cell: Double
    public var expected_umis_per_cell: Double
    public var sequencing_saturation: Double

    public init(_ d: Design) {
        perturbations = d.perturbationCount
        guides = d.guideCount
        cells_per_perturbation = d.sampling.cells_per_perturbation
        time_points_h = d.timePoints
        perturbed_cells = d.perturbedCells
        control_cells = d.controlCells
        cells_after_qc = d.cellsAfterQC
        batches = d.batching.batches
        batch_unit = d.batching.unit.rawValue
        batch_capacity = d.batchCapacity
        reads_per_cell = d.measurement.reads_per_cell
        expected_umis_per_cell = d.expectedUMIsPerCell
        sequencing_saturation = d.sequencingSaturation
    }
}

extension Assumption {
    /// The assumptions of screenplan's error model (shared/model-reference.md, sections 3–4),
    /// stated with the design's values.
    public static func standard(for d: Design) -> [Assumption] {
        let m = d.measurement, b = d.batching, a = d.analysis
        let controls: String
        if let perBatch = d.sampling.control_cells {
            controls = "\(ReportNumber.integer(perBatch)) control cells per batch and time point (sampling.control_cells)"
        } else if let f = d.sampling.controls_fraction {
            controls = "controls are \(ReportNumber.percent(f)) of all cells (sampling.controls_fraction)"
        } else {
            controls = "control cells follow Dunnett's rule, √K × cells per perturbation (\(ReportNumber.integer(d.controlCells)) in all)"
        }
        let effect = a.effect == .network
            ? "expected effects come from the linear response of the regulatory network at steady state"
            : "every target has the fixed effect \(ReportNumber.short(a.effect_size_log2)) log2 (analysis.effect_size_log2)"
        let testing: String
        switch a.multiple_testing {
        case .bh: testing = "Benjamini–Hochberg at α = \(ReportNumber.short(a.alpha))"
        case .bonferroni: testing = "Bonferroni at α = \(ReportNumber.short(a.alpha))"
        case .none: testing = "no multiple-testing correction, α = \(ReportNumber.short(a.alpha))"
        }
        return [
            Assumption(topic: "estimator",
                       statement: "Effects are pseudo-bulk log2 fold changes against control cells of the same batch, time point and medium, averaged over the batches a perturbation appears in."),
            Assumption(topic: "counts",
                       statement: "UMI counts are negative binomial with size θ = \(ReportNumber.short(m.dispersion)); library sizes are log-normal with sd \(ReportNumber.short(m.library_size_sd)) around \(ReportNumber.fixed(d.expectedUMIsPerCell, 0)) UMIs per cell (capture \(ReportNumber.short(m.capture_efficiency)), sequencing saturation \(ReportNumber.percent(d.sequencingSaturation)))."),
            Assumption(topic: "dropout",
                       statement: m.dropout == .none ? "No zero-inflation beyond the negative binomial." : "Extra zero-inflation π₀(λ) = \(ReportNumber.short(m.dropout_rate))·exp(−λ/\(ReportNumber.short(m.dropout_midpoint)))."),
            Assumption(topic: "batches",
                       statement: "Gene-wise batch effects are log-normal with sd \(ReportNumber.short(b.batch_effect_sd)); batch × perturbation interactions have sd \(ReportNumber.short(b.interaction_sd)). Contrasts with controls in another batch add 2τ² that more cells do not shrink."),
            Assumption(topic: "controls", statement: controls + "."),
            Assumption(topic: "guides",
                       statement: "\(d.perturbations.guides_per_target) guides per target, knockdown ~ Beta with mean \(ReportNumber.short(d.perturbations.knockdown_mean)); each guide is detected with probability \(ReportNumber.short(m.guide_capture)); undetected guides make perturbed cells look like controls."),
            Assumption(topic: "QC",
                       statement: "\(ReportNumber.percent(d.sampling.qc_pass_fraction)) of loaded cells pass QC; multiplets occur at \(ReportNumber.short(m.doublet_rate_per_cell)) per cell loaded in a lane."),
            Assumption(topic: "effects", statement: effect + "."),
            Assumption(topic: "power",
                       statement: "Normal approximation z = Δ / sd(Δ̂), \(testing); target power \(ReportNumber.percent(a.target_power, 0))."),
        ]
    }
}
