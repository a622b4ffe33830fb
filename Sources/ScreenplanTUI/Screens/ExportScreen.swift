import ScreenplanCore

// MARK: - Screen 6: write the design or a report, format and path chosen here

func renderExportScreen(_ state: AppState, into buffer: inout Buffer) {
    let g = state.capabilities.glyphs
    buffer.put("Export", x: 1, y: 1, role: .heading)
    buffer.put(
        "j/k choose the format, p edits the path, Enter writes", x: 9, y: 1, role: .dim, maxWidth: buffer.width - 10)
    for (i, format) in state.engine.exports.enumerated() {
        let y = Geometry.formatsTop + i
        buffer.put(i == state.exportScreen.format ? String(g.pointer) : " ", x: 1, y: y, role: .accent)
        buffer.put(format.title, x: 3, y: y, maxWidth: 30)
        buffer.put("." + format.fileExtension, x: 34, y: y, role: .dim)
        if i == state.exportScreen.format { buffer.paint(x: 0, y: y, width: 40, height: 1, role: .selected) }
    }
    var y = Geometry.formatsTop + state.engine.exports.count + 1
    if state.engine.exports.count <= 1 {
        buffer.put(
            "report formats (md, html, json) appear here when the reports module is built in",
            x: 3, y: y, role: .dim, maxWidth: buffer.width - 4)
        y += 2
    }
    buffer.put("path", x: 1, y: y, role: .dim)
    buffer.put(state.effectiveExportPath, x: 7, y: y, role: .accent, maxWidth: buffer.width - 8)
    if state.exportScreen.path == nil {
        buffer.put("(default; p to change)", x: 8 + state.effectiveExportPath.count, y: y, role: .dim)
    }
    y += 1
    if let path = state.document.path {
        buffer.put("design file", x: 1, y: y + 1, role: .dim)
        buffer.put(
            path + (state.dirty ? "  (unsaved changes: s saves)" : "  (saved)"), x: 14, y: y + 1,
            role: state.dirty ? .warning : .good, maxWidth: buffer.width - 15)
    } else {
        buffer.put(
            "the embedded default design: s or :w PATH saves it to a file", x: 1, y: y + 1, role: .dim,
            maxWidth: buffer.width - 2)
    }
}
