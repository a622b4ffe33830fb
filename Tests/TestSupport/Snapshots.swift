import Foundation
import ScreenplanTUI

// MARK: - Snapshot files for screen tests
//
// Expected screens live as text files under Tests/ScreenplanTUITests/Snapshots. A missing file is
// written from the actual screen (and the test fails, so it is looked at once); set
// SNAPSHOT_RECORD=1 to rewrite them all after an intended change.

/// Folder of the TUI snapshots.
public let snapshotFolder = repositoryRoot + "/Tests/ScreenplanTUITests/Snapshots"

/// Compares `actual` with the snapshot `name`; returns a readable diff, or nil when they agree.
public func checkSnapshot(_ name: String, _ actual: String) -> String? {
    let path = snapshotFolder + "/" + name + ".txt"
    let record = ProcessInfo.processInfo.environment["SNAPSHOT_RECORD"] == "1"
    guard !record, let expected = try? String(contentsOfFile: path, encoding: .utf8) else {
        try? FileManager.default.createDirectory(atPath: snapshotFolder, withIntermediateDirectories: true)
        try? (actual + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return record ? nil : "snapshot \(name) was missing; recorded it from the actual screen: review \(path)"
    }
    var trimmed = expected
    if trimmed.hasSuffix("\n") { trimmed.removeLast() }
    return snapshotDiff(expected: trimmed, actual: actual).map { "snapshot \(name) differs:\n\($0)" }
}

/// The roles used inside a rectangle of a buffer.
public func roles(in buffer: ScreenplanTUI.Buffer, x: Int, y: Int, width: Int, height: Int) -> Set<Role> {
    var out = Set<Role>()
    for row in y..<min(buffer.height, y + height) {
        for column in x..<min(buffer.width, x + width) { out.insert(buffer[column, row].role) }
    }
    return out
}

/// Row and column of the first occurrence of `text` on screen.
public func locate(_ text: String, in buffer: ScreenplanTUI.Buffer) -> (x: Int, y: Int)? {
    for (y, line) in buffer.lines.enumerated() {
        if let range = line.range(of: text) { return (line.distance(from: line.startIndex, to: range.lowerBound), y) }
    }
    return nil
}
