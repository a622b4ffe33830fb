import Foundation

// MARK: - Blocks claimed by workers, taken in order by the sink
//
// `Simulator.run` used to compute blocks in waves of 2 × workers and hand a wave to the sink
// after its last block: every wave waited for its slowest block, the sink (file writes) ran while
// no block was computed, and a run of 21 blocks on two workers ended on a wave of one block with
// a core idle. Here a worker claims the next block as soon as it has delivered one, at most
// `window` blocks ahead of the one the sink takes next (memory stays bounded as before), and the
// sink takes block i as soon as it is delivered. Which worker computes a block does not change
// it, and the sink still sees blocks in order, so the output does not depend on the thread count.

/// The shared state of one run's workers and sink (a lock and a condition around slots).
final class BlockPipeline<V>: @unchecked Sendable {
    private let condition = NSCondition()
    private let count: Int
    private let window: Int
    private var next = 0
    private var taken = 0
    private var stopped = false
    private var values: [V?]
    private var errors: [Error?]
    private var done: [Bool]

    /// `count` blocks, numbered 0..<count; at most `window` (≥ 1) claimed and not yet taken.
    init(count: Int, window: Int) {
        self.count = count
        self.window = max(1, window)
        values = Array(repeating: nil, count: count)
        errors = Array(repeating: nil, count: count)
        done = Array(repeating: false, count: count)
    }

    /// The next block to compute, waiting while the window is full; nil when every block is
    /// claimed or the run stopped.
    func claim() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while !stopped && next < count && next >= taken + window { condition.wait() }
        if stopped || next >= count { return nil }
        next += 1
        return next - 1
    }

    /// Block `i`'s result (nil: cancelled, nothing to hand on).
    func deliver(_ i: Int, _ value: V?) {
        condition.lock()
        values[i] = value
        done[i] = true
        condition.broadcast()
        condition.unlock()
    }

    /// Block `i` failed; `take(i)` throws the error.
    func fail(_ i: Int, _ error: Error) {
        condition.lock()
        errors[i] = error
        done[i] = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for block `i` (taken in order 0, 1, …), frees its slot and returns its result.
    func take(_ i: Int) throws -> V? {
        condition.lock()
        defer { condition.unlock() }
        while !done[i] { condition.wait() }
        taken = i + 1
        condition.broadcast()
        if let error = errors[i] { throw error }
        let value = values[i]
        values[i] = nil
        return value
    }

    private var idleClaimed = false

    /// Runs `work` if no worker has claimed the idle work yet (once per run, after the blocks
    /// are all claimed).
    func runIdleWorkOnce(_ work: () -> Void) {
        condition.lock()
        let mine = !idleClaimed && !stopped
        idleClaimed = true
        condition.unlock()
        if mine { work() }
    }

    /// Ends the run: workers claim nothing more (after an error, a cancel or the last block).
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }
}
