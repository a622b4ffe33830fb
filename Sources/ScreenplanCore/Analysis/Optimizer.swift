import Foundation

// MARK: - Optimising cells, reads, batches and controls under the cost model
//
// The cost is linear in cells per perturbation n once batches B, reads per cell R and the
// control ratio ρ (control cells per batch over one perturbation's cells in that batch) are
// fixed, so for each (B, R, ρ) on a grid the largest affordable n follows from two cost
// evaluations; the grid point with the best median power wins (ties: lower median variance,
// then lower cost), and ρ is then refined by golden-section search. `cheapest` instead bisects
// n for the target power at each grid point and keeps the lowest cost.

/// A design the optimizer proposes.
public struct OptimizedDesign: Codable, Equatable, Sendable {
    public var cellsPerPerturbation: Int
    public var readsPerCell: Double
    public var batches: Int
    /// Control cells per batch that holds controls (after QC).
    public var controlCellsPerBatch: Int
    /// Control cells per batch over one perturbation's cells per batch; Dunnett's rule is √K.
    public var controlRatio: Double
    public var sqrtK: Double
    public var medianPower: Double
    /// Median variance of the target estimates (log2²).
    public var medianVariance: Double
    public var cost: CostBreakdown
    /// The field edits that turn the input design into this one.
    public var change: [FieldChange]

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case cellsPerPerturbation = "cells_per_perturbation"
        case readsPerCell = "reads_per_cell"
        case batches
        case controlCellsPerBatch = "control_cells_per_batch"
        case controlRatio = "control_ratio"
        case sqrtK = "sqrt_k"
        case medianPower = "median_power"
        case medianVariance = "median_variance"
        case cost
        case change
    }
}

public enum Optimizer {
    /// Cells of one perturbation per batch, as a fraction of its cells per time point.
    static func batchesPerPerturbation(_ design: Design, strategy: LayoutStrategy) -> Double {
        let perTime = max(1, design.batching.batches / max(1, design.timePoints.count))
        switch strategy {
        case .pooled, .perTimePoint, .perAnimal: return Double(perTime)
        case .subLibraries, .balancedIncomplete: return Double(min(design.batching.replicates, perTime))
        case .confounded: return 1
        case .explicit: return Double(perTime)
        }
    }

    /// The design with n, R, B and ρ applied.
    static func candidate(
        _ design: Design, n: Int, reads: Double, batches: Int, ratio: Double,
        minBatches: Int = 1
    ) -> Design {
        var d = design
        if [.subLibraries, .balancedIncomplete].contains(d.batching.layout) {
            d.batching.replicates = max(d.batching.replicates, minBatches)
        }
        d.sampling.cellsPerPerturbation = max(1, n)
        d.measurement.readsPerCell = reads
        d.batching.batches = batches
        d.sampling.controlsFraction = nil
        let perBatch = Double(max(1, n)) / batchesPerPerturbation(d, strategy: d.batching.layout)
        d.sampling.controlCells = max(1, Int((ratio * perBatch).rounded()))
        return d
    }

    struct Point {
        var design: Design
        var evaluation: Evaluation
        var ratio: Double
    }

    /// Largest n with cost ≤ budget and batch capacity respected (cost is linear in n).
    static func affordableCells(
        _ design: Design, reads: Double, batches: Int, ratio: Double, budget: Double,
        analyzer: Analyzer
    ) -> Int {
        func cost(_ n: Int) -> (Double, Int) {
            let d = candidate(design, n: n, reads: reads, batches: batches, ratio: ratio)
            let layout = Layout.make(d)
            let c = CostBreakdown(d, layout: layout)
            return (c.total, c.cellsLoaded)
        }
        let (c1, l1) = cost(100)
        let (c2, l2) = cost(200)
        let slope = (c2 - c1) / 100
        let fixed = c1 - 100 * slope
        guard slope > 0 else { return 0 }
        var n = Int(((budget - fixed) / slope).rounded(.down))
        let perCell = Double(l2 - l1) / 100
        if perCell > 0 {
            let capacity = Double(batches * design.batching.maxCellsPerBatch)
            n = min(n, Int(((capacity - (Double(l1) - 100 * perCell)) / perCell).rounded(.down)))
        }
        // Rounding of control cells can overshoot by a little: step down until it fits.
        while n > 0 && cost(n).0 > budget { n -= max(1, n / 200) }
        return max(0, n)
    }

    static func better(_ a: Point, than b: Point?) -> Bool {
        guard let b else { return true }
        let pa = (a.evaluation.medianPower * 1e4).rounded()
        let pb = (b.evaluation.medianPower * 1e4).rounded()
        if pa != pb { return pa > pb }
        let va = a.evaluation.medianVariance
        let vb = b.evaluation.medianVariance
        if abs(va - vb) > 1e-9 * max(va, vb) { return va < vb }
        return a.evaluation.cost.total < b.evaluation.cost.total
    }

