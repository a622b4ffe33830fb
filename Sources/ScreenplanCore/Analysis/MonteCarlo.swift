import Foundation

// MARK: - Monte Carlo check of the analytical error model
//
// Simulate the design N times with the simulator core (each replicate its own seed, so guides,
// batch effects, cells and counts are all redrawn), estimate every perturbation's target log2
// fold change with exactly the estimator of section 4 (pseudo-bulk of library-size-normalised
// counts per perturbation × batch, log, contrast with the same batch's controls or with the mean
// over the control batches of the time point), and compare the empirical variance over
// replicates with the analytical one for the very layout the simulator planned.

/// Empirical against analytical variance of one perturbation's target estimate.
public struct MonteCarloPerturbation: Codable, Equatable, Sendable {
    public var name: String
    public var target: String
    public var timeH: Double
    /// Analytical variance of the target log2 fold change (log2²).
    public var analyticalVariance: Double
    /// Variance over replicates of the estimate (log2², unbiased).
    public var empiricalVariance: Double
    /// empirical / analytical.
    public var ratio: Double
    /// Mean estimate over replicates and the expected (observed) effect (log2).
    public var meanEstimate: Double
    public var expectedEffect: Double
    /// Replicates in which the estimate was finite (a pseudo-bulk with no counts is not).
    public var replicates: Int
    /// The analysis's power for the design's test (`analysis.test`) at this perturbation.
    public var predictedPower: Double? = nil
    /// Share of replicates in which the test rejected the target at the analysis's per-test level.
    public var empiricalPower: Double? = nil
    /// Replicates in which the target was tested.
    public var tests: Int = 0
    /// Mean and standard deviation over replicates of the test's statistic on the target (z, or t
    /// for the t-test), and the model's (its mean statistic and sd at the expected effect, in null
    /// standard deviations): where a power gap comes from, the statistic's location or its spread.
    public var statisticMean: Double? = nil
    public var statisticSD: Double? = nil
    public var predictedStatistic: Double? = nil
    public var predictedStatisticSD: Double? = nil

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case name
        case target
        case timeH = "time_h"
        case analyticalVariance = "analytical_variance"
        case empiricalVariance = "empirical_variance"
        case ratio
        case meanEstimate = "mean_estimate"
        case expectedEffect = "expected_effect"
        case replicates
        case predictedPower = "predicted_power"
        case empiricalPower = "empirical_power"
        case tests
        case statisticMean = "statistic_mean"
        case statisticSD = "statistic_sd"
        case predictedStatistic = "predicted_statistic"
        case predictedStatisticSD = "predicted_statistic_sd"
    }
}

/// Predicted against empirical power over the perturbations whose predicted power falls in one
/// bin of width 0.1.
public struct PowerCalibrationBin: Codable, Equatable, Sendable {
    /// Lower and upper edge of the bin of predicted power.
    public var low: Double
    public var high: Double
    /// Mean predicted power of the perturbations in the bin.
    public var predicted: Double
    /// Mean rejection rate of the test over those perturbations and the replicates.
    public var empirical: Double
    /// Perturbations in the bin.
    public var n: Int
    /// Tests (perturbations × replicates) behind `empirical`; its binomial standard error is
    /// at most √(0.25/tests).
    public var tests: Int
}

/// The 5, 25, 50, 75 and 95% quantiles of the per-perturbation variance ratios.
public struct RatioQuantiles: Codable, Equatable, Sendable {
    /// Quantile qNN is the NN% point (linear interpolation between order statistics).
    public var q05: Double
    public var q25: Double
    public var q50: Double
    public var q75: Double
    public var q95: Double
}

