import ArgumentParser
import Foundation
import ScreenplanCore
import ScreenplanTUI
import ScreenplanTerminal

/// `screenplan [tui] [DESIGN]`: the interactive planner.
struct TUICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tui", abstract: "Open the terminal UI (the default command).")

    @Argument(help: "Design file to open; the embedded default design when omitted.")
    var design: String?

    func run() throws {
        let document: DesignDocument
        if let design {
            document = try DesignDocument.open(path: design)
        } else {
            document = try DesignDocument.embeddedDefault()
        }
        let code = TerminalApp.run(document: document)
        if code != 0 { throw CommandFailure.runtime("the terminal UI stopped with an error") }
    }
}
