import Foundation
import ScreenplanCore

// MARK: - What a refused option value says (exit 2)
//
// The wording of each refusal, kept as the commands have always printed it (the CLI tests check
// it); the parsing itself is the type's `ExpressibleByArgument` conformance (SharedOptions.swift).

extension LayoutStrategy {
    /// `--layout NAME` / `--layouts`: an unknown name, or `explicit`, which only a design can hold.
    public static func refusal(_ name: String) -> String {
        if name == LayoutStrategy.explicit.rawValue {
            return
                "layout `explicit` is written in the design (batching.explicit_cells), not chosen on the command line"
        }
        return "unknown layout `\(name)`; valid: \(LayoutStrategy.allCases.map(\.rawValue).joined(separator: ", "))"
    }
}

extension SimulationFormat {
    /// `--format NAME` of `simulate`.
    public static func refusal(_ name: String) -> String {
        "--format: `\(name)` is not a format; valid: \(SimulationFormat.allCases.map(\.rawValue).joined(separator: ", "))"
    }
}

extension ShardSpec {
    /// `--shard TEXT` of `simulate`.
    public static func refusal(_ text: String) -> String {
        "--shard: `\(text)` is not I/N with 1 ≤ I ≤ N (e.g. 2/8)"
    }
}

extension Modality {
    /// `--modality NAME` of `calibrate`.
    public static func refusal(_ name: String) -> String {
        "--modality `\(name)`: valid are \(Modality.allCases.map(\.rawValue).joined(separator: ", "))"
    }
}
