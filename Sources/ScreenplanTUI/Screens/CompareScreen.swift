import ScreenplanCore

// MARK: - Screen 4: every layout strategy side by side, differences from the current one marked

/// One compared quantity: its label, a value per strategy, and whether larger is better.
private struct CompareRow {
    var label: String
    var values: [Double?]
    var text: (Double) -> String
    var higherIsBetter: Bool?
}

func renderCompareScreen(_ state: AppState, into buffer: inout Buffer) {
    let g = state.capabilities.glyphs
    let d = state.design
    if state.compareScreen.showsDesigns, !state.compareScreen.pins.isEmpty {
        renderDesignComparison(state, into: &buffer)
        return
    }
    buffer.put("Compare layouts", x: 1, y: 1, role: .heading)
    buffer.put(
        "green: better than the current layout, yellow: worse", x: 18, y: 1, role: .dim,
        maxWidth: buffer.width - 19)
    guard let comparison = state.evaluation?.comparison, !comparison.isEmpty else {
        buffer.put("computing\(g.ellipsis)", x: 2, y: 3, role: .dim)
        return
    }
    let labelWidth = CompareGeometry.labelWidth
    let columnWidth = CompareGeometry.columnWidth(width: buffer.width)
    let current = comparison.firstIndex { $0.strategy == d.batching.layout } ?? 0
    for (i, column) in comparison.enumerated() {
        let x = labelWidth + i * columnWidth
        let name = clip(
            columnWidth < 14 ? shortStrategyName(column.strategy.rawValue) : column.strategy.rawValue, columnWidth - 1,
            ellipsis: g.ellipsis)
        buffer.put(name, x: x, y: 3, role: i == current ? .heading : .normal)
        if i == current { buffer.put(columnWidth >= 10 ? "(current)" : "(cur.)", x: x, y: 4, role: .dim) }
        if i == state.compareScreen.column {
            buffer.paint(x: x, y: 3, width: columnWidth - 1, height: 1, role: .selected)
        }
    }
    let summaries = comparison.map(\.summary)
    let stats = comparison.map(\.stats)
    var rows: [CompareRow] = [
        CompareRow(
            label: "median power", values: summaries.map { $0?.medianPower }, text: { fixed($0, 2) },
            higherIsBetter: true),
        CompareRow(
            label: "worst power", values: summaries.map { $0?.worstPower }, text: { fixed($0, 2) },
            higherIsBetter: true),
        CompareRow(
            label: "cost (\(d.cost.currency))", values: summaries.map { $0?.cost }, text: { grouped(Int($0)) },
            higherIsBetter: false),
        CompareRow(
            label: "batches/pert. min", values: stats.map { $0.map { Double($0.minBatchesPerPerturbation) } },
            text: { String(Int($0)) }, higherIsBetter: true),
        CompareRow(
            label: "batches/pert. median", values: stats.map { $0.map { Double($0.medianBatchesPerPerturbation) } },
            text: { String(Int($0)) }, higherIsBetter: true),
        CompareRow(
            label: "in one batch only", values: stats.map { $0.map { Double($0.singleBatchPerturbations) } },
            text: { grouped(Int($0)) }, higherIsBetter: false),
        CompareRow(
            label: "batches w/ controls", values: stats.map { $0.map { Double($0.batchesWithControls) } },
            text: { String(Int($0)) }, higherIsBetter: true),
        CompareRow(
            label: "cells/batch min", values: stats.map { $0.map { Double($0.minCellsPerBatch) } },
            text: { grouped(Int($0)) }, higherIsBetter: nil),
        CompareRow(
            label: "cells/batch max", values: stats.map { $0.map { Double($0.maxCellsPerBatch) } },
            text: { grouped(Int($0)) }, higherIsBetter: nil),
    ]
    if summaries.allSatisfy({ $0 == nil }) { rows.removeFirst(3) }
    var y = 6
    for row in rows {
        guard y < buffer.height - 4 else { break }
        buffer.put(row.label, x: 1, y: y, role: .dim, maxWidth: labelWidth - 2)
        let reference = row.values[current]
        for (i, value) in row.values.enumerated() {
            let x = labelWidth + i * columnWidth
            guard comparison[i].refused == nil else { continue }
            guard let value else {
                buffer.put(g.missing, x: x, y: y, role: .dim)
                continue
            }
            var role = Role.normal
            if let better = row.higherIsBetter, let reference, i != current, value != reference {
                role = (value > reference) == better ? .good : .warning
            }
            buffer.put(clip(row.text(value), columnWidth - 1, ellipsis: g.ellipsis), x: x, y: y, role: role)
        }
        y += 1
    }
    // Refused strategies say why, below the table.
    y += 1
    if summaries.allSatisfy({ $0 == nil }), y < buffer.height - 3 {
        buffer.put(
            "power and cost: \(state.evaluation?.analysisNote ?? "no analysis")", x: 1, y: y, role: .dim,
            maxWidth: buffer.width - 2)
        y += 1
    }
    for column in comparison {
        guard let refused = column.refused, y < buffer.height - 3 else { continue }
        buffer.put("\(column.strategy.rawValue): \(refused)", x: 1, y: y, role: .dim, maxWidth: buffer.width - 2)
        let x = labelWidth + (comparison.firstIndex { $0.strategy == column.strategy } ?? 0) * columnWidth
        buffer.put("n/a", x: x, y: 6, role: .dim)
        y += 1
    }
}

