import Foundation

// MARK: - Quantities derived from a design
//
// One place computes cell counts, control allocation and memory need, so that validation, the
// analysis, the simulator and the TUI's headline figures can never disagree.

extension Design {
    /// Sampling times (hours from protocol start); the protocol's end when none are given.
    public var timePoints: [Double] {
        sampling.timePointsH.isEmpty ? [protocolDurationH] : sampling.timePointsH
    }

    /// Total protocol duration (hours).
    public var protocolDurationH: Double { protocolSteps.reduce(0) { $0 + $1.durationH } }

    /// Names of the generated genes (when no network file is given): G0001 … Gnnnn, regulators
    /// first, so that targets taken "from the regulators first" are G0001, G0002, …
    public static func generatedGeneName(_ index: Int, of count: Int) -> String {
        let width = max(4, String(count).count)
        let digits = String(index + 1)
        return "G" + String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// Number of distinct perturbations K (single targets plus explicit combinations).
    public var perturbationCount: Int {
        (perturbations.targetGenes.isEmpty ? perturbations.targets : perturbations.targetGenes.count)
            + perturbations.combinations.count
    }

    /// Number of guides in the library (controls excluded).
    public var guideCount: Int {
        perturbationCount * perturbations.guidesPerTarget
    }

    /// Batches that hold control cells (at least one when the fraction is > 0).
    public var batchesWithControls: Int {
        let f = batching.controlsInFraction
        if f <= 0 { return 0 }
        return min(batching.batches, max(1, Int((f * Double(batching.batches)).rounded())))
    }

    /// Perturbed cells (after QC) over all time points.
    public var perturbedCells: Int {
        // With `layout: explicit` the matrix the user wrote is the plan (issue 17: validate
        // reported the formula's cells for an explicit matrix of 10¹² cells).
        if batching.layout == .explicit && !batching.explicitCells.isEmpty {
            return saturatingInt(batching.explicitCells.reduce(0.0) { $0 + $1.reduce(0.0) { $0 + Double($1) } })
        }
        return saturatingInt(
            Double(perturbationCount) * Double(sampling.cellsPerPerturbation) * Double(timePoints.count))
    }

    /// Control cells (after QC) over all batches and time points: the explicit count per batch,
    /// the explicit fraction, or Dunnett's rule (√K × cells per perturbation).
    public var controlCells: Int {
        let t = timePoints.count
        if let perBatch = sampling.controlCells {
            return saturatingInt(Double(perBatch) * Double(batchesWithControls) * Double(t))
        }
        if let fraction = sampling.controlsFraction {
            return saturatingInt((Double(perturbedCells) * fraction / (1 - fraction)).rounded())
        }
        if batchesWithControls == 0 { return 0 }
        let k = Double(perturbationCount)
        return saturatingInt((k.squareRoot() * Double(sampling.cellsPerPerturbation)).rounded() * Double(t))
    }

    /// Cells to keep after QC (`CellBudget.recovered`: at MOI > 1 a cell carries ~MOI guides).
    public var cellsAfterQC: Int { saturatingInt(CellBudget(self).recovered.rounded()) }

    /// Cells to load so that `cellsAfterQC` pass QC (`CellBudget.loaded`).
    public var cellsLoaded: Int { CellBudget(self).loaded }

    /// Cells that the batches can hold.
    public var batchCapacity: Int { saturatingInt(Double(batching.batches) * Double(batching.maxCellsPerBatch)) }

    /// Estimated peak memory (bytes) of the largest step screenplan runs on this design: the
    /// network Jacobian factorisation for the linear response (G × G), the effects table
    /// (K × G), the dense regulator matrix (G × G_r) and one simulation block.
    public var memoryNeedBytes: Double {
        let g = Double(max(system.genes, measurement.measuredGenes))
        let gr = Double(system.network.regulators)
        let k = Double(perturbationCount)
        let blockCells = 4096.0
        let jacobian = Double(system.genes) * Double(system.genes) * 8 * 2
        let effects = k * g * 8 * 3
        let regulatorMatrix = g * gr * 8 * 2
        let block = g * blockCells * 8 * 6
        return jacobian + effects + regulatorMatrix + block
    }

    /// Molecules captured per cell at the median library size (before sequencing).
    public var capturedMoleculesPerCell: Double { measurement.mrnaPerCell * measurement.captureEfficiency }

    /// Fraction of captured molecules seen at the design's sequencing depth: Poisson sampling of
    /// R mapped reads over M captured molecules sees M(1 − e^(−R/M)) of them (library complexity).
    public var sequencingSaturation: Double {
        let m = capturedMoleculesPerCell
        let r = measurement.readsPerCell * measurement.mappingEfficiency
        guard m > 0 else { return 0 }
        return (1 - Foundation.exp(-r / m))
    }

    /// Median UMIs observed per cell.
    public var expectedUMIsPerCell: Double { capturedMoleculesPerCell * sequencingSaturation }

    /// Most integration steps (protocol duration / `system.time_step_h`) a design may need, so
    /// that every simulation ends: 10⁵ steps are ~5 years at the default 0.5 h step.
    public static let maxIntegrationSteps: Double = 100_000

    /// Limit above which a design is refused as absurd for the machine class it runs on.
    public static let memoryLimitBytes: Double = 16 * 1024 * 1024 * 1024
}

/// A count computed in floating point, capped so that absurd designs (10¹⁵ cells per
/// perturbation, say) give a huge number for the validator to refuse instead of an overflow trap.
/// The cap, 2⁶², is far beyond any real screen and leaves room for further integer arithmetic.
func saturatingInt(_ x: Double) -> Int {
    let cap = Double(1 << 62)
    guard x.isFinite else { return x > 0 ? Int(cap) : 0 }
    return Int(min(max(x, 0), cap))
}

/// Human-readable byte counts (GiB, MiB) for messages.
public func formatBytes(_ bytes: Double) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
    var value = bytes
    var unit = 0
    while value >= 1024 && unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return String(format: unit == 0 ? "%.0f %@" : "%.1f %@", value, units[unit])
}
