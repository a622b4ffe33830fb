import ScreenplanCore

// MARK: - Screen 1: the design as an editable tree, with live headline figures

func renderDesignScreen(_ state: AppState, into buffer: inout Buffer) {
    let g = state.capabilities.glyphs
    let treeWidth = Geometry.treeWidth(width: buffer.width)
    let labelWidth = min(34, max(16, treeWidth * 11 / 20))
    let visible = Geometry.treeRows(height: buffer.height)
    let top = Geometry.treeTop
    buffer.put("Design", x: 1, y: 1, role: .heading)
    let position = state.rows.isEmpty ? "" : "\(state.designScreen.tree.cursor + 1)/\(state.rows.count)"
    buffer.put(position, x: treeWidth - position.count - 1, y: 1, role: .dim)

    var editingRow: Int? = nil
    for row in 0..<visible {
        let index = state.designScreen.tree.scroll + row
        guard index < state.rows.count else { break }
        let field = state.rows[index]
        let y = top + row
        let selected = index == state.designScreen.tree.cursor
        if field.path.hasPrefix(issuePrefix) {
            // A problem of the file as opened: Enter goes to its field.
            buffer.put(
                clip("\(g.pointer) " + field.label, treeWidth - 2, ellipsis: g.ellipsis), x: 1, y: y, role: .error)
            if selected { buffer.paint(x: 0, y: y, width: treeWidth, height: 1, role: .selected) }
            continue
        }
        let indent = String(repeating: "  ", count: max(0, field.depth - 1))
        let isHeading = field.path.isEmpty
        buffer.put(
            clip(
                indent + field.label, (isHeading && field.label != "Plan" ? treeWidth : labelWidth) - 2,
                ellipsis: g.ellipsis), x: 1, y: y,
            role: isHeading || field.value == nil ? .heading : .normal)
        if isHeading, field.label == "Plan" {
            buffer.put("+/- [ ] nudge", x: labelWidth, y: y, role: .dim, maxWidth: treeWidth - labelWidth - 1)
        }
        if case .value(let path)? = state.input?.kind, path == field.path, let input = state.input,
            index == editedRowIndex(state)
        {
            editingRow = row
            buffer.paint(x: labelWidth, y: y, width: treeWidth - labelWidth, height: 1, role: .edit)
            buffer.put(input.text, x: labelWidth, y: y, role: .edit, maxWidth: treeWidth - labelWidth - 1)
            let cursor = labelWidth + input.cursor
            if cursor < treeWidth { buffer[cursor, y].role = .selected }
            continue
        }
        if let value = field.value {
            buffer.put(
                clip(displayValue(value), treeWidth - labelWidth - 1, ellipsis: g.ellipsis), x: labelWidth, y: y,
                role: value == "null" ? .dim : .accent)
        }
        if selected { buffer.paint(x: 0, y: y, width: treeWidth, height: 1, role: .selected) }
    }
    // The reason an edit was refused, on the spot and whole: wrapped under the edited row (or
    // above it near the bottom), with the fix when there is one.
    if let row = editingRow, let error = state.input?.error {
        var text = "\(g.pointer) refused: \(error)"
        if let fix = state.pendingFix { text += " \(g.pointer) f: \(fix.summary)" }
        let lines = wrap(text, treeWidth - 3)
        let below = row + 1 + lines.count <= visible
        for (i, line) in lines.enumerated() {
            let y = below ? top + row + 1 + i : top + row - lines.count + i
            guard y >= top, y < top + visible else { continue }
            buffer.clear(x: 0, y: y, width: treeWidth, height: 1)
            buffer.put(line, x: 2, y: y, role: .error, maxWidth: treeWidth - 3)
        }
    }
    for y in 1..<(buffer.height - 2) { buffer.put(String(g.vertical), x: treeWidth, y: y, role: .border) }
    renderHeadline(state, into: &buffer, x: treeWidth + 2, y: 1, width: buffer.width - treeWidth - 3)
}

/// Index of the row being edited: the selected row when it has the edited path (the Plan and
/// the tree both show a Plan field), else the first row with it.
func editedRowIndex(_ state: AppState) -> Int? {
    guard case .value(let path)? = state.input?.kind else { return nil }
    if state.rows.indices.contains(state.designScreen.tree.cursor),
        state.rows[state.designScreen.tree.cursor].path == path
    {
        return state.designScreen.tree.cursor
    }
    return state.rows.firstIndex { $0.path == path }
}

/// The design's cost from its cost model: batches, cells loaded, and reads of the loaded cells.
/// Shown (marked as an estimate) only until the analysis supplies its own cost.
public func estimatedCost(_ d: Design) -> Double {
    let cells = Double(d.cellsLoaded)
    return d.cost.perBatch * Double(d.batching.batches) + d.cost.perCell * cells
        + cells * d.measurement.readsPerCell / 1e6 * d.cost.perMillionReads
}

