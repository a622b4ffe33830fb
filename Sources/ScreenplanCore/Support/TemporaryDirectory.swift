import Foundation

/// The output directory exists and `force` was not given.
public struct OutputExistsError: Error, CustomStringConvertible {
    public var path: String
    public var description: String { "output `\(path)` already exists (use --force to replace it)" }
}

/// The temporary sibling directory every run output is written in before one rename moves it into
/// place, so a failure, a cancellation or a kill leaves nothing half-written; and the clean-up of
/// the siblings that killed runs left behind (docs/reliability.md).
public enum TemporaryDirectory {
    /// A new, empty hidden directory next to `target` (same file system, so the final rename is
    /// atomic) in which an output is written before `replace` moves it into place.
    static func sibling(of target: URL) throws -> URL {
        let fm = FileManager.default
        let parent = target.deletingLastPathComponent()
        do {
            try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw FileWriteError(
                path: parent.path, reason: (error as NSError).localizedFailureReason ?? "cannot create the folder")
        }
        removeAbandonedSiblings(of: target)
        let temp = parent.appendingPathComponent(
            ".\(target.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        // mkdir(2) fails on any existing name, a planted link included.
        if mkdir(temp.path, 0o755) != 0 {
            throw FileWriteError(path: temp.path, reason: String(cString: strerror(errno)))
        }
        TemporaryOutputs.register(temp.path)
        return temp
    }

    /// Removes the temporary siblings of `target` left by a run that was killed (SIGKILL, power
    /// loss) before it could clean up: those whose process no longer exists. A sibling of a live
    /// process (another run writing the same target, or a reused PID) is left alone. A `.old`
    /// sibling is the previous output of a `--force` swap killed between its two renames: when
    /// the target is missing it is moved back (nothing is lost), otherwise removed.
    static func removeAbandonedSiblings(of target: URL) {
        let fm = FileManager.default
        let parent = target.deletingLastPathComponent()
        guard let entries = try? fm.contentsOfDirectory(atPath: parent.path) else { return }
        for kind in ["old", "tmp"] {
            let prefix = ".\(target.lastPathComponent).\(kind)-"
            for entry in entries.sorted() where entry.hasPrefix(prefix) {
                guard let pid = Int32(entry.dropFirst(prefix.count).prefix { $0 != "-" }),
                    OutputSafety.processIsGone(pid)
                else { continue }
                let sibling = parent.appendingPathComponent(entry)
                if kind == "old" && !fm.fileExists(atPath: target.path)
                    && OutputSafety.isPreviousOutput(sibling.path)
                {
                    try? fm.moveItem(at: sibling, to: target)
                } else {
                    try? fm.removeItem(at: sibling)
                }
            }
        }
    }

    /// Moves `temp` to `target`, replacing an existing `target` (only with `force`).
    static func replace(_ target: URL, with temp: URL, force: Bool) throws {
        try TemporaryOutputs.exclusively { try swap(target, with: temp, force: force) }
    }

    private static func swap(_ target: URL, with temp: URL, force: Bool) throws {
        let fm = FileManager.default
        var info = stat()
        if lstat(target.path, &info) == 0 {
            guard force else { throw OutputExistsError(path: target.path) }
            // Checked again at the swap: the folder may have changed while the run was working.
            try OutputSafety.checkDirectoryTarget(target.path, force: true)
            let old = temp.deletingLastPathComponent().appendingPathComponent(
                ".\(target.lastPathComponent).old-\(getpid())")
            try fm.moveItem(at: target, to: old)
            try fm.moveItem(at: temp, to: target)
            try? fm.removeItem(at: old)
        } else {
            try fm.moveItem(at: temp, to: target)
        }
    }
}
