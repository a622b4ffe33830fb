import Foundation
import ScreenplanCore

/// The one progress bar of the commands: a bar with ETA on standard error, drawn only when it is
/// enabled and standard error is a terminal (pipes, files and JSON output see nothing of it).
final class TerminalProgressBar: Sendable {
    let reporter: ProgressReporter
    private let label: String
    private let enabled: Bool
    /// Set by `finish`; the drawing thread stops when it sees it. Also says whether it started.
    private let state = Locked((finished: false, started: false))

    init(label: String, reporter: ProgressReporter = ProgressReporter(), enabled: Bool = true) {
        self.label = label
        self.reporter = reporter
        self.enabled = enabled
    }

    /// A bar that is already drawing (when `enabled` and stderr is a terminal).
    static func started(label: String, reporter: ProgressReporter, enabled: Bool) -> TerminalProgressBar {
        let bar = TerminalProgressBar(label: label, reporter: reporter, enabled: enabled)
        bar.start()
        return bar
    }

    /// Starts drawing (a no-op when disabled or stderr is not a TTY).
    func start() {
        guard enabled, isatty(2) != 0 else { return }
        let starts = state.withLock { s -> Bool in
            guard !s.finished && !s.started else { return false }
            s.started = true
            return true
        }
        guard starts else { return }
        Thread.detachNewThread { [self] in
            while !state.current.finished {
                draw()
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
    }

    private func draw() {
        let f = reporter.fraction
        let width = 30
        let filled = Int((f * Double(width)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let eta = reporter.eta.map { "ETA \(Self.format($0))" } ?? "ETA --"
        let line =
            "\r\(label) [\(bar)] \(String(format: "%3.0f", f * 100))% \(Self.format(reporter.elapsed)) \(eta) \(reporter.message)\u{1B}[K"
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Stops drawing and clears the line (once; later calls do nothing).
    func finish() {
        let wasRunning = state.withLock { s -> Bool in
            defer { s.finished = true }
            return s.started && !s.finished
        }
        if wasRunning {
            Thread.sleep(forTimeInterval: 0.25)
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        }
    }

    static func format(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
    }
}
