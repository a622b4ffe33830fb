import Foundation

// MARK: - Progress and cancellation of long work

/// Shared between long work (simulation, Monte Carlo, optimisation, fitting) and whoever shows
/// it (a terminal progress bar, the TUI). The worker reports; the viewer reads and may cancel.
public final class ProgressReporter: Sendable {
    private struct State {
        var done: Double = 0
        var total: Double = 1
        var message: String = ""
        var cancelled = false
        /// When the measured work began (`beginWork`); the ETA's rate is taken from here.
        var workStarted: Date?
        var workDoneAtStart: Double = 0
    }
    private let state = Locked(State())
    private let started = Date()

    public init() {}

    /// Work units done so far and in all, and what is happening.
    public func report(done: Double, total: Double, message: String = "") {
        state.withLock {
            $0.done = done
            $0.total = max(total, 1e-12)
            if !message.isEmpty { $0.message = message }
        }
    }

    public var fraction: Double {
        state.withLock { min(1, max(0, $0.done / $0.total)) }
    }

    public var message: String {
        state.withLock { $0.message }
    }

    /// Seconds since the work started.
    public var elapsed: Double { Date().timeIntervalSince(started) }

    /// Marks the start of the work the fractions measure, after any set-up: the ETA's rate is
    /// taken from here, so seconds of set-up spread over the first reported block do not turn
    /// into a 40-minute ETA (issue 16). Without it the rate is taken from creation.
    public func beginWork() {
        state.withLock {
            $0.workStarted = Date()
            $0.workDoneAtStart = $0.done / $0.total
        }
    }

    /// Estimated seconds left: the work left at the rate measured since the work began
    /// (`beginWork`), in the units the worker reports (cost-weighted for simulations, see
    /// `SimulationMonitor`); nil until there is a rate.
    public var eta: Double? {
        let (f, since, f0) = state.withLock {
            (
                min(1, max(0, $0.done / $0.total)), $0.workStarted ?? started,
                $0.workStarted == nil ? 0 : $0.workDoneAtStart
            )
        }
        return Self.eta(fraction: f, startFraction: f0, seconds: Date().timeIntervalSince(since))
    }

    /// The estimate itself: `seconds` after the work began at `startFraction` it stands at
    /// `fraction`; the rest takes (1 − fraction) at the same rate. nil before 1% is done: earlier
    /// rates are mostly start-up noise.
    public static func eta(fraction f: Double, startFraction f0: Double = 0, seconds: Double) -> Double? {
        guard f - f0 >= 0.01, seconds > 0 else { return nil }
        return seconds * (1 - f) / (f - f0)
    }

    public func cancel() {
        state.withLock { $0.cancelled = true }
    }

    public var isCancelled: Bool {
        state.withLock { $0.cancelled }
    }
}

/// Thrown by long work that saw `isCancelled`.
public struct CancelledError: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "cancelled" }
}
