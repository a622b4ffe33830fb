// MARK: - Figures and assumptions derived from a design, for reports

/// Headline figures of a design (all from `Design+Derived`, so they match validate and the TUI).
/// Cells to load are not here: they come from the analysis (`analysis.summary.cells_loaded`,
/// the order list), which accounts for MOI.
public struct DesignFigures: Codable, Equatable, Sendable {
    public var perturbations: Int
    public var guides: Int
    public var cellsPerPerturbation: Int
    public var timePointsH: [Double]
    public var perturbedCells: Int
    public var controlCells: Int
    public var cellsAfterQc: Int
    public var batches: Int
    public var batchUnit: String
    public var batchCapacity: Int
    public var readsPerCell: Double
    public var expectedUmisPerCell: Double
    public var sequencingSaturation: Double

    public init(_ d: Design) {
        perturbations = d.perturbationCount
        guides = d.guideCount
        cellsPerPerturbation = d.sampling.cellsPerPerturbation
        timePointsH = d.timePoints
        perturbedCells = d.perturbedCells
        controlCells = d.controlCells
        cellsAfterQc = d.cellsAfterQC
        batches = d.batching.batches
        batchUnit = d.batching.unit.rawValue
        batchCapacity = d.batchCapacity
        readsPerCell = d.measurement.readsPerCell
        expectedUmisPerCell = d.expectedUMIsPerCell
        sequencingSaturation = d.sequencingSaturation
    }

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case perturbations
        case guides
        case cellsPerPerturbation = "cells_per_perturbation"
        case timePointsH = "time_points_h"
        case perturbedCells = "perturbed_cells"
        case controlCells = "control_cells"
        case cellsAfterQc = "cells_after_qc"
        case batches
        case batchUnit = "batch_unit"
        case batchCapacity = "batch_capacity"
        case readsPerCell = "reads_per_cell"
        case expectedUmisPerCell = "expected_umis_per_cell"
        case sequencingSaturation = "sequencing_saturation"
    }
}

extension Assumption {
    /// The assumptions of screenplan's error model (shared/model-reference.md, sections 3–4),
    /// stated with the design's values.
    public static func standard(for d: Design) -> [Assumption] {
        let m = d.measurement
        let b = d.batching
        let a = d.analysis
        let controls: String
        if let perBatch = d.sampling.controlCells {
            controls =
                "\(ReportNumber.integer(perBatch)) control cells per batch and time point (sampling.control_cells)"
        } else if let f = d.sampling.controlsFraction {
            controls = "controls are \(ReportNumber.percent(f)) of all cells (sampling.controls_fraction)"
        } else {
            controls =
                "control cells follow Dunnett's rule, √K × cells per perturbation (\(ReportNumber.integer(d.controlCells)) in all)"
        }
        let effect =
            a.effect == .network
            ? "expected effects come from the linear response of the regulatory network at steady state"
            : "every target has the fixed effect \(ReportNumber.short(a.effectSizeLog2)) log2 (analysis.effect_size_log2)"
        let testing: String
        switch a.multipleTesting {
        case .bh: testing = "Benjamini–Hochberg at α = \(ReportNumber.short(a.alpha))"
        case .bonferroni: testing = "Bonferroni at α = \(ReportNumber.short(a.alpha))"
        case .none: testing = "no multiple-testing correction, α = \(ReportNumber.short(a.alpha))"
        }
        return [
            Assumption(
                topic: "estimator",
                statement:
                    "Effects are pseudo-bulk log2 fold changes against control cells of the same batch, time point and medium, averaged over the batches a perturbation appears in."
            ),
            Assumption(
                topic: "counts",
                statement:
                    "UMI counts are negative binomial with size θ = \(ReportNumber.short(m.dispersion)); library sizes are log-normal with sd \(ReportNumber.short(m.librarySizeSd)) around \(ReportNumber.fixed(d.expectedUMIsPerCell, 0)) UMIs per cell (capture \(ReportNumber.short(m.captureEfficiency)), sequencing saturation \(ReportNumber.percent(d.sequencingSaturation)))."
            ),
            Assumption(
                topic: "dropout",
                statement: m.dropout == .none
                    ? "No zero-inflation beyond the negative binomial."
                    : "Extra zero-inflation π₀(λ) = \(ReportNumber.short(m.dropoutRate))·exp(−λ/\(ReportNumber.short(m.dropoutMidpoint)))."
            ),
            Assumption(
                topic: "batches",
                statement:
                    "Gene-wise batch effects are log-normal with sd \(ReportNumber.short(b.batchEffectSd)); batch × perturbation interactions have sd \(ReportNumber.short(b.interactionSd)). Contrasts with controls in another batch add 2τ² that more cells do not shrink."
            ),
            Assumption(topic: "controls", statement: controls + "."),
            Assumption(
                topic: "guides",
                statement:
                    "\(d.perturbations.guidesPerTarget) guides per target, knockdown ~ Beta with mean \(ReportNumber.short(d.perturbations.knockdownMean)); each guide is detected with probability \(ReportNumber.short(m.guideCapture)); undetected guides make perturbed cells look like controls."
            ),
            Assumption(
                topic: "QC",
                statement:
                    "\(ReportNumber.percent(d.sampling.qcPassFraction)) of loaded cells pass QC; multiplets occur at \(ReportNumber.short(m.doubletRatePerCell)) per cell loaded in a lane."
            ),
            Assumption(topic: "effects", statement: effect + "."),
            Assumption(
                topic: "power",
                statement:
                    "Normal approximation z = Δ / sd(Δ̂), \(testing); target power \(ReportNumber.percent(a.targetPower, 0))."
            ),
        ]
    }
}
