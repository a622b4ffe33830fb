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
