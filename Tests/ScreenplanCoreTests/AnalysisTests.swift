import Foundation
import Testing

@_spi(Testing) @testable import ScreenplanCore

// The analytical error model, layouts, power, solvers, optimizer and recommendations.

/// A small design that analyses in milliseconds: 200 modelled genes, 20 perturbations, 4 lanes.
func smallDesign(_ edit: (inout Design) -> Void = { _ in }) -> Design {
    var d = Design()
    d.name = "small"
    d.system.genes = 200
    d.system.network.regulators = 40
    d.system.network.seed = 3
    d.perturbations.targets = 20
    d.measurement.measuredGenes = 500
    d.sampling.cellsPerPerturbation = 100
    d.batching.batches = 4
    edit(&d)
    return d
}

// MARK: - Layouts

@Test(arguments: [LayoutStrategy.pooled, .subLibraries, .confounded, .balancedIncomplete, .perTimePoint, .perAnimal])
func layoutsPlaceEveryPerturbationsCells(_ strategy: LayoutStrategy) {
    let d = smallDesign {
        $0.batching.batches = 8
        $0.batching.replicates = 2
        $0.sampling.cellsPerPerturbation = 101
    }
    let layout = Layout.make(d, strategy: strategy)
    #expect(layout.perturbationCount == 20 && layout.batchCount == 8)
    let expectedBatches: Int
    switch strategy {
    case .pooled, .perTimePoint, .perAnimal: expectedBatches = 8
    case .subLibraries, .balancedIncomplete: expectedBatches = 2
    case .confounded: expectedBatches = 1
    case .explicit: expectedBatches = 0
    }
    for p in 0..<20 {
        #expect(layout.totalCells(of: p) == 101, "perturbation \(p) under \(strategy)")
        #expect(layout.batches(of: p).count == expectedBatches, "perturbation \(p) under \(strategy)")
    }
    // Controls in every batch by default, √K × cells per perturbation in all.
    #expect(layout.controlledBatches.count == 8)
    #expect(layout.controls.reduce(0, +) == Int((20.0.squareRoot() * 101).rounded()))
    // Batches are balanced: perturbed cells per batch differ by at most one perturbation's share.
    let perBatch = layout.perturbedCellsPerBatch
    #expect(perBatch.max()! - perBatch.min()! <= 101)
}

