import Foundation

// MARK: - The analyzer's small caches: recent layouts, contrasts and evaluations
//
// A TUI keystroke re-analyses the design and then the handful of edited designs its
// recommendations measure (fewer control cells, more batches, fewer reads, …), and the next
// keystroke starts again from a design one step away. With one cached layout every edited design
// evicted the design's own, and each recommendation's design was evaluated twice (once for its
// message, once for its stated effect). These caches keep a few recent entries each, compared by
// value, so every distinct design is laid out and evaluated once; the results are the same as
// computing them again (they are pure functions of their keys).

/// The few most recent values by key (compared with ==, most recent first; thread-safe).
/// Small capacities only: a lookup scans the entries.
final class RecentCache<Key: Equatable, Value>: Sendable {
    private let entries = Locked<[(key: Key, value: Value)]>([])
    /// Entries kept; the least recently used one goes first.
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// The value stored under `key`, made the most recent; nil when absent.
    func value(_ key: Key) -> Value? {
        entries.withLock { entries in
            guard let i = entries.firstIndex(where: { $0.key == key }) else { return nil }
            let hit = entries.remove(at: i)
            entries.insert(hit, at: 0)
            return hit.value
        }
    }

    /// Stores `value` under `key` as the most recent entry.
    func store(_ key: Key, _ value: Value) {
        entries.withLock { entries in
            entries.removeAll { $0.key == key }
            entries.insert((key, value), at: 0)
            if entries.count > capacity { entries.removeLast(entries.count - capacity) }
        }
    }

    /// Entries held (for tests).
    var count: Int {
        entries.withLock { $0.count }
    }
}

/// What `ContrastWeights.compute` and `ContrastCells.compute` read: the layout and the design's
/// time points, batch-effect sds and MOI. Editing ω, reads or effect sizes leaves it unchanged.
/// A cached layout shares its arrays' storage with the key, so == is cheap on a hit.
struct ContrastKey: Equatable {
    var layout: Layout
    var times: [Double]
    var batchEffectSD: Double
    var nestedSDs: [Double]
    var moi: Double
    var time: Int
    var complementControls: Bool
    var withCells: Bool

    init(_ layout: Layout, design: Design, time: Int, complementControls: Bool, withCells: Bool) {
        self.layout = layout
        times = design.timePoints
        batchEffectSD = design.batching.batchEffectSd
        nestedSDs = design.batching.nested.map(\.effectSd)
        moi = design.perturbations.moi
        self.time = time
        self.complementControls = complementControls
        self.withCells = withCells
    }
}

/// Contrast weights and cells of every perturbation at one time point, cached by `ContrastKey`.
final class ContrastCache: Sendable {
    private let recent = RecentCache<ContrastKey, (weights: [ContrastWeights], cells: [ContrastCells])>(capacity: 8)

    /// The weights and (when `withCells`) the per-batch contrast cells, computed when not cached.
    func contrasts(_ layout: Layout, design: Design, time t: Int, complementControls: Bool, withCells: Bool)
        -> (weights: [ContrastWeights], cells: [ContrastCells])
    {
        let key = ContrastKey(
            layout, design: design, time: t, complementControls: complementControls, withCells: withCells)
        if let hit = recent.value(key) { return hit }
        let weights = ContrastWeights.compute(layout, design: design, time: t, complementControls: complementControls)
        let cells =
            withCells
            ? ContrastCells.compute(layout, design: design, time: t, complementControls: complementControls) : []
        recent.store(key, (weights, cells))
        return (weights, cells)
    }
}

/// The key of a cached evaluation: the design and the layout strategy asked for.
struct EvaluationKey: Equatable {
    var design: Design
    var strategy: LayoutStrategy?
}

extension Analyzer {
    /// Threads one evaluation spreads its perturbations over (the machine's cores, at most 8):
    /// the rows are the same for any count (`Analyzer.evaluate(…workers:)`).
    static let workers = max(1, min(8, ProcessInfo.processInfo.activeProcessorCount))
}
