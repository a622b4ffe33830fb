import Foundation

/// The temporary output folders of the running process, so that a signal arriving in any phase
/// can remove them before the process exits (docs/reliability.md): a writer registers its
/// temporary sibling when it makes it and forgets it once it has been renamed or removed. The
/// final swap of a writer runs under the same lock, so a signal never removes a folder that is
/// half-way into place.
public enum TemporaryOutputs {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var paths: Set<String> = []

    /// Records a temporary folder or file of this process.
    public static func register(_ path: String) {
        lock.lock()
        defer { lock.unlock() }
        paths.insert(path)
    }

    /// Forgets a path that was renamed into place or removed.
    public static func forget(_ path: String) {
        lock.lock()
        defer { lock.unlock() }
        paths.remove(path)
    }

    /// Runs `work` (a writer's final rename) so that `removeAll` cannot interleave with it.
    public static func exclusively<T>(_ work: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try work()
    }

    /// Removes every registered path (called on SIGINT/SIGTERM before exiting). Holds the lock
    /// until the process exits, so no swap starts afterwards.
    public static func removeAllAndHold() {
        lock.lock()
        for path in paths { try? FileManager.default.removeItem(atPath: path) }
        paths.removeAll()
    }
}
