import Foundation

// MARK: - Markdown report: readable as plain text and on GitHub

/// The Markdown report: GitHub-flavoured tables, a character heat map of the layout in a code
/// block, and no HTML, so it reads the same in a terminal pager and on GitHub.
public enum MarkdownReport {
    /// The report as Markdown text.
    public static func render(_ m: ReportModel) -> String {
        var out: [String] = []
        let a = m.analysis
        out.append("# Screen design report: \(inline(m.design.name))")
        out.append("")
        out.append("screenplan \(m.version) · layout `\(a.layout)` · report schema \(ReportModel.schemaVersion)")
        if !m.design.description.isEmpty {
            out.append("")
            out.append(inline(m.design.description.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        section(&out, "Summary")
        out.append(table(ReportTables.summary(m)))

        section(&out, "What to order")
        out.append(table(ReportTables.order(m)))
        out.append("")
        out.append(
            "Costs are in \(m.order.currency) under the design's cost model (`cost.*`). The model cost charges per lane and per read; the purchase cost rounds up to whole kits and flow cells."
        )

        section(&out, "Design")
        out.append(table(ReportTables.design(m)))

        section(&out, "Layout")
        let l = m.layout
        let grouped = l.rows.contains { $0.perturbations > 1 }
        out.append(
            "Layout `\(l.name)` over \(l.batchLabels.count) \(l.unit)s. "
                + (grouped
                    ? "Each heat-map row groups consecutive perturbations and shows their mean cells per \(l.unit)."
                    : "Each heat-map row is one perturbation."))
        out.append("")
        out.append(heatMap(l))
        out.append("")
        out.append(table(ReportTables.batches(m)))

        section(&out, "Error budget")
        out.append("Share of the variance of the median perturbation's target estimate from each source.")
        out.append("")
        out.append(table(ReportTables.errorBudget(m)))
        out.append("")
        out.append("```")
        let width = a.errorBudget.map(\.source.count).max() ?? 0
        for item in a.errorBudget {
            let bar = String(repeating: "#", count: Int((max(0, min(1, item.share)) * 40).rounded()))
            out.append(
                item.source.padding(toLength: width, withPad: " ", startingAt: 0) + " | " + bar + " "
                    + ReportNumber.percent(item.share))
        }
        out.append("```")

        section(&out, "Power")
        for curve in m.powerCurves {
            out.append("### \(inline(curve.title))")
            out.append("")
            if let x = curve.currentX {
                out.append("The design's value: \(ReportNumber.quantity(x)) \(inline(curve.xLabel)).")
                out.append("")
            }
            out.append(table(ReportTables.powerCurve(curve)))
            out.append("")
        }
        out.append("### Power across perturbations")
        out.append("")
        out.append(table(ReportTables.powerDistribution(m)))
        out.append("")
        out.append("### Lowest-power perturbations")
        out.append("")
        out.append(
            "The \(min(ReportTables.lowestPowerLimit, a.perturbations.count)) perturbations with the lowest power of \(ReportNumber.integer(a.perturbations.count)); `screenplan report DESIGN -o table.csv` lists them all."
        )
        out.append("")
        out.append(table(ReportTables.lowestPower(m)))
        let flags = ReportTables.flags(m)
        if !flags.rows.isEmpty {
            out.append("")
            out.append("### Flags")
            out.append("")
            out.append(table(flags))
        }

        if let types = ReportTables.cellTypes(m) {
            section(&out, "Power per cell type")
            out.append(ReportTables.cellTypesCaption(m))
            out.append("")
            out.append(table(types))
        }

        if let interactions = a.interactions, !interactions.isEmpty {
            section(&out, "Genetic interactions")
            out.append(
                "I = Δ_AB − Δ_A − Δ_B on each gene the network moves (log2), with the standard error and power of its estimate (docs/batching.md §4.1); the five largest per combination."
            )
            out.append("")
            var rows: [[String]] = []
            for r in interactions {
                for g in r.genes.prefix(5) {
                    rows.append([
                        "\(r.combination) @ \(ReportNumber.quantity(r.timeH)) h", g.gene,
                        String(format: "%+.3f", g.interaction), String(format: "%+.3f", g.combinationEffect),
                        g.sd.map { String(format: "%.3f", $0) } ?? "n/a",
                        g.power.map { String(format: "%.2f", $0) } ?? "n/a",
                    ])
                }
                if let note = r.note {
                    rows.append([
                        "\(r.combination) @ \(ReportNumber.quantity(r.timeH)) h", "—", "", "", "n/a: \(note)", "",
                    ])
                }
            }
            out.append(
                table(
                    ReportTable(
                        header: [
                            "combination", "gene", "interaction (log2)", "A+B effect (log2)", "sd (log2)", "power",
                        ], rows: rows, numeric: [2, 3, 4, 5])))
        }

        section(&out, "Recommendations")
        if a.recommendations.isEmpty {
            out.append("No changes recommended for this design.")
        }
        for (i, r) in a.recommendations.enumerated() {
            out.append("\(i + 1). **\(inline(r.id))**: \(inline(r.message))")
            if !r.change.isEmpty {
                out.append("   Apply: " + r.change.map { "`\($0.path)` = `\($0.value)`" }.joined(separator: ", "))
            }
        }

        section(&out, "Model assumptions")
        for item in m.assumptions { out.append("- **\(inline(item.topic))**: \(inline(item.statement))") }
        out.append("")
        out.append("---")
        out.append("Written by screenplan \(m.version). Same design and version, same report.")
        return out.joined(separator: "\n") + "\n"
    }

    // MARK: - Pieces

    private static func section(_ out: inout [String], _ title: String) {
        out.append("")
        out.append("## \(title)")
        out.append("")
    }

    /// A GitHub table with columns padded so it also lines up as plain text.
    static func table(_ t: ReportTable) -> String {
        let header = t.header.map(cell)
        let rows = t.rows.map { $0.map(cell) }
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        widths = widths.map { max(3, $0) }
        func line(_ cells: [String]) -> String {
            "| "
                + cells.enumerated().map { i, c in
                    let pad = String(repeating: " ", count: max(0, widths[i] - c.count))
                    return t.numeric.contains(i) ? pad + c : c + pad
                }.joined(separator: " | ") + " |"
        }
        let rule =
            "|"
            + widths.enumerated().map { i, w in
                t.numeric.contains(i)
                    ? " " + String(repeating: "-", count: w - 1) + ": " : " " + String(repeating: "-", count: w) + " "
            }.joined(separator: "|") + "|"
        return
            ([line(header), rule] + rows.map { line($0 + Array(repeating: "", count: max(0, header.count - $0.count))) })
            .joined(separator: "\n")
    }

    /// A character heat map of mean cells per perturbation, darker is more.
    static func heatMap(_ l: LayoutSummary) -> String {
        let ramp = Array(" .:-=+*#%@")
        let top = l.maxMeanCells
        let labelWidth = min(28, max(8, l.rows.map(\.label.count).max() ?? 8))
        var lines = ["```"]
        lines.append(String(repeating: " ", count: labelWidth) + " " + l.unit + "s 1…\(l.batchLabels.count) →")
        func glyph(_ v: Double, _ scale: Double) -> Character {
            guard scale > 0, v > 0 else { return ramp[0] }
            let i = Int((v / scale * Double(ramp.count - 1)).rounded(.up))
            return ramp[min(ramp.count - 1, max(1, i))]
        }
        let controlTop = Double(l.controlCells.max() ?? 0)
        lines.append(pad("controls", labelWidth) + " " + String(l.controlCells.map { glyph(Double($0), controlTop) }))
        for row in l.rows {
            lines.append(pad(row.label, labelWidth) + " " + String(row.meanCells.map { glyph($0, top) }))
        }
        lines.append(
            "scale: ' ' none … '@' \(ReportNumber.fixed(top, 1)) cells per perturbation (controls: '@' \(ReportNumber.integer(Int(controlTop))) cells)"
        )
        lines.append("```")
        return lines.joined(separator: "\n")
    }

    private static func pad(_ s: String, _ width: Int) -> String {
        s.count > width ? String(s.prefix(width - 1)) + "…" : s.padding(toLength: width, withPad: " ", startingAt: 0)
    }

    /// Table cell text: pipes escaped, line breaks flattened.
    private static func cell(_ s: String) -> String {
        inline(s).replacingOccurrences(of: "|", with: "\\|")
    }

    /// Inline text: line breaks become spaces.
    private static func inline(_ s: String) -> String {
        s.replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\n", with: " ")
    }
}