    /// Candidate batch counts: around the design's, within [minimum, 4×].
    static func batchGrid(_ design: Design, minBatches: Int = 1) -> [Int] {
        let b0 = design.batching.batches
        let minimum = max(
            1, design.timePoints.count, design.batching.replicates,
            design.batching.nested.map(\.count).max() ?? 1)
        let floor = minBatches * max(1, design.timePoints.count)
        let raw =
            [b0 / 4, b0 / 2, (2 * b0) / 3, b0, (3 * b0) / 2, 2 * b0, 3 * b0, 4 * b0]
            + (minBatches > 1 ? [floor, 2 * floor] : [])
        var out: [Int] = []
        for b in raw where b >= minimum && !out.contains(b) {
            // Nested levels need batches divisible by their counts.
            if design.batching.nested.allSatisfy({ b % max(1, $0.count) == 0 }) { out.append(b) }
        }
        return out.isEmpty ? [b0] : out
    }

    static func readGrid(_ design: Design) -> [Double] {
        var grid: [Double] = [5000, 10000, 15000, 20000, 30000, 40000, 60000]
        if !grid.contains(design.measurement.readsPerCell) { grid.append(design.measurement.readsPerCell) }
        return grid.sorted()
    }

    /// Best median power for a budget: cells per perturbation, reads per cell, batches and control
    /// cells. Nil when no grid point is affordable.
    /// - Parameter minBatches: fewest animals (batches in vitro) each perturbation must be in at
    ///   each time point (`optimize --min-batches`; MinimumBatches.swift).
    public static func maximizePower(
        _ design: Design, budget: Double, analyzer: Analyzer,
        progress: ProgressReporter? = nil, minBatches: Int = 1
    ) throws -> OptimizedDesign? {
        let sqrtK = Double(design.perturbationCount).squareRoot()
        let ratios = [0.5, 1, 2].map { $0 * sqrtK }
        let batches = batchGrid(design, minBatches: minBatches)
        let reads = readGrid(design)
        var best: Point?
        var done = 0.0
        let total = Double(batches.count * reads.count * ratios.count)
        func evaluate(_ b: Int, _ r: Double, _ rho: Double) throws -> Point? {
            let n = affordableCells(design, reads: r, batches: b, ratio: rho, budget: budget, analyzer: analyzer)
            guard n >= 1 else { return nil }
            let d = candidate(design, n: n, reads: r, batches: b, ratio: rho, minBatches: minBatches)
            guard meetsMinimumBatches(d, minBatches) else { return nil }
            return Point(design: d, evaluation: try analyzer.evaluate(d), ratio: rho)
        }
        for b in batches {
            for r in reads {
                for rho in ratios {
                    if progress?.isCancelled == true { throw CancelledError() }
                    if let p = try evaluate(b, r, rho), better(p, than: best) { best = p }
                    done += 1
                    progress?.report(done: done, total: total, message: "optimising")
                }
            }
        }
        guard let coarse = best else { return nil }
        // Refine the control ratio (golden section on log ρ) at the best B and R.
        let b = coarse.design.batching.batches
        let r = coarse.design.measurement.readsPerCell
        if let refined = try refineRatio(around: coarse.ratio, { try evaluate(b, r, $0) }), better(refined, than: best)
        {
            best = refined
        }
        return best.map { describe($0, from: design) }
    }

    /// Golden-section search of the control ratio over [ρ/2.5, 2.5ρ] (log scale), minimising
    /// the median variance (power saturates, variance does not).
    static func refineRatio(around rho: Double, _ evaluate: (Double) throws -> Point?) throws -> Point? {
        var a = Foundation.log(rho / 2.5)
        var b = Foundation.log(rho * 2.5)
        let phi = (5.0.squareRoot() - 1) / 2
        func score(_ x: Double) throws -> (Double, Point?) {
            guard let p = try evaluate(Foundation.exp(x)) else { return (.infinity, nil) }
            return (p.evaluation.medianVariance, p)
        }
        var c = b - phi * (b - a)
        var d = a + phi * (b - a)
        var fc = try score(c)
        var fd = try score(d)
        for _ in 0..<18 {
            if fc.0 < fd.0 {
                b = d
                d = c
                fd = fc
                c = b - phi * (b - a)
                fc = try score(c)
            } else {
                a = c
                c = d
                fc = fd
                d = a + phi * (b - a)
                fd = try score(d)
            }
        }
        return fc.0 < fd.0 ? fc.1 : fd.1
    }