/// The result of `screenplan montecarlo`.
public struct MonteCarloResult: Codable, Equatable, Sendable {
    public var design: String
    public var layout: String
    public var regime: String
    public var replicates: Int
    public var seed: UInt64
    public var perturbations: [MonteCarloPerturbation]
    /// Median over perturbations of empirical / analytical variance.
    public var medianVarianceRatio: Double
    /// Relative standard error of one empirical variance from N replicates: √(2/(N − 1)).
    public var samplingError: Double
    /// Median analytical variance (log2²) and its error budget.
    public var medianAnalyticalVariance: Double
    public var errorBudget: [ErrorBudgetItem]
    public var seconds: Double
    /// The test run on every replicate (`analysis.test`).
    public var test: String = DifferentialTest.glm.rawValue
    /// Predicted against empirical power by bin of predicted power (bins without perturbations
    /// are left out).
    public var powerCalibration: [PowerCalibrationBin] = []
    /// Mean over perturbations and replicates of (predicted power − rejected)², rejected ∈ {0, 1};
    /// null without tests.
    public var brier: Double? = nil
    /// Share of tests on truth-null genes that rejected at the perturbation's per-test level;
    /// compare with `null_level` (its mean). Null without tests.
    public var nullRejectionRate: Double? = nil
    /// Mean per-test level of those tests (the false-positive rate a calibrated test has).
    public var nullLevel: Double? = nil
    /// Share of the same tests with p < analysis.alpha (unadjusted; a calibrated test gives α).
    public var nullRejectionRateAtAlpha: Double? = nil
    /// Tests on truth-null genes (perturbations × null genes × replicates).
    public var nullTests: Int = 0
    /// Median over perturbations of mean estimate − expected effect (log2).
    public var biasMedian: Double? = nil
    /// Quantiles of the variance ratio over perturbations (null without perturbations).
    public var varianceRatioQuantiles: RatioQuantiles? = nil
    /// Truth-null genes tested per perturbation (at most).
    public var nullGenesPerPerturbation: Int = 0
    /// Seconds spent in the simulator (blocks and their hand-over) and in the tests and
    /// accumulation, over all replicates (wall clock; `seconds` is the total).
    public var simulationSeconds: Double = 0
    public var testSeconds: Double = 0

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case design
        case layout
        case regime
        case replicates
        case seed
        case perturbations
        case medianVarianceRatio = "median_variance_ratio"
        case samplingError = "sampling_error"
        case medianAnalyticalVariance = "median_analytical_variance"
        case errorBudget = "error_budget"
        case seconds
        case test
        case powerCalibration = "power_calibration"
        case brier
        case nullRejectionRate = "null_rejection_rate"
        case nullLevel = "null_level"
        case nullRejectionRateAtAlpha = "null_rejection_rate_at_alpha"
        case nullTests = "null_tests"
        case biasMedian = "bias_median"
        case varianceRatioQuantiles = "variance_ratio_quantiles"
        case nullGenesPerPerturbation = "null_genes_per_perturbation"
        case simulationSeconds = "simulation_seconds"
        case testSeconds = "test_seconds"
    }
}

public enum MonteCarlo {
    /// The simulator's plan as an analysis layout, and the design the analysis should read with it.
    ///
    /// The simulator may sample several time points in one batch; the analysis then uses one
    /// layout unit per (batch, time point) and models the shared batch effect as an outer nested
    /// level with the batch's τ (the innermost unit gets τ = 0).
    public static func layout(for design: Design) -> (layout: Layout, design: Design) {
        let simulated = SimulationPlan(design: design)
        // At high MOI the analysis counts the cells carrying each guide, not the plan's rows.
        let plan = (
            counts: simulated.counts.map { SimulationPlan.guideCells($0, moi: design.perturbations.moi) },
            perturbationCount: simulated.perturbationCount, batchCount: simulated.batchCount,
            timePoints: simulated.timePoints
        )
        let k = plan.perturbationCount
        let b = plan.batchCount
        let times = plan.timePoints.count
        let outer = Layout.nestedUnits(design, batches: b)
        if times == 1 {
            var cells = [Int](repeating: 0, count: k * b)
            for p in 0..<k { for u in 0..<b { cells[p * b + u] = plan.counts[0][p][u] } }
            let layout = Layout(
                strategy: design.batching.layout, perturbationCount: k, batchCount: b, cells: cells,
                controls: (0..<b).map { plan.counts[0][k][$0] }, batchTime: [Int](repeating: 0, count: b),
                batchUnits: outer)
            return (layout, design)
        }
        let units = b * times
        var cells = [Int](repeating: 0, count: k * units)
        var controls = [Int](repeating: 0, count: units)
        var unitTime = [Int](repeating: 0, count: units)
        for batch in 0..<b {
            for t in 0..<times {
                let u = batch * times + t
                unitTime[u] = t
                controls[u] = plan.counts[t][k][batch]
                for p in 0..<k { cells[p * units + u] = plan.counts[t][p][batch] }
            }
        }
        var levels = outer.map { level in (0..<units).map { level[$0 / times] } }
        levels.append((0..<units).map { $0 / times })
        var analysed = design
        analysed.batching.nested.append(
            BatchLevel(unit: design.batching.unit, count: b, effectSd: design.batching.batchEffectSd))
        analysed.batching.batchEffectSd = 0
        let layout = Layout(
            strategy: design.batching.layout, perturbationCount: k, batchCount: units, cells: cells,
            controls: controls, batchTime: unitTime, batchUnits: levels)
        return (layout, analysed)
    }

