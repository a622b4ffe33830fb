import Foundation

// MARK: - Progress and cancellation inside a simulation's blocks
//
// A block of 1,024 cells of a genome-scale design takes seconds (K562: ~5 s on a loaded two-core
// machine), so progress counted in blocks moves in jumps and a cancel checked between waves of
// blocks took ~15 s (issue 16). The monitor is handed to the integrator through
// `SimulationOptions.monitor`: the step loop adds the cell-steps it just did and stops at the
// next step once the run is cancelled, and the measurement loop stops between cells.
//
// Blocks do not cost the same: in a time course the cells of early time points integrate fewer
// steps than the late ones (cells are in batch, then time point order, so the first blocks are
// the cheap ones), and in vivo ages differ. So progress is reported in estimated work, not in
// blocks: each block's cell-steps estimated up front from a sample of its cells' set-up (exact
// integration bounds, as `integrate` computes them), plus what a cell costs besides its steps
// (set-up, downstream window, measurement) in step-equivalents, measured on the blocks finished so
// far.

/// Counts the work of a running simulation and carries its cancellation into the blocks.
/// Shared by the worker threads; equal only to itself (it is a handle, not a setting).
public final class SimulationMonitor: Sendable, Equatable {
    let reporter: ProgressReporter

    /// The counts the worker threads add to, read under one lock.
    private struct Counts {
        /// Estimated cell-steps and cells of the whole run.
        let totalSteps: Double
        let totalCells: Double
        /// Estimated cell-steps of the finished blocks, steps done by the blocks still running.
        var finishedSteps = 0.0
        var runningSteps = 0.0
        var finishedCells = 0.0
        /// Seconds the finished blocks spent in the step loop and in everything else (set-up of
        /// the cells, the downstream window, measurement), and their cell-steps: what a cell
        /// costs besides its steps, in step-equivalents.
        var stepSeconds = 0.0, otherSeconds = 0.0, measuredSteps = 0.0
        /// The largest fraction reported: a refined estimate never moves the bar back.
        var reported = 0.0

        /// Work done and in all, in cell-steps.
        mutating func work() -> (Double, Double) {
            // Seconds per cell besides its steps over seconds per cell-step; 0 until measured.
            let perCell =
                stepSeconds > 0 && finishedCells > 0
                ? (otherSeconds / finishedCells) / (stepSeconds / max(1, measuredSteps)) : 0
            let total = totalSteps + perCell * totalCells
            let done = min(total, finishedSteps + runningSteps + perCell * finishedCells)
            reported = max(reported, done / total)
            return (reported * total, total)
        }
    }
    private let counts: Locked<Counts>

    init(reporter: ProgressReporter, totalSteps: Double, totalCells: Double) {
        self.reporter = reporter
        counts = Locked(Counts(totalSteps: max(1, totalSteps), totalCells: totalCells))
    }

    public static func == (a: SimulationMonitor, b: SimulationMonitor) -> Bool { a === b }

    /// Whether the run was cancelled: the step loop stops at the next step.
    public var isCancelled: Bool { reporter.isCancelled }

    /// `cellSteps` more cell-steps were integrated by a running block.
    func advance(_ cellSteps: Int) {
        let (done, total) = counts.withLock {
            $0.runningSteps += Double(cellSteps)
            return $0.work()
        }
        reporter.report(done: done, total: total, message: "simulating")
    }

    /// A block finished: its estimate replaces the steps it counted while running.
    func finish(
        estimatedSteps: Double, countedSteps: Double, cells: Int, blockSeconds: Double, stepSeconds steps: Double
    ) {
        let (done, total) = counts.withLock {
            $0.runningSteps = max(0, $0.runningSteps - countedSteps)
            $0.finishedSteps += estimatedSteps
            $0.finishedCells += Double(cells)
            $0.stepSeconds += steps
            $0.otherSeconds += max(0, blockSeconds - steps)
            $0.measuredSteps += countedSteps
            return $0.work()
        }
        reporter.report(done: done, total: total, message: "simulating")
    }
}

extension SimulationModel {
    /// Estimated cell-steps of each block of `range`. A cell's steps depend on its time point
    /// (and, in vivo, on its random age): the mean over up to `sample` cells of each time point,
    /// spread over its groups, from their set-up exactly as `integrate` bounds them (the
    /// stationary window included); a lane's multiplets add their second cells' steps. A few
    /// dozen set-ups per time point, not one per block: set-up is slow in debug builds.
    func estimatedCellSteps(blocks range: Range<Int>, options: SimulationOptions, sample: Int = 32) -> [Double] {
        let times = plan.timePoints.count
        let groups = plan.groupStart.count
        let dt = design.system.timeStepH
        let window = stationaryWindow(options: options)
        var meanSteps = [Double](repeating: 0, count: times)
        for t in 0..<times {
            let of = (0..<groups).filter { plan.groupKey[$0].time == t }
            guard !of.isEmpty else { continue }
            let picks = min(of.count, sample)
            var steps = 0.0
            for i in 0..<picks {
                let cell = setupCell(plan.groupStart[of[i * of.count / picks]])
                var start = cell.tStart
                if let window { start = max(start, cell.tSample - window) }
                let first = Int((start / dt).rounded(.down))
                steps += Double(max(first, Int((cell.tSample / dt).rounded())) - first)
            }
            meanSteps[t] = steps / Double(picks)
        }
        var out = [Double](repeating: 0, count: range.count)
        for g in 0..<groups {
            let lo = plan.groupStart[g]
            let hi = g + 1 < groups ? plan.groupStart[g + 1] : totalCells
            let key = plan.groupKey[g]
            let perCell = meanSteps[key.time] * (1 + doubletProbability[key.batch])
            var cell = max(lo, range.lowerBound * blockSize)
            while cell < min(hi, range.upperBound * blockSize) {
                let b = cell / blockSize
                let end = min(hi, (b + 1) * blockSize)
                out[b - range.lowerBound] += Double(end - cell) * perCell
                cell = end
            }
        }
        return out
    }
}

extension SimulationModel {
    /// Cells in the blocks of `range` (the last block may be short).
    func cells(inBlocks range: Range<Int>) -> Int {
        max(0, min(totalCells, range.upperBound * blockSize) - range.lowerBound * blockSize)
    }
}

extension SimulatedBlock {
    /// The empty stand-in a cancelled run's block returns (`run` throws before any sink sees it).
    static func cancelled(_ b: Int) -> SimulatedBlock {
        SimulatedBlock(index: b, cells: [], offsets: [0], geneIndices: [], counts: [], states: nil)
    }
}
