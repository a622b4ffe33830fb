import ScreenplanCore

// MARK: - Screen 3: error budget, power curves, recommendations that can be applied

func renderAnalysisScreen(_ state: AppState, into buffer: inout Buffer) {
    let g = state.capabilities.glyphs
    let d = state.design
    buffer.put("Analysis", x: 1, y: 1, role: .heading)
    let analysis = state.evaluation?.analysis
    if let summary = analysis?.summary {
        let target = d.analysis.targetPower
        let meets = summary.medianPower >= target
        var x = 11
        x += buffer.put("median power ", x: x, y: 1, role: .dim)
        x += buffer.put(fixed(summary.medianPower, 2), x: x, y: 1, role: meets ? .good : .warning)
        x += buffer.put(
            meets ? " meets target \(fixed(target, 2))" : " below target \(fixed(target, 2))", x: x, y: 1,
            role: meets ? .good : .warning)
        let rest =
            "  worst \(summary.worstPerturbation) \(fixed(summary.worstPower, 2))  \(money(summary.cost, summary.currency))"
        x += buffer.put(rest, x: x, y: 1, maxWidth: buffer.width - x - 1)
        let layout = "  layout \(analysis!.layout)"
        if x + layout.count < buffer.width { buffer.put(layout, x: x, y: 1, role: .dim) }
    } else {
        let note = state.evaluation?.analysisNote ?? "computing\(g.ellipsis)"
        buffer.put(note, x: 11, y: 1, role: .dim, maxWidth: buffer.width - 12)
    }
    if state.analysisScreen.showTable {
        renderPerturbationTable(state, into: &buffer)
        return
    }
    let top = Geometry.recommendationsTop(height: buffer.height)
    let leftWidth = buffer.width >= 120 ? 46 : buffer.width / 2 - 2
    renderCellTypeLine(analysis, into: &buffer)

    // Error budget: share of the median perturbation's variance from each source (the
    // downstream grid takes the whole width).
    if !state.analysisScreen.showDownstream {
        buffer.put("Error budget", x: 1, y: 3, role: .heading)
        buffer.put("share of variance", x: 14, y: 3, role: .dim, maxWidth: leftWidth - 14)
        if let budget = analysis?.errorBudget, !budget.isEmpty {
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
            format: { grouped(Int($0)) }, marker: Double(d.sampling.cellsPerPerturbation),
            target: d.analysis.targetPower, glyphs: g)
    }
    let effectPlot = { (buffer: inout Buffer, x: Int, w: Int) in
        buffer.put("Power vs effect size", x: x, y: 3, role: .heading, maxWidth: w)
        plot(
            effects, into: &buffer, x: x, y: 4, width: w, height: plotHeight, xLabel: "|log2 FC|",
            format: { fixed($0, 1) }, target: d.analysis.targetPower, glyphs: g)
    }
    if state.analysisScreen.showDownstream {
        renderDownstreamGrid(state, into: &buffer, top: 3, bottom: top - 1)
    } else if plotWidth >= 90 {
        let half = plotWidth / 2 - 1
        cellsPlot(&buffer, plotX, half)
        effectPlot(&buffer, plotX + half + 2, plotWidth - half - 2)
    } else if state.analysisScreen.showEffectPlot {
        effectPlot(&buffer, plotX, plotWidth)
    } else {
        cellsPlot(&buffer, plotX, plotWidth)
    }

    // Recommendations, each with what it does to median power and cost.
    let recommendations = state.recommendations
    buffer.put("Recommendations", x: 1, y: top, role: .heading)
    buffer.put(
        "Enter applies, u undoes, t per-perturbation table", x: 18, y: top, role: .dim, maxWidth: buffer.width - 19)
    guard !recommendations.isEmpty else {
        let text: String
        if state.evaluation?.recommendationsPending == true {
            text = "computing: each recommendation's measured effect on power and cost follows"
        } else if let summary = analysis?.summary {
            text =
                summary.medianPower >= d.analysis.targetPower
                ? "none: median power \(fixed(summary.medianPower, 2)) meets the target \(fixed(d.analysis.targetPower, 2))"
                : "none yet: median power \(fixed(summary.medianPower, 2)) is below the target \(fixed(d.analysis.targetPower, 2)); the solver's designs follow when found"
        } else {
            text = "no analysis"
        }
        for (i, line) in wrap(g.missing + " " + text, buffer.width - 2).prefix(2).enumerated() {
            buffer.put(line, x: 1, y: top + 1 + i, role: .dim)
        }
        return
    }
    let detailLines = 3
    let rows = max(1, Geometry.recommendationRows(height: buffer.height) - 1 - detailLines)
    let tall = buffer.height >= 40
    let first = max(0, state.analysisScreen.recommendation - rows + 1)
    let effectWidth = 11
    for i in 0..<rows {
        let index = first + i
        guard index < recommendations.count else { break }
        let r = recommendations[index]
        let y = top + 1 + i
        let mark = state.analysisScreen.appliedRecommendations.contains(r.id) ? g.check : (r.change.isEmpty ? " " : "+")
        buffer.put(mark, x: 1, y: y, role: .good)
        if let x = r.effect {
            let role: Role = x.meetsTarget ? .good : (x.lowersPowerBelowTarget ? .error : .warning)
            let arrow = state.capabilities.unicode ? "→" : ">"
            buffer.put(
                "\(fixed(x.medianPowerBefore, 2))\(arrow)\(fixed(x.medianPowerAfter, 2))", x: 3, y: y, role: role)
        } else {
            buffer.put(r.change.isEmpty ? "advice" : "n/a", x: 3, y: y, role: .dim)
        }
        buffer.put(r.message, x: 3 + effectWidth, y: y, maxWidth: buffer.width - 4 - effectWidth)
        if index == state.analysisScreen.recommendation {
            buffer.paint(x: 0, y: y, width: buffer.width, height: 1, role: .selected)
        }
    }
    // The selected one in full: its effect (and whether it reaches the target), and the edit.
    let selected = recommendations[min(state.analysisScreen.recommendation, recommendations.count - 1)]
    var detail: [(String, Role)] = []
    if let x = selected.effect {
        let verdict =
            x.meetsTarget
            ? "reaches the target \(fixed(x.targetPower, 2))"
            : (x.lowersPowerBelowTarget
                ? "LOWERS POWER BELOW the target \(fixed(x.targetPower, 2))"
                : "still below the target \(fixed(x.targetPower, 2))")
        detail.append(
            (
                (x.gain.map { $0.text + "; " } ?? "")
                    + "median power \(fixed(x.medianPowerBefore, 2)) → \(fixed(x.medianPowerAfter, 2)), \(verdict); cost \(money(x.costBefore, x.currency)) → \(money(x.costAfter, x.currency))",
                x.meetsTarget ? .good : .warning
            ))
    }
    detail.append(
        (
            selected.change.isEmpty
                ? "advice only (no field change)"
                : "Enter applies " + selected.change.map { "\($0.path) = \($0.value)" }.joined(separator: ", "), .dim
        ))
    var lines: [(String, Role)] = []
    for (text, role) in detail { lines += wrap(text, buffer.width - 4).map { ($0, role) } }
    let bottom = tall ? top + Geometry.recommendationRows(height: buffer.height) : buffer.height - 3
    let y0 = bottom - min(detailLines, lines.count) + 1
    for (i, line) in lines.prefix(detailLines).enumerated() {
        buffer.put(line.0, x: 3, y: y0 + i, role: line.1, maxWidth: buffer.width - 4)
    }
    if tall { renderPerturbationTable(state, into: &buffer, top: bottom + 1) }
}

