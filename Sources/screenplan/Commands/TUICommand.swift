import ArgumentParser
import Foundation
import ScreenplanBenchmarks
import ScreenplanCommands
import ScreenplanCore
import ScreenplanTUI
import ScreenplanTerminal

/// `screenplan [tui] [DESIGN]`: the interactive planner.
struct TUICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tui", abstract: "Open the terminal UI (the default command).")

    @Argument(help: "Design file to open; the embedded default design when omitted.")
    var design: String?

    @Flag(name: .long, help: .hidden)
    var bench = false

    func run() throws {
        var document: DesignDocument
        var issues: [DesignIssue] = []
        if let design, bench {
            document = try DesignDocument.open(path: design)
        } else if let design {
            // An invalid design opens with its problems listed, to be fixed in place.
            (document, issues) = try DesignDocument.openLeniently(path: design)
        } else {
            document = try DesignDocument.embeddedDefault()
        }
        if bench {
            // Hidden: the TUI workload alone (`screenplan bench --design` runs it with the others).
            for (w, h) in [(80, 24), (160, 48)] {
                let r = benchmarkRender(document: document, engine: tuiEngine(), width: w, height: h)
                print(
                    "tui \(w)x\(h): first frame \(String(format: "%.2f", r.firstFrameMs)) ms, "
                        + "keystroke mean \(String(format: "%.2f", r.keystrokeMs)) ms, "
                        + "p95 \(String(format: "%.2f", r.keystrokeP95Ms)) ms, max \(String(format: "%.2f", r.keystrokeMaxMs)) ms "
                        + "(\(r.keystrokes) keystrokes), nudge to analysed frame \(String(format: "%.1f", r.nudgeToAnalysedFrameMs)) ms"
                        + ", to headline frame \(String(format: "%.1f", r.nudgeToHeadlineFrameMs)) ms"
                )
            }
            return
        }
        guard isatty(0) != 0, isatty(1) != 0 else {
            throw CommandFailure.input("the terminal UI needs a terminal; use the subcommands in scripts (see --help)")
        }
        let code = TerminalApp.run(document: document, engine: tuiEngine(), issues: issues)
        if code != 0 { throw CommandFailure.runtime("the terminal UI stopped with an error") }
    }
}
