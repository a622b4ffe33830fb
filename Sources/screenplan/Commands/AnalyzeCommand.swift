import ArgumentParser
import Foundation
import ScreenplanBenchmarks
import ScreenplanCommands
import ScreenplanCore

/// `screenplan analyze DESIGN [--layout NAME] [--json]`: the analytical error model, power,
/// error budget, cost and recommendations.
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Predict the error and power of every perturbation, the error budget and recommendations.",
        discussion: "JSON (--json): the analysis result; schema in docs/batching.md.")

    @OptionGroup var designArgument: DesignArgument
    /// The design file path (`DesignArgument`).
    var design: String { designArgument.design }

    @Option(
        help:
            "Layout strategy: \(LayoutStrategy.allCases.map(\.rawValue).joined(separator: ", ")) (default: the design's).",
        transform: optionValue(LayoutStrategy.refusal))
    var layout: LayoutStrategy?

    @OptionGroup var jsonOption: JSONOption
    /// `--json` (`JSONOption`).
    var json: Bool { jsonOption.json }

    @Flag(help: "Skip the target-power solvers (faster).")
    var noSolve = false

    @Option(help: "Rows of the perturbation table (lowest power first); 0 for all.")
    var rows: Int = 15

    @Flag(help: .hidden)
    var bench = false

    @Flag(
        help: "JSON: list every testable affected gene beyond the target with its power (perturbations[].downstream).")
    var downstream = false

    func run() throws {
        if bench {
            let numbers = try AnalysisBenchmark.run()
            for (key, value) in numbers.sorted(by: { $0.key < $1.key }) {
                print("\(key)\t\(String(format: "%.4g", value))")
            }
            return
        }
        let d = try loadDesign(design)
        let strategy = layout
        let analyzer = Analyzer()
        let evaluation = try runtime { try analyzer.evaluate(d, layout: strategy) }
        let progress = ProgressReporter()
        let bar = TerminalProgressBar.started(label: "analyze", reporter: progress, enabled: !json && !noSolve)
        let solutions = noSolve ? nil : try runtime { try analyzer.solve(d, layout: strategy, progress: progress) }
        bar.finish()
        var result = evaluation.result(
            recommendations: Recommendations.make(evaluation, analyzer: analyzer),
            solutions: solutions)
        // Combinations: their genetic interactions, on the layout analysed.
        if !d.perturbations.combinations.isEmpty {
            result.interactions = try runtime { try GeneticInteractions.compute(d, layout: evaluation.layout) }
        }
        // Cell types: power per perturbation and type.
        result.cellTypes = try runtime { try CellTypePower.compute(d, layout: evaluation.layout, analyzer: analyzer) }
        result.cellType = d.analysis.cellType
        if downstream { result.addDownstreamPowers(evaluation, effects: try runtime { try analyzer.effects(for: d) }) }
        if json {
            print(try jsonText(result))
        } else {
            print(terminalSafe(AnalysisText.render(result, evaluation: evaluation, rows: rows)))
            for line in GeneticInteractions.text(result.interactions ?? []) { print(terminalSafe(line)) }
            for line in CellTypePower.text(result.cellTypes ?? [], headline: d.analysis.cellType) {
                print(terminalSafe(line))
            }
        }
    }
}
