import ArgumentParser
import Foundation
import ScreenplanCommands
import ScreenplanCore

/// `screenplan report DESIGN -o FILE [-o FILE…]`: the design report in the format of each
/// FILE's extension (.md, .html, .json, .csv, .tsv), written atomically from one analysis.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write the design report: what to order, layout, error budget, power, recommendations.",
        discussion: """
            The format follows the output file's extension: \(ReportFormat.extensions.map { "." + $0 }.joined(separator: ", ")).
            .md reads as plain text and on GitHub; .html is one self-contained, printable file;
            .json follows docs/report-schema.json; .csv/.tsv is the per-perturbation table.
            Repeat -o to write several formats from one analysis. The same design and screenplan
            version always give the same files.
            """)

    @OptionGroup var designArgument: DesignArgument
    /// The design file path (`DesignArgument`).
    var design: String { designArgument.design }

    @Option(name: .shortAndLong, help: "Output file; its extension picks the format. Repeatable.")
    var output: [String] = []

    @Option(
        help:
            "Layout strategy: \(LayoutStrategy.allCases.map(\.rawValue).joined(separator: ", ")) (default: the design's).",
        transform: optionValue(LayoutStrategy.refusal))
    var layout: LayoutStrategy?

    @Flag(help: "Skip the target-power solvers (faster; the report then has no solutions block).")
    var noSolve = false

    func run() throws {
        guard !output.isEmpty else {
            throw CommandFailure.input(
                "give an output file with -o FILE (\(ReportFormat.extensions.map { "." + $0 }.joined(separator: ", ")))"
            )
        }
        var formats: [ReportFormat] = []
        for path in output {
            guard let format = ReportFormat(path: path) else {
                throw CommandFailure.input(ReportPathError(path: path).description)
            }
            formats.append(format)
        }
        let d = try loadDesign(design)
        // No report replaces the design it is made from (`report screen.json -o screen.json`).
        let inputs =
            [design]
            + [d.system.network.file, d.system.network.genesFile].compactMap { $0 }
            .map { DesignValidator.resolve($0, against: d.baseDirectory) }
        for path in output {
            do { try OutputSafety.checkFileTarget(path, inputs: inputs) } catch let error as UnsafeOutputError {
                throw CommandFailure.input(error.description)
            }
        }
        let strategy = layout
        let model = try runtime { try ReportModel.build(design: d, layout: strategy, solve: !noSolve) }
        for (path, format) in zip(output, formats) {
            do {
                try ReportRenderer.write(model, to: path)
            } catch let error as FileWriteError {
                throw CommandFailure.runtime(error.description)
            } catch {
                throw CommandFailure.runtime("cannot render the \(format.rawValue) report: \(error)")
            }
            print("\(path): \(format.rawValue) report of \(d.name)")
        }
    }
}
