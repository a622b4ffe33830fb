import Foundation
import Testing

@testable import ScreenplanCore

// Issue 16: the Simulate screen's ETA and cancel. The ETA after 5% of the work must be within a
// factor of 2 of the time the rest really took, on a time course whose blocks cost very
// different amounts (cells of the first time point integrate 24 h, of the last 212 h: an ETA
// from blocks done would be ~4× short); a cancel must stop the run within 1 s even in the middle
// of a block that takes seconds.

/// Three time points in three lanes; the full path integrated (no stationary window), so late
/// cells cost ~9× early ones.
private func timeCourse(cells: Int, blockSize: Int) throws -> (SimulationModel, SimulationOptions) {
    let loaded = try loadDesign(
        smallDesign("", genes: 100, regulators: 30)
            .replacingOccurrences(of: "time_step_h: 1.0", with: "time_step_h: 0.5")
            .replacingOccurrences(of: "duration_h: 48", with: "duration_h: 200")
            .replacingOccurrences(
                of: "sampling: {cells_per_perturbation: 60, control_cells: 60}",
                with: "sampling: {time_points_h: [12, 60, 200], cells_per_perturbation: \(cells), control_cells: 200}"
            )
            .replacingOccurrences(of: "batching: {batches: 2}", with: "batching: {batches: 3}"))
    var options = SimulationOptions()
    options.stationaryStart = false
    options.threads = 2
    options.blockSize = blockSize
    let network = try NetworkLoader.network(for: loaded)
    let model = try Simulator.prepare(design: loaded.design, network: network, seed: 3, options: options)
    return (model, options)
}

/// Reads a reporter every 10 ms on its own thread: (seconds, fraction, ETA).
private final class Recorder: @unchecked Sendable {
    let lock = NSLock()
    var trace: [(t: Double, fraction: Double, eta: Double?)] = []
    var stop = false

    func start(_ reporter: ProgressReporter, from t0: Double) {
        Thread.detachNewThread {
            while true {
                self.lock.lock()
                let done = self.stop
                self.trace.append((monotonicSeconds() - t0, reporter.fraction, reporter.eta))
                self.lock.unlock()
                if done { return }
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
    }
}

@Test func simulationETAAtFivePercentIsWithinTwiceTheRealTime() throws {
    let (model, options) = try timeCourse(cells: 60, blockSize: 64)
    #expect(model.blockCount >= 24)
    // The blocks really differ: the last time point's blocks are estimated far dearer.
    let estimates = model.estimatedCellSteps(blocks: 0..<model.blockCount, options: options)
    #expect(estimates[model.blockCount - 2] > 4 * estimates[0])

    let reporter = ProgressReporter()
    let recorder = Recorder()
    let t0 = monotonicSeconds()
    recorder.start(reporter, from: t0)
    _ = try Simulator.run(model: model, options: options, progress: reporter, transform: { $0.cellCount }) { _ in }
    let end = monotonicSeconds() - t0
    recorder.lock.lock()
    recorder.stop = true
    let trace = recorder.trace
    recorder.lock.unlock()

    #expect(reporter.fraction > 0.999)
    let sample = try #require(trace.first { $0.fraction >= 0.05 && $0.eta != nil })
    let eta = try #require(sample.eta)
    let remaining = end - sample.t
    #expect(
        eta >= remaining / 2 && eta <= remaining * 2,
        "ETA at \(Int(sample.fraction * 100))%: \(eta) s, the rest took \(remaining) s (run \(end) s)")
    // Fractions only grow (work is never un-done).
    let fractions = trace.map(\.fraction)
    #expect(zip(fractions, fractions.dropFirst()).allSatisfy { $0 <= $1 + 1e-9 })
}

@Test func simulationCancelStopsWithinOneSecondInsideABlock() throws {
    // One block: only a check inside the block can stop it early.
    let (model, options) = try timeCourse(cells: 120, blockSize: 8192)
    #expect(model.blockCount == 1)
    let reporter = ProgressReporter()
    let cancelledAt = LockedValue<(Double, Double)?>(nil)
    Thread.detachNewThread {
        // Cancel once the integration is under way (some work counted), as a user pressing Esc.
        while reporter.fraction < 0.02 { Thread.sleep(forTimeInterval: 0.005) }
        cancelledAt.set((monotonicSeconds(), reporter.fraction))
        reporter.cancel()
    }
    var fractionAtCancel = 0.0
    #expect(throws: CancelledError.self) {
        _ = try Simulator.run(model: model, options: options, progress: reporter, transform: { $0.cellCount }) { _ in }
    }
    let stopped = monotonicSeconds()
    fractionAtCancel = reporter.fraction
    let (at, fraction) = try #require(cancelledAt.get())
    // Load-independent: almost no work is done after the cancel (the block would go on for
    // the other 95%); and in wall time well within 1 s here (2 s allowed when the whole suite
    // loads the two cores; the tmux test holds the real binary to 1 s).
    #expect(fractionAtCancel - fraction < 0.03, "work done after the cancel: \(fractionAtCancel - fraction)")
    #expect(stopped - at < 2.0, "stopped \(stopped - at) s after the cancel")
    #expect(fractionAtCancel < 0.9, "the run was nearly done anyway (\(fractionAtCancel))")
}

private final class LockedValue<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ v: T) { value = v }
    func set(_ v: T) {
        lock.lock()
        value = v
        lock.unlock()
    }
    func get() -> T {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
}

@Test func etaFromTheWorkStartIgnoresSetUp() {
    // 6 s of set-up, then 1% of the work in 2 s: 198 s left, not (6 + 2) × 99.
    #expect(ProgressReporter.eta(fraction: 0.01, startFraction: 0, seconds: 2)! == 198)
    #expect(ProgressReporter.eta(fraction: 0.005, seconds: 2) == nil)
}
