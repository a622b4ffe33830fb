// MARK: - Layouts: which perturbation goes into which batch, and where the controls are
//
// A layout is an explicit perturbation × batch matrix of cell counts (after QC) plus the control
// cells of every batch and the time point each batch samples. Every strategy is a generator of
// that matrix, so the error model, the simulator and the TUI's grid read one representation, and
// a user can write the matrix directly (`batching.explicit_cells`).

/// An explicit assignment of perturbed and control cells to batches.
public struct Layout: Equatable, Sendable {
    /// The strategy that generated it.
    public var strategy: LayoutStrategy
    /// Number of perturbations K (rows).
    public var perturbationCount: Int
    /// Number of batches B (columns).
    public var batchCount: Int
    /// Cells (after QC) of perturbation p in batch b at `cells[p * batchCount + b]`.
    public var cells: [Int]
    /// Control cells (after QC) in each batch.
    public var controls: [Int]
    /// Index into `Design.timePoints` of the time point each batch samples.
    public var batchTime: [Int]
    /// For each outer nested level (outermost first, as `batching.nested`), the unit each batch
    /// belongs to. The innermost level is the batch itself.
    public var batchUnits: [[Int]]

    public init(
        strategy: LayoutStrategy, perturbationCount: Int, batchCount: Int, cells: [Int],
        controls: [Int], batchTime: [Int], batchUnits: [[Int]] = []
    ) {
        precondition(
            cells.count == perturbationCount * batchCount && controls.count == batchCount
                && batchTime.count == batchCount)
        self.strategy = strategy
        self.perturbationCount = perturbationCount
        self.batchCount = batchCount
        self.cells = cells
        self.controls = controls
        self.batchTime = batchTime
        self.batchUnits = batchUnits
    }

    /// Cells of perturbation `p` in batch `b`.
    @inline(__always)
    public func cells(_ p: Int, _ b: Int) -> Int { cells[p * batchCount + b] }

    /// Batches that hold perturbation `p`.
    public func batches(of p: Int) -> [Int] {
        (0..<batchCount).filter { cells[p * batchCount + $0] > 0 }
    }

    /// Total cells of perturbation `p`.
    public func totalCells(of p: Int) -> Int {
        var s = 0
        for b in 0..<batchCount { s += cells[p * batchCount + b] }
        return s
    }

    /// Perturbed cells (after QC) in each batch.
    public var perturbedCellsPerBatch: [Int] {
        var out = [Int](repeating: 0, count: batchCount)
        for p in 0..<perturbationCount {
            for b in 0..<batchCount { out[b] += cells[p * batchCount + b] }
        }
        return out
    }

    /// Batches holding controls.
    public var controlledBatches: [Int] { (0..<batchCount).filter { controls[$0] > 0 } }
}

// MARK: - Generators

