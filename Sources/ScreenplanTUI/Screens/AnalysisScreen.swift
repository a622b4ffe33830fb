import ScreenplanCore

// MARK: - Screen 3: error budget, power curves, recommendations that can be applied

func renderAnalysisScreen(_ state: AppState, into buffer: inout Buffer) {
    let g = state.capabilities.glyphs
    let d = state.design
    buffer.put("Analysis", x: 1, y: 1, role: .heading)
    let analysis = state.evaluation?.analysis
    if let summary = analysis?.summary {
        let text =
            "layout \(analysis!.layout)   median power \(fixed(summary.median_power, 2))   worst \(summary.worst_perturbation) (\(fixed(summary.worst_power, 2)))   \(money(summary.cost, summary.currency))"
        buffer.put(text, x: 11, y: 1, maxWidth: buffer.width - 12)
    } else {
        let note = state.evaluation?.analysisNote ?? "computing\(g.ellipsis)"
        buffer.put(note, x: 11, y: 1, role: .dim, maxWidth: buffer.width - 12)
    }
    let top = Geometry.recommendationsTop(height: buffer.height)
    let leftWidth = buffer.width >= 120 ? 46 : buffer.width / 2 - 2

    // Error budget: share of the median perturbation's variance from each source.
    buffer.put("Error budget", x: 1, y: 3, role: .heading)
    buffer.put("share of variance", x: 14, y: 3, role: .dim, maxWidth: leftWidth - 14)
    if let budget = analysis?.error_budget, !budget.isEmpty {
        let labelWidth = min(20, leftWidth / 2 - 1)
        let barWidth = leftWidth - labelWidth - 6
        for (i, item) in budget.prefix(top - 6).enumerated() {
            let y = 4 + i
            buffer.put(clip(item.source, labelWidth - 1, ellipsis: g.ellipsis), x: 1, y: y, role: .normal)
            buffer.put(
                bar(item.share, width: barWidth, glyphs: g), x: 1 + labelWidth, y: y,
                role: item.share >= 0.5 ? .warning : .accent)
            buffer.put(leftPad("\(Int((item.share * 100).rounded()))%", 4), x: 1 + labelWidth + barWidth + 1, y: y)
        }
    } else {
        buffer.put(g.missing + " no analysis", x: 1, y: 4, role: .dim)
    }

    // Power curves: one at a time when narrow (p switches), both side by side when wide.
    let plotX = leftWidth + 2
    let plotWidth = buffer.width - plotX - 1
    let plotHeight = top - 4
    let cells = state.evaluation?.powerVsCells ?? []
    let effects = state.evaluation?.powerVsEffect ?? []
    let cellsPlot = { (buffer: inout Buffer, x: Int, w: Int) in
        buffer.put("Power vs cells per perturbation", x: x, y: 3, role: .heading, maxWidth: w)
        plot(
            cells, into: &buffer, x: x, y: 4, width: w, height: plotHeight, xLabel: "cells",
            format: { grouped(Int($0)) }, marker: Double(d.sampling.cells_per_perturbation), glyphs: g)
    }
    let effectPlot = { (buffer: inout Buffer, x: Int, w: Int) in
        buffer.put("Power vs effect size", x: x, y: 3, role: .heading, maxWidth: w)
        plot(
            effects, into: &buffer, x: x, y: 4, width: w, height: plotHeight, xLabel: "|log2 FC|",
            format: { fixed($0, 1) }, glyphs: g)
    }
    if plotWidth >= 90 {
        let half = plotWidth / 2 - 1
        cellsPlot(&buffer, plotX, half)
        effectPlot(&buffer, plotX + half + 2, plotWidth - half - 2)
    } else if state.showEffectPlot {
        effectPlot(&buffer, plotX, plotWidth)
    } else {
        cellsPlot(&buffer, plotX, plotWidth)
    }

    // Recommendations.
    let recommendations = analysis?.recommendations ?? []
    buffer.put("Recommendations", x: 1, y: top, role: .heading)
    buffer.put("Enter applies, u undoes", x: 18, y: top, role: .dim)
    guard !recommendations.isEmpty else {
        buffer.put(
            g.missing + (analysis == nil ? " no analysis" : " none: the design meets its targets"), x: 1, y: top + 1,
            role: .dim)
        return
    }
    let rows = Geometry.recommendationRows(height: buffer.height) - 1
    let first = max(0, state.recommendation - rows + 1)
    for i in 0..<rows {
        let index = first + i
        guard index < recommendations.count else { break }
        let r = recommendations[index]
        let y = top + 1 + i
        let mark = state.appliedRecommendations.contains(r.id) ? g.check : (r.change.isEmpty ? " " : "+")
        buffer.put(mark, x: 1, y: y, role: .good)
        buffer.put(r.message, x: 3, y: y, maxWidth: buffer.width - 4)
        if index == state.recommendation { buffer.paint(x: 0, y: y, width: buffer.width, height: 1, role: .selected) }
    }
    let selected = recommendations[min(state.recommendation, recommendations.count - 1)]
    let change =
        selected.change.isEmpty
        ? "advice only (no field change)"
        : "applies " + selected.change.map { "\($0.path) = \($0.value)" }.joined(separator: ", ")
    buffer.put(change, x: 3, y: buffer.height - 3, role: .dim, maxWidth: buffer.width - 4)
}