@Test func balancedIncompleteBlocksAreSeededAndBalanced() {
    let d = smallDesign {
        $0.batching.batches = 6
        $0.batching.replicates = 3
        $0.perturbations.targets = 60
    }
    let a = Layout.make(d, strategy: .balancedIncomplete)
    #expect(a == Layout.make(d, strategy: .balancedIncomplete))
    var other = d
    other.system.network.seed = 4
    #expect(a != Layout.make(other, strategy: .balancedIncomplete))
    // 60 perturbations × 3 replicates over 6 batches: 30 perturbations per batch.
    for b in 0..<6 { #expect((0..<60).filter { a.cells($0, b) > 0 }.count == 30) }
}

@Test func controlsInSomeBatchesAndPerTimePointLayouts() {
    let some = Layout.make(
        smallDesign {
            $0.batching.batches = 8
            $0.batching.controlsInFraction = 0.25
        })
    #expect(some.controlledBatches.count == 2)
    let timed = smallDesign {
        $0.batching.batches = 6
        $0.sampling.timePointsH = [48, 96, 120]
        $0.batching.controlsInFraction = 0.2
    }
    // 0.2 × 6 rounds to one control batch; per-time-point puts one at every time point.
    #expect(Layout.make(timed, strategy: .pooled).controlledBatches.count == 1)
    let perTime = Layout.make(timed, strategy: .perTimePoint)
    #expect(Set(perTime.controlledBatches.map { perTime.batchTime[$0] }) == [0, 1, 2])
    for p in 0..<20 {
        for t in 0..<3 {
            #expect((0..<6).filter { perTime.batchTime[$0] == t }.map { perTime.cells(p, $0) }.reduce(0, +) == 100)
        }
    }
}

@Test func explicitLayoutIsTheUsersMatrix() throws {
    var d = smallDesign {
        $0.perturbations.targets = 2
        $0.batching.batches = 3
    }
    d.batching.layout = .explicit
    d.batching.explicitCells = [[50, 0, 50], [0, 100, 0]]
    let layout = Layout.make(d)
    #expect(layout.cells == [50, 0, 50, 0, 100, 0])
    let rows = try Analyzer().evaluate(d).rows
    #expect(rows[0].batches == 2 && rows[1].batches == 1)
    #expect(rows[1].flags.contains("in a single batch"))
}

// MARK: - Error model

@Test func controlsInAnotherBatchAddTwoTauSquared() throws {
    // Two batches, perturbations in batch 2 only, controls in batch 1 only: one contrast against
    // one control batch, so the confounding variance is exactly 2τ² (natural log), in log2².
    var d = smallDesign {
        $0.perturbations.targets = 2
        $0.batching.batches = 2
    }
    d.batching.layout = .explicit
    d.batching.explicitCells = [[100, 0], [100, 0]]
    d.batching.controlsInFraction = 0.5
    let layout = Layout.make(d)
    #expect(layout.controls[0] == 0 && layout.controls[1] > 0)
    let analyzer = Analyzer()
    let row = try analyzer.evaluate(d).rows[0]
    let tau = d.batching.batchEffectSd
    // Exact up to floating point: the coefficients are ±1; library-size normalisation scales the
    // gene's effective batch effect by (1 − 2π_g + Σπ²).
    let share = try analyzer.effects(for: d).slices[0].share
    let target = try analyzer.effects(for: d).targets[0][0]
    let normaliser = 1 - 2 * share[target] + share.reduce(0) { $0 + $1 * $1 }
    #expect(abs(row.components.confounding - 2 * tau * tau * normaliser / (M_LN2 * M_LN2)) < 1e-12)
    #expect(row.flags.contains { $0.hasPrefix("confounded with batch in 1 of 1") })
}

@Test func confoundedLayoutIsFlaggedWithItsExtraVariance() throws {
    // The pseudo-bulk estimator's confounding (the GLM's is in TestModelTests).
    let d = smallDesign {
        $0.analysis.test = .pseudobulk
        $0.batching.batches = 8
        $0.batching.layout = .confounded
        $0.batching.controlsInFraction = 0.25
    }
    let analyzer = Analyzer()
    let e = try analyzer.evaluate(d)
    let confounded = e.rows.filter { $0.uncontrolledBatches > 0 }
    // 6 of 8 batches lack controls: every perturbation placed in one of them is confounded.
    let layout = e.layout
    let expected = (0..<20).filter { p in layout.batches(of: p).contains { layout.controls[$0] == 0 } }.count
    #expect(expected >= 12 && confounded.count == expected)
    for row in confounded {
        #expect(row.components.confounding > 0)
        #expect(row.flags.contains { $0.hasPrefix("confounded with batch") })
    }
    let budget = e.errorBudget.first { $0.source == "batch confounding" }!
    #expect(budget.share > 0.05)
    let result = try analyzer.analyze(d)
    let rec = try #require(result.recommendations.first { $0.id == "controls-in-every-batch" })
    // The change applies through the editor and removes the confounding.
    var fixed = d
    for change in rec.change { fixed = try fixed.setting(change.path, to: change.value) }
    let after = try analyzer.evaluate(fixed)
    #expect(after.rows.allSatisfy { $0.components.confounding == 0 })
    #expect(after.medianVariance < e.medianVariance)
}

@Test func addingCellsDoesNotRemoveBatchConfounding() throws {
    func confounding(_ n: Int) throws -> (Double, Double) {
        let d = smallDesign {
            $0.batching.batches = 8
            $0.batching.controlsInFraction = 0.25
            $0.sampling.cellsPerPerturbation = n
            $0.batching.maxCellsPerBatch = 10_000_000
        }
        let row = try Analyzer().evaluate(d).rows.first { $0.uncontrolledBatches > 0 }!
        return (row.components.confounding, row.components.total)
    }
    let (few, fewTotal) = try confounding(100)
    let (many, manyTotal) = try confounding(100_000)
    #expect(few > 0)
    // The confounding depends only on how the cells are shared over batches (integer counts:
    // the shares differ by rounding between 100 and 100,000 cells).
    #expect(abs(few - many) < 1e-3 * few)
    // More cells shrink the total towards the floor the confounding sets, never below it.
    #expect(manyTotal < fewTotal && manyTotal >= many)
}

@Test func powerRisesWithCellsAndFallsWithDropoutAndCapture() throws {
    let analyzer = Analyzer()
    // A modest fixed effect so power is away from 0 and 1.
    let base = smallDesign {
        $0.analysis.effect = .fixed
        $0.analysis.effectSizeLog2 = -0.3
        $0.sampling.cellsPerPerturbation = 60
    }
    let curve = try analyzer.powerVersusCells(base, cells: [20, 60, 200, 600])
    for (a, b) in zip(curve, curve.dropFirst()) { #expect(b.power > a.power) }
    let p0 = try analyzer.evaluate(base).medianPower
    var dropout = base
    dropout.measurement.dropout = .zeroInflation
    dropout.measurement.dropoutRate = 0.5
    // A midpoint far above every mean: π₀ ≈ 0.5 for all genes, so the effect is not distorted.
    dropout.measurement.dropoutMidpoint = 1e9
    #expect(try analyzer.evaluate(dropout).medianPower < p0)
    var capture = base
    capture.measurement.captureEfficiency = 0.02
    #expect(try analyzer.evaluate(capture).medianPower < p0)
    var shallow = base
    shallow.measurement.readsPerCell = 1000
    #expect(try analyzer.evaluate(shallow).medianPower < p0)
    // Power against effect size rises with |Δ|.
    let vsEffect = try analyzer.powerVersusEffect(base, effects: [0.05, 0.2, 0.5, 1])
    for (a, b) in zip(vsEffect, vsEffect.dropFirst()) { #expect(b.power > a.power) }
}

@Test func cellNoiseMatchesItsClosedForms() {
    // Poisson limit with no library spread: CV² = 1/m.
    #expect(abs(CellNoise.cv2(meanUMIs: 4, librarySD: 0, dispersion: .infinity, biological: 0) - 0.25) < 1e-15)
    // NB with library spread: e^{s²/2}/m + 1/θ.
    let s = 0.4
    let m = 2.0
    let theta = 1.5
    #expect(
        abs(
            CellNoise.cv2(meanUMIs: m, librarySD: s, dispersion: theta, biological: 0)
                - (Foundation.exp(s * s / 2) / m + 1 / theta)) < 1e-15)
    // Zero inflation π₀ = 1/2 of a constant (CV² = 0) gives CV² = 1.
    #expect(
        abs(CellNoise.cv2(meanUMIs: 1e300, librarySD: 0, dispersion: .infinity, biological: 0, zeroInflation: 0.5) - 1)
            < 1e-12)
}

@Test func multipleTestingOrdersTheLevels() {
    let effects = [1.5, 1.2, 1.0, 0.8]
    let sds = [0.2, 0.2, 0.2, 0.2]
    let none = MultipleTestingLevel.solve(effects: effects, sds: sds, testable: 1000, alpha: 0.05, method: .none)
    let bh = MultipleTestingLevel.solve(effects: effects, sds: sds, testable: 1000, alpha: 0.05, method: .bh)
    let bonf = MultipleTestingLevel.solve(effects: effects, sds: sds, testable: 1000, alpha: 0.05, method: .bonferroni)
    #expect(abs(bonf.level - 0.05 / 1000) < 1e-15)
    #expect(bh.level >= bonf.level && bh.level <= none.level)
    // BH's fixed point: t = α·R(t)/m with R = Σ power + (m − m₁)·t.
    let r = bh.powers.reduce(0, +) + Double(1000 - 4) * bh.level
    #expect(r > 1)
    #expect(abs(bh.level - 0.05 * r / 1000) < 2e-3 * bh.level)
    // Normal quantile inverts the CDF.
    for p in [1e-8, 0.01, 0.3, 0.5, 0.9, 0.999] {
        #expect(abs(Normal.cdf(Normal.quantile(p)) - p) < 1e-9 * max(1, p / 1e-8))
    }
}

@Test func moreBatchesBeatMoreCellsWhenTheInteractionDominates() throws {
    let d = smallDesign {
        $0.batching.interactionSd = 0.4
        $0.sampling.cellsPerPerturbation = 400
        $0.batching.maxCellsPerBatch = 100_000
    }
    let analyzer = Analyzer()
    let result = try analyzer.analyze(d)
    let rec = try #require(result.recommendations.first { $0.id == "more-batches-not-cells" })
    var applied = d
    for c in rec.change { applied = try applied.setting(c.path, to: c.value) }
    var moreCells = d
    moreCells.sampling.cellsPerPerturbation *= 2
    #expect(try analyzer.evaluate(applied).medianVariance < analyzer.evaluate(moreCells).medianVariance)
}

// MARK: - Solvers and optimizer

@Test func optimizerRecoversTheSquareRootKControlRule() throws {
    // Equal per-cell noise in perturbed and control cells (a small fixed effect on a
    // well-expressed target) and a fixed budget: the variance-minimising control ratio is √K.
    let d = smallDesign {
        $0.perturbations.targets = 36
        $0.analysis.effect = .fixed
        $0.analysis.effectSizeLog2 = -0.05
        $0.perturbations.guideEffectSd = 0
        $0.sampling.controlCells = 500
        $0.batching.maxCellsPerBatch = 1_000_000
    }
    let best = try #require(try Optimizer.bestControlRatio(d, budget: 20_000, analyzer: Analyzer()))
    let sqrtK = 6.0
    #expect(abs(best.sqrtK - sqrtK) < 1e-12)
    // Golden-section on a flat optimum, with integer cells: within 25% of √K for the GLM, whose
    // Poisson fit of α_b costs κ − 1 = f(R − 1)/(1 − f), more the fewer the controls (f the
    // perturbed cells' share; docs/batching.md, 2.6), which moves the optimum a little above √K;
    // within 15% for the pseudo-bulk estimator, a difference of means.
    #expect(best.controlRatio / sqrtK > 0.85 && best.controlRatio / sqrtK < 1.25, "ratio \(best.controlRatio)")
    var pseudobulk = d
    pseudobulk.analysis.test = .pseudobulk
    let bestMeans = try #require(try Optimizer.bestControlRatio(pseudobulk, budget: 20_000, analyzer: Analyzer()))
    #expect(abs(bestMeans.controlRatio / sqrtK - 1) < 0.15, "ratio \(bestMeans.controlRatio)")
    // The full optimizer spends the budget and keeps controls near √K too.
    let full = try #require(try Optimizer.maximizePower(d, budget: 20_000, analyzer: Analyzer()))
    #expect(full.cost.total <= 20_000)
    #expect(abs(full.controlRatio / sqrtK - 1) < 0.5)
}

@Test func solversHitTheTargetPower() throws {
    let analyzer = Analyzer()
    let d = smallDesign {
        $0.analysis.effect = .fixed
        $0.analysis.effectSizeLog2 = -0.7
    }
    let cells = try #require(try analyzer.fewestCells(d, power: 0.8))
    var at = d
    at.sampling.cellsPerPerturbation = cells
    #expect(try analyzer.evaluate(at).medianPower >= 0.8)
    at.sampling.cellsPerPerturbation = cells - 1
    #expect(try analyzer.evaluate(at).medianPower < 0.8)
    let e = try analyzer.evaluate(d)
    let mde = Analyzer.minimumDetectable(e, power: 0.8)
    let row = e.medianRow!
    // The detectable size is a change in the target's own direction (a skewed null favours one).
    let signed = row.targetEffect < 0 ? -mde : mde
    #expect(
        abs(
            Normal.power(
                effect: signed, sd: row.testSD, critical: Normal.quantile(1 - row.level / 2), spread: row.spreadSD,
                nullSD: row.testNullSD, nullSkewness: row.testNullSkewness) - 0.8) < 1e-6)
    let cheapest = try #require(try Optimizer.cheapest(d, power: 0.8, analyzer: analyzer))
    #expect(cheapest.medianPower >= 0.8)
}

