import Foundation

/// A value shared between threads, reached only under its lock: the one place that pairs an
/// `NSLock` with `@unchecked Sendable`, so a cache, a counter or a flag shared by worker threads
/// is a `let` of this type instead of a hand-rolled class that must remember to lock.
public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    /// Wraps `value`; from now on it is read and written under the lock only.
    public init(_ value: Value) {
        self.value = value
    }

    /// Runs `body` with exclusive access to the value and returns its result. Keep `body` short
    /// and never call back into the same `Locked` from it (NSLock is not recursive).
    @discardableResult
    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    /// A copy of the current value.
    public var current: Value {
        withLock { $0 }
    }
}
