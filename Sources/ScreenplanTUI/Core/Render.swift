import ScreenplanCore

// MARK: - Rendering: a pure function from state to a buffer

/// Renders the whole app. No clock, environment or terminal is read here.
public func render(_ state: AppState) -> Buffer {
    var buffer = Buffer(width: state.width, height: state.height)
    if state.tooSmall {
        renderTooSmall(state, into: &buffer)
    } else {
        renderHeader(state, into: &buffer)
        switch state.screen {
        case .design: renderDesignScreen(state, into: &buffer)
        case .layout: renderLayoutScreen(state, into: &buffer)
        case .analysis: renderAnalysisScreen(state, into: &buffer)
        case .compare: renderCompareScreen(state, into: &buffer)
        case .simulate: renderSimulateScreen(state, into: &buffer)
        case .export: renderExportScreen(state, into: &buffer)
        }
        renderStatusLine(state, into: &buffer)
        renderKeyBar(state, into: &buffer)
        if state.showHelp { renderHelp(state, into: &buffer) }
        if state.showMessages { renderMessages(state, into: &buffer) }
        if let recovered = state.recovery { renderRecovery(state, recovered, into: &buffer) }
    }
    if !state.capabilities.unicode { buffer.foldToASCII() }
    return buffer
}

func renderTooSmall(_ state: AppState, into buffer: inout Buffer) {
    let t = state.capabilities.glyphs.times
    let lines = [
        "terminal too small",
        "\(state.width)\(t)\(state.height), need \(minimumSize.width)\(t)\(minimumSize.height)",
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
        x += buffer.put(tabLabel(screen), x: x, y: 0, role: screen == state.screen ? .selected : .title)
    }
    let name = state.document.displayName + (state.dirty ? " [+]" : "")
    let room = buffer.width - x - 2
    if room > 8 {
        let shown = clip(name, room, ellipsis: state.capabilities.glyphs.ellipsis)
        buffer.put(shown, x: buffer.width - shown.count - 1, y: 0, role: .title)
    } else if state.dirty {
        // No room for the name: the unsaved-changes mark alone.
        buffer.put("[+]", x: buffer.width - 3, y: 0, role: .warning)
    }
}

/// The line above the key bar: the input being typed, a prompt, or the last message.
func renderStatusLine(_ state: AppState, into buffer: inout Buffer) {
    let y = buffer.height - 2
    if state.confirmingQuit {
        buffer.put(" unsaved changes: quit anyway? y/n", x: 0, y: y, role: .warning)
        return
    }
    if let input = state.input, case .value(let path) = input.kind, state.screen == .design {
        if input.error != nil {
            putWrapped(state.status, role: .error, bottom: y, into: &buffer)
        } else {
            buffer.put(
                " editing \(path): Enter accepts, Esc keeps the old value", x: 0, y: y, role: .dim,
                maxWidth: buffer.width)
        }
        return
    }
    if let input = state.input {
        let prompt: String
        switch input.kind {
        case .command: prompt = ":"
        case .search: prompt = "/"
        case .exportPath: prompt = "path: "
        case .runOutputPath:
            let formats = state.simulateScreen.writableJob.map { state.engine.jobs[$0].writeFormats } ?? []
            let format =
                formats.indices.contains(state.simulateScreen.runOutputFormat)
                ? formats[state.simulateScreen.runOutputFormat].title : ""
            prompt = "write \(format) (Tab format) to: "
        case .value(let path): prompt = path + " = "
        }
        buffer.paint(x: 0, y: y, width: buffer.width, height: 1, role: .edit)
        let used = buffer.put(prompt, x: 0, y: y, role: .edit)
        buffer.put(input.text, x: used, y: y, role: .edit, maxWidth: buffer.width - used - 1)
        let cursor = used + input.cursor
        if cursor < buffer.width { buffer[cursor, y].role = .selected }
        return
    }
    // Whole, wrapped above the key bar when long (an error in full; any message in :messages).
    putWrapped(state.status, role: state.statusIsError ? .error : .dim, bottom: y, into: &buffer)
}

/// An error message whole: wrapped on as many lines above `bottom` as it needs (at most 6; the
/// full text is always in `:messages`).
func putWrapped(_ text: String, role: Role, bottom: Int, into buffer: inout Buffer) {
    var lines = wrap(text, buffer.width - 2)
    if lines.count > 6 {
        lines = Array(lines.prefix(5)) + ["… the rest in :messages"]
    }
    let first = bottom - lines.count + 1
    for (i, line) in lines.enumerated() where first + i >= 1 {
        buffer.clear(x: 0, y: first + i, width: buffer.width, height: 1)
        buffer.put(" " + line, x: 0, y: first + i, role: role, maxWidth: buffer.width)
    }
}