// MARK: - Caching, contract, recommendations

@Test func reanalysisReusesTheExpectedEffects() throws {
    let analyzer = Analyzer()
    var d = smallDesign()
    _ = try analyzer.analyze(d)
    d.sampling.cellsPerPerturbation = 300
    d.batching.interactionSd = 0.1
    d.measurement.readsPerCell = 5000
    _ = try analyzer.analyze(d)
    #expect(analyzer.effectsComputed == 1)
    d.perturbations.knockdownMean = 0.5
    _ = try analyzer.analyze(d)
    #expect(analyzer.effectsComputed == 2)
}

@Test func analysisJSONHasTheContractKeys() throws {
    let result = try Analyzer.analyze(smallDesign { $0.batching.controlsInFraction = 0.5 })
    let data = try JSONEncoder().encode(result)
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    for key in ["perturbations", "summary", "error_budget", "recommendations"] { #expect(object[key] != nil, "\(key)") }
    let first = try #require((object["perturbations"] as? [[String: Any]])?.first)
    for key in ["name", "target", "cells", "batches", "target_effect", "target_sd", "power", "de_genes"] {
        #expect(first[key] != nil, "\(key)")
    }
    let summary = try #require(object["summary"] as? [String: Any])
    #expect(summary["median_power"] != nil && summary["cost"] != nil)
    let recs = try #require(object["recommendations"] as? [[String: Any]])
    #expect(!recs.isEmpty)
    for rec in recs { for key in ["id", "message", "change"] { #expect(rec[key] != nil) } }
}

@Test func everyRecommendationAppliesThroughTheEditor() throws {
    // Designs that trigger each rule.
    let designs: [Design] = [
        smallDesign { $0.batching.controlsInFraction = 0.5 },
        smallDesign { $0.sampling.controlsFraction = 0.02 },
        smallDesign { $0.batching.layout = .confounded },
        smallDesign {
            $0.batching.interactionSd = 0.4
            $0.sampling.cellsPerPerturbation = 400
            $0.batching.maxCellsPerBatch = 100_000
        },
        smallDesign { $0.measurement.readsPerCell = 200_000 },
        smallDesign { $0.measurement.readsPerCell = 1000 },
        smallDesign {
            $0.sampling.cellsPerPerturbation = 2000
            $0.batching.maxCellsPerBatch = 100_000
        },
    ]
    var seen = Set<String>()
    for d in designs {
        let result = try Analyzer.analyze(d)
        for rec in result.recommendations {
            seen.insert(rec.id)
            #expect(!rec.change.isEmpty, "\(rec.id)")
            var applied = d
            for change in rec.change { applied = try applied.setting(change.path, to: change.value) }
            #expect(applied != d, "\(rec.id) changed nothing")
        }
    }
    for id in [
        "controls-in-every-batch", "control-cells-sqrt-k", "replicate-over-batches", "more-batches-not-cells",
        "sequencing-saturation", "doublet-rate",
    ] {
        #expect(seen.contains(id), "\(id) never fired")
    }
}

@Test func differentiatingDesignsFlagTimeMismatch() throws {
    var d = smallDesign()
    d.system.dynamics = .differentiating
    var diff = MediumSpec(name: "differentiation")
    diff.inputs = [:]
    d.system.media = [MediumSpec(), diff]
    d.protocolSteps = [
        ProtocolStep(medium: "growth", perturb: true, durationH: 24),
        ProtocolStep(medium: "differentiation", perturb: true, durationH: 96),
    ]
    d.sampling.timePointsH = [48, 120]
    d.batching.batches = 4
    d.batching.controlsInFraction = 0.25
    let result = try Analyzer.analyze(d)
    #expect(result.perturbations.count == 40)
    #expect(result.recommendations.contains { $0.id == "time-matched-controls" })
    let fixed = try Analyzer.analyze(d, layout: .perTimePoint)
    #expect(!fixed.recommendations.contains { $0.id == "time-matched-controls" })
}

@Test func highMOIUsesComplementControls() throws {
    let low = try Analyzer().evaluate(smallDesign { $0.batching.controlsInFraction = 0.5 })
    let high = try Analyzer().evaluate(
        smallDesign {
            $0.batching.controlsInFraction = 0.5
            $0.perturbations.moi = 10
        })
    // Complement controls are in every batch: nothing is confounded, and far more controls.
    #expect(low.rows.contains { $0.components.confounding > 0 })
    #expect(high.rows.allSatisfy { $0.components.confounding == 0 && $0.uncontrolledBatches == 0 })
    #expect(high.rows.allSatisfy { $0.components.controlCells > 0 && $0.components.controlCells.isFinite })
    // Each loaded cell carries ~MOI guides, so far fewer cells are loaded.
    #expect(high.cost.cellsLoaded < low.cost.cellsLoaded / 3)
}

@Test func expressionThresholdRemovesTargetsFromTesting() throws {
    let d = smallDesign()
    let base = try Analyzer().evaluate(d)
    var strict = d
    strict.analysis.expressionThreshold = 1e6
    let e = try Analyzer().evaluate(strict)
    #expect(e.testableGenes == 0 && base.testableGenes > 0)
    #expect(e.rows.allSatisfy { $0.power == 0 && $0.flags.contains("target below expression threshold") })
}

@Test func guideSpreadEntersTheErrorButNotTheTestNoise() throws {
    let e = try Analyzer().evaluate(smallDesign())
    let row = try #require(e.medianRow)
    // Var(log κ̄) of two Beta(6, 3) guides is ≈ 0.1197 (natural log²; 4·10⁶ numpy draws).
    let guide = GuideVariation(e.design)
    #expect(abs(guide.meanLogVariance - 0.1197) < 0.002)
    #expect(row.components.guides > 0)
    // The test sees the sampling noise; guides (and, for the GLM, the interaction and batch
    // shifts) spread the true effect: together they are the mean squared error.
    #expect(abs(row.testSD * row.testSD + row.spreadSD * row.spreadSD - row.targetSD * row.targetSD) < 1e-12)
    #expect(row.spreadSD >= row.guideSpread)
    // Power with the spread lies between no spread and spread counted as test noise.
    let z = Normal.quantile(1 - row.level / 2)
    let withSpread = Normal.power(effect: row.observedEffect, sd: row.testSD, critical: z, spread: row.spreadSD)
    #expect(withSpread <= Normal.power(effect: row.observedEffect, sd: row.testSD, critical: z) + 1e-12)
}
