import Foundation

// MARK: - Which cells exist: perturbation × batch × time point counts
//
// The plan is the analysis's layout (`Layout.make`) for `batching.layout`: what `analyze`
// predicts is what `simulate` samples. Rows 0..<K are the perturbations in `Design.perturbations(in:)` order,
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

    /// Cells (after QC) per perturbation (row K = controls) and batch at one time point: the
    /// analysis's layout (`Layout.make`), so the simulator samples exactly the cells the error
    /// model analyses. A batch samples one time point (a lane is run, an animal is harvested, on
    /// one day), so batches of other time points hold no cells here; only a design with fewer
    /// batches than time points samples several time points per batch.
    public static func cellCounts(_ design: Design, timePoint t: Int) -> [[Int]] {
        let times = design.timePoints
        // With fewer batches than time points, every batch samples every time point: lay out
        // each time point alone over all batches.
        let sharing = design.batching.batches < times.count
        var single = design
        if sharing { single.sampling.timePointsH = [times[t]] }
        let layout = Layout.make(single)
        let k = layout.perturbationCount
        let b = layout.batchCount
        var counts = [[Int]](repeating: [Int](repeating: 0, count: b), count: k + 1)
        for batch in 0..<b where sharing || layout.batchTime[batch] == t {
            for p in 0..<k { counts[p][batch] = layout.cells(p, batch) }
            counts[k][batch] = layout.controls[batch]
        }
        // In vivo, animals differ in the fraction of cells that received a guide.
        if design.system.regime == .inVivo && design.system.inVivo.deliverySd > 0 && design.batching.layout != .explicit
        {
            for batch in 0..<b {
                var rng = RandomStream(seed: design.system.network.seed, domain: .animals, 7, UInt64(batch))
                let factor = max(0.05, 1 + design.system.inVivo.deliverySd * rng.normal())
                for p in 0..<k { counts[p][batch] = Int((Double(counts[p][batch]) * factor).rounded()) }
            }
        }
        // High MOI: the layout's cells of p are cell–guide slots (CellBudget: recovered cells =
        // slots/MOI + controls). A cell of row p carries p's guide plus Poisson(moi − 1) guides
        // of the library, so each row holds slots/MOI cells and p's guide still reaches about
        // its slots (own row + other rows' extra guides). Rounded with the remainder carried over
        // the perturbations (started at a batch-dependent row), so batch totals are exact.
        let moi = design.perturbations.moi
        if moi > 1 && k > 0 {
            for batch in 0..<b {
                var carry = 0.0
                for step in 0..<k {
                    let p = (step + batch * 7) % k
                    let x = Double(counts[p][batch]) / moi + carry
                    let n = Int(x.rounded(.down) + (x - x.rounded(.down) >= 0.5 ? 1 : 0))
                    carry = x - Double(n)
                    counts[p][batch] = max(0, n)
                }
            }
        }
        return counts
    }

    /// The cells that carry each perturbation's guide (rows 0..<K; row K, the controls, as is) for
    /// one time point's plan counts: at MOI > 1 a row's own cells plus the expected share of the
    /// batch's Poisson(moi − 1) extra guides, c_pb + (moi − 1)·Σ_q c_qb/K, rounded. This is the
    /// analysis's layout of a plan (cell–guide slots, as `Layout.make` counts them); at MOI ≤ 1 the
    /// counts themselves.
    public static func guideCells(_ counts: [[Int]], moi: Double) -> [[Int]] {
        let k = counts.count - 1
        guard moi > 1, k > 0 else { return counts }
        var out = counts
        for batch in 0..<(counts.first?.count ?? 0) {
            var primary = 0
            for p in 0..<k { primary += counts[p][batch] }
            let extra = (moi - 1) * Double(primary) / Double(k)
            for p in 0..<k { out[p][batch] = Int((Double(counts[p][batch]) + extra).rounded()) }
        }
        return out
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
        var starts: [Int] = []
        var keys: [(batch: Int, time: Int, row: Int)] = []
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
        var lo = 0
        var hi = groupStart.count - 1
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
