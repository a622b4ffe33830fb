import Foundation
import ScreenplanCore

/// A progress bar with ETA on standard error, drawn only when standard error is a terminal
/// (pipes, files and JSON output see nothing of it).
final class TerminalProgressBar: @unchecked Sendable {
    let reporter: ProgressReporter
    private let label: String
    private let lock = NSLock()
    private var finished = false
    private var thread: Thread?

    init(label: String, reporter: ProgressReporter = ProgressReporter()) {
        self.label = label
        self.reporter = reporter
    }

    /// Starts drawing (a no-op when stderr is not a TTY).
    func start() {
        guard isatty(2) != 0 else { return }
        let t = Thread { [self] in
            while true {
                lock.lock(); let done = finished; lock.unlock()
                if done { break }
                draw()
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
        thread = t
        t.start()
    }

    private func draw() {
        let f = reporter.fraction
        let width = 30
        let filled = Int((f * Double(width)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let eta = reporter.eta.map { "ETA \(Self.format($0))" } ?? "ETA --"
        let line = "\r\(label) [\(bar)] \(String(format: "%3.0f", f * 100))% \(Self.format(reporter.elapsed)) \(eta) \(reporter.message)\u{1B}[K"
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Stops drawing and clears the line.
    func finish() {
        lock.lock(); let wasRunning = !finished && thread != nil; finished = true; lock.unlock()
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
