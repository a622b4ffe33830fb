import ScreenplanCore

// MARK: - Screen 2: the batch × perturbation grid as a heat map, with controls

/// Shade level 0…4 of `n` cells on a scale whose top is `top`.
func heatLevel(_ n: Int, top: Int) -> Int {
    guard n > 0, top > 0 else { return 0 }
    return 1 + min(3, Int(Double(n) / Double(top) * 4 - 1e-9))
}

func renderLayoutScreen(_ state: AppState, into buffer: inout Buffer) {
    let g = state.capabilities.glyphs
    let d = state.design
    buffer.put("Layout", x: 1, y: 1, role: .heading)
    var x = 9
    x += buffer.put(d.batching.layout.rawValue, x: x, y: 1, role: .accent) + 2
    guard let grid = state.evaluation?.layout else {
        let why = state.evaluation?.layoutNote ?? "computing the layout\(g.ellipsis)"
        for (i, text) in wrap(why, buffer.width - 4).enumerated() {
            buffer.put(text, x: 2, y: 3 + i, role: state.evaluation == nil ? .dim : .error)
        }
        return
    }
    buffer.put(
        "\(grouped(grid.perturbations.count)) perturbations \(g.times) \(grid.batches.count) \(d.batching.unit.rawValue)s",
        x: x, y: 1, role: .normal, maxWidth: buffer.width - x - 1)

    let nameWidth = Geometry.layoutNameWidth
    let cellWidth = Geometry.layoutCellWidth
    let columns = min(grid.batches.count, Geometry.layoutBatchColumns(width: buffer.width))
    let first = min(state.layoutScreen.column, max(0, grid.batches.count - columns))
    let totalX = nameWidth + columns * cellWidth + 1
    // Batch numbers: every fifth batch (and the first shown), so the header stays readable.
    buffer.put(d.batching.unit.rawValue, x: 1, y: 2, role: .dim)
    for c in 0..<columns {
        let b = first + c
        if c == 0 || (b + 1) % 5 == 0 {
            buffer.put(String(b + 1), x: nameWidth + c * cellWidth, y: 2, role: .dim)
        }
    }
    buffer.put("cells", x: totalX, y: 2, role: .dim)
    let controlTop = grid.controls.max() ?? 0
    buffer.put("controls", x: 1, y: 3, role: .good)
    for c in 0..<columns {
        let level = heatLevel(grid.controls[first + c], top: controlTop)
        buffer.put(
            String(repeating: g.shades[level], count: cellWidth), x: nameWidth + c * cellWidth, y: 3, role: .good)
    }
    buffer.put(grouped(grid.controls.reduce(0, +)), x: totalX, y: 3, role: .good)

    let cellTop = grid.perturbationMaximum
    let visible = Geometry.layoutRows(height: buffer.height)
    for row in 0..<visible {
        let p = state.layoutScreen.rows.scroll + row
        guard p < grid.perturbations.count else { break }
        let y = Geometry.layoutTop + row
        buffer.put(clip(grid.perturbations[p], nameWidth - 2, ellipsis: g.ellipsis), x: 1, y: y)
        let cells = grid.cells[p]
        for c in 0..<columns where first + c < cells.count {
            let level = heatLevel(cells[first + c], top: cellTop)
            buffer.put(
                String(repeating: g.shades[level], count: cellWidth), x: nameWidth + c * cellWidth, y: y,
                role: .accent)
        }
        buffer.put(grouped(cells.reduce(0, +)), x: totalX, y: y)
        if p == state.layoutScreen.rows.cursor {
            buffer.paint(x: 0, y: y, width: nameWidth - 1, height: 1, role: .selected)
        }
    }

    // Nesting: a vertical rule where a unit of the outer level starts (the delivery level when
    // `batching.delivery_unit` names one, else the outermost nested level), labelled in the header.
    let levels = d.batching.nested
    if let level = levels.first(where: { $0.unit == d.batching.deliveryUnit }) ?? levels.first,
        level.count > 1, grid.batches.count > 1
    {
        let count = grid.batches.count
        func unit(_ b: Int) -> Int { min(level.count - 1, b * level.count / count) }
        let lastRow =
            Geometry.layoutTop + min(visible, max(0, grid.perturbations.count - state.layoutScreen.rows.scroll)) - 1
        for c in 0..<columns {
            let b = first + c
            guard c == 0 || unit(b) != unit(b - 1) else { continue }
            let x = nameWidth + c * cellWidth
            if c > 0 {
                for y in 3...max(3, lastRow) { buffer.put(String(g.vertical), x: x, y: y, role: .border) }
            }
            let label = "\(level.unit.rawValue.prefix(1).uppercased())\(unit(b) + 1)"
            if x + label.count < totalX { buffer.put(label, x: x, y: 2, role: .dim) }
        }
    }

    // Legend, the selected perturbation, and where the grid comes from.
    let legendY = buffer.height - 4
    var lx = 1
    lx += buffer.put("scale:", x: lx, y: legendY, role: .dim) + 1
    for level in 1...4 {
        lx += buffer.put(String(repeating: g.shades[level], count: 2), x: lx, y: legendY, role: .accent)
        lx += buffer.put(" \(Int((Double(cellTop) * Double(level) / 4).rounded()))  ", x: lx, y: legendY, role: .dim)
    }
    lx += buffer.put(
        "cells per block (controls: top \(grouped(controlTop)))", x: lx, y: legendY, role: .dim,
        maxWidth: buffer.width - lx - 1)
    if grid.perturbations.indices.contains(state.layoutScreen.rows.cursor) {
        let p = state.layoutScreen.rows.cursor
        let cells = grid.cells[p]
        let used = cells.filter { $0 > 0 }
        let text =
            "\(grid.perturbations[p]): \(grouped(cells.reduce(0, +))) cells in \(used.count) of \(grid.batches.count) \(d.batching.unit.rawValue)s"
            + (used.isEmpty ? "" : " (\(used.min()!)–\(used.max()!) per \(d.batching.unit.rawValue))")
            + "   row \(p + 1)/\(grid.perturbations.count)"
            + (first > 0 || first + columns < grid.batches.count
                ? "   \(d.batching.unit.rawValue)s \(first + 1)–\(first + columns) of \(grid.batches.count)" : "")
        buffer.put(text, x: 1, y: legendY + 1, role: .normal, maxWidth: buffer.width - 2)
    }
    if let note = grid.note, x + 48 + note.count < buffer.width {
        buffer.put(note, x: buffer.width - note.count - 1, y: 1, role: .dim)
    }
}
