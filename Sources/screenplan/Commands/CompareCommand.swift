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

    func run() throws {
        let entries =
            designs.count == 2
            ? try Comparison.designs(try loadDesign(designs[0]), try loadDesign(designs[1]))
            : try Comparison.layouts(of: try loadDesign(designs[0]), layouts)
        print(try Comparison.render(entries, json: json))
    }
}
