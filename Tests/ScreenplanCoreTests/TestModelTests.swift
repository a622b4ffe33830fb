import Foundation
import TestSupport
import Testing

@_spi(Testing) @testable import ScreenplanCore

// The per-test power models (analysis.test): the GLM's information, the scanpy tests' statistics,
// and the layout behaviour a lab's test has (docs/batching.md, section 2.6).

private func glmDesign(_ edit: (inout Design) -> Void = { _ in }) -> Design {
    smallDesign {
        $0.analysis.test = .glm
        $0.batching.maxCellsPerBatch = 10_000_000
        edit(&$0)
    }
}

// MARK: - Layout behaviour of the GLM

@Test func spreadingTheSameCellsOverMoreLanesKeepsGLMPower() throws {
    // Same cells per perturbation and the same control total (√K rule), controls in every lane.
    // Multiplets are switched off: more cells per lane means more multiplets, a real loss the
    // doublet model counts, which is not the point here.
    func powers(_ lanes: Int) throws -> [Double] {
        let d = glmDesign {
            $0.batching.batches = lanes
            $0.measurement.doubletRatePerCell = 0
        }
        return try Analyzer().evaluate(d).rows.map(\.power)
    }
    let two = try powers(2)
    let eight = try powers(8)
    let many = try powers(32)
    #expect(two.count == eight.count && two.count == many.count)
    for i in two.indices {
        #expect(
            abs(two[i] - eight[i]) <= 0.02 && abs(two[i] - many[i]) <= 0.02,
            "perturbation \(i): \(two[i]) \(eight[i]) \(many[i])")
    }
    // Some power is neither 0 nor 1, so the comparison means something.
    #expect(two.contains { $0 > 0.05 && $0 < 0.95 })
}

@Test func confoundedNeverBeatsPooledAtEqualCells() throws {
    var designs: [Design] = [
        glmDesign(),
        glmDesign { $0.batching.batches = 8 },
        glmDesign {
            $0.batching.batches = 8
            $0.batching.controlsInFraction = 0.5
        },
        glmDesign {
            $0.batching.batches = 6
            $0.sampling.cellsPerPerturbation = 30
        },
    ]
    var k562 = try DesignLoader.load(path: sampleScreen("k562-essential-crispri.yaml")).design
    k562.batching.batches = 83
    k562.analysis.test = .glm
    designs.append(k562)
    for d in designs {
        let analyzer = Analyzer()
        let pooled = try analyzer.evaluate(d, layout: .pooled)
        let confounded = try analyzer.evaluate(d, layout: .confounded)
        let sub = try analyzer.evaluate(d, layout: .subLibraries)
        #expect(
            pooled.layout.perturbedCellsPerBatch.reduce(0, +) == confounded.layout.perturbedCellsPerBatch.reduce(0, +))
        #expect(confounded.medianPower <= pooled.medianPower + 1e-9, "\(d.name) \(d.batching.batches) lanes")
        #expect(sub.medianPower <= pooled.medianPower + 1e-9, "\(d.name) \(d.batching.batches) lanes")
    }
}

@Test func removingControlsFromHalfTheLanesLowersGLMPower() throws {
    let everywhere = try Analyzer().evaluate(glmDesign { $0.batching.batches = 8 })
    let half = try Analyzer().evaluate(
        glmDesign {
            $0.batching.batches = 8
            $0.batching.controlsInFraction = 0.5
        })
    #expect(half.medianPower < everywhere.medianPower)
    for (a, b) in zip(everywhere.rows, half.rows) where a.power > 1e-6 && a.power < 1 - 1e-6 {
        #expect(b.power < a.power)
        #expect(b.components.total > a.components.total)
    }
    // Lanes without controls force a pooled fit: flagged, and the batch effects come back.
    #expect(half.rows.allSatisfy { $0.flags.contains { $0.contains("fitted without batch covariates") } })
    #expect(half.rows.allSatisfy { $0.components.confounding > 0 })
    #expect(everywhere.rows.allSatisfy { $0.components.confounding == 0 })
}

// MARK: - The GLM's information