extension Layout {
    /// The layout of `design` under `strategy` (the design's own `batching.layout` when nil).
    ///
    /// Batches are split over time points in contiguous blocks (batch b samples time point
    /// ⌊b·T/B⌋); within a time point the strategy places every perturbation's
    /// `cells_per_perturbation` cells, and controls go to `batchesWithControls` batches spread
    /// evenly (at least one per time point for `per-time-point`, one per animal for `per-animal`).
    /// Complexity O(K·B).
    public static func make(_ design: Design, strategy: LayoutStrategy? = nil) -> Layout {
        let strategy = strategy ?? design.batching.layout
        let k = design.perturbationCount
        let bCount = max(1, design.batching.batches)
        let times = design.timePoints.count
        let n = design.sampling.cellsPerPerturbation
        let r = max(1, min(design.batching.replicates, bCount))
        var cells = [Int](repeating: 0, count: k * bCount)
        let batchTime = (0..<bCount).map { min(times - 1, $0 * times / bCount) }
        let units = nestedUnits(design, batches: bCount)

        // Batches of each time point.
        var timeBatches = [[Int]](repeating: [], count: times)
        for b in 0..<bCount { timeBatches[batchTime[b]].append(b) }
        // With fewer batches than time points, some time points share the last batch.
        for t in 0..<times where timeBatches[t].isEmpty { timeBatches[t] = [bCount - 1] }

        /// Spreads `total` cells of perturbation p as evenly as possible over `targets`.
        func spread(_ p: Int, _ total: Int, over targets: [Int]) {
            guard !targets.isEmpty else { return }
            let q = total / targets.count
            let rem = total % targets.count
            for (j, b) in targets.enumerated() {
                // Remainders tile the batches: perturbation p's extra cells start where p − 1's
                // ended, so batch totals differ by at most one or two cells.
                let start = (p * rem) % targets.count
                let extra = ((j - start + targets.count) % targets.count) < rem ? 1 : 0
                cells[p * bCount + b] += q + extra
            }
        }

        if strategy == .explicit {
            let rows = design.batching.explicitCells
            for p in 0..<min(k, rows.count) {
                for b in 0..<min(bCount, rows[p].count) { cells[p * bCount + b] = max(0, rows[p][b]) }
            }
        } else {
            let delivery = deliveryUnits(design, units: units, batches: bCount)
            for t in 0..<times {
                let tb = timeBatches[t]
                // The strategies assign perturbations to delivery units (each receives one pool of
                // guides), then spread cells over every batch of the chosen units; without a
                // delivery level every batch is its own unit.
                var groups: [[Int]] = []
                var groupOf: [Int: Int] = [:]
                for b in tb {
                    if let g = groupOf[delivery[b]] {
                        groups[g].append(b)
                    } else {
                        groupOf[delivery[b]] = groups.count
                        groups.append([b])
                    }
                }
                let bt = groups.count
                switch strategy {
                case .pooled, .perTimePoint, .perAnimal, .explicit:
                    for p in 0..<k { spread(p, n, over: tb) }
                case .subLibraries:
                    let pools = max(1, bt / r)
                    var poolBatches = [[Int]](repeating: [], count: pools)
                    for (j, group) in groups.enumerated() { poolBatches[min(pools - 1, j / r)] += group }
                    for p in 0..<k { spread(p, n, over: poolBatches[p % pools]) }
                case .confounded:
                    // Contiguous groups: perturbation p goes to unit ⌊p·B_t/K⌋ of its time point.
                    for p in 0..<k { spread(p, n, over: groups[min(bt - 1, p * bt / max(1, k))]) }
                case .balancedIncomplete:
                    // Cyclic incomplete blocks on randomly permuted perturbations and units:
                    // every perturbation in r distinct units, every unit holding ⌊K·r/B⌋ or one
                    // more perturbations; the permutations are seeded (domain `layout`).
                    var rng = RandomStream(seed: design.system.network.seed, domain: .layout, UInt64(t))
                    let batchOrder = permutation(bt, &rng)
                    let start = permutation(k, &rng)
                    let reps = min(r, bt)
                    let stride = max(1, bt / reps)
                    for p in 0..<k {
                        // stride·reps ≤ B_t, so the r slots are distinct.
                        let chosen = (0..<reps).flatMap { groups[batchOrder[(start[p] + $0 * stride) % bt]] }
                        spread(p, n, over: chosen)
                    }
                }
            }
        }

        let controls = controlCells(
            design, strategy: strategy, batchTime: batchTime,
            timeBatches: timeBatches, units: units, batches: bCount)
        return Layout(
            strategy: strategy, perturbationCount: k, batchCount: bCount, cells: cells,
            controls: controls, batchTime: batchTime, batchUnits: units)
    }

    /// The delivery unit of every batch (`batching.delivery_unit`): its unit at that nested level,
    /// or the batch itself when the delivery unit is the innermost unit or not given.
    static func deliveryUnits(_ design: Design, units: [[Int]], batches: Int) -> [Int] {
        if let unit = design.batching.deliveryUnit, unit != design.batching.unit,
            let level = design.batching.nested.firstIndex(where: { $0.unit == unit }), level < units.count
        {
            return units[level]
        }
        return Array(0..<batches)
    }