/// Short names of the layout strategies for narrow columns.
func shortStrategyName(_ name: String) -> String {
    switch name {
    case "sub-libraries": return "sub-lib"
    case "confounded": return "confound"
    case "balanced-incomplete": return "bal-inc"
    case "per-animal": return "per-anim"
    case "per-time-point": return "per-time"
    default: return name
    }
}

// MARK: - Two designs side by side (`:compare PATH`)

func renderDesignComparison(_ state: AppState, into buffer: inout Buffer) {
    let g = state.capabilities.glyphs
    let mine = state.design
    let pins = state.compareScreen.pins
    buffer.put("Compare designs", x: 1, y: 1, role: .heading)
    buffer.put(
        "\(pins.count) pinned or read; ←→ choose, Enter uses it, d layouts, P pins this design", x: 18, y: 1,
        role: .dim, maxWidth: buffer.width - 19)
    let labelWidth = 22
    let columnWidth = 18
    let fit = max(1, (buffer.width - labelWidth - 1) / columnWidth - 1)
    let selected = min(state.compareScreen.pinColumn, max(0, pins.count - 1))
    let first = max(0, min(selected - fit + 1, pins.count - fit))
    let shown = Array(pins.indices.dropFirst(first).prefix(fit))
    buffer.put("this design", x: labelWidth, y: 3, role: .heading)
    for (n, i) in shown.enumerated() {
        let x = labelWidth + (n + 1) * columnWidth
        buffer.put(clip(pins[i].path, columnWidth - 2, ellipsis: g.ellipsis), x: x, y: 3, role: .heading)
        if i == selected { buffer.paint(x: x, y: 3, width: columnWidth - 1, height: 1, role: .selected) }
    }
    typealias Row = (
        label: String, value: (Design, AnalysisSummary?) -> Double?, text: (Double) -> String, better: Bool?
    )
    let currency = state.evaluation?.analysis?.summary.currency ?? mine.cost.currency
    let rows: [Row] = [
        ("median power", { $1?.medianPower }, { fixed($0, 2) }, true),
        ("worst power", { $1?.worstPower }, { fixed($0, 2) }, true),
        ("cost (\(currency))", { d, s in s?.cost ?? estimatedCost(d) }, { grouped(Int($0)) }, false),
        ("perturbations", { d, _ in Double(d.perturbationCount) }, { grouped(Int($0)) }, nil),
        ("cells / perturbation", { d, _ in Double(d.sampling.cellsPerPerturbation) }, { grouped(Int($0)) }, nil),
        ("reads / cell", { d, _ in d.measurement.readsPerCell }, { grouped(Int($0)) }, nil),
        ("batches", { d, _ in Double(d.batching.batches) }, { grouped(Int($0)) }, nil),
        ("cells loaded", { d, _ in Double(d.cellsLoaded) }, { grouped(Int($0)) }, nil),
    ]
    let own = state.evaluation?.generation == state.generation ? state.evaluation?.analysis?.summary : nil
    var y = 4
    for row in rows {
        buffer.put(row.label, x: 1, y: y, role: .dim, maxWidth: labelWidth - 2)
        let reference = row.value(mine, own)
        buffer.put(reference.map(row.text) ?? g.missing, x: labelWidth, y: y, role: reference == nil ? .dim : .normal)
        for (n, i) in shown.enumerated() {
            let x = labelWidth + (n + 1) * columnWidth
            guard let value = row.value(pins[i].design, pins[i].summary) else {
                buffer.put(g.missing, x: x, y: y, role: .dim)
                continue
            }
            var text = row.text(value)
            var role = Role.normal
            if let reference, value != reference {
                let delta = value - reference
                text += " (" + (delta > 0 ? "+" : "-") + row.text(abs(delta)) + ")"
                role = row.better.map { ($0 == (delta > 0)) ? .good : .warning } ?? .accent
            }
            buffer.put(text, x: x, y: y, role: role, maxWidth: columnWidth - 1)
        }
        y += 1
    }
    guard pins.indices.contains(selected) else { return }
    let other = pins[selected]
    y += 1
    buffer.put(
        "\(other.path): " + fieldsDiffer(other.differences.count), x: 1, y: y, role: .heading,
        maxWidth: buffer.width - 2)
    y += 1
    for difference in other.differences where y < buffer.height - 3 {
        let x = min(labelWidth + columnWidth, 40)
        buffer.put(difference.path, x: 1, y: y, role: .dim, maxWidth: x - 2)
        let text = "\(difference.mine) \(g.pointer) \(difference.theirs)"
        buffer.put(text, x: x, y: y, role: .accent, maxWidth: buffer.width - x - 1)
        y += 1
    }
}

/// "1 field differs", "3 fields differ", "no field differs".
func fieldsDiffer(_ n: Int) -> String {
    n == 0 ? "no field differs" : n == 1 ? "1 field differs" : "\(n) fields differ"
}
