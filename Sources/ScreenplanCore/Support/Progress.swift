import Foundation

// MARK: - Progress and cancellation of long work

/// Shared between long work (simulation, Monte Carlo, optimisation, fitting) and whoever shows
/// it (a terminal progress bar, the TUI). The worker reports; the viewer reads and may cancel.
public final class ProgressReporter: @unchecked Sendable {
    private let lock = NSLock()
    private var _done: Double = 0
    private var _total: Double = 1
    private var _message: String = ""
    private var _cancelled = false
    private let started = Date()
    /// When the measured work began (`beginWork`); the ETA's rate is taken from here.
    private var workStarted: Date?
    private var workDoneAtStart: Double = 0

    public init() {}

    /// Work units done so far and in all, and what is happening.
    public func report(done: Double, total: Double, message: String = "") {
        lock.lock()
        _done = done
        _total = max(total, 1e-12)
        if !message.isEmpty { _message = message }
        lock.unlock()
    }

    public var fraction: Double {
        lock.lock()
        defer { lock.unlock() }
        return min(1, max(0, _done / _total))
    }

    public var message: String {
        lock.lock()
        defer { lock.unlock() }
        return _message
    }

    /// Seconds since the work started.
    public var elapsed: Double { Date().timeIntervalSince(started) }

    /// Marks the start of the work the fractions measure, after any set-up: the ETA's rate is
    /// taken from here, so seconds of set-up spread over the first reported block do not turn
    /// into a 40-minute ETA (issue 16). Without it the rate is taken from creation.
    public func beginWork() {
        lock.lock()
        workStarted = Date()
        workDoneAtStart = _done / _total
        lock.unlock()
    }

    /// Estimated seconds left: the work left at the rate measured since the work began
    /// (`beginWork`), in the units the worker reports (cost-weighted for simulations, see
    /// `SimulationMonitor`); nil until there is a rate.
    public var eta: Double? {
        lock.lock()
        let f = min(1, max(0, _done / _total))
        let since = workStarted ?? started
        let f0 = workStarted == nil ? 0 : workDoneAtStart
        lock.unlock()
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
        lock.lock()
        _cancelled = true
        lock.unlock()
    }

    public var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return _cancelled
    }
}

/// Thrown by long work that saw `isCancelled`.
public struct CancelledError: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "cancelled" }
}
