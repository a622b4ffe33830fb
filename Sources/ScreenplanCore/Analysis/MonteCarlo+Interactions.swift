import Foundation

// MARK: - Monte Carlo check of the interaction error
//
// Simulates the design N times (replicate r with seed RandomStream(S, montecarlo, r), as
// `MonteCarlo.run`), estimates every combination's interaction on each of its genes with the
// estimator `GeneticInteractions` analyses (pseudo-bulks of library-size-normalised counts of the
// cells an analysis assigns from their detected guides, within-batch log contrasts sharing the
// batch's controls), and compares the variance over replicates with the analytical variance.

/// Empirical against analytical variance of one combination × gene interaction estimate.
public struct InteractionMonteCarloRow: Codable, Equatable, Sendable {
    public var combination: String
    public var gene: String
    public var timeH: Double
    /// Analytical variance of the interaction estimate (log2²).
    public var analyticalVariance: Double
    /// Variance over replicates (log2², unbiased).
    public var empiricalVariance: Double
    public var ratio: Double
    /// Mean estimate over replicates and the expected interaction (log2).
    public var meanEstimate: Double
    public var expectedInteraction: Double
    public var replicates: Int

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case combination
        case gene
        case timeH = "time_h"
        case analyticalVariance = "analytical_variance"
        case empiricalVariance = "empirical_variance"
        case ratio
        case meanEstimate = "mean_estimate"
        case expectedInteraction = "expected_interaction"
        case replicates
    }
}

/// The result of the interaction check.
public struct InteractionMonteCarloResult: Codable, Equatable, Sendable {
    public var design: String
    public var replicates: Int
    public var seed: UInt64
    public var rows: [InteractionMonteCarloRow]
    /// Median over rows of empirical / analytical variance.
    public var medianVarianceRatio: Double
    public var seconds: Double

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case design
        case replicates
        case seed
        case rows
        case medianVarianceRatio = "median_variance_ratio"
        case seconds
    }
}

extension MonteCarlo {
    /// Runs `replicates` simulations and compares the interaction estimates' variance with the
    /// analytical one, for every combination × gene whose error the analysis gives.
    public static func interactions(
        design: Design, replicates: Int, seed: UInt64 = 1,
        options: SimulationOptions = SimulationOptions(),
        progress: ProgressReporter? = nil
    ) throws -> InteractionMonteCarloResult {
        let started = DispatchTime.now().uptimeNanoseconds
        let network = try NetworkLoader.network(for: design)
        let (layout, analysed) = layout(for: design)
        let analytical = try GeneticInteractions.compute(analysed, layout: layout, network: network)
        let perturbations = design.perturbations(in: network)
        var index: [String: Int] = [:]
        for (p, pert) in perturbations.enumerated() { index[pert.name] = p }
        let geneIndex = network.index
        let units = layout.batchCount
        let times = design.timePoints.count
        func unit(_ batch: Int, _ t: Int) -> Int { times == 1 ? batch : batch * times + t }

        // Rows: (result, gene) with an analytical error; slots for the genes involved.
        struct Row {
            var result: Int
            var gene: Int
            var members: [Int]
            var time: Int
            var variance: Double
            var expected: Double
            var name: String
            var geneName: String
        }
        var rows: [Row] = []
        for (r, result) in analytical.enumerated() {
            guard let t = design.timePoints.firstIndex(of: result.timeH) else { continue }
            let members = ([result.combination] + result.components).compactMap { index[$0] }
            for gene in result.genes {
                guard let sd = gene.sd, let gi = geneIndex[gene.gene] else { continue }
                rows.append(
                    Row(
                        result: r, gene: gi, members: members, time: t, variance: sd * sd, expected: gene.interaction,
                        name: result.combination, geneName: gene.gene))
            }
        }
        var slotOf: [Int: Int] = [:]
        for row in rows where slotOf[row.gene] == nil { slotOf[row.gene] = slotOf.count }
        let slots = slotOf.count
        let k = perturbations.count
        var count = [Int](repeating: 0, count: rows.count)
        var mean = [Double](repeating: 0, count: rows.count)
        var m2 = [Double](repeating: 0, count: rows.count)

        for r in 0..<max(2, replicates) {
            if progress?.isCancelled == true { throw CancelledError() }
            var seeder = RandomStream(seed: seed, domain: .montecarlo, UInt64(r))
            let repSeed = seeder.next()
            var sumP = [Double](repeating: 0, count: k * units * slots)
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
                        if let s = slotOf[Int(block.geneIndices[e])] { values[s] = Double(block.counts[e]) / lib }
                    }
                    let u = unit(cell.batch, cell.timePointIndex)
                    if cell.observedPerturbation >= 0 {
                        let p = cell.observedPerturbation
                        for s in 0..<slots { sumP[(p * units + u) * slots + s] += values[s] }
                        nP[p * units + u] += 1
                    } else if cell.observedPerturbation == -1
                        && cell.detectedGuides.contains(where: { $0.hasPrefix("non-targeting") })
                    {
                        for s in 0..<slots { sumC[u * slots + s] += values[s] }
                        nC[u] += 1
                    }
                }
            }
            for (ri, row) in rows.enumerated() {
                let s = slotOf[row.gene]!
                let batches = (0..<units).filter { layout.batchTime[$0] == row.time }
                let sets = row.members.map { p in batches.filter { layout.cells(p, $0) > 0 } }
                var estimate = 0.0
                for b in batches {
                    var cb = 0.0
                    for (j, p) in row.members.enumerated() where sets[j].contains(b) {
                        let a = (j == 0 ? 1.0 : -1.0) / Double(sets[j].count)
                        let n = nP[p * units + b]
                        let sum = sumP[(p * units + b) * slots + s]
                        estimate += a * (n > 0 && sum > 0 ? Foundation.log(sum / Double(n)) : -.infinity)
                        cb += a
                    }
                    if cb != 0 {
                        let sum = sumC[b * slots + s]
                        estimate -= cb * (nC[b] > 0 && sum > 0 ? Foundation.log(sum / Double(nC[b])) : -.infinity)
                    }
                }
                estimate /= M_LN2
                guard estimate.isFinite else { continue }
                count[ri] += 1
                let delta = estimate - mean[ri]
                mean[ri] += delta / Double(count[ri])
                m2[ri] += delta * (estimate - mean[ri])
            }
            progress?.report(
                done: Double(r + 1), total: Double(replicates), message: "replicate \(r + 1)/\(replicates)")
        }
        var out: [InteractionMonteCarloRow] = []
        let needed = max(2, Int(0.8 * Double(replicates)))
        for (ri, row) in rows.enumerated() where count[ri] >= needed {
            let empirical = m2[ri] / Double(count[ri] - 1)
            out.append(
                InteractionMonteCarloRow(
                    combination: row.name, gene: row.geneName, timeH: design.timePoints[row.time],
                    analyticalVariance: row.variance, empiricalVariance: empirical,
                    ratio: row.variance > 0 ? empirical / row.variance : .infinity,
                    meanEstimate: mean[ri], expectedInteraction: row.expected, replicates: count[ri]))
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return InteractionMonteCarloResult(
            design: design.name, replicates: replicates, seed: seed, rows: out,
            medianVarianceRatio: median(out.map(\.ratio)), seconds: seconds)
    }
}
