import Foundation
import TestSupport
import Testing

@_spi(Testing) @testable import ScreenplanCore

// One evaluation spreads its perturbations over the cores (Analyzer.evaluate(…workers:)): the
// rows must be exactly those of one sequential pass, whatever the number of threads.

/// Every number and flag of a row, bit for bit (NaN equal to NaN).
func sameRow(_ a: PerturbationEvaluation, _ b: PerturbationEvaluation) -> Bool {
    func same(_ x: Double, _ y: Double) -> Bool { x == y || (x.isNaN && y.isNaN) }
    let numbers: [(Double, Double)] = [
        (a.power, b.power), (a.deGenes, b.deGenes), (a.level, b.level), (a.observedEffect, b.observedEffect),
        (a.testEffect, b.testEffect), (a.testVariance, b.testVariance), (a.testNullVariance, b.testNullVariance),
        (a.testNullSkewness, b.testNullSkewness), (a.spreadVariance, b.spreadVariance),
        (a.samplingPower, b.samplingPower), (a.guideEffectProbability, b.guideEffectProbability),
        (a.targetUMIs, b.targetUMIs), (a.components.total, b.components.total),
    ]
    return a.name == b.name && a.flags == b.flags && a.components == b.components && a.cells == b.cells
        && a.batches == b.batches && numbers.allSatisfy { same($0.0, $0.1) }
}

/// The evaluation of `design` on 1 and 3 threads, compared row by row.
private func expectWorkerIndependent(_ design: Design, _ label: String) throws {
    let analyzer = Analyzer()
    let effects = try analyzer.effects(for: design)
    let layout = analyzer.layout(for: design)
    let one = Analyzer.evaluate(design, layout: layout, effects: effects, contrasts: nil, workers: 1)
    #expect(!one.rows.isEmpty, "\(label): no rows")
    for workers in [3] {
        let many = Analyzer.evaluate(design, layout: layout, effects: effects, contrasts: nil, workers: workers)
        #expect(many.rows.count == one.rows.count, "\(label), \(workers) workers")
        let differing = zip(one.rows, many.rows).filter { !sameRow($0, $1) }.map(\.0.name)
        #expect(differing.isEmpty, "\(label), \(workers) workers: \(differing.prefix(5))")
        #expect(many.medianPower == one.medianPower && many.testableUMIs == one.testableUMIs)
    }
}

@Test(arguments: allSampleScreens().map { ($0 as NSString).lastPathComponent })
func evaluationDoesNotDependOnWorkers(_ name: String) throws {
    let design = try DesignLoader.load(path: sampleScreen(name)).design
    try expectWorkerIndependent(design, name)
}

@Test(arguments: [DifferentialTest.glm, .pseudobulk, .wilcoxon, .tTest])
func evaluationOfEveryTestDoesNotDependOnWorkers(_ test: DifferentialTest) throws {
    try expectWorkerIndependent(smallDesign { $0.analysis.test = test }, "\(test)")
    // The scanpy tests' models are slow in debug builds: their variants are the GLM's and pseudo-bulk's.
    guard test == .glm || test == .pseudobulk else { return }
    // Complement controls (MOI > 1) and lanes without controls (the pooled GLM runs sequentially).
    try expectWorkerIndependent(
        smallDesign {
            $0.analysis.test = test
            $0.perturbations.moi = 3
        }, "\(test), MOI 3")
    try expectWorkerIndependent(
        smallDesign {
            $0.analysis.test = test
            $0.batching.controlsInFraction = 0.5
        }, "\(test), controls in half the lanes")
}