/// Columns of the per-perturbation table, in the order `o` cycles through them.
public enum TableColumn: Int, CaseIterable, Sendable {
    case power, target, umis, cells, effect, sd, sampling, guide

    var title: String {
        switch self {
        case .power: return "power"
        case .target: return "target"
        case .umis: return "UMIs/ctrl cell"
        case .cells: return "cells"
        case .effect: return "effect log2"
        case .sd: return "sd log2"
        case .sampling: return "sampling power"
        case .guide: return "guide-effect probability"
        }
    }
}

/// The table's row order (indices into the evaluation's rows) for a sort: power ascending
/// first, so the weak perturbations are on top. Computed when the evaluation or the sort
/// changes, not per frame (sorting thousands of rows would cost the keystroke budget).
func tableOrder(_ rows: [PerturbationRow], by column: TableColumn, descending: Bool) -> [Int] {
    let ascending: [Int]
    let i = rows.indices
    switch column {
    case .power: ascending = i.sorted { (rows[$0].power, rows[$0].name) < (rows[$1].power, rows[$1].name) }
    case .target: ascending = i.sorted { (rows[$0].target, rows[$0].name) < (rows[$1].target, rows[$1].name) }
    case .umis:
        ascending = i.sorted { (rows[$0].targetUMIs ?? -1, rows[$0].name) < (rows[$1].targetUMIs ?? -1, rows[$1].name) }
    case .cells: ascending = i.sorted { (rows[$0].cells, rows[$0].name) < (rows[$1].cells, rows[$1].name) }
    case .effect: ascending = i.sorted { (abs(rows[$0].effect), rows[$0].name) < (abs(rows[$1].effect), rows[$1].name) }
    case .sd:
        ascending = i.sorted { (rows[$0].sd ?? .infinity, rows[$0].name) < (rows[$1].sd ?? .infinity, rows[$1].name) }
    case .sampling:
        ascending = i.sorted {
            (rows[$0].samplingPower ?? -1, rows[$0].name) < (rows[$1].samplingPower ?? -1, rows[$1].name)
        }
    case .guide:
        ascending = i.sorted {
            (rows[$0].guideEffectProbability ?? -1, rows[$0].name) < (
                rows[$1].guideEffectProbability ?? -1, rows[$1].name
            )
        }
    }
    return descending ? ascending.reversed() : ascending
}

