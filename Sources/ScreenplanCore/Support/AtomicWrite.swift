import Foundation

// MARK: - Writing a file so that a reader never sees it half-written

/// Writes `text` to `path` atomically: a temporary file in the same folder, then rename(2).
public func writeAtomically(_ text: String, to path: String) throws {
    try writeAtomically(Data(text.utf8), to: path)
}

/// Writes bytes to `path` atomically: an exclusively created temporary file in the same folder
/// (mkstemp, so a planted symbolic link is never followed), then rename(2). Temporary files of
/// dead processes next to `path` are removed first.
public func writeAtomically(_ data: Data, to path: String) throws {
    do {
        try writeExclusivelyThenRename(data, to: path)
    } catch let error as FileWriteError {
        throw error
    } catch {
        throw FileWriteError(path: path, reason: "\(error.localizedDescription)")
    }
}

/// A file could not be written; nothing was left half-written.
public struct FileWriteError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "cannot write \(TerminalText.escaped(path)): \(reason)" }
}
