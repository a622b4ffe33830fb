import ScreenplanCore

// MARK: - Typing a line: in-place edits, the command line, search, the export path

func editInput(_ key: Key, _ state: AppState) -> (AppState, [Effect]) {
    var s = state
    guard var line = s.input else { return (s, []) }
    var chars = Array(line.text)
    switch key {
    case .escape:
        s.input = nil
        if case .value(let path) = line.kind { s.say("\(path): kept the old value") }
        return (s, [])
    case .enter:
        s.input = nil
        return submit(line, s)
    case .character(let c):
        chars.insert(c, at: line.cursor)
        line.cursor += 1
    case .backspace:
        if line.cursor > 0 {
            chars.remove(at: line.cursor - 1)
            line.cursor -= 1
        } else if chars.isEmpty, line.kind == .command || line.kind == .search {
            s.input = nil
            return (s, [])
        }
    case .delete:
        if line.cursor < chars.count { chars.remove(at: line.cursor) }
    case .left: line.cursor = max(0, line.cursor - 1)
    case .right: line.cursor = min(chars.count, line.cursor + 1)
    case .home, .control("a"): line.cursor = 0
    case .end, .control("e"): line.cursor = chars.count
    case .control("u"):
        chars.removeSubrange(0..<line.cursor)
        line.cursor = 0
    default:
        return (s, [])
    }
    line.text = String(chars)
    line.error = nil
    s.input = line
    return (s, [])
}

private func submit(_ line: InputLine, _ state: AppState) -> (AppState, [Effect]) {
    var s = state
    switch line.kind {
    case .value(let path):
        let (next, effects, refused) = set(path, to: line.text, s)
        if let refused {
            // Refused: the old value stays, the editor stays open with the reason.
            var again = line
            again.error = refused
            s.input = again
            s.say("refused: \(refused)", error: true)
            return (s, [])
        }
        return (next, effects)
    case .command:
        return runCommand(line.text, s)
    case .search:
        return (runSearch(line.text, s), [])
    case .exportPath:
        let path = line.text.trimmingCharacters(in: " ")
        s.exportPath = path.isEmpty ? nil : path
        s.say("export path: \(s.effectiveExportPath)")
        return (s, [])
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var sub = Substring(self)
        while sub.first == set { sub = sub.dropFirst() }
        while sub.last == set { sub = sub.dropLast() }
        return String(sub)
    }
}