/// The per-perturbation table: target, expected UMIs per control cell, cells, effect, sd, power,
/// then power from sampling alone and the chance the guides give a detectable effect (power
/// combines the two), flags.
func renderPerturbationTable(_ state: AppState, into buffer: inout Buffer, top: Int = 2) {
    let g = state.capabilities.glyphs
    let all = state.evaluation?.perturbations ?? []
    let rows =
        state.analysisScreen.tableRowOrder.count == all.count ? state.analysisScreen.tableRowOrder.map { all[$0] } : all
    let order = state.analysisScreen.tableDescending ? "descending" : "ascending"
    buffer.put("Perturbations", x: 1, y: top, role: .heading)
    buffer.put(
        "\(rows.count) rows, by \(state.analysisScreen.tableSort.title) \(order) (t table, o column, r reverse)", x: 15,
        y: top,
        role: .dim,
        maxWidth: buffer.width - 16)
    let header = [
        ("name", 10), ("target", 8), ("UMIs/ctrl", 9), ("cells", 7), ("effect", 7), ("sd", 6), ("power", 5),
        ("sampl", 5), ("guide", 5),
    ]
    let columns: [TableColumn?] = [nil, .target, .umis, .cells, .effect, .sd, .power, .sampling, .guide]
    var x = 1
    for (i, (title, w)) in header.enumerated() {
        let sorted = columns[i] == state.analysisScreen.tableSort
        let text = i == 0 || i == 1 ? title : leftPad(title, w)
        buffer.put(text, x: x, y: top + 1, role: sorted ? .accent : .heading, maxWidth: w)
        x += w + 1
    }
    buffer.put("flags", x: x, y: top + 1, role: .heading)
    let visible = Geometry.tableRows(height: buffer.height, top: top)
    let target = state.design.analysis.targetPower
    for i in 0..<visible {
        let index = state.analysisScreen.table.scroll + i
        guard index < rows.count else { break }
        let r = rows[index]
        let y = top + 2 + i
        var x = 1
        let cells: [(String, Int, Role)] = [
            (clip(r.name, 10, ellipsis: g.ellipsis), 10, .normal),
            (clip(r.target, 8, ellipsis: g.ellipsis), 8, .normal),
            (
                leftPad(r.targetUMIs.map { fixed($0, $0 < 10 ? 2 : 0) } ?? "n/a", 9), 9,
                r.targetUMIs == nil ? .dim : .normal
            ),
            (leftPad(grouped(r.cells), 7), 7, .normal),
            (leftPad(fixed(r.effect, 2), 7), 7, .normal),
            (leftPad(r.sd.map { fixed($0, 3) } ?? "n/a", 6), 6, r.sd == nil ? .dim : .normal),
            (leftPad(fixed(r.power, 2), 5), 5, r.power >= target ? .good : .warning),
            (leftPad(r.samplingPower.map { fixed($0, 2) } ?? "n/a", 5), 5, r.samplingPower == nil ? .dim : .normal),
            (
                leftPad(r.guideEffectProbability.map { fixed($0, 2) } ?? "n/a", 5), 5,
                r.guideEffectProbability == nil ? .dim : .normal
            ),
        ]
        for (text, w, role) in cells {
            buffer.put(text, x: x, y: y, role: role, maxWidth: w)
            x += w + 1
        }
        buffer.put(r.flags.joined(separator: ", "), x: x, y: y, role: .dim, maxWidth: max(0, buffer.width - x - 1))
        if state.analysisScreen.showTable, index == state.analysisScreen.table.cursor {
            buffer.paint(x: 0, y: y, width: buffer.width, height: 1, role: .selected)
        }
    }
    if rows.isEmpty { buffer.put(g.missing + " no analysis", x: 1, y: top + 2, role: .dim) }
}