    /// Truth-null genes tested per perturbation, drawn from a shared pool of `nullPoolSize`
    /// testable genes (the same every replicate), to keep the test cheap: the target and these
    /// genes are tested, not every testable gene.
    public static let nullGenesPerPerturbation = 8
    /// Testable non-target genes the null genes are drawn from (drawn once per run from the seed).
    public static let nullPoolSize = 48

    /// Runs `replicates` simulations of `design`, runs `design.analysis.test` on every replicate
    /// and compares variances, power and null rejections with the analysis.
    public static func run(
        design: Design, replicates: Int, seed: UInt64 = 1,
        options: SimulationOptions = SimulationOptions(),
        progress: ProgressReporter? = nil
    ) throws -> MonteCarloResult {
        let started = DispatchTime.now().uptimeNanoseconds
        let network = try NetworkLoader.network(for: design)
        let effects = try ExpectedEffects.compute(design, network: network)
        let (layout, analysed) = layout(for: design)
        // The variance check is of the pseudo-bulk estimator computed below, whatever the test.
        var pseudobulk = analysed
        pseudobulk.analysis.test = .pseudobulk
        let evaluation = Analyzer.evaluate(pseudobulk, layout: layout, effects: effects)
        // The power calibration is of the design's own test: its power and per-test level come
        // from that test's model on the same layout (the pseudo-bulk model's power, compared with
        // the glm's rejections, made the glm look 0.2–0.4 too pessimistic; docs/batching.md §8).
        let powerEvaluation =
            design.analysis.test == .pseudobulk
            ? evaluation : Analyzer.evaluate(analysed, layout: layout, effects: effects)
        let k = layout.perturbationCount
        let units = layout.batchCount
        let times = design.timePoints.count
        let highMOI = design.perturbations.moi > 1
        let test = design.analysis.test
        let alpha = design.analysis.alpha
        let threshold = design.analysis.expressionThreshold
        let umis = design.expectedUMIsPerCell

        // Tested genes and their slots: every target, then a pool of testable genes from which
        // each perturbation takes its truth-null genes (not in its affected-gene list, so
        // |expected effect| < 0.007 log2, below truth.tsv's threshold).
        let measured = effects.geneNames.count
        var slotOf = [Int](repeating: -1, count: measured)
        var slotGene: [Int] = []
        let targetOf: [Int] = effects.targets.map { $0.first ?? 0 }
        for g in targetOf where slotOf[g] < 0 {
            slotOf[g] = slotGene.count
            slotGene.append(g)
        }
        let testable: (Int, Int) -> Bool = { t, g in umis * effects.slices[t].share[g] >= threshold }
        var candidates = (0..<measured).filter { g in slotOf[g] < 0 && (0..<times).allSatisfy { testable($0, g) } }
        var poolRNG = RandomStream(seed: seed, domain: .montecarlo, UInt64.max)
        var pool: [Int] = []
        while pool.count < nullPoolSize && !candidates.isEmpty {
            let j = Int(poolRNG.next() % UInt64(candidates.count))
            candidates.swapAt(j, candidates.count - 1)
            pool.append(candidates.removeLast())
        }
        for g in pool {
            slotOf[g] = slotGene.count
            slotGene.append(g)
        }
        let slots = slotGene.count
        // Per row (t, p): the null genes' slots.
        var nullSlots = [[Int]](repeating: [], count: k * times)
        for t in 0..<times {
            for p in 0..<k {
                let affected = Set(effects.slices[t].genes[p].map(Int.init))
                var order = pool
                var rng = RandomStream(seed: seed, domain: .montecarlo, UInt64.max - 1, UInt64(p))
                order.shuffle(using: &rng)
                nullSlots[t * k + p] = Array(
                    order.filter { !affected.contains($0) && !effects.targets[p].contains($0) }
                        .prefix(nullGenesPerPerturbation).map { slotOf[$0] })
            }
        }
        var perturbationIndex: [String: Int] = [:]
        for (p, name) in effects.names.enumerated() { perturbationIndex[name] = p }
        // Unit of a cell: (batch, time point) → layout unit.
        let unitOf: @Sendable (Int, Int) -> Int = { batch, t in times == 1 ? batch : batch * times + t }
        let slotTable = slotOf
        let guideIndex = perturbationIndex

        // Welford accumulators per row (perturbation × time) of the pseudo-bulk estimate.
        let rowsCount = k * times
        var count = [Int](repeating: 0, count: rowsCount)
        var mean = [Double](repeating: 0, count: rowsCount)
        var m2 = [Double](repeating: 0, count: rowsCount)
        // Target tests and rejections per row; truth-null tests.
        var targetTests = [Int](repeating: 0, count: rowsCount)
        var targetRejections = [Int](repeating: 0, count: rowsCount)
        var statisticSum = [Double](repeating: 0, count: rowsCount)
        var statisticSumSq = [Double](repeating: 0, count: rowsCount)
        var brierSum = 0.0
        var brierCount = 0
        var nullTests = 0
        var nullRejections = 0
        var nullRejectionsAtAlpha = 0
        var nullLevelSum = 0.0
        var simulationSeconds = 0.0
        var testSeconds = 0.0
        let testedRows = evaluation.rows.indices.filter { row in
            let ev = evaluation.rows[row]
            return ev.batches > 0 && ev.targetUMIs >= threshold
        }
        var isTested = [Bool](repeating: false, count: rowsCount)
        for row in testedRows { isTested[row] = true }

        // Replicates are simulated `workers` at a time, one worker each (a replicate of a few
        // blocks cannot keep two workers busy through its set-up and its waves), and tested in
        // replicate order, so the result does not depend on the thread count. Only the tested
        // genes' counts are drawn; the rest enter the library size as one draw
        // (`SimulationOptions.countedGenes`).
        let workers = max(1, options.threads)
        let total = max(2, replicates)
        var replicateOptions = options
        replicateOptions.countedGenes = slotGene
        let previousBLASThreads = BLAS.threads
        BLAS.setThreads(1)
        defer { BLAS.setThreads(previousBLASThreads) }
        var pending: [KeptCells] = []
        var pendingFirst = 0
        for r in 0..<total {
            if progress?.isCancelled == true { throw CancelledError() }
            if r - pendingFirst >= pending.count {
                let simStart = DispatchTime.now().uptimeNanoseconds
                let batch = min(workers, total - r)
                var perReplicate = replicateOptions
                perReplicate.threads = max(1, workers / batch)
                let batchOptions = perReplicate
                let results = WaveSlots<KeptCells>(batch)
                DispatchQueue.concurrentPerform(iterations: batch) { i in
                    do {
                        var seeder = RandomStream(seed: seed, domain: .montecarlo, UInt64(r + i))
                        let repSeed = seeder.next()
                        let model = try Simulator.prepare(
                            design: design, network: network, seed: repSeed, options: batchOptions)
                        var kept = KeptCells(slots: slots)
                        _ = try Simulator.run(
                            model: model, options: batchOptions,
                            transform: { block in
                                KeptCells(
                                    block: block, slots: slots, slotOf: slotTable, highMOI: highMOI,
                                    perturbationIndex: guideIndex, unitOf: unitOf)
                            }, sink: { kept.append($0) })
                        results.values[i] = kept
                    } catch {
                        results.errors[i] = error
                    }
                }
                for i in 0..<batch { if let error = results.errors[i] { throw error } }
                pending = (0..<batch).map { results.values[$0]! }
                pendingFirst = r
                simulationSeconds += Double(DispatchTime.now().uptimeNanoseconds - simStart) / 1e9
            }
            let kept = pending[r - pendingFirst]
            let members = kept.members(perturbations: k)
            let testStart = DispatchTime.now().uptimeNanoseconds
            defer { testSeconds += Double(DispatchTime.now().uptimeNanoseconds - testStart) / 1e9 }

            let timesH = design.timePoints
            for t in 0..<times {
                let atT = { (c: Int) in layout.batchTime[Int(kept.unit[c])] == t }
                var refUnits = (0..<units).filter { layout.batchTime[$0] == t && layout.controls[$0] > 0 }
                var refTime = t
                if refUnits.isEmpty && !highMOI {
                    let times = Set(layout.controlledBatches.map { layout.batchTime[$0] })
                    if let nearest = times.min(by: { abs(timesH[$0] - timesH[t]) < abs(timesH[$1] - timesH[t]) }) {
                        refTime = nearest
                        refUnits = (0..<units).filter { layout.batchTime[$0] == nearest && layout.controls[$0] > 0 }
                    }
                }
                // Reference cells: controls (time-matched, else the nearest time's) at low MOI;
                // every cell of the time point at high MOI (p's own cells are removed per p).
                let reference: [Int] =
                    highMOI
                    ? (0..<kept.count).filter(atT)
                    : (0..<kept.count).filter { kept.control[$0] && layout.batchTime[Int(kept.unit[$0])] == refTime }
                var inP = [Bool](repeating: false, count: kept.count)
                // θ per gene, once per time point, from every cell the analysis keeps there.
                let everyCell = (0..<kept.count).filter(atT)
                var thetaCache: [Int: Double] = [:]
                for p in 0..<k {
                    let row = t * k + p
                    let ev = evaluation.rows[row]
                    guard ev.batches > 0 else { continue }
                    let own = members[p].filter(atT)
                    for c in own { inP[c] = true }
                    defer { for c in own { inP[c] = false } }
                    let ref = highMOI ? reference.filter { !inP[$0] } : reference
                    let pUnits = (0..<units).filter { layout.batchTime[$0] == t && layout.cells[p * units + $0] > 0 }
                    let ownControls = pUnits.map { highMOI || (layout.controls[$0] > 0 && refTime == t) }
                    let level = powerEvaluation.rows[row].level
                    let tested = [slotOf[targetOf[p]]] + nullSlots[row]
                    for (j, s) in tested.enumerated() {
                        if j > 0 && !isTested[row] { break }
                        let pc = kept.gene(s, cells: own)
                        let rc = kept.gene(s, cells: ref)
                        // The pseudo-bulk estimate of the target, for the variance check.
                        var outcome: TestOutcome? = nil
                        if j == 0 || test == .pseudobulk {
                            let pb = DifferentialTests.pseudobulk(
                                perturbed: pc, reference: rc, units: pUnits, own: ownControls,
                                referenceUnits: refUnits)
                            if j == 0, let estimate = pb.estimate, estimate.isFinite {
                                count[row] += 1
                                let delta = estimate - mean[row]
                                mean[row] += delta / Double(count[row])
                                m2[row] += delta * (estimate - mean[row])
                            }
                            if test == .pseudobulk { outcome = pb }
                        }
                        if outcome == nil {
                            switch test {
                            case .glm:
                                let theta: Double
                                if let cached = thetaCache[s] {
                                    theta = cached
                                } else {
                                    theta = DifferentialTests.momentTheta(kept.gene(s, cells: everyCell), units: units)
                                    thetaCache[s] = theta
                                }
                                outcome = DifferentialTests.nbScore(
                                    perturbed: pc, reference: rc, theta: theta, units: units)
                            case .wilcoxon:
                                outcome = DifferentialTests.wilcoxon(
                                    perturbed: pc.logNormalised, reference: rc.logNormalised)
                            case .tTest:
                                outcome = DifferentialTests.welch(
                                    perturbed: pc.logNormalised, reference: rc.logNormalised)
                            case .pseudobulk:
                                outcome = .untestable
                            }
                        }
                        let rejected = outcome!.p < level
                        if j == 0 {
                            guard isTested[row] else { continue }
                            targetTests[row] += 1
                            if rejected { targetRejections[row] += 1 }
                            statisticSum[row] += outcome!.statistic
                            statisticSumSq[row] += outcome!.statistic * outcome!.statistic
                            let miss = powerEvaluation.rows[row].power - (rejected ? 1 : 0)
                            brierSum += miss * miss
                            brierCount += 1
                        } else {
                            nullTests += 1
                            nullLevelSum += level
                            if rejected { nullRejections += 1 }
                            if outcome!.p < alpha { nullRejectionsAtAlpha += 1 }
                        }
                    }
                }
            }
            progress?.report(
                done: Double(r + 1), total: Double(replicates), message: "replicate \(r + 1)/\(replicates)")
        }

        var out: [MonteCarloPerturbation] = []
        for (row, ev) in evaluation.rows.enumerated() where ev.batches > 0 {
            let needed = max(2, Int(0.8 * Double(replicates)))
            guard count[row] >= needed else { continue }
            let empirical = m2[row] / Double(count[row] - 1)
            let analytical = ev.components.total
            var item = MonteCarloPerturbation(
                name: ev.name, target: ev.target, timeH: design.timePoints[ev.timeIndex],
                analyticalVariance: analytical, empiricalVariance: empirical,
                ratio: analytical > 0 ? empirical / analytical : .infinity,
                meanEstimate: mean[row], expectedEffect: ev.observedEffect, replicates: count[row])
            if targetTests[row] > 0 {
                item.predictedPower = powerEvaluation.rows[row].power
                let n = Double(targetTests[row])
                let m = statisticSum[row] / n
                item.statisticMean = m
                item.statisticSD = n > 1 ? (max(0, statisticSumSq[row] - n * m * m) / (n - 1)).squareRoot() : nil
                let pe = powerEvaluation.rows[row]
                if pe.testNullSD.isFinite && pe.testNullSD > 0 {
                    item.predictedStatistic = pe.testEffect / pe.testNullSD
                    item.predictedStatisticSD = (pe.testVariance + pe.spreadVariance).squareRoot() / pe.testNullSD
                }
                item.empiricalPower = Double(targetRejections[row]) / Double(targetTests[row])
                item.tests = targetTests[row]
            }
            out.append(item)
        }
        // Calibration by bin of predicted power, over every tested row.
        var bins: [PowerCalibrationBin] = []
        for b in 0..<10 {
            let low = Double(b) / 10
            let high = Double(b + 1) / 10
            let rows = testedRows.filter { row in
                let p = powerEvaluation.rows[row].power
                return targetTests[row] > 0 && p >= low && (p < high || (b == 9 && p <= 1))
            }
            guard !rows.isEmpty else { continue }
            let predicted = rows.reduce(0) { $0 + powerEvaluation.rows[$1].power } / Double(rows.count)
            let empirical =
                rows.reduce(0) { $0 + Double(targetRejections[$1]) / Double(targetTests[$1]) } / Double(rows.count)
            bins.append(
                PowerCalibrationBin(
                    low: low, high: high, predicted: predicted, empirical: empirical, n: rows.count,
                    tests: rows.reduce(0) { $0 + targetTests[$1] }))
        }
        let ratios = out.map(\.ratio).filter(\.isFinite).sorted()
        func quantile(_ q: Double) -> Double {
            // Linear interpolation between order statistics (type 7, as numpy's default).
            let h = q * Double(ratios.count - 1)
            let lo = Int(h.rounded(.down))
            let hi = min(ratios.count - 1, lo + 1)
            return ratios[lo] + (h - Double(lo)) * (ratios[hi] - ratios[lo])
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        var result = MonteCarloResult(
            design: design.name, layout: design.batching.layout.rawValue,
            regime: "\(design.system.regime.rawValue), \(design.system.dynamics.rawValue)",
            replicates: replicates, seed: seed, perturbations: out,
            medianVarianceRatio: median(out.map(\.ratio)),
            samplingError: (2 / Double(max(1, replicates - 1))).squareRoot(),
            medianAnalyticalVariance: evaluation.medianVariance, errorBudget: evaluation.errorBudget,
            seconds: seconds)
        result.test = test.rawValue
        result.powerCalibration = bins
        result.brier = brierCount > 0 ? brierSum / Double(brierCount) : nil
        result.nullTests = nullTests
        if nullTests > 0 {
            result.nullRejectionRate = Double(nullRejections) / Double(nullTests)
            result.nullLevel = nullLevelSum / Double(nullTests)
            result.nullRejectionRateAtAlpha = Double(nullRejectionsAtAlpha) / Double(nullTests)
        }
        result.biasMedian = out.isEmpty ? nil : median(out.map { $0.meanEstimate - $0.expectedEffect })
        if !ratios.isEmpty {
            result.varianceRatioQuantiles = RatioQuantiles(
                q05: quantile(0.05), q25: quantile(0.25), q50: quantile(0.5),
                q75: quantile(0.75), q95: quantile(0.95))
        }
        result.nullGenesPerPerturbation = nullGenesPerPerturbation
        result.simulationSeconds = simulationSeconds
        result.testSeconds = testSeconds
        return result
    }
}

/// What the Monte Carlo keeps of the cells an analysis uses (assigned to a perturbation, or a
/// control; every cell at high MOI): layout unit, library size, assignment and the counts of the
/// tested genes only (cells × tested genes, never the whole matrix).
struct KeptCells: Sendable {
    let slots: Int
    var unit: [Int32] = []
    var library: [Double] = []
    var control: [Bool] = []
    /// Perturbations each cell is assigned to, CSR: `assigned[assignedOffsets[c]..<assignedOffsets[c+1]]`.
    var assigned: [Int32] = []
    var assignedOffsets: [Int] = [0]
    /// Counts of the tested genes, cell-major (`counts[c·slots + s]`).
    var counts: [Int32] = []

