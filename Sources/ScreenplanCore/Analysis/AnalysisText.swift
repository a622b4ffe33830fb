import Foundation

// MARK: - Plain-text tables of analysis results (CLI, reports)
//
// Every number carries its unit: log2 fold changes as "log2", variances as "log2²", costs with
// their currency, cells and batches as counts.

public enum AnalysisText {
    /// A left/right aligned table.
    public static func table(_ header: [String], _ rows: [[String]], rightAligned: Set<Int> = []) -> String {
        // Cells hold names from the design: control characters are shown escaped (`\n`, `\e`).
        let rows = rows.map { $0.map(TerminalText.escaped) }
        var widths = header.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                let pad = String(repeating: " ", count: max(0, widths[i] - c.count))
                return rightAligned.contains(i) ? pad + c : c + pad
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        let rule = widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
    }

    static func f(_ x: Double, _ digits: Int = 3) -> String {
        guard x.isFinite else { return "∞" }
        return String(format: "%.\(digits)f", x)
    }

    /// The `screenplan analyze` report.
    public static func render(_ r: AnalysisResult, evaluation e: Evaluation, rows limit: Int = 15) -> String {
        var out: [String] = []
        let s = r.summary
        out.append("\(TerminalText.escaped(r.design)) — layout \(r.layout)")
        out.append(
            "  perturbations \(s.perturbations) · batches \(s.batches) · cells loaded \(formatThousands(Double(s.cellsLoaded))) · testable genes \(e.testableGenes)"
        )
        out.append(
            "  median power \(f(s.medianPower, 2)) · worst \(s.worstPerturbation) (power \(f(s.worstPower, 2))) · cost \(formatMoney(s.cost, s.currency))"
        )
        out.append(
            "  test \(s.test) · median sampling power \(f(s.medianSamplingPower, 2)) (guides as the gene) · median guide-effect probability \(f(s.medianGuideEffectProbability, 2)) (guides reach the detectable size)"
        )
        if let c = r.costBreakdown {
            out.append(
                "  cost: batches \(formatMoney(c.batchCost, c.currency))"
                    + (c.animalCost > 0 ? " + animals \(formatMoney(c.animalCost, c.currency)) (\(c.animals))" : "")
                    + " + cells \(formatMoney(c.cellCost, c.currency)) + sequencing \(formatMoney(c.sequencingCost, c.currency)) (\(formatThousands(c.reads / 1e6)) M reads)"
            )
            out.append("  order: \(c.kits) kit(s) of \(e.design.cost.lanesPerKit) lanes, \(c.flowCells) flow cell(s)")
        }
        out.append("")
        var sorted = r.perturbations.enumerated().sorted { $0.element.power < $1.element.power }
        if limit > 0 && sorted.count > limit { sorted = Array(sorted.prefix(limit)) }
        out.append(
            limit > 0 && r.perturbations.count > limit
                ? "Perturbations (the \(limit) with the lowest power of \(r.perturbations.count)):"
                : "Perturbations:")
        out.append(
            table(
                [
                    "name", "target", "cells", "batches", "effect (log2)", "sd (log2)", "power", "sampling power",
                    "guide prob.",
                    "DE genes", "UMIs/control cell", "flags",
                ],
                sorted.map { _, p in
                    [
                        p.name, p.target, String(p.cells), String(p.batches), f(p.targetEffect),
                        p.targetSd.map { f($0) } ?? "n/a",
                        f(p.power, 2), f(p.samplingPower, 2), f(p.guideEffectProbability, 2), f(p.deGenes, 1),
                        String(format: "%.3g", p.targetUmis), p.flags.joined(separator: "; "),
                    ]
                }, rightAligned: [2, 3, 4, 5, 6, 7, 8, 9, 10]))
        out.append("")
        out.append("Error budget of the typical perturbation (variance of its target log2 fold change):")
        if r.errorBudget.isEmpty {
            out.append("  n/a: no perturbation has a finite error (no control cells to compare with)")
        } else {
            out.append(
                table(
                    ["source", "variance (log2²)", "share"],
                    r.errorBudget.map {
                        [$0.source, String(format: "%.3g", $0.variance), String(format: "%.1f%%", 100 * $0.share)]
                    },
                    rightAligned: [1, 2]))
        }
        if let deciles = r.mdeByExpressionDecile, !deciles.isEmpty {
            out.append("")
            out.append(
                "Smallest detectable change of a downstream gene (typical perturbation's cells, power \(f(e.design.analysis.targetPower, 2)), \(s.test)):"
            )
            out.append(
                table(
                    ["expression decile", "UMIs per cell", "down (log2)", "up (log2)"],
                    deciles.map {
                        [
                            String($0.decile), String(format: "%.3g", $0.umisPerCell),
                            $0.mdeLog2Down.map { f($0, 2) } ?? "n/a (> 10)",
                            $0.mdeLog2Up.map { f($0, 2) } ?? "n/a (> 10)",
                        ]
                    },
                    rightAligned: [0, 1, 2, 3]))
        }
        if let sol = r.solutions {
            out.append("")
            out.append("For a median power of \(f(sol.targetPower, 2)), everything else as written:")
            out.append(
                "  fewest cells per perturbation: \(sol.cellsPerPerturbation.map { String($0) } ?? "not reachable (> 100,000)")"
            )
            out.append(
                "  fewest reads per cell: \(sol.readsPerCell.map { formatThousands($0) } ?? "not reachable (> 1,000,000)")"
            )
            out.append(
                "  lowest total cost: \(sol.lowestCost.map { formatMoney($0, sol.currency) } ?? "not reachable")")
            if let mde = sol.minDetectableLog2Fc {
                out.append(
                    "  smallest detectable fold change: \(f(mde)) log2 (×\(f(Foundation.exp2(-mde), 2)) down / ×\(f(Foundation.exp2(mde), 2)) up)"
                )
            } else {
                out.append(
                    "  smallest detectable fold change: n/a (no target effect below 1,000 log2 reaches the target power)"
                )
            }
        }
        out.append("")
        if r.recommendations.isEmpty {
            out.append("Recommendations: none; the layout follows every rule in docs/batching.md.")
        } else {
            out.append("Recommendations:")
            for rec in r.recommendations {
                out.append("  [\(rec.id)] \(rec.message)")
                if !rec.change.isEmpty {
                    out.append("      apply: " + rec.change.map { "\($0.path) = \($0.value)" }.joined(separator: ", "))
                }
            }
        }
        return out.joined(separator: "\n")
    }

