import Foundation
import ScreenplanCore

/// What `screenplan compare` computes and prints: layouts of one design, or two designs, each
/// analysed as `analyze` does, side by side.
public enum Comparison {
    /// The JSON of `compare --json`: `{"layouts": [...]}`, each an analyze-like summary.
    public struct Output: Codable, Equatable, Sendable {
        public var layouts: [CompareEntry]

        public init(layouts: [CompareEntry]) {
            self.layouts = layouts
        }
    }

    /// Two designs, labelled A and B, each on its own layout (a fresh analyzer each, so
    /// neither borrows the other's caches).
    public static func designs(_ a: Design, _ b: Design) throws -> [CompareEntry] {
        try [("A", a), ("B", b)].map { label, d in
            let analyzer = Analyzer()
            return CompareEntry(label: label, result: try runtime { try analyzer.analyze(d) })
        }
    }

    /// Layouts of one design, labelled by layout name: `layouts`, or `defaultLayouts(of:)`.
    /// A layout the design's replication cannot fill is refused (exit 2) before any analysis.
    public static func layouts(of d: Design, _ layouts: [LayoutStrategy]? = nil) throws -> [CompareEntry] {
        let strategies = layouts ?? defaultLayouts(of: d)
        for strategy in strategies
        where [.subLibraries, .balancedIncomplete].contains(strategy) && d.batching.replicates > d.batching.batches {
            throw CommandFailure.input("layout `\(strategy.rawValue)` needs batching.replicates ≤ batching.batches")
        }
        let analyzer = Analyzer()
        return try strategies.map { strategy in
            CompareEntry(label: strategy.rawValue, result: try runtime { try analyzer.analyze(d, layout: strategy) })
        }
    }

    /// The layouts compared when `--layouts` is not given: the design's own first, then pooled,
    /// sub-libraries, confounded and balanced-incomplete, per-time-point for a design with
    /// several time points and per-animal in vivo; never `explicit` (the design's matrix).
    public static func defaultLayouts(of d: Design) -> [LayoutStrategy] {
        var layouts = [d.batching.layout]
        for s in [LayoutStrategy.pooled, .subLibraries, .confounded, .balancedIncomplete] where !layouts.contains(s) {
            layouts.append(s)
        }
        if d.timePoints.count > 1 && !layouts.contains(.perTimePoint) { layouts.append(.perTimePoint) }
        if d.system.regime == .inVivo && !layouts.contains(.perAnimal) { layouts.append(.perAnimal) }
        return layouts.filter { $0 != .explicit }
    }

    /// What `compare` prints: the JSON, or the side-by-side table with control characters of
    /// user strings escaped.
    public static func render(_ entries: [CompareEntry], json: Bool) throws -> String {
        json ? try jsonText(Output(layouts: entries)) : terminalSafe(AnalysisText.compare(entries))
    }
}
