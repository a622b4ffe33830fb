import Foundation
import TestSupport
import Testing

@testable import ScreenplanCore

// The learnability pipeline on small designs: data layer, split, baselines, fit contract.

/// A small non-differentiating CRISPRi screen: 80 genes, 16 regulators, 24 targets.
private func tinyDesign() throws -> Design {
    try DesignLoader.load(text: tinyLearnabilityScreen, file: "tiny.yaml").design
}

/// Few epochs and sizes so a whole fit takes well under a second in a debug build.
private func tinyOptions(_ data: LearnabilityData = .kinetics) -> LearnabilityOptions {
    var o = LearnabilityOptions()
    o.data = data
    o.folds = 2
    o.otherPerturbations = 4
    o.training.hidden = 4
    o.training.maxEpochs = 8
    o.training.validateEvery = 1
    o.parallelJobs = 1
    return o
}

@Test func splitPartitionsThePerturbations() {
    let split = PerturbationSplit(count: 23, folds: 4, validationFraction: 0.2, seed: 3)
    #expect(split.folds.count == 4)
    let heldOut = split.folds.flatMap(\.heldOut)
    // Every perturbation is held out exactly once.
    #expect(heldOut.sorted() == Array(0..<23))
    for fold in split.folds {
        // Training, validation and held-out are disjoint and cover all perturbations.
        let all = fold.training + fold.validation + fold.heldOut
        #expect(all.sorted() == Array(0..<23))
        #expect(!fold.validation.isEmpty && !fold.training.isEmpty)
    }
    // Seeded: the same seed gives the same split, another seed another one.
    #expect(PerturbationSplit(count: 23, folds: 4, validationFraction: 0.2, seed: 3) == split)
    #expect(PerturbationSplit(count: 23, folds: 4, validationFraction: 0.2, seed: 4) != split)
}

@Test func linearBaselineRecoversAnExactLinearSystem() throws {
    // z_p = −A⁻¹ a_p for a known stable A: with noise-free states and a negligible ridge the fit
    // predicts unseen targets to the precision of the ridge's bias (ρ = 1e-8 of tr/d).
    let d = 6
    var a = Matrix(rows: d, cols: d)
    var rng = RandomStream(seed: 9, domain: .learning, 77)
    for i in 0..<d { for j in 0..<d { a[i, j] = i == j ? -1 : 0.2 * rng.normal() } }
    let lu = try LUFactorization(a)
    // Training: one perturbation per gene plus adjacent pairs (more equations than unknowns).
    var targets: [[Int]] = (0..<d).map { [$0] }
    for i in 0..<(d - 1) { targets.append([i, i + 1]) }
    let inputs = PerturbationInputs(dimension: d, targets: targets, modality: [Int](repeating: 0, count: targets.count))
    let states = try lu.solve(-inputs.indicator)
    let model = try Baselines.fitLinear(states: states, indicator: inputs.indicator, ridge: 1e-8)
    let single = PerturbationInputs(dimension: d, targets: [[2], [4]], modality: [0, 0])
    let predicted = try model.predict(single.indicator)
    let truth = try lu.solve(-single.indicator)
    for k in predicted.data.indices { #expect(abs(predicted.data[k] - truth.data[k]) < 1e-5) }
}

@Test func simulatorDataHasCellsForEveryPerturbationAndTargetTruth() throws {
    let design = try tinyDesign()
    let network = NetworkGenerator.generate(design.system)
    let kinetics = Kinetics(network)
    let chosen = Learnability.subsample(design.perturbations(in: network), kinetics: kinetics, options: tinyOptions())
    let bulk = try PseudoBulk.fromSimulator(design: design, network: network, perturbations: chosen, seed: 2)
    #expect(bulk.perturbations.map(\.name) == chosen.map(\.name))
    #expect(bulk.dimension == kinetics.regulatorCount)
    // Each perturbation is seen by the analysis (detected guides), and controls are in every batch.
    for p in 0..<chosen.count { #expect(bulk.cells[0][p].reduce(0, +) > 0, "perturbation \(p)") }
    #expect(bulk.cells[0][bulk.controlGroup].allSatisfy { $0 > 0 })
    // CRISPRi lowers a targeted regulator (truth), and the estimate agrees in sign on average.
    let data = LearningData(bulk)
    var truthSum = 0.0
    var estimateSum = 0.0
    for (p, targets) in data.targetsInSpace.enumerated() {
        for i in targets {
            #expect(data.truth[0][i, p] < 0)
            truthSum += data.truth[0][i, p]
            estimateSum += data.effects[0][i, p] / Foundation.log(2.0)
        }
    }
    #expect(truthSum < 0 && estimateSum < 0)
}

@Test func fitResultCarriesTheJSONContract() throws {
    let design = try tinyDesign()
    let result = try Learnability.fit(design: design, options: tinyOptions())
    let json = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(result)) as? [String: Any]
    let methods = ["standard", "steady_state", "no_change", "mean_effect", "linear"]
    for key in ["heldout_mse", "heldout_pearson"] {
        let object = json?[key] as? [String: Double]
        #expect(object != nil, "\(key) is an object of numbers")
        #expect(Set(object?.keys ?? [:].keys) == Set(methods), "\(key) keys")
    }
    let folds = json?["per_fold"] as? [[String: Any]]
    #expect(folds?.count == 2)
    let curves = folds?.first?["curves"] as? [String: Any]
    #expect(Set(curves?.keys ?? [:].keys) == ["standard", "steady_state"])
    #expect(result.mseRatioSteadyStateToStandard?.perFold.count == 2)
    // No change scores the effects' own size; the mean of squares of the truth is that MSE.
    #expect(result.heldoutMse["no_change"]! > 0)
    #expect(result.text.contains("held-out MSE steady-state / standard"))
}

@Test func fitIsReproducibleForASeed() throws {
    let design = try tinyDesign()
    var options = tinyOptions()
    options.losses = [.steadyState]
    let a = try Learnability.fit(design: design, options: options)
    let b = try Learnability.fit(design: design, options: options)
    #expect(a.heldoutMse == b.heldoutMse)
    #expect(a.perFold.map(\.curves) == b.perFold.map(\.curves))
}

@Test func quickEstimateGivesTheRatio() throws {
    let design = try tinyDesign()
    let summary = try Learnability.quickEstimate(design)
    #expect(summary.mseRatio.isFinite && summary.mseRatio > 0)
    #expect(summary.standardMSE > 0 && summary.steadyStateMSE > 0 && summary.noChangeMSE > 0)
    #expect(summary.perturbationsFitted <= LearnabilityOptions.quick.maxPerturbations)
    #expect(summary.headline.hasPrefix("learnability: steady-state loss"))
}
