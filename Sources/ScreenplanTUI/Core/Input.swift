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
    case .tab where line.kind == .command:
        return (complete(line, s), [])
    case .tab where line.kind == .runOutputPath:
        // The next format; a path left at its default follows the format.
        let count = s.simulateScreen.writableJob.map { s.engine.jobs[$0].writeFormats.count } ?? 0
        guard count > 0 else { return (s, []) }
        let wasDefault = line.text == s.defaultRunOutputPath(format: s.simulateScreen.runOutputFormat)
        s.simulateScreen.runOutputFormat = (s.simulateScreen.runOutputFormat + 1) % count
        if wasDefault {
            line = InputLine(
                kind: .runOutputPath, text: s.defaultRunOutputPath(format: s.simulateScreen.runOutputFormat))
        }
        s.input = line
        return (s, [])
    case .character("f") where line.error != nil && s.pendingFix != nil && line.cursor == chars.count:
        // The refused editor offers the fix on f (typing goes on after any other key).
        return applyFix(s)
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
            // Refused: the old value stays, the editor stays open with the reason (and the fix).
            var again = line
            again.error = refused
            s = refuse(path, line.text, refused, s)
            s.input = again
            return (s, [])
        }
        return (next, effects)
    case .command:
        return runCommand(line.text, s)
    case .search:
        return (runSearch(line.text, s), [])
    case .exportPath:
        let path = line.text.trimmingCharacters(in: " ")
        s.exportScreen.path = path.isEmpty ? nil : path
        s.say("export path: \(s.effectiveExportPath)")
        return (s, [])
    case .runOutputPath:
        let path = line.text.trimmingCharacters(in: " ")
        guard let job = s.simulateScreen.writableJob, s.engine.jobs.indices.contains(job), !path.isEmpty else {
            s.say("nothing written: no path", error: true)
            return (s, [])
        }
        let formats = s.engine.jobs[job].writeFormats
        let format = min(max(0, s.simulateScreen.runOutputFormat), formats.count - 1)
        let id = s.simulateScreen.nextJobID
        s.simulateScreen.nextJobID += 1
        s.simulateScreen.job = JobRun(id: id, job: job, title: "write \(formats[format].title) to \(path)")
        s.say("writing \(formats[format].title) to \(path): Esc cancels")
        return (s, [.writeRun(id: id, job: job, design: s.design, format: format, path: path)])
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

/// Tab on the `:` line: completes a field path after `set` (or a command name), to the longest
/// common prefix of the matches, listing them when there are several.
func complete(_ line: InputLine, _ state: AppState) -> AppState {
    var s = state
    var l = line
    let text = l.text
    let words = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
    let candidates: [String]
    let partial: String
    if words.count == 2, words[0] == "set" {
        partial = words[1]
        candidates = s.allFields.filter { $0.value != nil && $0.path.hasPrefix(partial) }.map(\.path)
    } else if words.count == 1 {
        partial = words[0]
        candidates = ["w", "wq", "q", "q!", "set", "layout", "compare", "e", "messages", "help"].filter {
            $0.hasPrefix(partial)
        }
    } else {
        return s
    }
    guard !candidates.isEmpty else {
        s.say("no field starts with “\(partial)”", error: true)
        return s
    }
    var common = candidates[0]
    for c in candidates.dropFirst() {
        while !c.hasPrefix(common) { common.removeLast() }
    }
    let head = words.count == 2 ? "set " : ""
    l.text = head + common + (candidates.count == 1 ? " " : "")
    l.cursor = l.text.count
    s.input = l
    if candidates.count > 1 {
        s.say("\(candidates.count) matches: " + candidates.prefix(12).joined(separator: "  "))
    }
    return s
}