    /// The control ratio that minimises the median variance for a fixed budget, batches and reads
    /// (the optimizer's answer to "how many control cells?"; Dunnett's rule predicts √K).
    public static func bestControlRatio(_ design: Design, budget: Double, analyzer: Analyzer) throws -> OptimizedDesign?
    {
        let sqrtK = Double(design.perturbationCount).squareRoot()
        let b = design.batching.batches
        let r = design.measurement.readsPerCell
        let point = try refineRatio(around: sqrtK) { rho in
            let n = affordableCells(design, reads: r, batches: b, ratio: rho, budget: budget, analyzer: analyzer)
            guard n >= 1 else { return nil }
            // Continuous n: interpolate the variance between n and n+1 would be finer; n is large
            // enough in practice that rounding is negligible.
            let d = candidate(design, n: n, reads: r, batches: b, ratio: rho)
            return Point(design: d, evaluation: try analyzer.evaluate(d), ratio: rho)
        }
        return point.map { describe($0, from: design) }
    }

    /// The cheapest design whose median power reaches `power`.
    /// - Parameter coarse: a smaller grid (½×, 1×, 2× the batches; 5k, 10k, 20k, 40k and the
    ///   design's reads), as `analyze` uses for its `lowest_cost` answer.
    public static func cheapest(
        _ design: Design, power: Double, analyzer: Analyzer, layout: LayoutStrategy? = nil,
        coarse: Bool = false, progress: ProgressReporter? = nil, minBatches: Int = 1
    ) throws -> OptimizedDesign? {
        let sqrtK = Double(design.perturbationCount).squareRoot()
        var base = design
        if let layout { base.batching.layout = layout }
        var best: Point?
        var batches = batchGrid(base, minBatches: minBatches)
        var reads = readGrid(base)
        if coarse {
            let b0 = base.batching.batches
            batches = batches.filter { $0 == b0 || $0 == b0 / 2 || $0 == 2 * b0 }
            reads = reads.filter { [5000, 10000, 20000, 40000, base.measurement.readsPerCell].contains($0) }
        }
        var done = 0.0
        let total = Double(batches.count * reads.count)
        for b in batches {
            for r in reads {
                if progress?.isCancelled == true { throw CancelledError() }
                guard
                    meetsMinimumBatches(
                        candidate(base, n: 100, reads: r, batches: b, ratio: sqrtK, minBatches: minBatches),
                        minBatches)
                else {
                    done += 1
                    continue
                }
                let found = try bisect(low: 1, high: 20_000) { n in
                    try analyzer.evaluate(
                        candidate(base, n: n, reads: r, batches: b, ratio: sqrtK, minBatches: minBatches)
                    ).medianPower >= power
                }
                done += 1
                progress?.report(done: done, total: total, message: "searching")
                guard let n = found else { continue }
                let d = candidate(base, n: n, reads: r, batches: b, ratio: sqrtK, minBatches: minBatches)
                let e = try analyzer.evaluate(d)
                if e.cost.cellsLoaded > b * base.batching.maxCellsPerBatch { continue }
                let p = Point(design: d, evaluation: e, ratio: sqrtK)
                if best == nil || e.cost.total < best!.evaluation.cost.total { best = p }
            }
        }
        return best.map { describe($0, from: design) }
    }

    static func describe(_ p: Point, from design: Design) -> OptimizedDesign {
        let d = p.design
        var change: [FieldChange] = []
        if d.sampling.cellsPerPerturbation != design.sampling.cellsPerPerturbation {
            change.append(
                FieldChange(path: "sampling.cells_per_perturbation", value: String(d.sampling.cellsPerPerturbation)))
        }
        if d.measurement.readsPerCell != design.measurement.readsPerCell {
            change.append(
                FieldChange(path: "measurement.reads_per_cell", value: String(Int(d.measurement.readsPerCell))))
        }
        if d.batching.batches != design.batching.batches {
            change.append(FieldChange(path: "batching.batches", value: String(d.batching.batches)))
        }
        if design.sampling.controlsFraction != nil {
            change.append(FieldChange(path: "sampling.controls_fraction", value: "null"))
        }
        if d.sampling.controlCells != design.sampling.controlCells {
            change.append(FieldChange(path: "sampling.control_cells", value: String(d.sampling.controlCells ?? 0)))
        }
        if d.batching.replicates != design.batching.replicates {
            change.append(FieldChange(path: "batching.replicates", value: String(d.batching.replicates)))
        }
        if d.batching.layout != design.batching.layout {
            change.append(FieldChange(path: "batching.layout", value: d.batching.layout.rawValue))
        }
        return OptimizedDesign(
            cellsPerPerturbation: d.sampling.cellsPerPerturbation, readsPerCell: d.measurement.readsPerCell,
            batches: d.batching.batches, controlCellsPerBatch: d.sampling.controlCells ?? 0,
            controlRatio: p.ratio, sqrtK: Double(d.perturbationCount).squareRoot(),
            medianPower: p.evaluation.medianPower, medianVariance: p.evaluation.medianVariance,
            cost: p.evaluation.cost, change: change)
    }
}