/// The downstream gene's power over cells per perturbation (columns) × reads per cell (rows),
/// green where it reaches the target, with the target-power contour per depth (the fewest cells
/// that reach it) and the design's own cells and depth marked: `d` on the Analysis screen.
func renderDownstreamGrid(_ state: AppState, into buffer: inout Buffer, top: Int, bottom: Int) {
    let g = state.capabilities.glyphs
    guard let grid = state.analysisScreen.downstream, state.analysisScreen.downstreamGeneration == state.generation
    else {
        buffer.put("Downstream gene power", x: 1, y: top, role: .heading)
        let note =
            state.analysisScreen.downstreamGeneration == state.generation
            ? (state.analysisScreen.downstreamNote ?? "none") : "computing\(g.ellipsis)"
        buffer.put(g.missing + " " + note, x: 1, y: top + 1, role: .dim, maxWidth: buffer.width - 2)
        return
    }
    let d = state.design
    buffer.put("Downstream gene power", x: 1, y: top, role: .heading)
    buffer.put(
        "\(fixed(grid.umisPerCell, grid.umisPerCell < 10 ? 2 : 0)) UMIs per control cell, \(fixed(grid.effectLog2, 1)) log2, \(grid.test); d: plots",
        x: 24, y: top, role: .dim, maxWidth: buffer.width - 25)
    let labelWidth = 13
    let contourWidth = 16
    let columns = grid.cellsPerPerturbation.count
    let cellWidth = max(5, min(8, (buffer.width - 2 - labelWidth - contourWidth) / max(1, columns)))
    buffer.put("reads/cell", x: 1, y: top + 1, role: .dim)
    for (j, n) in grid.cellsPerPerturbation.enumerated() {
        let mine = n == d.sampling.cellsPerPerturbation
        buffer.put(
            leftPad(grouped(n), cellWidth - 1), x: 1 + labelWidth + j * cellWidth, y: top + 1,
            role: mine ? .accent : .heading, maxWidth: cellWidth)
    }
    let contourX = 1 + labelWidth + columns * cellWidth + 1
    buffer.put(
        "\(fixed(grid.targetPower, 2)) reached at", x: contourX, y: top + 1, role: .heading,
        maxWidth: buffer.width - contourX - 1)
    for (i, reads) in grid.readsPerCell.enumerated() where top + 2 + i < bottom {
        let y = top + 2 + i
        let mine = abs(reads - d.measurement.readsPerCell) < 0.5
        buffer.put(leftPad(grouped(Int(reads.rounded())), labelWidth - 2), x: 1, y: y, role: mine ? .accent : .normal)
        for (j, p) in grid.power[i].enumerated() {
            buffer.put(
                leftPad(fixed(p, 2), cellWidth - 1), x: 1 + labelWidth + j * cellWidth, y: y,
                role: p >= grid.targetPower ? .good : .warning, maxWidth: cellWidth)
        }
        let contour = grid.contourCells[i].map { "\(grouped($0)) cells" } ?? "not reached"
        buffer.put(
            contour, x: contourX, y: y, role: grid.contourCells[i] == nil ? .dim : .normal,
            maxWidth: buffer.width - contourX - 1)
    }
    let legend = top + 2 + grid.readsPerCell.count
    if legend < bottom {
        buffer.put(
            "columns: cells per perturbation; green: reaches the target; yours highlighted",
            x: 1, y: legend, role: .dim, maxWidth: buffer.width - 2)
    }
}

/// One line under the summary with the median power of each cell type (docs/cell-types.md); the
/// headline type is marked `*`.
private func renderCellTypeLine(_ analysis: AnalysisResult?, into buffer: inout Buffer) {
    guard let types = analysis?.cellTypes, !types.isEmpty else { return }
    var x = 1
    x += buffer.put(
        analysis?.cellType == nil ? "per cell type (headline: all cells) " : "per cell type ", x: x, y: 2, role: .dim)
    for t in types {
        let mark = analysis?.cellType == t.name ? "*" : ""
        let text = "\(mark)\(t.name) \(fixed(t.medianPower, 2))  "
        guard x + text.count < buffer.width else { break }
        x += buffer.put(text, x: x, y: 2, role: .normal)
    }
}
