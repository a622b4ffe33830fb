import Foundation

// MARK: - Inline SVG plots for the HTML report
//
// Plain SVG strings: no scripts, no external fonts or images, coordinates with one decimal so the
// output is stable. Colours come from one palette readable in print and by colour-blind readers
// (Okabe–Ito).

/// SVG figures of a report model.
public enum SVGPlots {
    /// Okabe–Ito colours.
    static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]

    // MARK: Power curves

    /// Power against the curve's x, one line per series (legend below), the target power dashed
    /// and the design's current x dotted.
    public static func powerCurve(_ c: PowerCurve, targetPower: Double) -> String {
        let w = 640.0
        let left = 56.0
        let right = 24.0
        let top = 16.0
        let bottom = 46.0
        let ph = 258.0
        let legendTop = top + ph + bottom
        let h = legendTop + Double(c.series.count) * 20 + 6
        let pw = w - left - right
        var xs = c.series.flatMap { $0.points.map(\.x) }
        if let cx = c.currentX { xs.append(cx) }
        let lo = xs.min() ?? 0
        let hi0 = xs.max() ?? 1
        let hi = hi0 > lo ? hi0 : lo + 1
        func px(_ x: Double) -> Double { left + (x - lo) / (hi - lo) * pw }
        func py(_ p: Double) -> Double { top + (1 - max(0, min(1, p))) * ph }
        var s = open(w, h, label: c.title)
        for t in stride(from: 0.0, through: 1.0001, by: 0.2) {
            s += line(left, py(t), left + pw, py(t), stroke: "#ddd")
            s += text(left - 6, py(t) + 4, ReportNumber.percent(t, 0), anchor: "end")
        }
        for t in niceTicks(lo, hi) {
            s += line(px(t), top + ph, px(t), top + ph + 4, stroke: "#333")
            s += text(
                px(t), top + ph + 18, t == t.rounded() ? ReportNumber.quantity(t) : ReportNumber.short(t),
                anchor: "middle")
        }
        s += line(left, top + ph, left + pw, top + ph, stroke: "#333")
        s += line(left, top, left, top + ph, stroke: "#333")
        s += text(left + pw / 2, top + ph + 36, c.xLabel, anchor: "middle")
        s += line(left, py(targetPower), left + pw, py(targetPower), stroke: "#555", dash: "6 4")
        s += text(
            left + pw - 4, py(targetPower) - 4, "target \(ReportNumber.percent(targetPower, 0))", anchor: "end",
            size: 11)
        if let cx = c.currentX {
            s += line(px(cx), top, px(cx), top + ph, stroke: "#555", dash: "2 3")
            s += text(px(cx) + 4, top + 12, "this design", size: 11)
        }
        for (i, series) in c.series.enumerated() {
            let colour = palette[i % palette.count]
            let pts = series.points.sorted { $0.x < $1.x }.map { "\(f(px($0.x))),\(f(py($0.power)))" }.joined(
                separator: " ")
            s += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(pts)\"/>"
            for p in series.points {
                s += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.power)))\" r=\"2.5\" fill=\"\(colour)\"/>"
            }
            let ly = legendTop + 10 + Double(i) * 20
            s += line(left, ly, left + 22, ly, stroke: colour, width: 2)
            s += text(left + 28, ly + 4, series.label, size: 12)
        }
        return s + "</svg>"
    }

    // MARK: Error budget

    /// One horizontal bar per variance source, its share labelled.
    public static func errorBudget(_ items: [ErrorBudgetItem]) -> String {
        let labelW = 200.0
        let barW = 380.0
        let rowH = 28.0
        let w = labelW + barW + 80
        let h = max(1, Double(items.count)) * rowH + 12
        var s = open(w, h, label: "Error budget")
        for (i, item) in items.enumerated() {
            let y = 6 + Double(i) * rowH
            let share = max(0, min(1, item.share))
            s += text(labelW - 8, y + 17, item.source, anchor: "end")
            s += "<rect x=\"\(f(labelW))\" y=\"\(f(y + 4))\" width=\"\(f(barW))\" height=\"18\" fill=\"#eee\"/>"
            s +=
                "<rect x=\"\(f(labelW))\" y=\"\(f(y + 4))\" width=\"\(f(share * barW))\" height=\"18\" fill=\"\(palette[i % palette.count])\"><title>\(escape(item.source)): \(ReportNumber.percent(item.share))</title></rect>"
            s += text(labelW + barW + 6, y + 17, ReportNumber.percent(item.share))
        }
        return s + "</svg>"
    }

    // MARK: Layout heat map

    /// Batches across, perturbation rows down, darker blue is more cells per perturbation; the
    /// control row on top has its own (orange) scale.
    public static func heatMap(_ l: LayoutSummary) -> String {
        let b = max(1, l.batchLabels.count)
        let r = l.rows.count + 1
        let labelW = 170.0
        let cellW = max(4, min(26, 540 / Double(b)))
        let cellH = max(5, min(18, 460 / Double(r)))
        let top = 30.0
        let legendH = 46.0
        let w = labelW + cellW * Double(b) + 20
        let h = top + cellH * Double(r) + legendH
        let maxCells = l.maxMeanCells
        let maxControls = Double(l.controlCells.max() ?? 0)
        var s = open(w, h, label: "Layout heat map")
        s +=
            "<defs><linearGradient id=\"sp-heat-blue\"><stop offset=\"0\" stop-color=\"#f7fbff\"/><stop offset=\"1\" stop-color=\"#08306b\"/></linearGradient></defs>"
        let labelEvery = max(1, Int((12 / cellW).rounded(.up)))
        for i in 0..<b where i % labelEvery == 0 {
            s += text(labelW + (Double(i) + 0.5) * cellW, top - 8, String(i + 1), anchor: "middle", size: 10)
        }
        s += text(labelW, 12, "\(l.unit)s →", size: 11)
        let rowLabelEvery = max(1, Int((11 / cellH).rounded(.up)))
        func row(
            _ y: Double, _ label: String, _ values: [Double], _ top: Double, _ colour: (Double) -> String,
            showLabel: Bool
        ) -> String {
            var out = showLabel ? text(labelW - 6, y + cellH / 2 + 4, shorten(label, 26), anchor: "end", size: 10) : ""
            for (i, v) in values.prefix(b).enumerated() {
                out +=
                    "<rect x=\"\(f(labelW + Double(i) * cellW))\" y=\"\(f(y))\" width=\"\(f(cellW))\" height=\"\(f(cellH))\" fill=\"\(colour(top > 0 ? v / top : 0))\"><title>\(escape(label)), \(escape(i < l.batchLabels.count ? l.batchLabels[i] : "")): \(ReportNumber.fixed(v, 1))</title></rect>"
            }
            return out
        }
        s += row(
            top, "controls", l.controlCells.map(Double.init), maxControls,
            { ramp($0, from: (255, 245, 235), to: (166, 54, 3)) }, showLabel: true)
        for (j, item) in l.rows.enumerated() {
            let y = top + cellH * Double(j + 1)
            s += row(
                y, item.label, item.meanCells, maxCells, { ramp($0, from: (247, 251, 255), to: (8, 48, 107)) },
                showLabel: j % rowLabelEvery == 0)
        }
        let ly = top + cellH * Double(r) + 14
        s += "<rect x=\"\(f(labelW))\" y=\"\(f(ly))\" width=\"160\" height=\"10\" fill=\"url(#sp-heat-blue)\"/>"
        s += text(labelW - 6, ly + 9, "0", anchor: "end", size: 10)
        s += text(labelW + 166, ly + 9, "\(ReportNumber.fixed(maxCells, 1)) cells per perturbation", size: 10)
        s += text(
            labelW, ly + 28, "controls: 0 … \(ReportNumber.integer(Int(maxControls))) cells per \(l.unit) (orange)",
            size: 10)
        return s + "</svg>"
    }

    // MARK: Cost breakdown

    /// Two stacked bars: the model cost and the purchase cost, split by order line.
    public static func costBreakdown(_ o: OrderList) -> String {
        let priced = o.lines.filter { $0.cost != nil && ($0.inModelTotal || $0.inPurchaseTotal) }
        let labelW = 120.0
        let barW = 420.0
        let w = labelW + barW + 150
        let legendRows = Double(priced.count)
        let h = 2 * 40 + 20 + legendRows * 20
        let scale = max(o.modelTotal, o.purchaseTotal, 1)
        var s = open(w, h, label: "Cost breakdown")
        func bar(_ y: Double, _ label: String, _ total: Double, _ keep: (OrderLine) -> Bool) -> String {
            var out = text(labelW - 8, y + 18, label, anchor: "end")
            var x = labelW
            for (i, l) in priced.enumerated() where keep(l) {
                let width = (l.cost ?? 0) / scale * barW
                out +=
                    "<rect x=\"\(f(x))\" y=\"\(f(y + 4))\" width=\"\(f(width))\" height=\"20\" fill=\"\(palette[i % palette.count])\"><title>\(escape(l.item)): \(escape(ReportNumber.money(l.cost ?? 0, o.currency)))</title></rect>"
                x += width
            }
            return out + text(x + 6, y + 18, ReportNumber.money(total, o.currency))
        }
        s += bar(6, "model cost", o.modelTotal) { $0.inModelTotal }
        s += bar(46, "purchase cost", o.purchaseTotal) { $0.inPurchaseTotal }
        for (i, l) in priced.enumerated() {
            let y = 96 + Double(i) * 20
            s +=
                "<rect x=\"\(f(labelW))\" y=\"\(f(y))\" width=\"12\" height=\"12\" fill=\"\(palette[i % palette.count])\"/>"
            s += text(labelW + 18, y + 10, "\(l.item): \(ReportNumber.money(l.cost ?? 0, o.currency))", size: 11)
        }
        return s + "</svg>"
    }

    // MARK: - Helpers

    /// Round tick values (1, 2 or 5 × 10ᵏ apart) covering [lo, hi], about six of them.
    static func niceTicks(_ lo: Double, _ hi: Double) -> [Double] {
        guard hi > lo else { return [lo] }
        let raw = (hi - lo) / 6
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
        var t = (lo / step).rounded(.up) * step
        var out: [Double] = []
        while t <= hi + step * 1e-9 {
            out.append(abs(t) < step * 1e-9 ? 0 : t)
            t += step
        }
        return out
    }

    static func ramp(_ t: Double, from a: (Double, Double, Double), to b: (Double, Double, Double)) -> String {
        let u = max(0, min(1, t))
        let c = [a.0 + (b.0 - a.0) * u, a.1 + (b.1 - a.1) * u, a.2 + (b.2 - a.2) * u].map { Int($0.rounded()) }
        return String(format: "#%02x%02x%02x", c[0], c[1], c[2])
    }

    static func open(_ w: Double, _ h: Double, label: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(f(w)) \(f(h))\" width=\"\(f(w))\" height=\"\(f(h))\" role=\"img\" aria-label=\"\(escape(label))\" font-family=\"system-ui, sans-serif\" font-size=\"12\">"
    }

    static func line(
        _ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1,
        dash: String? = nil
    ) -> String {
        "<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(f(width))\""
            + (dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") + "/>"
    }

    static func text(_ x: Double, _ y: Double, _ s: String, anchor: String = "start", size: Double = 12) -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" text-anchor=\"\(anchor)\" font-size=\"\(f(size))\">\(escape(s))</text>"
    }

    static func shorten(_ s: String, _ n: Int) -> String { s.count > n ? String(s.prefix(n - 1)) + "…" : s }

    /// A coordinate with one decimal, never "-0.0".
    static func f(_ v: Double) -> String {
        let t = String(format: "%.1f", v)
        return t == "-0.0" ? "0.0" : t
    }

    /// Text escaped for XML and HTML. Control characters, which XML forbids and which would let
    /// a design's text hide or forge content, are shown as escapes (`\e`, `\n`) instead.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for ch in TerminalText.escaped(s) {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }
}