@Test func glmScoreMatchesTheFisherInformationOfAnExplicitCellSet() throws {
    // Two batches with perturbed and control cells at explicit library sizes (quantiles of
    // LogNormal(0, 0.4²)). Brute force: the NB working-weight Fisher matrix of (α₁, α₂, β) at
    // β = 0, inverted. With α_b fitted on each batch's own cells (the union fit SCEPTRE uses) the
    // score test's variance for small effects, 1/zPerFold², is the profiled information's
    // inverse times κ ≥ 1, the price of fitting α_b by Poisson rather than NB weights (κ = 1 for
    // Poisson counts), whatever the batches' perturbed-to-control ratios.
    let s = 0.4
    let theta = 1.5
    let m = 3.0
    let cellsPerGroup = 4000
    let libraries = (0..<cellsPerGroup).map { i in
        Foundation.exp(s * Normal.quantile((Double(i) + 0.5) / Double(cellsPerGroup)))
    }
    func bruteForce(_ groups: [(batch: Int, perturbed: Bool, copies: Double)]) -> Double {
        var info = [[Double]](repeating: [Double](repeating: 0, count: 3), count: 3)
        for g in groups {
            for l in libraries {
                let mu = m * l
                let w = g.copies * mu / (1 + mu / theta)
                let x = [g.batch == 0 ? 1.0 : 0, g.batch == 1 ? 1.0 : 0, g.perturbed ? 1.0 : 0]
                for a in 0..<3 { for b in 0..<3 { info[a][b] += w * x[a] * x[b] } }
            }
        }
        let i = info
        let det =
            i[0][0] * (i[1][1] * i[2][2] - i[1][2] * i[2][1]) - i[0][1] * (i[1][0] * i[2][2] - i[1][2] * i[2][0])
            + i[0][2] * (i[1][0] * i[2][1] - i[1][1] * i[2][0])
        return (i[0][0] * i[1][1] - i[0][1] * i[1][0]) / det  // [I⁻¹]_ββ
    }
    let nodes = LibraryNodes(sd: s, count: TestModels.smoothNodes)
    let g = CellGroup(mean: m, mixing: 1 / theta)
    let w0 = TestModels.glmWeight(g, nodes: nodes)
    let n = Double(cellsPerGroup)
    func score(_ pairs: [(n: Double, n0: Double, count: Int)]) -> (zPerFold: Double, varianceRatio: Double) {
        let s = TestModels.glmScore(
            pairs, perturbed: g, control: g, perturbedAssigned: 1, controlAssigned: 1, nodes: nodes, nullInfo: w0)
        return (s.zPerFold, s.varianceRatio)
    }
    // Same ratio (1:3) in both batches.
    let equal = score([(n * 1, n * 3, 1), (n * 2, n * 6, 1)])
    let fisher = bruteForce([(0, true, 1), (0, false, 3), (1, true, 2), (1, false, 6)])
    // The quantile grid of 4,000 cells integrates the smooth weight to ~1e-4; at θ = 1.5 and
    // m = 3 the Poisson fit costs κ − 1 ≈ 2.7%.
    let kappa = 1 / (equal.zPerFold * equal.zPerFold) / fisher
    #expect(kappa > 1 - 1e-3 && kappa < 1.04, "\(1 / (equal.zPerFold * equal.zPerFold)) vs \(fisher)")
    let poisson = CellGroup(mean: m, mixing: 1e-9)
    let poissonScore = TestModels.glmScore(
        [(n * 1, n * 3, 1), (n * 2, n * 6, 1)], perturbed: poisson, control: poisson, perturbedAssigned: 1,
        controlAssigned: 1, nodes: nodes, nullInfo: TestModels.glmWeight(poisson, nodes: nodes))
    let poissonInfo = (n * 1 * 3 / 4 + n * 2 * 6 / 8) * m * Foundation.exp(s * s / 2)
    #expect(abs(poissonScore.zPerFold * poissonScore.zPerFold / poissonInfo - 1) < 1e-3)
    // Under the null the alternative variance is the null variance.
    #expect(abs(equal.varianceRatio - 1) < 1e-9, "\(equal.varianceRatio)")
    // Different ratios: with α_b fitted on each batch's own cells the score is as efficient as
    // the profiled information.
    let unequal = score([(n * 1, n * 3, 1), (n * 2, n * 1, 1)])
    let fisherUnequal = bruteForce([(0, true, 1), (0, false, 3), (1, true, 2), (1, false, 1)])
    let kappaUnequal = 1 / (unequal.zPerFold * unequal.zPerFold) / fisherUnequal
    #expect(kappaUnequal > 1 - 1e-3 && kappaUnequal < 1.1, "\(kappaUnequal)")
    let poissonUnequal = TestModels.glmScore(
        [(n * 1, n * 3, 1), (n * 2, n * 1, 1)], perturbed: poisson, control: poisson, perturbedAssigned: 1,
        controlAssigned: 1, nodes: nodes, nullInfo: TestModels.glmWeight(poisson, nodes: nodes))
    let poissonInfoUnequal = (n * 1 * 3 / 4 + n * 2 * 1 / 3) * m * Foundation.exp(s * s / 2)
    #expect(abs(poissonUnequal.zPerFold * poissonUnequal.zPerFold / poissonInfoUnequal - 1) < 1e-3)
    // A batch without controls adds nothing.
    let extra = score([(n * 1, n * 3, 1), (n * 2, n * 6, 1), (n * 5, 0, 1)])
    #expect(extra.zPerFold == equal.zPerFold)
}

