import ScreenplanCore

// MARK: - Rendering: a pure function from state and size to a buffer

/// Renders the whole app. No clock, environment or terminal is read here.
public func render(_ state: AppState) -> Buffer {
    var buffer = Buffer(width: state.width, height: state.height)
    guard state.width >= minimumSize.width, state.height >= minimumSize.height else {
        renderTooSmall(state, into: &buffer)
        return buffer
    }
    renderHeader(state, into: &buffer)
    switch state.screen {
    case .design: renderDesignScreen(state, into: &buffer)
    }
    renderFooter(state, into: &buffer)
    if state.showHelp { renderHelp(state, into: &buffer) }
    return buffer
}

func renderTooSmall(_ state: AppState, into buffer: inout Buffer) {
    let lines = [
        "terminal too small",
        "\(state.width)×\(state.height), need \(minimumSize.width)×\(minimumSize.height)",
        "enlarge the window, or press q to quit",
    ]
    let top = max(0, buffer.height / 2 - 1)
    for (index, line) in lines.enumerated() {
        let x = max(0, (buffer.width - line.count) / 2)
        buffer.put(line, x: x, y: top + index, role: index == 0 ? .warning : .normal)
    }
}

func renderHeader(_ state: AppState, into buffer: inout Buffer) {
    buffer.paint(x: 0, y: 0, width: buffer.width, height: 1, role: .title)
    var x = buffer.put(" screenplan ", x: 0, y: 0, role: .title)
    for screen in Screen.allCases {
        let label = " \(screen.rawValue + 1) \(screen.title) "
        x += buffer.put(label, x: x, y: 0, role: screen == state.screen ? .selected : .title)
    }
    let name = state.document.displayName + (state.dirty ? " [+]" : "")
    let start = max(x + 1, buffer.width - name.count - 1)
    buffer.put(name, x: start, y: 0, role: .title)
}

func renderFooter(_ state: AppState, into buffer: inout Buffer) {
    let y = buffer.height - 1
    buffer.paint(x: 0, y: y, width: buffer.width, height: 1, role: .keyHint)
    let text: String
    if state.confirmingQuit {
        text = " unsaved changes: quit anyway? y/n "
    } else if !state.status.isEmpty {
        text = " " + state.status
    } else {
        text = " ?:help  j/k:move  s:save  q:quit"
    }
    buffer.put(text, x: 0, y: y, role: state.confirmingQuit ? .warning : .keyHint)
}

func renderDesignScreen(_ state: AppState, into buffer: inout Buffer) {
    let fields = state.fields
    let top = 2
    let visible = buffer.height - top - 2
    let scroll = min(max(0, state.cursor - visible + 1), max(0, state.cursor))
    let treeWidth = buffer.width * 3 / 5
    for row in 0..<visible {
        let index = scroll + row
        guard index < fields.count else { break }
        let field = fields[index]
        let y = top + row
        let indent = String(repeating: "  ", count: field.depth)
        let label = indent + field.label
        let role: Role = field.value == nil ? .heading : .normal
        buffer.put(label, x: 1, y: y, role: role, maxWidth: treeWidth / 2)
        if let value = field.value {
            buffer.put(value, x: 1 + treeWidth / 2, y: y, role: .accent, maxWidth: treeWidth / 2 - 1)
        }
        if index == state.cursor { buffer.paint(x: 0, y: y, width: treeWidth, height: 1, role: .selected) }
    }
    renderHeadline(state, into: &buffer, x: treeWidth + 2, y: top)
}

/// Headline figures of the design, with their units.
func renderHeadline(_ state: AppState, into buffer: inout Buffer, x: Int, y: Int) {
    let d = state.document.design
    let width = buffer.width - x - 1
    let lines: [(String, String)] = [
        ("perturbations", "\(d.perturbationCount)"),
        ("cells loaded", "\(d.cellsLoaded)"),
        ("control cells", "\(d.controlCells)"),
        ("batches", "\(d.batching.batches) \(d.batching.unit.rawValue)s"),
        ("time points", d.timePoints.map { "\(Int($0)) h" }.joined(separator: ", ")),
    ]
    buffer.put("Headline", x: x, y: y, role: .heading, maxWidth: width)
    for (index, (label, value)) in lines.enumerated() {
        buffer.put(label, x: x, y: y + 1 + index, role: .dim, maxWidth: width)
        buffer.put(value, x: x + 15, y: y + 1 + index, role: .normal, maxWidth: max(0, width - 15))
    }
}

func renderHelp(_ state: AppState, into buffer: inout Buffer) {
    let keys = [
        ("j / ↓", "next field"), ("k / ↑", "previous field"), ("g / G", "first / last field"),
        ("PgUp / PgDn", "page"), ("s", "save (atomic write)"), ("q", "quit (asks when unsaved)"),
        ("?", "this help; any key closes it"),
    ]
    let w = 50, h = keys.count + 4
    let x0 = (buffer.width - w) / 2, y0 = (buffer.height - h) / 2
    let g = state.capabilities.glyphs
    for y in y0..<(y0 + h) {
        for x in x0..<(x0 + w) {
            let edgeY = y == y0 || y == y0 + h - 1, edgeX = x == x0 || x == x0 + w - 1
            var symbol: Character = " "
            if edgeY && edgeX {
                symbol = y == y0 ? (x == x0 ? g.topLeft : g.topRight) : (x == x0 ? g.bottomLeft : g.bottomRight)
            } else if edgeY {
                symbol = g.horizontal
            } else if edgeX {
                symbol = g.vertical
            }
            buffer[x, y] = Cell(symbol, role: edgeX || edgeY ? .border : .normal)
        }
    }
    buffer.put(" Keys ", x: x0 + 2, y: y0, role: .title)
    for (index, (key, what)) in keys.enumerated() {
        buffer.put(key, x: x0 + 2, y: y0 + 2 + index, role: .accent)
        buffer.put(what, x: x0 + 16, y: y0 + 2 + index)
    }
}
