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
        lock.lock(); defer { lock.unlock() }
        return min(1, max(0, _done / _total))
    }

    public var message: String {
        lock.lock(); defer { lock.unlock() }
        return _message
    }

    /// Seconds since the work started.
    public var elapsed: Double { Date().timeIntervalSince(started) }

    /// Estimated seconds left, from the rate so far; nil until there is a rate.
    public var eta: Double? {
        let f = fraction
        guard f > 0.001 else { return nil }
        return elapsed * (1 - f) / f
    }

    public func cancel() {
        lock.lock(); _cancelled = true; lock.unlock()
    }

    public var isCancelled: Bool {
        lock.lock(); defer { lock.unlock() }
        return _cancelled
    }
}

/// Thrown by long work that saw `isCancelled`.
public struct CancelledError: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "cancelled" }
}
