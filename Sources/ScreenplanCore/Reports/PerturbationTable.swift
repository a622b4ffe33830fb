import Foundation

// MARK: - Per-perturbation table (CSV or TSV)

/// The per-perturbation table: one row per perturbation with cells, batches, the predicted
/// target effect and its sd (log2; "n/a" when not estimable), power, sampling power, guide-effect
/// probability, expected DE genes, flags (joined by ";") and the target's expected UMIs per
/// control cell.
public enum PerturbationTable {
    /// Column names, in order.
    public static let columns = [
        "perturbation", "target", "cells", "batches", "target_effect_log2",
        "target_sd_log2", "power", "sampling_power", "guide_effect_probability", "de_genes", "flags",
        "target_umis_per_control_cell",
    ]

    /// The table with `separator` ("," gives RFC 4180 CSV with quoting; "\t" gives TSV, where tabs
    /// and line breaks inside fields become spaces). Numbers use fixed decimals, so the output
    /// is stable across platforms.
    public static func render(_ rows: [PerturbationReport], separator: String) -> String {
        let csv = separator == ","
        var out = columns.joined(separator: separator) + "\n"
        for p in rows {
            let values = [
                p.name, p.target, String(p.cells), String(p.batches),
                String(format: "%.6f", p.targetEffect), p.targetSd.map { String(format: "%.6f", $0) } ?? "n/a",
                String(format: "%.6f", p.power), String(format: "%.6f", p.samplingPower),
                String(format: "%.6f", p.guideEffectProbability), String(format: "%.2f", p.deGenes),
                p.flags.joined(separator: ";"), String(format: "%.4f", p.targetUmis),
            ]
            out += values.map { csv ? csvField($0) : tsvField($0) }.joined(separator: separator) + "\n"
        }
        return out
    }

    private static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    private static func tsvField(_ s: String) -> String {
        s.map { $0 == "\t" || $0 == "\n" || $0 == "\r" ? " " : String($0) }.joined()
    }
}
