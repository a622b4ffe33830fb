import ArgumentParser
import Foundation
import ScreenplanCore

/// The `screenplan` command: one subcommand per file in Commands/.
struct Screenplan: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "screenplan",
        abstract: "Plan pooled CRISPR screens with single-cell readout.",
        discussion: """
            Run with no arguments to open the terminal UI on the embedded default design.
            Exit codes: 0 success, 1 runtime failure, 2 invalid input or usage.
            """,
        version: ScreenplanVersion.string,
        subcommands: [
            TUICommand.self, ValidateCommand.self, AnalyzeCommand.self, CompareCommand.self,
            OptimizeCommand.self, MonteCarloCommand.self, SimulateCommand.self, MergeCommand.self,
            FitCommand.self, ReportCommand.self, BenchCommand.self, CalibrateCommand.self,
        ],
        defaultSubcommand: TUICommand.self
    )
}

/// A failure with a message and an exit code, printed without a stack trace.
struct CommandFailure: Error {
    var message: String
    var code: Int32

    static func input(_ message: String) -> CommandFailure { CommandFailure(message: message, code: 2) }
    static func runtime(_ message: String) -> CommandFailure { CommandFailure(message: message, code: 1) }

    /// The failure an option's `transform` or an option group's `validate()` threw, when
    /// argument-parser hands it back wrapped in its own parse error: the user then sees
    /// screenplan's message and exit code (`screenplan: --format: …`, 2) instead of the generic
    /// "The value … is invalid" with a usage line. argument-parser keeps the thrown error as a
    /// payload of its (internal) error value, so it is found by reflection, a few levels deep.
    static func wrapped(in error: Error) -> CommandFailure? {
        func find(_ value: Any, depth: Int) -> CommandFailure? {
            if let failure = value as? CommandFailure { return failure }
            guard depth > 0 else { return nil }
            for child in Mirror(reflecting: value).children {
                if let failure = find(child.value, depth: depth - 1) { return failure }
            }
            return nil
        }
        return find(error, depth: 6)
    }
}
