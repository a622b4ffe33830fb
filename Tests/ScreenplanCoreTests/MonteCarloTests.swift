import Foundation
import Testing
@testable import ScreenplanCore

// The analytical variance against Monte Carlo with the simulator core, on small designs: 20
// perturbations × 40 cells in 4 batches, 60 replicates with a fixed seed (deterministic), so the
// median ratio over perturbations has a sampling error of about 18%/√20 × 1.25 ≈ 5%.

private func tinyDesign(_ edit: (inout Design) -> Void = { _ in }) -> Design {
    var d = Design()
    d.name = "tiny"
    d.system.genes = 40
    d.system.network.regulators = 10
    d.system.network.seed = 5
    d.system.time_step_h = 1
    d.perturbations.targets = 20
    d.protocol_ = [ProtocolStep(medium: "growth", perturb: false, duration_h: 6),
                   ProtocolStep(medium: "growth", perturb: true, duration_h: 36)]
    d.sampling.cells_per_perturbation = 40
    d.measurement.measured_genes = 60
    d.measurement.mrna_per_cell = 50_000
    d.batching.batches = 4
    edit(&d)
    return d
}

private func differentiating(_ d: inout Design, inVivo: Bool) {
    d.system.dynamics = .differentiating
    if inVivo {
        d.system.media = [MediumSpec(name: "differentiation")]
        d.protocol_ = [ProtocolStep(medium: "differentiation", perturb: true, duration_h: 96)]
    } else {
        d.system.media = [MediumSpec(name: "growth"), MediumSpec(name: "differentiation")]
        d.protocol_ = [ProtocolStep(medium: "growth", perturb: true, duration_h: 24),
                       ProtocolStep(medium: "differentiation", perturb: true, duration_h: 36)]
        d.sampling.time_points_h = [36, 60]
        d.batching.layout = .perTimePoint
    }
}

private func inVivo(_ d: inout Design) {
    d.system.regime = .inVivo
    d.batching.unit = .animal
    d.batching.layout = .perAnimal
    d.protocol_ = [ProtocolStep(medium: "growth", perturb: false, duration_h: 6),
                   ProtocolStep(medium: "growth", perturb: true, duration_h: 96)]
}

private func ratio(_ d: Design) throws -> MonteCarloResult {
    let result = try MonteCarlo.run(design: d, replicates: 60, seed: 1)
    #expect(result.perturbations.count >= 15)
    return result
}

@Test func monteCarloAgreesInVitroWithControlsInEveryBatch() throws {
    let r = try ratio(tinyDesign())
    #expect((0.9...1.1).contains(r.median_variance_ratio), "median ratio \(r.median_variance_ratio)")
}

@Test func monteCarloAgreesInVitroWithControlsInHalfTheBatches() throws {
    // Strong batch effects and guides that all act alike, so the confounding term matters.
    let d = tinyDesign {
        $0.batching.controls_in_fraction = 0.5
        $0.batching.batch_effect_sd = 0.3
        $0.perturbations.knockdown_concentration = 100_000
    }
    let r = try ratio(d)
    let share = r.error_budget.first { $0.source == "batch confounding" }?.share ?? 0
    #expect(share > 0.1)
    #expect((0.9...1.1).contains(r.median_variance_ratio), "median ratio \(r.median_variance_ratio)")
}

@Test func monteCarloAgreesInVitroDifferentiatingWithTimeMatchedControls() throws {
    let r = try ratio(tinyDesign { differentiating(&$0, inVivo: false) })
    #expect((0.9...1.1).contains(r.median_variance_ratio), "median ratio \(r.median_variance_ratio)")
}

@Test func monteCarloAgreesInVivoNonDifferentiating() throws {
    // The mean over two replicate seeds (sampling error ≈ 5%/√2): with the stationary start, one
    // seed's median ranges over 0.89–1.14 across seeds 1–4 (docs/simulate.md), as the full path's
    // does over 0.94–1.05, so a single seed sits too close to the ±10% window.
    let d = tinyDesign { inVivo(&$0) }
    let ratios = try [UInt64(1), 2].map { seed -> Double in
        let r = try MonteCarlo.run(design: d, replicates: 60, seed: seed)
        #expect(r.perturbations.count >= 15)
        return r.median_variance_ratio
    }
    let mean = ratios.reduce(0, +) / 2
    #expect((0.9...1.1).contains(mean), "median ratios \(ratios)")
}

