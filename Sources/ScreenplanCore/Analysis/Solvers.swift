import Foundation

// MARK: - Solving for a target power, for the design as written
//
// The questions of a dedicated Perturb-seq power tool: the fewest cells per perturbation, the
// fewest reads per cell, the lowest total cost and the smallest detectable fold change that give
// the design's `analysis.target_power` (median over perturbations), everything else as written.

/// Answers for a target power. Nil where the target cannot be reached in the searched range.
public struct PowerSolutions: Codable, Equatable, Sendable {
    public var targetPower: Double
    /// Fewest cells per perturbation (per time point, after QC); searched up to 100,000.
    public var cellsPerPerturbation: Int?
    /// Fewest reads per cell; searched up to 1,000,000.
    public var readsPerCell: Double?
    /// The cheapest design reaching the target (see `Optimizer.cheapest`), in `currency`.
    public var lowestCost: Double?
    public var currency: String
    /// Smallest |log2 fold change| of the target detected with the target power by the typical
    /// (median-sd) perturbation, at its multiple-testing level; nil when no effect up to 1,000
    /// log2 reaches it (no sentinel).
    public var minDetectableLog2Fc: Double?

    // Unreachable answers are written as null (not left out), as docs/batching.md says.
    enum CodingKeys: String, CodingKey {
        case targetPower = "target_power"
        case cellsPerPerturbation = "cells_per_perturbation"
        case readsPerCell = "reads_per_cell"
        case lowestCost = "lowest_cost"
        case currency
        case minDetectableLog2Fc = "min_detectable_log2_fc"
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(targetPower, forKey: .targetPower)
        try c.encode(cellsPerPerturbation, forKey: .cellsPerPerturbation)
        try c.encode(readsPerCell, forKey: .readsPerCell)
        try c.encode(lowestCost, forKey: .lowestCost)
        try c.encode(currency, forKey: .currency)
        try c.encode(minDetectableLog2Fc, forKey: .minDetectableLog2Fc)
    }
}

extension Analyzer {
    /// All four solutions for `design` (the cheapest-design search is the slowest part).
    public func solve(
        _ design: Design, layout: LayoutStrategy? = nil, includeCost: Bool = true,
        progress: ProgressReporter? = nil
    ) throws -> PowerSolutions {
        let target = design.analysis.targetPower
        let base = try evaluate(design, layout: layout)
        let cells = try fewestCells(design, layout: layout, power: target)
        let reads = try fewestReads(design, layout: layout, power: target)
        let cheapest =
            includeCost
            ? try Optimizer.cheapest(
                design, power: target, analyzer: self, layout: layout, coarse: true, progress: progress)
            : nil
        return PowerSolutions(
            targetPower: target, cellsPerPerturbation: cells, readsPerCell: reads,
            lowestCost: cheapest?.cost.total, currency: design.cost.currency,
            minDetectableLog2Fc: Optional(Analyzer.minimumDetectable(base, power: target))
                .flatMap { $0.isFinite && $0 < 1e3 ? $0 : nil })
    }

    /// Fewest cells per perturbation giving median power ≥ `power` (bisection; nil if > 100,000).
    public func fewestCells(_ design: Design, layout: LayoutStrategy? = nil, power: Double) throws -> Int? {
        func ok(_ n: Int) throws -> Bool {
            var d = design
            d.sampling.cellsPerPerturbation = n
            return try evaluate(d, layout: layout).medianPower >= power
        }
        return try bisect(low: 1, high: 100_000, ok)
    }

    /// Fewest reads per cell giving median power ≥ `power` (bisection on a 100-read grid).
    public func fewestReads(_ design: Design, layout: LayoutStrategy? = nil, power: Double) throws -> Double? {
        func ok(_ r: Int) throws -> Bool {
            var d = design
            d.measurement.readsPerCell = Double(r * 100)
            return try evaluate(d, layout: layout).medianPower >= power
        }
        return try bisect(low: 1, high: 10_000, ok).map { Double($0 * 100) }
    }

    /// Smallest |Δ| with power ≥ `power` at the typical perturbation's sd and test level.
    public static func minimumDetectable(_ e: Evaluation, power: Double) -> Double {
        guard let row = e.medianRow, row.testSD.isFinite else { return .infinity }
        let z = Normal.quantile(1 - row.level / 2)
        var lo = 0.0
        var hi = 1.0
        while Normal.power(
            effect: row.targetEffect < 0 ? -hi : hi, sd: row.testSD, critical: z, spread: row.spreadSD,
            nullSD: row.testNullSD, nullSkewness: row.testNullSkewness) < power && hi < 1e3
        { hi *= 2 }
        for _ in 0..<60 {
            let mid = 0.5 * (lo + hi)
            if Normal.power(
                effect: row.targetEffect < 0 ? -mid : mid, sd: row.testSD, critical: z, spread: row.spreadSD,
                nullSD: row.testNullSD, nullSkewness: row.testNullSkewness) >= power
            {
                hi = mid
            } else {
                lo = mid
            }
        }
        return hi
    }

    /// Power curve of the median power against cells per perturbation (everything else as
    /// written), for the TUI's plot.
    public func powerVersusCells(_ design: Design, cells: [Int], layout: LayoutStrategy? = nil) throws
        -> [(cells: Int, power: Double)]
    {
        try cells.map { n in
            var d = design
            d.sampling.cellsPerPerturbation = max(1, n)
            return (n, try evaluate(d, layout: layout).medianPower)
        }
    }

    /// Power of the typical (median-sd) perturbation against the true target log2 fold change,
    /// at its standard error and multiple-testing level.
    public func powerVersusEffect(_ design: Design, effects: [Double], layout: LayoutStrategy? = nil) throws
        -> [(effect: Double, power: Double)]
    {
        let e = try evaluate(design, layout: layout)
        guard let row = e.medianRow else { return effects.map { ($0, 0) } }
        let z = Normal.quantile(1 - row.level / 2)
        return effects.map {
            (
                $0,
                Normal.power(
                    effect: $0, sd: row.testSD, critical: z, spread: row.spreadSD, nullSD: row.testNullSD,
                    nullSkewness: row.testNullSkewness)
            )
        }
    }
}

/// The smallest integer in [low, high] where the monotone `ok` holds, nil when it never does.
func bisect(low: Int, high: Int, _ ok: (Int) throws -> Bool) rethrows -> Int? {
    guard try ok(high) else { return nil }
    if try ok(low) { return low }
    var lo = low
    var hi = high
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2
        if try ok(mid) { hi = mid } else { lo = mid }
    }
    return hi
}
