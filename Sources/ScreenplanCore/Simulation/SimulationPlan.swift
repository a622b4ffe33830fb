import Foundation

// MARK: - Which cells exist: perturbation × batch × time point counts
//
// The plan follows `batching.layout`. It is kept in this file behind `cellCounts` so that the
// layout generators of the analysis (Analysis/Layout*.swift) can replace it later; the simulator
// only needs the counts. Rows 0..<K are the perturbations in `Design.perturbations(in:)` order,
// row K holds the control cells.

extension SimulationPlan {
    /// Cells (after QC) per perturbation (rows; row K = controls) and batch (columns), summed over
    /// time points.
    public static func cellCounts(_ design: Design) -> [[Int]] {
        let perTime = (0..<design.timePoints.count).map { cellCounts(design, timePoint: $0) }
        guard var total = perTime.first else { return [] }
        for t in perTime.dropFirst() {
            for r in 0..<total.count { for b in 0..<total[r].count { total[r][b] += t[r][b] } }
        }
        return total
    }

    /// Cells (after QC) per perturbation (row K = controls) and batch at one time point.
    public static func cellCounts(_ design: Design, timePoint t: Int) -> [[Int]] {
        let k = design.perturbationCount
        let b = max(1, design.batching.batches)
        let timeCount = design.timePoints.count
        var counts = [[Int]](repeating: [Int](repeating: 0, count: b), count: k + 1)
        let layout = design.batching.layout
        // Batches that hold this time point.
        var eligible = Array(0..<b)
        if layout == .perTimePoint && b >= timeCount {
            eligible = (0..<b).filter { $0 % timeCount == t }
        }
        let e = eligible.count
        let n = design.sampling.cells_per_perturbation
        let r = max(1, min(design.batching.replicates, e))

        func spread(_ cells: Int, over batches: [Int], rotation: Int, row: Int) {
            guard !batches.isEmpty else { return }
            let each = cells / batches.count, extra = cells % batches.count
            for (i, batch) in batches.enumerated() {
                let rotated = (i + batches.count - rotation % batches.count) % batches.count
                counts[row][batch] += each + (rotated < extra ? 1 : 0)
            }
        }

        for p in 0..<k {
            switch layout {
            case .pooled, .perAnimal, .perTimePoint:
                spread(n, over: eligible, rotation: p, row: p)
            case .subLibraries:
                let groups = max(1, e / r)
                let g = p % groups
                let lo = g * r
                let hi = g == groups - 1 ? e : lo + r
                spread(n, over: Array(eligible[lo..<hi]), rotation: p, row: p)
            case .balancedIncomplete:
                let stride = max(1, e / r)
                var chosen: [Int] = []
                for j in 0..<r {
                    let batch = eligible[(p + j * stride) % e]
                    if !chosen.contains(batch) { chosen.append(batch) }
                }
                spread(n, over: chosen, rotation: p, row: p)
            case .confounded:
                spread(n, over: [eligible[p % e]], rotation: 0, row: p)
            case .explicit:
                let rows = design.batching.explicit_cells
                if p < rows.count {
                    for batch in 0..<min(b, rows[p].count) { counts[p][batch] = rows[p][batch] }
                }
            }
        }

        // In vivo, animals differ in the fraction of cells that received a guide.
        if design.system.regime == .inVivo && design.system.in_vivo.delivery_sd > 0 && layout != .explicit {
            for batch in 0..<b {
                var rng = RandomStream(seed: design.system.network.seed, domain: .animals, 7, UInt64(batch))
                let factor = max(0.05, 1 + design.system.in_vivo.delivery_sd * rng.normal())
                for p in 0..<k { counts[p][batch] = Int((Double(counts[p][batch]) * factor).rounded()) }
            }
        }

        // Controls: the first `controls_in_fraction` of the eligible batches.
        let frac = design.batching.controls_in_fraction
        if frac > 0 {
            let holders = Array(eligible.prefix(min(e, max(1, Int((frac * Double(e)).rounded())))))
            if layout == .explicit && design.batching.explicit_cells.count > k {
                let row = design.batching.explicit_cells[k]
                for batch in 0..<min(b, row.count) { counts[k][batch] = row[batch] }
            } else if let perBatch = design.sampling.control_cells {
                for batch in holders { counts[k][batch] = perBatch }
            } else {
                spread(design.controlCells / max(1, timeCount), over: holders, rotation: 0, row: k)
            }
        }
        return counts
    }
}

/// The cells of a run in their global order: batch, then time point, then perturbation (controls
/// last), then replicate. A cell's index is its column in the count matrix.
public struct SimulationPlan: Sendable {
    public let perturbationCount: Int
    public let batchCount: Int
    public let timePoints: [Double]
    /// counts[t][row][batch], row K = controls.
    public let counts: [[[Int]]]
    public let totalCells: Int
    /// Group starts: group g = (batch, time, row) in order; `groupStart[g]` is its first cell.
    let groupStart: [Int]
    let groupKey: [(batch: Int, time: Int, row: Int)]

    public init(design: Design) {
        perturbationCount = design.perturbationCount
        batchCount = max(1, design.batching.batches)
        timePoints = design.timePoints
        counts = (0..<design.timePoints.count).map { SimulationPlan.cellCounts(design, timePoint: $0) }
        var starts: [Int] = [], keys: [(batch: Int, time: Int, row: Int)] = []
        var total = 0
        for b in 0..<batchCount {
            for t in 0..<timePoints.count {
                for row in 0...perturbationCount where counts[t][row][b] > 0 {
                    starts.append(total)
                    keys.append((b, t, row))
                    total += counts[t][row][b]
                }
            }
        }
        groupStart = starts
        groupKey = keys
        totalCells = total
    }

    /// Where a cell sits: batch, time point, perturbation (-1 = control), replicate in its group.
    public func locate(_ cell: Int) -> (batch: Int, timePoint: Int, perturbation: Int, replicate: Int) {
        var lo = 0, hi = groupStart.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if groupStart[mid] <= cell { lo = mid } else { hi = mid - 1 }
        }
        let key = groupKey[lo]
        return (key.batch, key.time, key.row == perturbationCount ? -1 : key.row, cell - groupStart[lo])
    }

    /// Cells in each batch (all time points): what is loaded on a lane, for the multiplet rate.
    public var cellsPerBatch: [Int] {
        (0..<batchCount).map { b in counts.reduce(0) { acc, t in acc + t.reduce(0) { $0 + $1[b] } } }
    }
}
