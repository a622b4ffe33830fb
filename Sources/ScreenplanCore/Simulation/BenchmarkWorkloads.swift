import Foundation

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
        d.system.time_step_h = 1.0
        d.measurement.measured_genes = 2000
        d.measurement.mrna_per_cell = 200_000
        d.measurement.capture_efficiency = 0.1
        d.measurement.reads_per_cell = 200_000
        d.perturbations.targets = 400
        d.batching.batches = 8
        d.batching.max_cells_per_batch = 20_000
        var timePoints = 1
        switch self {
        case .inVitroStatic:
            d.system.media = [MediumSpec(name: "growth")]
            d.protocol_ = [ProtocolStep(medium: "growth", perturb: false, duration_h: 24),
                           ProtocolStep(medium: "growth", perturb: true, duration_h: 96)]
        case .inVitroDifferentiating:
            d.system.dynamics = .differentiating
            d.system.media = [MediumSpec(name: "maintenance"), MediumSpec(name: "differentiation")]
            d.protocol_ = [ProtocolStep(medium: "maintenance", perturb: true, duration_h: 48),
                           ProtocolStep(medium: "differentiation", perturb: true, duration_h: 72)]
            d.sampling.time_points_h = [84, 120]
            timePoints = 2
        case .inVivoStatic:
            d.system.regime = .inVivo
            d.batching.unit = .animal
            d.batching.layout = .perAnimal
            d.system.media = [MediumSpec(name: "niche")]
            d.protocol_ = [ProtocolStep(medium: "niche", perturb: true, duration_h: 120)]
        case .inVivoDifferentiating:
            d.system.regime = .inVivo
            d.system.dynamics = .differentiating
            d.system.differentiation.trigger_medium = "niche"
            d.system.in_vivo.influx_per_h = 0.02
            d.batching.unit = .animal
            d.batching.layout = .perAnimal
            d.system.media = [MediumSpec(name: "niche")]
            d.protocol_ = [ProtocolStep(medium: "niche", perturb: true, duration_h: 120)]
        }
        // cells ≈ n·T·(K + √K) with Dunnett's controls.
        let k = Double(d.perturbations.targets)
        d.sampling.cells_per_perturbation = max(1, Int((Double(cells) / Double(timePoints) / (k + k.squareRoot())).rounded()))
        return d
    }
}
