import Foundation
import TestSupport
import Testing

@_spi(Testing) @testable import ScreenplanCore

// The evaluation's two tabulated shortcuts against the exact paths they replace (docs/batching.md
// §11): the GLM score's library-size sums (GLMNodeTable.swift) against the 33-node quadrature, and
// the power formulas' normal cdf (NormalTable.swift) against erfc; then whole evaluations of
// every sample screen with both shortcuts against the same evaluations with neither.

/// The four node sums interpolated at points between the grid's, against the quadrature, for
/// library-size sds from none to wide; outside the grid the sums are the quadrature's own.
@Test func tabulatedGLMNodeSumsMatchTheQuadrature() {
    for sd in [0.0, 0.2, 0.4, 0.7, 1.0] {
        let table = GLMNodeTable(nodes: LibraryNodes(sd: sd, count: TestModels.smoothNodes))
        var worst = 0.0
        let n = 20_000
        for i in 0..<n {
            // Irrational steps so the points fall everywhere between grid points.
            let u =
                GLMNodeTable.logLow + (GLMNodeTable.logHigh - GLMNodeTable.logLow)
                * (Double(i) + 0.5 * 2.0.squareRoot() - 0.7) / Double(n)
            let a = Foundation.exp(u)
            let fast = table.sums(a)
            let exact = table.exact(a)
            for (x, y) in [(fast.s1, exact.s1), (fast.s2, exact.s2), (fast.t1, exact.t1), (fast.t2, exact.t2)] {
                worst = max(worst, abs(x - y) / abs(y))
            }
        }
        #expect(worst < 1e-9, "library sd \(sd): worst relative error \(worst)")
        for a in [1e-9, 2e7, 1e9] {
            let s = table.sums(a)
            let e = table.exact(a)
            #expect(s.s1 == e.s1 && s.s2 == e.s2 && s.t1 == e.t1 && s.t2 == e.t2, "a \(a) off the grid")
        }
    }
}

/// `TestModels.glmScore` with the table against the quadrature, over the counts, folds, mixings,
/// zero inflation and lane patterns the sample screens and the genome-scale benchmark reach:
/// every output within 10⁻⁹ relative.
@Test func tabulatedGLMScoreMatchesTheQuadrature() {
    let nodes = LibraryNodes(sd: 0.4, count: TestModels.smoothNodes)
    let table = GLMNodeTable.shared(nodes)
    let patterns: [[(n: Double, n0: Double, count: Int)]] = [
        [(2, 50, 30), (1, 80, 18)], [(100, 3000, 1)], [(1, 12, 200), (3, 9, 5), (2, 30, 40)],
    ]
    var worst = 0.0
    var cases = 0
    for mean in [0.005, 0.02, 0.1, 0.5, 2, 10, 100, 1000, 20_000] {
        for fold in [0.05, 0.3, 0.9, 1.0, 1.1, 2, 6] {
            for mixing in [0.0, 0.05, 0.3, 1.5, 8] {
                for zero in [0.0, 0.2] {
                    for pairs in patterns {
                        let g0 = CellGroup(mean: mean, mixing: mixing, zeroInflation: zero)
                        let gp = CellGroup(mean: mean * fold, mixing: mixing * 1.1, zeroInflation: zero / 2)
                        let w0 = TestModels.glmWeight(g0, nodes: nodes)
                        let k3 = TestModels.glmThirdCumulant(g0, nodes: nodes)
                        let exact = TestModels.glmScore(
                            pairs, perturbed: gp, control: g0, perturbedAssigned: 0.8, controlAssigned: 0.9,
                            nodes: nodes, nullInfo: w0, nullThird: k3)
                        let fast = TestModels.glmScore(
                            pairs, perturbed: gp, control: g0, perturbedAssigned: 0.8, controlAssigned: 0.9,
                            nodes: nodes, nullInfo: w0, nullThird: k3, table: table)
                        let pairsOfOutputs = [
                            (fast.z, exact.z), (fast.zPerFold, exact.zPerFold),
                            (fast.varianceRatio, exact.varianceRatio), (fast.perturbedShare, exact.perturbedShare),
                            (fast.shareSquares, exact.shareSquares), (fast.skewness, exact.skewness),
                            (fast.floor, exact.floor),
                        ]
                        for (x, y) in pairsOfOutputs {
                            worst = max(worst, x == y ? 0 : abs(x - y) / max(abs(y), 1e-12))
                        }
                        cases += 1
                    }
                }
            }
        }
    }
    #expect(cases == 9 * 7 * 5 * 2 * 3)
    #expect(worst < 1e-9, "worst relative difference \(worst)")
}