@Test func monteCarloAgreesInVivoDifferentiating() throws {
    let r = try ratio(tinyDesign { inVivo(&$0); differentiating(&$0, inVivo: true) })
    #expect((0.9...1.1).contains(r.median_variance_ratio), "median ratio \(r.median_variance_ratio)")
}

@Test func monteCarloLayoutFollowsTheSimulatorsPlan() {
    let d = tinyDesign { differentiating(&$0, inVivo: false) }
    let (layout, analysed) = MonteCarlo.layout(for: d)
    let plan = SimulationPlan(design: d)
    // One unit per (batch, time point); every cell of the plan is in the layout.
    #expect(layout.batchCount == plan.batchCount * plan.timePoints.count)
    let planned = plan.counts.reduce(0) { $0 + $1.dropLast().reduce(0) { $0 + $1.reduce(0, +) } }
    #expect(layout.cells.reduce(0, +) == planned)
    // The batch effect moved to an outer level shared by the units of a batch.
    #expect(analysed.batching.batch_effect_sd == 0)
    #expect(analysed.batching.nested.last?.effect_sd == d.batching.batch_effect_sd)
}

@Test func monteCarloRunsTheDesignsTestAndReportsCalibration() throws {
    for test in [DifferentialTest.glm, .wilcoxon] {
        let d = tinyDesign { $0.analysis.test = test; $0.analysis.multiple_testing = .none; $0.analysis.alpha = 0.01 }
        let r = try MonteCarlo.run(design: d, replicates: 8, seed: 2)
        #expect(r.test == test.rawValue)
        // Every perturbation's target is tested on every replicate and lands in one bin.
        #expect(r.power_calibration.reduce(0) { $0 + $1.n } == 20)
        #expect(r.power_calibration.reduce(0) { $0 + $1.tests } == 20 * 8)
        for bin in r.power_calibration {
            #expect(bin.predicted >= bin.low && bin.predicted <= bin.high)
            #expect((0...1).contains(bin.empirical))
        }
        // Pooled, the predicted power is close to the test's rejection rate (sampling error of
        // 160 tests at power ≈ 0.9 is about 0.025).
        let predicted = r.power_calibration.reduce(0) { $0 + $1.predicted * Double($1.n) } / 20
        let empirical = r.power_calibration.reduce(0) { $0 + $1.empirical * Double($1.n) } / 20
        #expect(abs(predicted - empirical) < 0.1, "\(test): predicted \(predicted), rejected \(empirical)")
        let brier = try #require(r.brier)
        #expect(brier > 0 && brier < 0.2)
        // Truth-null genes: per-test level α (no correction), and the test holds it within 2×.
        #expect(r.null_tests >= 20 * 8 * 4)
        #expect(abs(try #require(r.null_level) - 0.01) < 1e-12)
        let fpr = try #require(r.null_rejection_rate_at_alpha)
        #expect(fpr < 0.02, "\(test): null rejection rate \(fpr)")
        let q = try #require(r.variance_ratio_quantiles)
        #expect(q.q05 <= q.q25 && q.q25 <= q.q50 && q.q50 <= q.q75 && q.q75 <= q.q95)
        #expect(abs(q.q50 - r.median_variance_ratio) < 1e-12)
        #expect(abs(try #require(r.bias_median)) < 0.5)
        // The JSON contract: the new keys next to the old ones.
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(r)) as! [String: Any]
        for key in ["power_calibration", "brier", "null_rejection_rate", "bias_median", "variance_ratio_quantiles",
                    "median_variance_ratio", "perturbations", "error_budget"] {
            #expect(json[key] != nil, "missing \(key)")
        }
    }
}
