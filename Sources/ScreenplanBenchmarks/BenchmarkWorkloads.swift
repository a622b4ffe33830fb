import Foundation
import ScreenplanCore

// MARK: - The benchmark workloads: one per regime, fixed sizes
//
// 2,000 genes (all measured), 200 regulators, about 100,000 cells and 20,000 UMIs per cell
// (200,000 mRNA molecules × capture 0.1 × saturation ≈ 1 at 200,000 reads per cell), with a
// 1-hour exponential-Euler step. Each workload is a design, so `screenplan simulate` can run it.

public enum BenchmarkWorkload: String, CaseIterable, Sendable {
    case inVitroStatic = "in-vitro-non-differentiating"
    case inVitroDifferentiating = "in-vitro-differentiating"
    case inVivoStatic = "in-vivo-non-differentiating"
    case inVivoDifferentiating = "in-vivo-differentiating"

    /// The workload's design, scaled to about `cells` cells.
    public func design(cells: Int = 100_000) -> Design {
        var d = Design()
        d.name = "bench \(rawValue)"
        d.system.genes = 2000
        d.system.network.regulators = 200
        d.system.network.seed = 11
        d.system.timeStepH = 1.0
        d.measurement.measuredGenes = 2000
        d.measurement.mrnaPerCell = 200_000
        d.measurement.captureEfficiency = 0.1
        d.measurement.readsPerCell = 200_000
        d.perturbations.targets = 400
        d.batching.batches = 8
        d.batching.maxCellsPerBatch = 20_000
        var timePoints = 1
        switch self {
        case .inVitroStatic:
            d.system.media = [MediumSpec(name: "growth")]
            d.protocolSteps = [
                ProtocolStep(medium: "growth", perturb: false, durationH: 24),
                ProtocolStep(medium: "growth", perturb: true, durationH: 96),
            ]
        case .inVitroDifferentiating:
            d.system.dynamics = .differentiating
            d.system.media = [MediumSpec(name: "maintenance"), MediumSpec(name: "differentiation")]
            d.protocolSteps = [
                ProtocolStep(medium: "maintenance", perturb: true, durationH: 48),
                ProtocolStep(medium: "differentiation", perturb: true, durationH: 72),
            ]
            d.sampling.timePointsH = [84, 120]
            timePoints = 2
        case .inVivoStatic:
            d.system.regime = .inVivo
            d.batching.unit = .animal
            d.batching.layout = .perAnimal
            d.system.media = [MediumSpec(name: "niche")]
            d.protocolSteps = [ProtocolStep(medium: "niche", perturb: true, durationH: 120)]
        case .inVivoDifferentiating:
            d.system.regime = .inVivo
            d.system.dynamics = .differentiating
            d.system.differentiation.triggerMedium = "niche"
            d.system.inVivo.influxPerH = 0.02
            d.batching.unit = .animal
            d.batching.layout = .perAnimal
            d.system.media = [MediumSpec(name: "niche")]
            d.protocolSteps = [ProtocolStep(medium: "niche", perturb: true, durationH: 120)]
        }
        // cells ≈ n·T·(K + √K) with Dunnett's controls.
        let k = Double(d.perturbations.targets)
        d.sampling.cellsPerPerturbation = max(
            1, Int((Double(cells) / Double(timePoints) / (k + k.squareRoot())).rounded()))
        return d
    }
}