/// The power formulas' Φ against erfc on a dense grid over and beyond the table: within 10⁻¹³
/// absolute; 1 above it, as erfc's; NaN stays NaN.
@Test func tabulatedNormalCDFMatchesErfc() {
    var worst = 0.0
    let n = 400_001
    for i in 0..<n {
        let x = -12 + 24 * (Double(i) + 0.318) / Double(n)
        worst = max(worst, abs(Normal.tabulatedCDF(x) - Normal.cdf(x)))
    }
    #expect(worst < 1e-13, "worst absolute error \(worst)")
    #expect(Normal.tabulatedCDF(9) == Normal.cdf(9) && Normal.tabulatedCDF(-20) == Normal.cdf(-20))
    #expect(Normal.tabulatedCDF(.nan).isNaN)
}

/// Every sample screen (and the small design with lanes without controls, MOI 3 and the other
/// tests) evaluated with the shortcuts and with the exact paths (`exact: true`: quadrature and
/// erfc): powers, DE genes and the guide probability within 10⁻⁹ absolute, the level and the
/// test's variances within 10⁻⁹ relative. These are the digits `analyze --json` moves.
@Test func evaluationsWithTheShortcutsMatchTheExactPaths() throws {
    var designs: [(String, Design)] = try allSampleScreens().map {
        (($0 as NSString).lastPathComponent, try DesignLoader.load(path: $0).design)
    }
    designs.append(("small, controls in half the lanes", smallDesign { $0.batching.controlsInFraction = 0.5 }))
    designs.append(("small, MOI 3", smallDesign { $0.perturbations.moi = 3 }))
    designs.append(("small, pseudobulk", smallDesign { $0.analysis.test = .pseudobulk }))
    for (label, design) in designs {
        let analyzer = Analyzer()
        let effects = try analyzer.effects(for: design)
        let layout = analyzer.layout(for: design)
        let fast = Analyzer.evaluate(design, layout: layout, effects: effects, contrasts: nil)
        let exact = Analyzer.evaluate(design, layout: layout, effects: effects, contrasts: nil, exact: true)
        #expect(fast.rows.count == exact.rows.count && !fast.rows.isEmpty, "\(label)")
        var worstAbsolute = 0.0
        var worstRelative = 0.0
        for (a, b) in zip(fast.rows, exact.rows) {
            #expect(a.name == b.name && a.flags == b.flags && a.cells == b.cells, "\(label) \(a.name)")
            for (x, y) in [
                (a.power, b.power), (a.deGenes, b.deGenes), (a.samplingPower, b.samplingPower),
                (a.guideEffectProbability, b.guideEffectProbability),
            ] {
                worstAbsolute = max(worstAbsolute, x == y ? 0 : abs(x - y))
            }
            for (x, y) in [
                (a.level, b.level), (a.testVariance, b.testVariance), (a.testNullVariance, b.testNullVariance),
                (a.testEffect, b.testEffect), (a.testNullSkewness, b.testNullSkewness),
                (a.components.total, b.components.total),
            ] {
                worstRelative = max(
                    worstRelative, x == y || (x.isNaN && y.isNaN) ? 0 : abs(x - y) / max(abs(y), 1e-300))
            }
            for (x, y) in zip(a.downstreamPowers, b.downstreamPowers) {
                worstAbsolute = max(worstAbsolute, abs(x - y))
            }
        }
        #expect(worstAbsolute < 1e-9, "\(label): worst power difference \(worstAbsolute)")
        #expect(worstRelative < 1e-9, "\(label): worst relative difference \(worstRelative)")
    }
}