/// Headline figures, each with its unit: they follow every edit.
func renderHeadline(_ state: AppState, into buffer: inout Buffer, x: Int, y: Int, width: Int) {
    let d = state.design
    let g = state.capabilities.glyphs
    let analysis = state.evaluation?.analysis
    let fresh = state.evaluation?.generation == state.generation
    var lines: [(String, String, Role)] = [
        ("perturbations", grouped(d.perturbationCount), .normal),
        ("cells loaded", "\(grouped(d.cellsLoaded)) cells", d.cellsLoaded > d.batchCapacity ? .error : .normal),
        ("control cells", "\(grouped(d.controlCells)) cells", .normal),
        ("batches", "\(d.batching.batches) \(d.batching.unit.rawValue)s", .normal),
    ]
    if let summary = analysis?.summary {
        lines.append(("cost", money(summary.cost, summary.currency), .normal))
        let target = d.analysis.targetPower
        let meets = summary.medianPower >= target
        lines.append(
            (
                "median power", "\(fixed(summary.medianPower, 2)) (\(meets ? ">=" : "<") \(fixed(target, 2)))",
                meets ? .good : .warning
            ))
        lines.append(
            (
                "worst", "\(summary.worstPerturbation) (\(fixed(summary.worstPower, 2)))",
                summary.worstPower >= d.analysis.targetPower ? .good : .warning
            ))
    } else {
        lines.append(("cost (est.)", money(estimatedCost(d), d.cost.currency), .normal))
        lines.append(("median power", g.missing, .dim))
        lines.append(("worst", g.missing, .dim))
    }
    buffer.put("Headline", x: x, y: y, role: .heading, maxWidth: width)
    if !fresh && state.evaluation != nil || state.evaluation == nil {
        buffer.put("updating" + g.ellipsis, x: x + 10, y: y, role: .dim, maxWidth: width - 10)
    }
    let labelWidth = 15
    for (i, line) in lines.enumerated() {
        buffer.put(line.0, x: x, y: y + 1 + i, role: .dim, maxWidth: width)
        buffer.put(line.1, x: x + labelWidth, y: y + 1 + i, role: line.2, maxWidth: max(0, width - labelWidth))
    }
    var row = y + 2 + lines.count
    if d.cellsLoaded > d.batchCapacity {
        for text in wrap(
            "more cells than \(d.batching.batches) batches of \(grouped(d.batching.maxCellsPerBatch)) hold", width)
        {
            buffer.put(text, x: x, y: row, role: .error)
            row += 1
        }
    }
    if let note = state.evaluation?.analysisNote {
        for text in wrap(note, width).prefix(2) {
            buffer.put(text, x: x, y: row, role: .dim)
            row += 1
        }
    }
    row += 1
    guard state.rows.indices.contains(state.designScreen.tree.cursor), row < buffer.height - 3 else { return }
    let field = state.rows[state.designScreen.tree.cursor]
    var info: [(String, String, Role)] = []
    if field.path.hasPrefix(issuePrefix) {
        let i = state.issues.firstIndex { issuePrefix + $0.path == field.path } ?? 0
        if state.issues.indices.contains(i) {
            let issue = state.issues[i]
            info.append(("", "problem in \(issue.location.file) line \(issue.location.line)", .error))
            info.append(("", "\(issue.path): \(issue.message)", .normal))
            info.append(("", "it took its default; Enter edits it", .dim))
        }
    } else if !field.path.isEmpty {
        info.append(("", field.path, .accent))
        if let value = field.value {
            info.append(("value", value == "null" ? "null (unset)" : displayValue(value), .normal))
        }
        if let doc = FieldCatalog.info(for: field.path) {
            if !doc.unit.isEmpty, doc.unit != "–" { info.append(("unit", doc.unit, .normal)) }
            if !doc.valid.isEmpty { info.append(("valid", doc.valid, .normal)) }
            if !doc.defaultValue.isEmpty { info.append(("default", doc.defaultValue, .normal)) }
            if !doc.source.isEmpty { info.append(("source", doc.source, .dim)) }
        }
        if let plan = planFields(d).first(where: { $0.path == field.path }), let step = plan.step,
            let big = plan.bigStep
        {
            info.append(("keys", "+/- \(trimmed(step)), [/] \(trimmed(big)) (re-analyses)", .dim))
        }
    }
    guard !info.isEmpty else { return }
    buffer.put("Selected", x: x, y: row, role: .heading, maxWidth: width)
    row += 1
    let key = 8
    for (label, text, role) in info {
        let indent = label.isEmpty ? 0 : key
        for (n, line) in wrap(text, max(1, width - indent)).enumerated() {
            guard row < buffer.height - 2 else { return }
            if n == 0, !label.isEmpty { buffer.put(label, x: x, y: row, role: .dim) }
            buffer.put(line, x: x + indent, y: row, role: role, maxWidth: width - indent)
            row += 1
        }
    }
}

/// A step without a trailing `.0`.
func trimmed(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : "\(x)" }
