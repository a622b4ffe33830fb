import ScreenplanCore

// MARK: - Screen 1: the design as an editable tree, with live headline figures

func renderDesignScreen(_ state: AppState, into buffer: inout Buffer) {
    let g = state.capabilities.glyphs
    let treeWidth = Geometry.treeWidth(width: buffer.width)
    let labelWidth = min(34, max(16, treeWidth * 11 / 20))
    let visible = Geometry.treeRows(height: buffer.height)
    let top = Geometry.treeTop
    buffer.put("Design", x: 1, y: 1, role: .heading)
    let position = state.rows.isEmpty ? "" : "\(state.tree.cursor + 1)/\(state.rows.count)"
    buffer.put(position, x: treeWidth - position.count - 1, y: 1, role: .dim)

    var editingRow: Int? = nil
    for row in 0..<visible {
        let index = state.tree.scroll + row
        guard index < state.rows.count else { break }
        let field = state.rows[index]
        let y = top + row
        let selected = index == state.tree.cursor
        let indent = String(repeating: "  ", count: field.depth)
        buffer.put(
            clip(indent + field.label, labelWidth - 2, ellipsis: g.ellipsis), x: 1, y: y,
            role: field.value == nil ? .heading : .normal)
        if case .value(let path)? = state.input?.kind, path == field.path, let input = state.input {
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
                role: .accent)
        }
        if selected { buffer.paint(x: 0, y: y, width: treeWidth, height: 1, role: .selected) }
    }
    // The reason an edit was refused, on the spot: under the edited row (or above it at the bottom).
    if let row = editingRow, let error = state.input?.error {
        let y = row + 1 < visible ? top + row + 1 : top + row - 1
        buffer.clear(x: 0, y: y, width: treeWidth, height: 1)
        buffer.put("\(g.pointer) refused: \(error)", x: 2, y: y, role: .error, maxWidth: treeWidth - 3)
    }
    for y in 1..<(buffer.height - 2) { buffer.put(String(g.vertical), x: treeWidth, y: y, role: .border) }
    renderHeadline(state, into: &buffer, x: treeWidth + 2, y: 1, width: buffer.width - treeWidth - 3)
}

/// The design's cost from its cost model: batches, cells loaded, and reads of the loaded cells.
/// Shown (marked as an estimate) only until the analysis supplies its own cost.
public func estimatedCost(_ d: Design) -> Double {
    let cells = Double(d.cellsLoaded)
    return d.cost.per_batch * Double(d.batching.batches) + d.cost.per_cell * cells
        + cells * d.measurement.reads_per_cell / 1e6 * d.cost.per_million_reads
}

/// Headline figures, each with its unit: they follow every edit.
func renderHeadline(_ state: AppState, into buffer: inout Buffer, x: Int, y: Int, width: Int) {
    let d = state.design
    let g = state.capabilities.glyphs
    let analysis = state.evaluation?.analysis
    let fresh = state.evaluation?.generation == state.generation
    var lines: [(String, String, Role)] = [
        ("perturbations", grouped(d.perturbationCount), .normal),
        ("cells / pert.", "\(grouped(d.sampling.cells_per_perturbation)) cells", .normal),
        ("cells loaded", "\(grouped(d.cellsLoaded)) cells", d.cellsLoaded > d.batchCapacity ? .error : .normal),
        ("control cells", "\(grouped(d.controlCells)) cells", .normal),
        ("batches", "\(d.batching.batches) \(d.batching.unit.rawValue)s", .normal),
        ("layout", d.batching.layout.rawValue, .normal),
        ("time points", d.timePoints.map { "\(fixed($0, 0)) h" }.joined(separator: ", "), .normal),
    ]
    if let summary = analysis?.summary {
        lines.append(("cost", money(summary.cost, summary.currency), .normal))
        lines.append(
            (
                "median power", fixed(summary.median_power, 2),
                summary.median_power >= d.analysis.target_power ? .good : .warning
            ))
        lines.append(
            (
                "worst", "\(summary.worst_perturbation) (\(fixed(summary.worst_power, 2)))",
                summary.worst_power >= d.analysis.target_power ? .good : .warning
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
            "more cells than \(d.batching.batches) batches of \(grouped(d.batching.max_cells_per_batch)) hold", width)
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
    guard state.rows.indices.contains(state.tree.cursor), row < buffer.height - 3 else { return }
    let field = state.rows[state.tree.cursor]
    buffer.put("Selected", x: x, y: row, role: .heading, maxWidth: width)
    for text in wrap(field.path, width).prefix(max(0, buffer.height - 3 - row - 1)) {
        row += 1
        buffer.put(text, x: x, y: row, role: .accent)
    }
}
