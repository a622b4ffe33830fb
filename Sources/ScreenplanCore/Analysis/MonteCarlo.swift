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
    public var time_h: Double
    /// Analytical variance of the target log2 fold change (log2²).
    public var analytical_variance: Double
    /// Variance over replicates of the estimate (log2², unbiased).
    public var empirical_variance: Double
    /// empirical / analytical.
    public var ratio: Double
    /// Mean estimate over replicates and the expected (observed) effect (log2).
    public var mean_estimate: Double
    public var expected_effect: Double
    /// Replicates in which the estimate was finite (a pseudo-bulk with no counts is not).
    public var replicates: Int
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
    public var median_variance_ratio: Double
    /// Relative standard error of one empirical variance from N replicates: √(2/(N − 1)).
    public var sampling_error: Double
    /// Median analytical variance (log2²) and its error budget.
    public var median_analytical_variance: Double
    public var error_budget: [ErrorBudgetItem]
    public var seconds: Double
}

public enum MonteCarlo {
    /// The simulator's plan as an analysis layout, and the design the analysis should read with it.
    ///
    /// The simulator may sample several time points in one batch; the analysis then uses one
    /// layout unit per (batch, time point) and models the shared batch effect as an outer nested
    /// level with the batch's τ (the innermost unit gets τ = 0).
    public static func layout(for design: Design) -> (layout: Layout, design: Design) {
        let plan = SimulationPlan(design: design)
        let k = plan.perturbationCount, b = plan.batchCount, times = plan.timePoints.count
        let outer = Layout.nestedUnits(design, batches: b)
        if times == 1 {
            var cells = [Int](repeating: 0, count: k * b)
            for p in 0..<k { for u in 0..<b { cells[p * b + u] = plan.counts[0][p][u] } }
            let layout = Layout(strategy: design.batching.layout, perturbationCount: k, batchCount: b, cells: cells,
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
        analysed.batching.nested.append(BatchLevel(unit: design.batching.unit, count: b, effect_sd: design.batching.batch_effect_sd))
        analysed.batching.batch_effect_sd = 0
        let layout = Layout(strategy: design.batching.layout, perturbationCount: k, batchCount: units, cells: cells,
                            controls: controls, batchTime: unitTime, batchUnits: levels)
        return (layout, analysed)
    }

    /// Runs `replicates` simulations of `design` and compares variances.
    public static func run(design: Design, replicates: Int, seed: UInt64 = 1,
                           options: SimulationOptions = SimulationOptions(),
                           progress: ProgressReporter? = nil) throws -> MonteCarloResult {
        let started = DispatchTime.now().uptimeNanoseconds
        let network = try ExpectedEffects.loadNetwork(design)
        let effects = try ExpectedEffects.compute(design, network: network)
        let (layout, analysed) = layout(for: design)
        // The variance check is of the pseudo-bulk estimator computed below, whatever the test.
        var pseudobulk = analysed
        pseudobulk.analysis.test = .pseudobulk
        let evaluation = Analyzer.evaluate(pseudobulk, layout: layout, effects: effects)
        let k = layout.perturbationCount, units = layout.batchCount
        let times = design.timePoints.count
        let highMOI = design.perturbations.moi > 1

        // Target genes and their accumulator slots.
        let measured = effects.geneNames.count
        var slotOf = [Int](repeating: -1, count: measured)
        var slotGene: [Int] = []
        let targetOf: [Int] = effects.targets.map { $0.first ?? 0 }
        for g in targetOf where slotOf[g] < 0 {
            slotOf[g] = slotGene.count
            slotGene.append(g)
        }
        let slots = slotGene.count
        var perturbationIndex: [String: Int] = [:]
        for (p, name) in effects.names.enumerated() { perturbationIndex[name] = p }
        // Unit of a cell: (batch, time point) → layout unit.
        func unit(_ batch: Int, _ t: Int) -> Int { times == 1 ? batch : batch * times + t }

        // Welford accumulators per row (perturbation × time).
        let rowsCount = k * times
        var count = [Int](repeating: 0, count: rowsCount)
        var mean = [Double](repeating: 0, count: rowsCount)
        var m2 = [Double](repeating: 0, count: rowsCount)

        for r in 0..<max(2, replicates) {
            if progress?.isCancelled == true { throw CancelledError() }
            var seeder = RandomStream(seed: seed, domain: .montecarlo, UInt64(r))
            let repSeed = seeder.next()
            var sumP = [Double](repeating: 0, count: k * units)
            var nP = [Int](repeating: 0, count: k * units)
            var sumC = [Double](repeating: 0, count: units * slots)
            var nC = [Int](repeating: 0, count: units)
            var values = [Double](repeating: 0, count: slots)
            _ = try Simulator.run(design: design, network: network, seed: repSeed, options: options) { block in
                for (j, cell) in block.cells.enumerated() {
                    guard cell.librarySize > 0 else { continue }
                    let lib = Double(cell.librarySize)
                    for s in 0..<slots { values[s] = 0 }
                    for e in block.offsets[j]..<block.offsets[j + 1] {
                        let s = slotOf[Int(block.geneIndices[e])]
                        if s >= 0 { values[s] = Double(block.counts[e]) / lib }
                    }
                    let u = unit(cell.batch, cell.timePointIndex)
                    // Perturbations an analysis assigns this cell to, from its detected guides.
                    var assigned: [Int] = []
                    var control = false
                    if highMOI {
                        for guide in cell.detectedGuides {
                            if guide.hasPrefix("non-targeting") { continue }
                            if let cut = guide.range(of: "_g", options: .backwards),
                               let p = perturbationIndex[String(guide[..<cut.lowerBound])], !assigned.contains(p) {
                                assigned.append(p)
                            }
                        }
                        control = true // complement controls: every cell, minus p's own below
                    } else if cell.observedPerturbation >= 0 {
                        assigned = [cell.observedPerturbation]
                    } else if cell.observedPerturbation == -1 && cell.detectedGuides.contains(where: { $0.hasPrefix("non-targeting") }) {
                        control = true
                    }
                    for p in assigned {
                        sumP[p * units + u] += values[slotOf[targetOf[p]]]
                        nP[p * units + u] += 1
                    }
                    if control {
                        for s in 0..<slots { sumC[u * slots + s] += values[s] }
                        nC[u] += 1
                    }
                }
            }
            // Estimates, exactly as the analysis assumes (ContrastWeights): within-batch contrasts
            // where the unit holds controls, else the mean over the control units of the time point
            // (or the nearest time point with controls).
            let timesH = design.timePoints
            for t in 0..<times {
                var refUnits = (0..<units).filter { layout.batchTime[$0] == t && layout.controls[$0] > 0 }
                var refTime = t
                if refUnits.isEmpty {
                    let candidates = Set(layout.controlledBatches.map { layout.batchTime[$0] })
                    if let nearest = candidates.min(by: { abs(timesH[$0] - timesH[t]) < abs(timesH[$1] - timesH[t]) }) {
                        refTime = nearest
                        refUnits = (0..<units).filter { layout.batchTime[$0] == nearest && layout.controls[$0] > 0 }
                    }
                }
                for p in 0..<k {
                    let s = slotOf[targetOf[p]]
                    func controlLog(_ u: Int) -> Double {
                        if highMOI {
                            // Complement: all cells of the unit minus p's.
                            let n = nC[u] - nP[p * units + u]
                            let sum = sumC[u * slots + s] - sumP[p * units + u]
                            return n > 0 && sum > 0 ? Foundation.log(sum / Double(n)) : -.infinity
                        }
                        return nC[u] > 0 && sumC[u * slots + s] > 0 ? Foundation.log(sumC[u * slots + s] / Double(nC[u])) : -.infinity
                    }
                    var reference = 0.0
                    if !highMOI && !refUnits.isEmpty {
                        reference = refUnits.map(controlLog).reduce(0, +) / Double(refUnits.count)
                    }
                    var total = 0.0, used = 0
                    for u in 0..<units where layout.batchTime[u] == t && layout.cells[p * units + u] > 0 {
                        guard nP[p * units + u] > 0 else { continue }
                        let lp = sumP[p * units + u] > 0 ? Foundation.log(sumP[p * units + u] / Double(nP[p * units + u])) : -.infinity
                        let own = highMOI || (layout.controls[u] > 0 && refTime == t)
                        total += lp - (own ? controlLog(u) : reference)
                        used += 1
                    }
                    let estimate = used > 0 ? total / Double(used) / M_LN2 : .nan
                    guard estimate.isFinite else { continue }
                    let row = t * k + p
                    count[row] += 1
                    let delta = estimate - mean[row]
                    mean[row] += delta / Double(count[row])
                    m2[row] += delta * (estimate - mean[row])
                }
            }
            progress?.report(done: Double(r + 1), total: Double(replicates), message: "replicate \(r + 1)/\(replicates)")
        }

        var out: [MonteCarloPerturbation] = []
        for (row, ev) in evaluation.rows.enumerated() where ev.batches > 0 {
            let needed = max(2, Int(0.8 * Double(replicates)))
            guard count[row] >= needed else { continue }
            let empirical = m2[row] / Double(count[row] - 1)
            let analytical = ev.components.total
            out.append(MonteCarloPerturbation(
                name: ev.name, target: ev.target, time_h: design.timePoints[ev.timeIndex],
                analytical_variance: analytical, empirical_variance: empirical,
                ratio: analytical > 0 ? empirical / analytical : .infinity,
                mean_estimate: mean[row], expected_effect: ev.observedEffect, replicates: count[row]))
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return MonteCarloResult(
            design: design.name, layout: design.batching.layout.rawValue,
            regime: "\(design.system.regime.rawValue), \(design.system.dynamics.rawValue)",
            replicates: replicates, seed: seed, perturbations: out,
            median_variance_ratio: median(out.map(\.ratio)),
            sampling_error: (2 / Double(max(1, replicates - 1))).squareRoot(),
            median_analytical_variance: evaluation.medianVariance, error_budget: evaluation.errorBudget,
            seconds: seconds)
    }
}