@Test func glmScorePowerGrowsWithTheKnockdownUpToCompleteLoss() throws {
    // A Wald test with the information at the alternative loses power as the knockdown nears
    // 100% (the Hauck–Donner effect); the score test SCEPTRE computes does not.
    let d = glmDesign { $0.analysis.effect = .fixed }
    let e = try Analyzer().evaluate(d)
    let p = Analyzer.typicalPerturbation(e.layout)
    let level = e.rows[p].level
    let umis = e.testableUMIs[e.testableUMIs.count / 2]
    var last = 0.0
    for effect in [-0.25, -0.5, -1, -2, -4, -8] {
        let power = Analyzer.genePower(d, layout: e.layout, perturbation: p, umis: umis, effect: effect, level: level)
        #expect(power >= last - 1e-12, "\(effect): \(power) < \(last)")
        last = power
    }
    #expect(last > 0.5)
}

// MARK: - scanpy's tests against a direct simulation of NB cells

/// Cells y | L ~ NB(mean·L, θ) with L ~ LogNormal(0, s²), zero-inflated with π₀; returns (y, L).
private func simulateCells(_ g: CellGroup, count: Int, librarySD s: Double, stream: UInt64) -> [(Int, Double)] {
    var rng = RandomStream(seed: 2026, domain: .measurement, stream)
    return (0..<count).map { _ in
        let l = Foundation.exp(s * rng.normal())
        var y = rng.negativeBinomial(mean: g.mean * l, size: 1 / g.mixing)
        if g.zeroInflation > 0 && rng.uniform() < g.zeroInflation { y = 0 }
        return (y, l)
    }
}

@Test(arguments: [(2.0, 0.5, 0.0), (0.4, 2.0, 0.0), (6.0, 0.7, 0.2)])
func rankProbabilityAndMomentsMatchSimulatedCells(_ c: (mean: Double, fold: Double, zi: Double)) throws {
    let s = 0.4
    let theta = 1.5
    let scale = 1e4 / 8000
    let control = CellGroup(mean: c.mean, mixing: 1 / theta, zeroInflation: c.zi)
    let perturbed = CellGroup(mean: c.mean * c.fold, mixing: 1 / theta, zeroInflation: c.zi)
    let n = 200_000
    let xp = simulateCells(perturbed, count: n, librarySD: s, stream: 1).map { Double($0.0) / $0.1 }
    let x0 = simulateCells(control, count: n, librarySD: s, stream: 2).map { Double($0.0) / $0.1 }
    // P = Pr(X_p > X_0) + ½Pr(=) over independent pairs; its standard error is ≤ 0.5/√n = 0.0011,
    // so 0.005 (4.5 SE) leaves room for the quadrature's own error.
    var wins = 0.0
    for k in 0..<n { wins += xp[k] > x0[k] ? 1 : (xp[k] == x0[k] ? 0.5 : 0) }
    let r = TestModels.rankProbability(perturbed, control, librarySD: s)
    #expect(abs(wins / Double(n) - r.p) < 0.005, "P \(wins / Double(n)) vs \(r.p)")
    let zeros = Double(x0.filter { $0 == 0 }.count) / Double(n)
    #expect(abs(zeros - r.zeroC) < 0.005)
    // log1p(scale·y/L): mean within 5 standard errors, variance within 5 of its standard errors.
    let v = x0.map { Foundation.log1p(scale * $0) }
    let mean = v.reduce(0, +) / Double(n)
    let variance = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
    let fourth = v.reduce(0) { $0 + pow($1 - mean, 4) } / Double(n)
    let analytic = TestModels.logNormalisedMoments(control, librarySD: s, scale: scale)
    #expect(abs(mean - analytic.mean) < 5 * (variance / Double(n)).squareRoot(), "mean \(mean) vs \(analytic.mean)")
    #expect(
        abs(variance - analytic.variance) < 5 * ((fourth - variance * variance) / Double(n)).squareRoot(),
        "variance \(variance) vs \(analytic.variance)")
}

