import Foundation
import Testing

@_spi(Testing) @testable import ScreenplanCore

// An analyzer reuses an evaluation's GLM scores for a design that differs only in ω
// (GLMScoreMemo.swift): the rows must be exactly a fresh analyzer's, and any other edit must
// compute its scores again.

/// ω nudged up, to 0, back to an earlier value, as a TUI user does, α, the multiple testing and
/// the target power edited, then an edit the scores do read.
private func expectScoresReusedExactly(_ base: Design, _ label: String) throws {
    let shared = Analyzer()
    var designs: [Design] = []
    for omega in [base.batching.interactionSd, 0.08, 0.0, 0.25] {
        var d = base
        d.batching.interactionSd = omega
        designs.append(d)
    }
    var d = designs[1]
    d.analysis.alpha = 0.001
    designs.append(d)
    d.analysis.multipleTesting = .bonferroni
    designs.append(d)
    d.analysis.targetPower = 0.9
    designs.append(d)
    designs.append(designs[1])
    for (i, d) in designs.enumerated() {
        let reused = try shared.evaluate(d)
        let fresh = try Analyzer().evaluate(d)
        #expect(reused.rows.count == fresh.rows.count && !fresh.rows.isEmpty, "\(label), ω \(i)")
        let differing = zip(reused.rows, fresh.rows).filter { !sameRow($0, $1) }.map(\.0.name)
        #expect(differing.isEmpty, "\(label), ω = \(d.batching.interactionSd): \(differing.prefix(5))")
        #expect(reused.medianPower == fresh.medianPower && reused.medianVariance == fresh.medianVariance)
    }
    // Every edit after the first took the first design's scores (the last ω was evaluated before,
    // so it is a cached evaluation and takes nothing).
    #expect(shared.glmScoreTablesReused == designs.count - 2, "\(label)")
    // A reads edit changes every gene's mean: its scores are computed, and equal a fresh analyzer's.
    var reads = designs[1]
    reads.measurement.readsPerCell *= 0.7
    let edited = try shared.evaluate(reads)
    #expect(shared.glmScoreTablesReused == designs.count - 2, "\(label): reads edit reused scores")
    let fresh = try Analyzer().evaluate(reads)
    #expect(zip(edited.rows, fresh.rows).allSatisfy { sameRow($0, $1) }, "\(label), reads edit")
}

@Test func glmScoresReusedAcrossInteractionEditsEqualFreshOnes() throws {
    try expectScoresReusedExactly(smallDesign { $0.analysis.test = .glm }, "glm")
    // Lanes without controls (the pooled fit, evaluated sequentially) and complement controls.
    try expectScoresReusedExactly(
        smallDesign {
            $0.analysis.test = .glm
            $0.batching.controlsInFraction = 0.5
        }, "glm, controls in half the lanes")
    try expectScoresReusedExactly(
        smallDesign {
            $0.analysis.test = .glm
            $0.perturbations.moi = 3
        }, "glm, MOI 3")
    // Two time points (one score table per time point).
    try expectScoresReusedExactly(
        smallDesign {
            $0.analysis.test = .glm
            $0.sampling.timePointsH = [48, 120]
        }, "glm, two time points")
}
