import ArgumentParser
import Foundation
import ScreenplanCore

/// `screenplan compare DESIGN [--layouts a,b] [--json]` and `screenplan compare A B`.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare layouts of one design, or two designs, side by side with deltas.")

    @Argument(help: "One design (compare its layouts) or two designs (compare them).")
    var designs: [String]

    @Option(help: "Comma-separated layouts (default: pooled, sub-libraries, confounded, balanced-incomplete).")
    var layouts: String?

    @Flag(help: "Print JSON: {\"layouts\": [...]}, each an analyze-like summary.")
    var json = false

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
            let names =
                layouts.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
                ?? defaultLayouts(d)
            let analyzer = Analyzer()
            for name in names {
                guard let strategy = try parseLayout(name) else { continue }
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

    func defaultLayouts(_ d: Design) -> [String] {
        var names = [d.batching.layout.rawValue]
        for s in [LayoutStrategy.pooled, .subLibraries, .confounded, .balancedIncomplete]
        where !names.contains(s.rawValue) {
            names.append(s.rawValue)
        }
        if d.timePoints.count > 1 && !names.contains("per-time-point") { names.append("per-time-point") }
        if d.system.regime == .inVivo && !names.contains("per-animal") { names.append("per-animal") }
        return names.filter { $0 != "explicit" }
    }
}