@Test func scanpyStatisticsMatchSimulatedScreens() throws {
    // 1,500 simulated two-group experiments (60 perturbed, 300 control cells): the mean of the
    // tie-corrected Wilcoxon z and of Welch's t against the analytical standardised statistic,
    // and the null variance of the rank sum against the tie-corrected formula. One z has sd ≈ 1,
    // so the mean of 1,500 has SE ≈ 0.026: tolerance 0.12 (≈ 4.5 SE). The null variance of
    // 1,500 draws has relative SE √(2/1500) = 3.7%: tolerance 15%.
    let s = 0.4
    let theta = 1.5
    let scale = 1e4 / 8000
    let control = CellGroup(mean: 1.5, mixing: 1 / theta)
    let perturbed = CellGroup(mean: 1.5 * 0.6, mixing: 1 / theta)
    let np = 60
    let n0 = 300
    let reps = 1500
    var zW = 0.0
    var zT = 0.0
    var nullU: [Double] = []
    for r in 0..<reps {
        let p = simulateCells(perturbed, count: np, librarySD: s, stream: UInt64(10 + 3 * r)).map {
            Double($0.0) / $0.1
        }
        let c = simulateCells(control, count: n0, librarySD: s, stream: UInt64(11 + 3 * r)).map { Double($0.0) / $0.1 }
        let nullP = simulateCells(control, count: np, librarySD: s, stream: UInt64(12 + 3 * r)).map {
            Double($0.0) / $0.1
        }
        let w = rankSum(p, c)
        let n = Double(np + n0)
        let sd = (Double(np * n0) * (n + 1) / 12 * w.tieFactor).squareRoot()
        zW += (w.u - Double(np * n0) / 2) / sd
        nullU.append(rankSum(nullP, c).u)
        let lp = p.map { Foundation.log1p(scale * $0) }
        let lc = c.map { Foundation.log1p(scale * $0) }
        func mv(_ x: [Double]) -> (Double, Double) {
            let m = x.reduce(0, +) / Double(x.count)
            return (m, x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1))
        }
        let (mp, vp) = mv(lp)
        let (mc, vc) = mv(lc)
        zT += (mp - mc) / (vp / Double(np) + vc / Double(n0)).squareRoot()
    }
    let wilcoxon = TestModels.standardisedStatistic(
        .wilcoxon, perturbed: perturbed, control: control,
        np: Double(np), n0: Double(n0), librarySD: s, scale: scale)
    let welch = TestModels.standardisedStatistic(
        .tTest, perturbed: perturbed, control: control,
        np: Double(np), n0: Double(n0), librarySD: s, scale: scale)
    #expect(abs(zW / Double(reps) - wilcoxon.z) < 0.12, "wilcoxon \(zW / Double(reps)) vs \(wilcoxon.z)")
    #expect(abs(zT / Double(reps) - welch.z) < 0.12, "t-test \(zT / Double(reps)) vs \(welch.z)")
    // Null variance of U with the zeros' ties.
    let meanU = nullU.reduce(0, +) / Double(reps)
    let varU = nullU.reduce(0) { $0 + ($1 - meanU) * ($1 - meanU) } / Double(reps - 1)
    let r = TestModels.rankProbability(control, control, librarySD: s)
    let n = Double(np + n0)
    let analytic = Double(np * n0) * (n + 1) / 12 * (1 - r.zeroC * r.zeroC * r.zeroC)
    #expect(abs(varU / analytic - 1) < 0.15, "null variance \(varU) vs \(analytic)")
    #expect(abs(r.p - 0.5) < 1e-9)
}