/// The `:messages` overlay: the session's messages, newest last, wrapped.
func renderMessages(_ state: AppState, into buffer: inout Buffer) {
    let w = buffer.width - 4
    let h = buffer.height - 4
    let x0 = 2
    let y0 = 2
    buffer.clear(x: x0, y: y0, width: w, height: h)
    buffer.box(x: x0, y: y0, width: w, height: h, title: "Messages (any key closes)", glyphs: state.capabilities.glyphs)
    var lines: [String] = []
    for message in state.messages { lines += wrap(message, w - 4).enumerated().map { $0 == 0 ? "- " + $1 : "  " + $1 } }
    if lines.isEmpty { lines = ["no messages yet"] }
    let shown = lines.suffix(h - 2)
    for (i, line) in shown.enumerated() {
        buffer.put(line, x: x0 + 1, y: y0 + 1 + i, maxWidth: w - 2)
    }
}

/// The bottom line: the key bar of the current screen, generated from the binding table.
func renderKeyBar(_ state: AppState, into buffer: inout Buffer) {
    let y = buffer.height - 1
    buffer.paint(x: 0, y: y, width: buffer.width, height: 1, role: .keyHint)
    let unicode = state.capabilities.unicode
    var items: [String]
    if state.input != nil {
        items = [
            "Enter accept", "Esc cancel",
            "\(Key.left.display(unicode: unicode))\(Key.right.display(unicode: unicode)) move",
        ]
    } else {
        items =
            ["1-6 screens"]
            + bindings(for: state.screen).compactMap { b in
                b.bar.map { "\(b.keys[0].display(unicode: unicode)) \($0)" }
            }
    }
    var x = 1
    for item in items where x + item.count < buffer.width {
        buffer.put(item, x: x, y: y, role: .keyHint)
        x += item.count + 2
    }
}

/// The `?` overlay: every binding of the current screen and the global ones (and the `:`
/// commands when there is room), in two columns when one does not fit.
func renderHelp(_ state: AppState, into buffer: inout Buffer) {
    let unicode = state.capabilities.unicode
    var rows: [(key: String, help: String, heading: Bool)] = [("\(state.screen.title) screen", "", true)]
    for b in screenBindings(state.screen) {
        rows.append((b.keys.map { $0.display(unicode: unicode) }.joined(separator: " "), b.help, false))
    }
    rows.append(("Everywhere", "", true))
    for b in globalBindings {
        let keys =
            b.action == .goTo(.design) ? "1-6" : b.keys.map { $0.display(unicode: unicode) }.joined(separator: " ")
        rows.append((keys, b.help, false))
    }
    rows.append(("mouse", "click selects", false))
    if buffer.height >= 40 {
        rows.append(("Commands", "", true))
        for (command, help) in commandHelp { rows.append((command, help, false)) }
    }
    let w = min(buffer.width - 4, 110)
    let room = buffer.height - 4
    // Two columns when one does not fit: this screen's keys, then the global ones.
    let split = rows.firstIndex { $0.key == "Everywhere" } ?? rows.count
    let columns = rows.count <= room ? 1 : 2
    let perColumn = columns == 1 ? rows.count : max(split, rows.count - split)
    if columns == 2 {
        rows.insert(
            contentsOf: Array(repeating: (key: "", help: "", heading: false), count: perColumn - split), at: split)
    }
    let h = min(buffer.height - 2, perColumn + 2)
    let x0 = (buffer.width - w) / 2
    let y0 = max(1, (buffer.height - h) / 2)
    buffer.clear(x: x0, y: y0, width: w, height: h)
    buffer.box(x: x0, y: y0, width: w, height: h, title: "Keys (any key closes)", glyphs: state.capabilities.glyphs)
    let columnWidth = (w - 2) / columns
    let keyWidth = columns == 1 ? 18 : 11
    for (i, row) in rows.enumerated() {
        let column = i / perColumn
        let line = i % perColumn
        let x = x0 + 1 + column * columnWidth
        let y = y0 + 1 + line
        guard y < y0 + h - 1 else { continue }
        if row.heading {
            buffer.put(row.key, x: x + 1, y: y, role: .heading, maxWidth: columnWidth - 2)
        } else {
            buffer.put(row.key, x: x + 2, y: y, role: .accent, maxWidth: keyWidth - 1)
            buffer.put(row.help, x: x + 1 + keyWidth, y: y, maxWidth: columnWidth - keyWidth - 2)
        }
    }
}

/// The recovery prompt shown at start when the autosave side file holds unsaved edits.
func renderRecovery(_ state: AppState, _ recovered: Design, into buffer: inout Buffer) {
    let w = min(buffer.width - 4, 70)
    let h = 7
    let x0 = (buffer.width - w) / 2
    let y0 = (buffer.height - h) / 2
    buffer.clear(x: x0, y: y0, width: w, height: h)
    buffer.box(x: x0, y: y0, width: w, height: h, title: "Unsaved edits found", glyphs: state.capabilities.glyphs)
    buffer.put("An autosave holds edits that were never saved:", x: x0 + 2, y: y0 + 2, maxWidth: w - 4)
    buffer.put(state.autosavePath ?? "", x: x0 + 2, y: y0 + 3, role: .dim, maxWidth: w - 4)
    buffer.put("r recover them    d discard them", x: x0 + 2, y: y0 + 5, role: .accent, maxWidth: w - 4)
}