    /// Perturbations that some delivery unit splits: present in some but not all of the unit's
    /// batches of one time point. Empty for every generated layout; explicit layouts are checked.
    public func deliveryViolations(_ design: Design) -> [(perturbation: Int, unit: Int)] {
        let delivery = Layout.deliveryUnits(design, units: batchUnits, batches: batchCount)
        var out: [(perturbation: Int, unit: Int)] = []
        for p in 0..<perturbationCount {
            var seen: [Int: (some: Bool, all: Bool)] = [:]
            for b in 0..<batchCount {
                let key = delivery[b] * max(1, batchTime.count) + batchTime[b]
                let has = cells(p, b) > 0
                let prior = seen[key] ?? (false, true)
                seen[key] = (prior.some || has, prior.all && has)
            }
            for (key, v) in seen.sorted(by: { $0.key < $1.key }) where v.some && !v.all {
                out.append((p, key / max(1, batchTime.count)))
            }
        }
        return out
    }

    /// Unit index of every batch at each outer nested level (batches split evenly, contiguous).
    static func nestedUnits(_ design: Design, batches: Int) -> [[Int]] {
        design.batching.nested.map { level in
            let count = max(1, level.count)
            return (0..<batches).map { min(count - 1, $0 * count / batches) }
        }
    }

    /// Control cells per batch: which batches hold them (`controls_in_fraction`, spread evenly,
    /// at least one per time point or animal where the strategy needs it) and how many (the
    /// explicit per-batch count, or the design's control total split over those batches).
    static func controlCells(
        _ design: Design, strategy: LayoutStrategy, batchTime: [Int],
        timeBatches: [[Int]], units: [[Int]], batches: Int
    ) -> [Int] {
        let wanted = design.batchesWithControls
        var holds = [Bool](repeating: false, count: batches)
        if wanted > 0 {
            for b in 0..<batches where (b + 1) * wanted / batches > b * wanted / batches { holds[b] = true }
        }
        if strategy == .perTimePoint && wanted > 0 {
            for tb in timeBatches where !tb.contains(where: { holds[$0] }) { holds[tb[0]] = true }
        }
        if strategy == .perAnimal && wanted > 0 {
            // Animals: the innermost unit when batches are animals, else the nested animal level.
            if let level = design.batching.nested.firstIndex(where: { $0.unit == .animal }) {
                var seen = Set<Int>()
                for b in 0..<batches where holds[b] { seen.insert(units[level][b]) }
                for b in 0..<batches where !seen.contains(units[level][b]) {
                    holds[b] = true
                    seen.insert(units[level][b])
                }
            } else {
                holds = [Bool](repeating: true, count: batches)
            }
        }
        var controls = [Int](repeating: 0, count: batches)
        let times = max(1, timeBatches.count)
        if let perBatch = design.sampling.controlCells {
            for b in 0..<batches where holds[b] { controls[b] = perBatch }
            return controls
        }
        // The design's total (Dunnett's √K rule, or the explicit fraction), per time point.
        let perTime = design.controlCellsTotal(holding: holds.filter { $0 }.count) / times
        for t in 0..<times {
            let tb = timeBatches[t].filter { holds[$0] }
            guard !tb.isEmpty else { continue }
            let q = perTime / tb.count
            let rem = perTime % tb.count
            for (j, b) in tb.enumerated() { controls[b] = q + (j < rem ? 1 : 0) }
        }
        return controls
    }

    /// A seeded random permutation of 0..<n (Fisher–Yates).
    static func permutation(_ n: Int, _ rng: inout RandomStream) -> [Int] {
        var a = Array(0..<n)
        if n > 1 {
            for i in stride(from: n - 1, to: 0, by: -1) {
                let j = Int(rng.next() % UInt64(i + 1))
                a.swapAt(i, j)
            }
        }
        return a
    }
}

extension Design {
    /// Control cells over all batches and time points when `holding` batches hold controls:
    /// `Design.controlCells`, except that an explicit per-batch count follows the batches that
    /// actually hold controls in the layout.
    func controlCellsTotal(holding: Int) -> Int {
        if let perBatch = sampling.controlCells { return perBatch * holding * timePoints.count }
        if holding == 0 { return 0 }
        if let fraction = sampling.controlsFraction {
            return Int((Double(perturbedCells) * fraction / (1 - fraction)).rounded())
        }
        let k = Double(perturbationCount)
        return Int((k.squareRoot() * Double(sampling.cellsPerPerturbation)).rounded()) * timePoints.count
    }
}