@Test func everyTestGivesItsOwnPowerAndSamplingPowerBoundsIt() throws {
    for test in DifferentialTest.allCases {
        let e = try Analyzer().evaluate(smallDesign { $0.analysis.test = test })
        #expect(e.rows.allSatisfy { $0.test == test })
        for row in e.rows where row.targetUMIs >= e.design.analysis.expressionThreshold {
            // Beyond the critical value a spread of the effect can only lose power.
            if row.samplingPower > 0.6 { #expect(row.samplingPower >= row.power - 1e-9, "\(test) \(row.name)") }
            #expect(row.guideEffectProbability >= 0 && row.guideEffectProbability <= 1)
        }
    }
}

// MARK: - One definition of a design's cells

@Test func atHighMOIValidateAndAnalyzeAgreeOnCellsLoaded() throws {
    // The case: a moi-10 design whose cells fit in its lanes only when each cell is
    // counted with its ~10 guides (3,000 slots / 10 + 300 controls = 600 cells, 750 loaded;
    // one guide per cell would need 4,125 loaded for a capacity of 2,000).
    let text = """
        name: moi ten
        system:
          genes: 200
          network: {seed: 3, regulators: 40}
        perturbations:
          targets: 100
          moi: 10
        sampling:
          cells_per_perturbation: 30
        measurement:
          measured_genes: 500
        batching:
          batches: 2
          max_cells_per_batch: 1000
        """
    let loaded = try DesignLoader.load(text: text, file: "moi10.yaml")
    #expect(!DesignValidator.validate(loaded).contains { $0.path == "batching.batches" })
    let d = loaded.design
    let e = try Analyzer().evaluate(d)
    #expect(d.cellsLoaded == e.cost.cellsLoaded)
    #expect(d.cellsLoaded == CellBudget(d, layout: e.layout).loaded)
    #expect(d.cellsLoaded == 750)
    // Low MOI: the same agreement.
    var low = d
    low.perturbations.moi = 0.3
    low.batching.maxCellsPerBatch = 100_000
    #expect(low.cellsLoaded == (try Analyzer().evaluate(low)).cost.cellsLoaded)
}

// MARK: - Skewness of the GLM score

/// The null skewness the power model gives the score (`glmScore(nullThird:)`) is the skewness of
/// U = Σ_p r_c − (I_p/I_0) Σ_0 r_c, r_c = (y_c − μL_c)/(1 + μL_c/θ), over simulated null cells:
/// low counts make it clearly right-skewed, which is what moves the rejection thresholds.
@Test func glmScoreSkewnessMatchesSimulatedNullCells() throws {
    let s = 0.4
    let theta = 1.5
    let mean = 0.3
    let np = 30
    let n0 = 300
    let g = CellGroup(mean: mean, mixing: 1 / theta, zeroInflation: 0)
    let nodes = LibraryNodes(sd: s, count: 33)
    let w = TestModels.glmWeight(g, nodes: nodes)
    let score = TestModels.glmScore(
        [(n: Double(np), n0: Double(n0), count: 1)], perturbed: g, control: g, perturbedAssigned: 1,
        controlAssigned: 1, nodes: nodes, nullInfo: w, nullThird: TestModels.glmThirdCumulant(g, nodes: nodes))
    let replicates = 20_000
    var rng = RandomStream(seed: 2026, domain: .measurement, 77)
    let ratio = Double(np) / Double(n0)
    var u = [Double](repeating: 0, count: replicates)
    for r in 0..<replicates {
        var sp = 0.0
        var s0 = 0.0
        for c in 0..<(np + n0) {
            let l = Foundation.exp(s * rng.normal())
            let mu = mean * l
            let y = Double(rng.negativeBinomial(mean: mu, size: theta))
            let contribution = (y - mu) / (1 + mu / theta)
            if c < np { sp += contribution } else { s0 += contribution }
        }
        u[r] = sp - ratio * s0
    }
    let m = u.reduce(0, +) / Double(replicates)
    let m2 = u.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(replicates)
    let m3 = u.reduce(0) { $0 + pow($1 - m, 3) } / Double(replicates)
    let empirical = m3 / pow(m2, 1.5)
    // The sample skewness of 20,000 draws has a standard error of about √(6/20,000) = 0.017;
    // 0.07 is four of them.
    #expect(score.skewness > 0.2, "a low-count score is right-skewed: \(score.skewness)")
    #expect(abs(empirical - score.skewness) < 0.07, "skewness simulated \(empirical) vs model \(score.skewness)")
    // A right-skewed null makes a decrease easier to detect than an increase of the same size.
    let z = Normal.quantile(1 - 0.001 / 2)
    let down = Normal.power(effect: -0.5, sd: 0.2, critical: z, nullSD: 0.2, nullSkewness: score.skewness)
    let up = Normal.power(effect: 0.5, sd: 0.2, critical: z, nullSD: 0.2, nullSkewness: score.skewness)
    #expect(down > Normal.power(effect: -0.5, sd: 0.2, critical: z, nullSD: 0.2) && up < down)
}

// MARK: - The union fit of the GLM score

/// SCEPTRE (and montecarlo's `nbScore`) fit the gene's null model on the perturbation's cells
/// and its controls together, so a knockdown pulls the fitted mean down by the perturbed cells'
/// share f and their residuals are (1 − f) of the fold's. The model's E z and sd of z
/// (`glmScore`) against simulated cells scored that way: one batch, 20 perturbed and 150 control
/// cells (f = 0.12, the validation design's share), a Poisson fit of the intercept with library
/// size as offset, NB weights with the true θ. The control-fit model (the fold times the
/// profiled information's root) under-stated |E z| by 5–7% here (docs/batching.md, 2.6).
@Test func glmScoreMatchesSimulatedCellsScoredWithTheUnionFit() throws {
    let s = 0.4
    let np = 20
    let n0 = 150
    let replicates = 3000
    for (index, setting) in [(mean: 1.0, fold: 0.3, mixing: 0.3), (mean: 5.0, fold: 0.3, mixing: 0.3)].enumerated() {
        var rng = RandomStream(seed: 2026, domain: .measurement, UInt64(90 + index))
        var zs: [Double] = []
        zs.reserveCapacity(replicates)
        for _ in 0..<replicates {
            var y = [Double](repeating: 0, count: np + n0)
            var l = [Double](repeating: 0, count: np + n0)
            for c in 0..<(np + n0) {
                l[c] = Foundation.exp(s * rng.normal())
                let mu = setting.mean * l[c] * (c < np ? setting.fold : 1)
                y[c] = Double(rng.negativeBinomial(mean: mu, size: 1 / setting.mixing))
            }
            let fitted = y.reduce(0, +) / l.reduce(0, +)
            var u = 0.0
            var ip = 0.0
            var total = 0.0
            for c in 0..<(np + n0) {
                let mu = fitted * l[c]
                let d = 1 + mu * setting.mixing
                if c < np {
                    u += (y[c] - mu) / d
                    ip += mu / d
                }
                total += mu / d
            }
            zs.append(u / (ip - ip * ip / total).squareRoot())
        }
        let mean = zs.reduce(0, +) / Double(replicates)
        let sd = (zs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(replicates - 1)).squareRoot()
        let nodes = LibraryNodes(sd: s, count: TestModels.smoothNodes)
        let g0 = CellGroup(mean: setting.mean, mixing: setting.mixing)
        let gp = CellGroup(mean: setting.mean * setting.fold, mixing: setting.mixing)
        let model = TestModels.glmScore(
            [(n: Double(np), n0: Double(n0), count: 1)], perturbed: gp, control: g0, perturbedAssigned: 1,
            controlAssigned: 1, nodes: nodes, nullInfo: TestModels.glmWeight(g0, nodes: nodes))
        let controlFit = (setting.fold - 1) * model.zPerFold
        // The mean of 3,000 z's has a standard error of sd/√3000 ≈ 0.01; 0.05 is five of them,
        // and the control-fit value is 0.15–0.3 away.
        #expect(abs(model.z - mean) < 0.05, "E z simulated \(mean), model \(model.z)")
        #expect(abs(controlFit - mean) > 0.1, "control fit \(controlFit) vs simulated \(mean)")
        // The sd's standard error is about sd/√6000 ≈ 0.007.
        let modelSD = model.varianceRatio.squareRoot()
        #expect(abs(modelSD - sd) < 0.035, "sd of z simulated \(sd), model \(modelSD)")
    }
}

/// A low-count knockdown: with every perturbed cell at zero the union-fit score is −Σ_p w_c, so
/// z cannot go below −|z_min| (`glmScore(...).floor`). At 0.25 UMIs per cell and 20 perturbed
/// cells |z_min| is near the α = 0.01 threshold (screens with no count at all carry much of the
/// power, about the mass the normal tail puts below the floor); at 0.12 UMIs the threshold lies
/// beyond the floor and no screen rejects, while the normal tail still credits it with power.
@Test(arguments: [0.12, 0.25, 0.6])
func glmScoreFloorBoundsTheDetectableDecreaseAtLowCounts(mean: Double) throws {
    let s = 0.4
    let np = 20
    let n0 = 150
    let (fold, mixing) = (0.33, 0.3)
    let nodes = LibraryNodes(sd: s, count: TestModels.smoothNodes)
    let g0 = CellGroup(mean: mean, mixing: mixing)
    let gp = CellGroup(mean: mean * fold, mixing: mixing)
    let model = TestModels.glmScore(
        [(n: Double(np), n0: Double(n0), count: 1)], perturbed: gp, control: g0, perturbedAssigned: 1,
        controlAssigned: 1, nodes: nodes, nullInfo: TestModels.glmWeight(g0, nodes: nodes),
        nullThird: TestModels.glmThirdCumulant(g0, nodes: nodes))
    let z = Normal.quantile(1 - 0.01 / 2)
    // The skew-normal lower quantile the model (and pysceptre's fitted curve) rejects beyond.
    let threshold = -SkewNormal.criticalValues(z: z, skewness: model.skewness).lower
    let replicates = 20_000
    var rng = RandomStream(seed: 2026, domain: .measurement, 95)
    var rejected = 0
    for _ in 0..<replicates {
        var y = [Double](repeating: 0, count: np + n0)
        var l = [Double](repeating: 0, count: np + n0)
        for c in 0..<(np + n0) {
            l[c] = Foundation.exp(s * rng.normal())
            y[c] = Double(rng.negativeBinomial(mean: mean * l[c] * (c < np ? fold : 1), size: 1 / mixing))
        }
        let (u, ip, total) = unionFitScore(y, l, perturbed: np, mixing: mixing)
        if ip > 0 && u / (ip - ip * ip / total).squareRoot() < threshold { rejected += 1 }
    }
    let empirical = Double(rejected) / Double(replicates)
    // In log2-equivalent units as the analysis passes them: effect δ, null sd δ/E z.
    let delta = Foundation.log2(fold)
    let nullSD = abs(delta / model.z)
    let sd = nullSD * model.varianceRatio.squareRoot()
    let normal = Normal.power(
        effect: delta, sd: sd, critical: z, nullSD: nullSD, nullSkewness: model.skewness)
    let bounded = Normal.power(
        effect: delta, sd: sd, critical: z, nullSD: nullSD, nullSkewness: model.skewness,
        floor: model.floor * nullSD)
    // The rate's standard error is below 0.0035 here.
    #expect(abs(bounded - empirical) < 0.03, "simulated \(empirical), bounded tail \(bounded), normal \(normal)")
    if mean < 0.2 {
        #expect(empirical < 0.005 && bounded < 0.005 && normal > 0.03, "\(empirical) \(bounded) \(normal)")
    }
    // No floor: the plain normal tail; a threshold beyond the floor: nothing to detect.
    #expect(
        Normal.power(effect: -0.5, sd: 0.2, critical: z, floor: .infinity)
            == Normal.power(effect: -0.5, sd: 0.2, critical: z))
    #expect(Normal.power(effect: -0.5, sd: 0.2, critical: z, floor: 0.4) < 1e-6)
    #expect(
        Normal.power(effect: -0.5, sd: 0.2, critical: z, floor: 4) == Normal.power(effect: -0.5, sd: 0.2, critical: z))
}
