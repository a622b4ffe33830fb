import ArgumentParser
import Foundation
import ScreenplanCommands
import ScreenplanCore

/// `screenplan compare DESIGN [--layouts a,b] [--json]` and `screenplan compare A B`.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare layouts of one design, or two designs, side by side with deltas.",
        discussion: "JSON (--json): {\"layouts\": [...]}, each an analyze-like summary.")

    @Argument(help: "One design (compare its layouts) or two designs (compare them).")
    var designs: [String]

    @Option(
        help: "Comma-separated layouts (default: pooled, sub-libraries, confounded, balanced-incomplete).",
        transform: layoutList)
    var layouts: [LayoutStrategy]?

    @OptionGroup var jsonOption: JSONOption
    /// `--json` (`JSONOption`).
    var json: Bool { jsonOption.json }

    func validate() throws {
        if designs.isEmpty || designs.count > 2 {
            throw ValidationError("give one design (and --layouts) or two designs")
        }
        if designs.count == 2 && layouts != nil {
            throw ValidationError("--layouts compares layouts of one design; give one design")
        }
    }

    struct Output: Codable {
        var layouts: [CompareEntry]
    }

    func run() throws {
        var entries: [CompareEntry] = []
        if designs.count == 2 {
            let a = try loadDesign(designs[0])
            let b = try loadDesign(designs[1])
            for (label, d) in [("A", a), ("B", b)] {
                let analyzer = Analyzer()
                entries.append(CompareEntry(label: label, result: try runtime { try analyzer.analyze(d) }))
            }
        } else {
            let d = try loadDesign(designs[0])
            let strategies = layouts ?? defaultLayouts(d)
            let analyzer = Analyzer()
            for strategy in strategies {
                let name = strategy.rawValue
                if [.subLibraries, .balancedIncomplete].contains(strategy) && d.batching.replicates > d.batching.batches
                {
                    throw CommandFailure.input("layout `\(name)` needs batching.replicates ≤ batching.batches")
                }
                entries.append(
                    CompareEntry(label: name, result: try runtime { try analyzer.analyze(d, layout: strategy) }))
            }
        }
        if json {
            print(try jsonText(Output(layouts: entries)))
        } else {
            print(terminalSafe(AnalysisText.compare(entries)))
        }
    }

    func defaultLayouts(_ d: Design) -> [LayoutStrategy] {
        var layouts = [d.batching.layout]
        for s in [LayoutStrategy.pooled, .subLibraries, .confounded, .balancedIncomplete] where !layouts.contains(s) {
            layouts.append(s)
        }
        if d.timePoints.count > 1 && !layouts.contains(.perTimePoint) { layouts.append(.perTimePoint) }
        if d.system.regime == .inVivo && !layouts.contains(.perAnimal) { layouts.append(.perAnimal) }
        return layouts.filter { $0 != .explicit }
    }
}
