import Foundation
import ScreenplanCore

/// SIGINT and SIGTERM stop a long command within a second in any phase (set-up included):
/// the first signal cancels the command's progress reporter, so a loop that checks it ends
/// cleanly (removing its temporary output and saying so); if the command has not ended
/// `grace` seconds later, the guard removes every registered temporary output itself and exits
/// with 128 + the signal number (130 for SIGINT, 143 for SIGTERM). docs/reliability.md.
enum SignalGuard {
    /// Seconds a command has to stop by itself before the guard ends the process.
    static let grace = 0.5
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// Installs the handlers for `label` (the command's name, used in the message).
    static func install(_ label: String, cancelling reporter: ProgressReporter?) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                reporter?.cancel()
                DispatchQueue.global().asyncAfter(deadline: .now() + grace) {
                    TemporaryOutputs.removeAllAndHold()
                    let name = sig == SIGINT ? "SIGINT" : "SIGTERM"
                    let clear = isatty(2) != 0 ? "\r\u{1B}[K" : ""
                    FileHandle.standardError.write(
                        Data("\(clear)screenplan: \(label) stopped by \(name); nothing was written\n".utf8))
                    _exit(128 + sig)
                }
            }
            source.resume()
            sources.append(source)
        }
    }
}
