import Foundation

// MARK: - HTML report: one self-contained, printable file
//
// No scripts, no network: styles are inline, plots are inline SVG, and a Content-Security-Policy
// forbids any load, so the file opens the same offline, in an email attachment or in ten years.

/// The HTML report.
public enum HTMLReport {
    /// The report as one HTML document.
    public static func render(_ m: ReportModel) -> String {
        let a = m.analysis
        let e = SVGPlots.escape
        var b: [String] = []
        b.append("<!DOCTYPE html>")
        b.append("<html lang=\"en\">")
        b.append("<head>")
        b.append("<meta charset=\"utf-8\">")
        b.append(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
        )
        b.append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        b.append("<meta name=\"generator\" content=\"screenplan \(e(m.version))\">")
        b.append("<title>Screen design report: \(e(m.design.name))</title>")
        b.append("<style>\(css)</style>")
        b.append("</head>")
        b.append("<body>")
        b.append("<header><h1>Screen design report: \(e(m.design.name))</h1>")
        b.append(
            "<p class=\"meta\">screenplan \(e(m.version)) · layout <code>\(e(a.layout))</code> · report schema \(ReportModel.schemaVersion)</p>"
        )
        if !m.design.description.isEmpty {
            b.append("<p>\(e(m.design.description.trimmingCharacters(in: .whitespacesAndNewlines)))</p>")
        }
        b.append("</header>")

        b.append(section("summary", "Summary", table(ReportTables.summary(m))))

        b.append(
            section(
                "order", "What to order",
                table(ReportTables.order(m), totalsFrom: m.order.lines.count)
                    + "<p>Costs are in \(e(m.order.currency)) under the design's cost model (<code>cost.*</code>). The model cost charges per lane and per read; the purchase cost rounds up to whole kits and flow cells.</p>"
                    + figure(SVGPlots.costBreakdown(m.order), "Cost breakdown by order line.")))

        b.append(section("design", "Design", table(ReportTables.design(m))))

        let l = m.layout
        let grouped = l.rows.contains { $0.perturbations > 1 }
        b.append(
            section(
                "layout", "Layout",
                "<p>Layout <code>\(e(l.name))</code> over \(l.batchLabels.count) \(e(l.unit))s. "
                    + (grouped
                        ? "Each row groups consecutive perturbations and shows their mean cells per \(e(l.unit))."
                        : "Each row is one perturbation.")
                    + "</p>" + figure(SVGPlots.heatMap(l), "Cells per perturbation in each batch; controls on top.")
                    + "<details open><summary>Cells per batch</summary>" + table(ReportTables.batches(m)) + "</details>"
            ))

        b.append(
            section(
                "error-budget", "Error budget",
                "<p>Share of the variance of the median perturbation's target estimate from each source.</p>"
                    + figure(SVGPlots.errorBudget(a.errorBudget), "Error budget.")
                    + table(ReportTables.errorBudget(m))))

        var power = ""
        for curve in m.powerCurves {
            power += "<h3>\(e(curve.title))</h3>"
            power += figure(SVGPlots.powerCurve(curve, targetPower: m.design.analysis.targetPower), e(curve.title))
            power += "<details open><summary>Values</summary>" + table(ReportTables.powerCurve(curve)) + "</details>"
        }
        power += "<h3>Power across perturbations</h3>" + table(ReportTables.powerDistribution(m))
        power += "<h3>Lowest-power perturbations</h3>"
        power +=
            "<p>The \(min(ReportTables.lowestPowerLimit, a.perturbations.count)) perturbations with the lowest power of \(ReportNumber.integer(a.perturbations.count)); <code>screenplan report DESIGN -o table.csv</code> lists them all.</p>"
        power += table(ReportTables.lowestPower(m))
        let flags = ReportTables.flags(m)
        if !flags.rows.isEmpty { power += "<h3>Flags</h3>" + table(flags) }
        b.append(section("power", "Power", power))
        if let types = ReportTables.cellTypes(m) {
            b.append(
                section(
                    "cell-types", "Power per cell type",
                    "<p>" + SVGPlots.escape(ReportTables.cellTypesCaption(m)) + "</p>" + table(types)))
        }

        var recs = ""
        if a.recommendations.isEmpty {
            recs = "<p>No changes recommended for this design.</p>"
        } else {
            recs = "<ol>"
            for r in a.recommendations {
                recs += "<li><strong>\(e(r.id))</strong>: \(e(r.message))"
                if !r.change.isEmpty {
                    recs +=
                        "<br><span class=\"apply\">Apply: "
                        + r.change.map { "<code>\(e($0.path))</code> = <code>\(e($0.value))</code>" }.joined(
                            separator: ", ") + "</span>"
                }
                recs += "</li>"
            }
            recs += "</ol>"
        }
        b.append(section("recommendations", "Recommendations", recs))

        b.append(
            section(
                "assumptions", "Model assumptions",
                "<ul>" + m.assumptions.map { "<li><strong>\(e($0.topic))</strong>: \(e($0.statement))</li>" }.joined()
                    + "</ul>"))
        b.append("<footer>Written by screenplan \(e(m.version)). Same design and version, same report.</footer>")
        b.append("</body>")
        b.append("</html>")
        return b.joined(separator: "\n") + "\n"
    }

    // MARK: - Pieces

    private static func section(_ id: String, _ title: String, _ body: String) -> String {
        "<section id=\"\(id)\"><h2>\(SVGPlots.escape(title))</h2>\n\(body)\n</section>"
    }

    private static func figure(_ svg: String, _ caption: String) -> String {
        "<figure>\(svg)<figcaption>\(caption)</figcaption></figure>"
    }

    /// A table; rows from `totalsFrom` on are styled as totals.
    private static func table(_ t: ReportTable, totalsFrom: Int? = nil) -> String {
        let e = SVGPlots.escape
        var s = "<table><thead><tr>"
        for (i, h) in t.header.enumerated() { s += "<th\(t.numeric.contains(i) ? " class=\"num\"" : "")>\(e(h))</th>" }
        s += "</tr></thead><tbody>"
        for (j, row) in t.rows.enumerated() {
            s += (totalsFrom.map { j >= $0 } ?? false) ? "<tr class=\"total\">" : "<tr>"
            for (i, c) in row.enumerated() { s += "<td\(t.numeric.contains(i) ? " class=\"num\"" : "")>\(e(c))</td>" }
            s += "</tr>"
        }
        return s + "</tbody></table>"
    }

    static let css = """
        :root{color-scheme:light}
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1000px;margin:2rem auto;padding:0 1rem;color:#1a1a1a;line-height:1.45;background:#fff}
        h1{font-size:1.6rem;margin-bottom:.2rem}h2{border-bottom:2px solid #0072B2;padding-bottom:.2rem;margin-top:2rem}h3{margin-top:1.4rem}
        .meta{color:#555;margin-top:0}
        table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}
        th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
        th{background:#f0f4f8}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
        tr.total td{font-weight:600;background:#f7f7f7}
        figure{margin:.8rem 0}figure svg{max-width:100%;height:auto}figcaption{color:#555;font-size:.85rem}
        code{background:#f3f3f3;padding:0 .2rem;border-radius:3px}
        .apply{color:#333;font-size:.9rem}
        footer{margin-top:3rem;color:#666;font-size:.85rem;border-top:1px solid #ddd;padding-top:.5rem}
        @page{size:A4;margin:14mm}
        @media print{body{max-width:none;margin:0;font-size:10pt}figure,table{break-inside:avoid}h2{break-after:avoid}a{color:inherit}}
        """
}
