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
    d.system.timeStepH = 1
    d.perturbations.targets = 20
    d.protocolSteps = [
        ProtocolStep(medium: "growth", perturb: false, durationH: 6),
        ProtocolStep(medium: "growth", perturb: true, durationH: 36),
    ]
    d.sampling.cellsPerPerturbation = 40
    d.measurement.measuredGenes = 60
    d.measurement.mrnaPerCell = 50_000
    d.batching.batches = 4
    edit(&d)
    return d
}

private func differentiating(_ d: inout Design, inVivo: Bool) {
    d.system.dynamics = .differentiating
    if inVivo {
        d.system.media = [MediumSpec(name: "differentiation")]
        d.protocolSteps = [ProtocolStep(medium: "differentiation", perturb: true, durationH: 96)]
    } else {
        d.system.media = [MediumSpec(name: "growth"), MediumSpec(name: "differentiation")]
        d.protocolSteps = [
            ProtocolStep(medium: "growth", perturb: true, durationH: 24),
            ProtocolStep(medium: "differentiation", perturb: true, durationH: 36),
        ]
        d.sampling.timePointsH = [36, 60]
        d.batching.layout = .perTimePoint
    }
}

private func inVivo(_ d: inout Design) {
    d.system.regime = .inVivo
    d.batching.unit = .animal
    d.batching.layout = .perAnimal
    d.protocolSteps = [
        ProtocolStep(medium: "growth", perturb: false, durationH: 6),
        ProtocolStep(medium: "growth", perturb: true, durationH: 96),
    ]
}

private func ratio(_ d: Design) throws -> MonteCarloResult {
    let result = try MonteCarlo.run(design: d, replicates: 60, seed: 1)
    #expect(result.perturbations.count >= 15)
    return result
}

@Test func monteCarloAgreesInVitroWithControlsInEveryBatch() throws {
    let r = try ratio(tinyDesign())
    #expect((0.9...1.1).contains(r.medianVarianceRatio), "median ratio \(r.medianVarianceRatio)")
}

@Test func monteCarloAgreesInVitroWithControlsInHalfTheBatches() throws {
    // Strong batch effects and guides that all act alike, so the confounding term matters.
    let d = tinyDesign {
        $0.batching.controlsInFraction = 0.5
        $0.batching.batchEffectSd = 0.3
        $0.perturbations.knockdownConcentration = 100_000
    }
    let r = try ratio(d)
    let share = r.errorBudget.first { $0.source == "batch confounding" }?.share ?? 0
    #expect(share > 0.1)
    #expect((0.9...1.1).contains(r.medianVarianceRatio), "median ratio \(r.medianVarianceRatio)")
}

@Test func monteCarloAgreesInVitroDifferentiatingWithTimeMatchedControls() throws {
    let r = try ratio(tinyDesign { differentiating(&$0, inVivo: false) })
    #expect((0.9...1.1).contains(r.medianVarianceRatio), "median ratio \(r.medianVarianceRatio)")
}

@Test func monteCarloAgreesInVivoNonDifferentiating() throws {
    // The mean over two replicate seeds (sampling error ≈ 5%/√2): with the stationary start, one
    // seed's median ranges over 0.89–1.14 across seeds 1–4 (docs/simulate.md), as the full path's
    // does over 0.94–1.05, so a single seed sits too close to the ±10% window.
    let d = tinyDesign { inVivo(&$0) }
    let ratios = try [UInt64(1), 2].map { seed -> Double in
        let r = try MonteCarlo.run(design: d, replicates: 60, seed: seed)
        #expect(r.perturbations.count >= 15)
        return r.medianVarianceRatio
    }
    let mean = ratios.reduce(0, +) / 2
    #expect((0.9...1.1).contains(mean), "median ratios \(ratios)")
}

@Test func monteCarloAgreesInVivoDifferentiating() throws {
    let r = try ratio(
        tinyDesign {
            inVivo(&$0)
            differentiating(&$0, inVivo: true)
        })
    #expect((0.9...1.1).contains(r.medianVarianceRatio), "median ratio \(r.medianVarianceRatio)")
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
    #expect(analysed.batching.batchEffectSd == 0)
    #expect(analysed.batching.nested.last?.effectSd == d.batching.batchEffectSd)
}

@Test func monteCarloRunsTheDesignsTestAndReportsCalibration() throws {
    for test in [DifferentialTest.glm, .wilcoxon] {
        let d = tinyDesign {
            $0.analysis.test = test
            $0.analysis.multipleTesting = .none
            $0.analysis.alpha = 0.01
        }
        let r = try MonteCarlo.run(design: d, replicates: 8, seed: 2)
        #expect(r.test == test.rawValue)
        // Every perturbation's target is tested on every replicate and lands in one bin.
        #expect(r.powerCalibration.reduce(0) { $0 + $1.n } == 20)
        #expect(r.powerCalibration.reduce(0) { $0 + $1.tests } == 20 * 8)
        for bin in r.powerCalibration {
            #expect(bin.predicted >= bin.low && bin.predicted <= bin.high)
            #expect((0...1).contains(bin.empirical))
        }
        // Pooled, the predicted power is close to the test's rejection rate (sampling error of
        // 160 tests at power ≈ 0.9 is about 0.025).
        let predicted = r.powerCalibration.reduce(0) { $0 + $1.predicted * Double($1.n) } / 20
        let empirical = r.powerCalibration.reduce(0) { $0 + $1.empirical * Double($1.n) } / 20
        #expect(abs(predicted - empirical) < 0.1, "\(test): predicted \(predicted), rejected \(empirical)")
        let brier = try #require(r.brier)
        #expect(brier > 0 && brier < 0.2)
        // Truth-null genes: per-test level α (no correction), and the test holds it within 2×.
        #expect(r.nullTests >= 20 * 8 * 4)
        #expect(abs(try #require(r.nullLevel) - 0.01) < 1e-12)
        let fpr = try #require(r.nullRejectionRateAtAlpha)
        #expect(fpr < 0.02, "\(test): null rejection rate \(fpr)")
        let q = try #require(r.varianceRatioQuantiles)
        #expect(q.q05 <= q.q25 && q.q25 <= q.q50 && q.q50 <= q.q75 && q.q75 <= q.q95)
        #expect(abs(q.q50 - r.medianVarianceRatio) < 1e-12)
        #expect(abs(try #require(r.biasMedian)) < 0.5)
        // The JSON contract: the new keys next to the old ones.
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(r)) as! [String: Any]
        for key in [
            "power_calibration", "brier", "null_rejection_rate", "bias_median", "variance_ratio_quantiles",
            "median_variance_ratio", "perturbations", "error_budget",
        ] {
            #expect(json[key] != nil, "missing \(key)")
        }
    }
}