    /// Side-by-side summaries (compare).
    public static func compare(_ entries: [CompareEntry]) -> String {
        guard let first = entries.first else { return "" }
        var out: [String] = []
        let byLayout = entries.allSatisfy { $0.label == $0.layout }
        var header = [
            "median power", "Δ power", "worst power", "median sd (log2)", "cost", "Δ cost", "cells loaded",
            "confounded",
        ]
        header.insert(contentsOf: byLayout ? ["layout"] : ["design", "layout"], at: 0)
        let lead = byLayout ? 1 : 2
        out.append(
            table(
                header,
                entries.map { e in
                    (byLayout ? [e.label] : [e.label + " " + e.design, e.layout]) + [
                        f(e.summary.medianPower, 2), signed(e.summary.medianPower - first.summary.medianPower, 2),
                        f(e.summary.worstPower, 2), f(e.medianSd), formatMoney(e.summary.cost, e.summary.currency),
                        signedMoney(e.summary.cost - first.summary.cost, e.summary.currency),
                        formatThousands(Double(e.summary.cellsLoaded)), String(e.confounded),
                    ]
                }, rightAligned: Set(lead..<(lead + 8))))
        out.append("")
        out.append("Error budget (share of the typical variance):")
        let sources = first.errorBudget.map(\.source)
        out.append(
            table(
                ["source"] + entries.map(\.label),
                sources.map { src in
                    [src]
                        + entries.map { e in
                            let item = e.errorBudget.first { $0.source == src }
                            return String(format: "%.1f%%", 100 * (item?.share ?? 0))
                        }
                }, rightAligned: Set(1...entries.count)))
        return out.joined(separator: "\n")
    }

    static func signed(_ x: Double, _ digits: Int) -> String { (x >= 0 ? "+" : "") + f(x, digits) }
    static func signedMoney(_ x: Double, _ currency: String) -> String {
        (x >= 0 ? "+" : "-") + formatMoney(abs(x), currency)
    }
}

/// One column of a comparison: an analyze-like summary of a layout or a design.
public struct CompareEntry: Codable, Equatable, Sendable {
    /// "A"/"B" for designs, the layout name for layouts.
    public var label: String
    public var design: String
    public var layout: String
    public var summary: AnalysisSummary
    /// Median predicted sd of the target log2 fold changes.
    public var medianSd: Double
    /// Perturbations compared with controls from other batches.
    public var confounded: Int
    public var errorBudget: [ErrorBudgetItem]
    public var recommendations: [Recommendation]

    public init(label: String, result: AnalysisResult) {
        self.label = label
        design = result.design
        layout = result.layout
        summary = result.summary
        medianSd = median(result.perturbations.compactMap(\.targetSd))
        confounded = result.perturbations.filter { $0.flags.contains { $0.hasPrefix("confounded") } }.count
        errorBudget = result.errorBudget
        recommendations = result.recommendations
    }

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case label
        case design
        case layout
        case summary
        case medianSd = "median_sd"
        case confounded
        case errorBudget = "error_budget"
        case recommendations
    }
}