    var count: Int { unit.count }

    init(slots: Int) { self.slots = slots }

    init(
        block: SimulatedBlock, slots: Int, slotOf: [Int], highMOI: Bool, perturbationIndex: [String: Int],
        unitOf: (Int, Int) -> Int
    ) {
        self.slots = slots
        var row = [Int32](repeating: 0, count: slots)
        for (j, cell) in block.cells.enumerated() {
            guard cell.librarySize > 0 else { continue }
            // Perturbations an analysis assigns this cell to, from its detected guides.
            var perts: [Int32] = []
            var isControl = false
            if highMOI {
                for guide in cell.detectedGuides {
                    if guide.hasPrefix("non-targeting") { continue }
                    if let cut = guide.range(of: "_g", options: .backwards),
                        let p = perturbationIndex[String(guide[..<cut.lowerBound])], !perts.contains(Int32(p))
                    {
                        perts.append(Int32(p))
                    }
                }
                isControl = true  // complement controls: every cell, minus p's own
            } else if cell.observedPerturbation >= 0 {
                perts = [Int32(cell.observedPerturbation)]
            } else if cell.observedPerturbation == -1
                && cell.detectedGuides.contains(where: { $0.hasPrefix("non-targeting") })
            {
                isControl = true
            } else {
                continue  // unassigned (no guide detected) or ambiguous: dropped
            }
            for s in 0..<slots { row[s] = 0 }
            for e in block.offsets[j]..<block.offsets[j + 1] {
                let s = slotOf[Int(block.geneIndices[e])]
                if s >= 0 { row[s] = block.counts[e] }
            }
            unit.append(Int32(unitOf(cell.batch, cell.timePointIndex)))
            library.append(Double(cell.librarySize))
            control.append(isControl)
            assigned += perts
            assignedOffsets.append(assigned.count)
            counts += row
        }
    }

    mutating func append(_ other: KeptCells) {
        unit += other.unit
        library += other.library
        control += other.control
        let base = assigned.count
        assigned += other.assigned
        assignedOffsets += other.assignedOffsets.dropFirst().map { $0 + base }
        counts += other.counts
    }

    /// The cells assigned to each perturbation.
    func members(perturbations k: Int) -> [[Int]] {
        var out = [[Int]](repeating: [], count: k)
        for c in 0..<count {
            for e in assignedOffsets[c]..<assignedOffsets[c + 1] { out[Int(assigned[e])].append(c) }
        }
        return out
    }

    /// Slot `s`'s counts in `cells`, with their library sizes and units.
    func gene(_ s: Int, cells: [Int]) -> GeneCells {
        var g = GeneCells()
        g.counts.reserveCapacity(cells.count)
        g.library.reserveCapacity(cells.count)
        g.unit.reserveCapacity(cells.count)
        for c in cells {
            g.counts.append(Double(counts[c * slots + s]))
            g.library.append(library[c])
            g.unit.append(Int(unit[c]))
        }
        return g
    }
}
