import Foundation
import Yams

// MARK: - Saving a design by editing its file in place
//
// A person's design file has comments, blank lines, flow lists and only the fields they chose to
// write. Saving rewrites only the values that changed, at their place in the text (Yams gives
// each node's line and column), and adds a field that was not written under its section. The
// patched text is read back; when it does not give exactly the design being saved (a value that
// needs quoting, a list that changed shape) the whole design is written instead.

extension DesignDocument {
    /// The text to save `design` as: the original file edited in place at the changed fields, or
    /// the full YAML when there is no original text or patching cannot reproduce the design.
    /// - Returns: the text, and whether it is the original edited in place.
    public func textToSave(_ design: Design) throws -> (text: String, inPlace: Bool) {
        if let original = originalText, let opened = openedDesign,
            let patched = DesignPatch.patch(original, from: opened, to: design, file: path ?? "(design)")
        {
            return (patched, true)
        }
        return (try design.yamlText(), false)
    }
}

/// In-place edits of a design file's text.
public enum DesignPatch {
    /// `original` (which reads as `old`) edited so that it reads as `new`; nil when that cannot be
    /// done in place.
    public static func patch(_ original: String, from old: Design, to new: Design, file: String) -> String? {
        if old == new { return original }
        let oldRows = old.fields()
        let newRows = new.fields()
        // Same fields (an unset field is a `null` row, so setting one keeps the set of paths).
        guard Set(oldRows.map(\.path)) == Set(newRows.map(\.path)) else { return nil }
        let before = Dictionary(oldRows.map { ($0.path, $0.value) }, uniquingKeysWith: { a, _ in a })
        let changed = newRows.filter { $0.value != nil && before[$0.path] != $0.value }
        guard let root = try? Yams.compose(yaml: original) else { return nil }
        let text = Array(original.unicodeScalars)
        let lineStarts = starts(of: text)
        var edits: [(range: Range<Int>, text: String)] = []
        for field in changed {
            let parts = Design.components(field.path)
            if let node = find(root, parts) {
                guard let edit = replacement(node, with: field.value!, text: text, lineStarts: lineStarts) else {
                    return nil
                }
                edits.append(edit)
            } else {
                guard let edit = insertion(root, parts, value: field.value!, text: text, lineStarts: lineStarts) else {
                    return nil
                }
                edits.append(edit)
            }
        }
        var out = text
        for edit in edits.sorted(by: { $0.range.lowerBound > $1.range.lowerBound }) {
            out.replaceSubrange(edit.range, with: Array(edit.text.unicodeScalars))
        }
        var result = ""
        result.unicodeScalars.append(contentsOf: out)
        // Read back: the patch stands only when it gives exactly the design being saved.
        guard var loaded = try? DesignLoader.load(text: result, file: file, baseDirectory: new.baseDirectory).design
        else { return nil }
        loaded.baseDirectory = new.baseDirectory
        return loaded == new ? result : nil
    }

    static func starts(of text: [Unicode.Scalar]) -> [Int] {
        var out = [0]
        for (i, c) in text.enumerated() where c == "\n" { out.append(i + 1) }
        return out
    }

    static func offset(_ mark: Mark, _ lineStarts: [Int]) -> Int? {
        guard mark.line >= 1, mark.line <= lineStarts.count else { return nil }
        return lineStarts[mark.line - 1] + mark.column - 1
    }

    static func find(_ node: Node, _ path: [String]) -> Node? {
        guard let head = path.first else { return node }
        let rest = Array(path.dropFirst())
        switch node {
        case .mapping(let m):
            return m[head].flatMap { find($0, rest) }
        case .sequence(let s):
            guard head.hasPrefix("["), let i = Int(head.dropFirst().dropLast()), s.indices.contains(i) else {
                return nil
            }
            return find(s[i], rest)
        default:
            return nil
        }
    }

    /// A value as YAML text in the style of the node it replaces.
    static func written(_ value: String, like style: Node.Scalar.Style?) -> String {
        switch style {
        case .singleQuoted?: return "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
        case .doubleQuoted?, .literal?, .folded?:
            return "\""
                + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n") + "\""
        default: return value
        }
    }

    /// The span of a node's text and what replaces it.
    static func replacement(_ node: Node, with value: String, text: [Unicode.Scalar], lineStarts: [Int])
        -> (range: Range<Int>, text: String)?
    {
        guard let mark = node.mark, let start = offset(mark, lineStarts), start <= text.count else { return nil }
        switch node {
        case .scalar(let scalar):
            switch scalar.style {
            case .plain, .any:
                let own = Array(scalar.string.unicodeScalars)
                guard !own.isEmpty, start + own.count <= text.count, Array(text[start..<(start + own.count)]) == own
                else { return nil }
                return (start..<(start + own.count), value)
            case .singleQuoted, .doubleQuoted:
                let quote = text[start]
                var i = start + 1
                while i < text.count {
                    if text[i] == "\n" { return nil }
                    if quote == "\"" && text[i] == "\\" {
                        i += 2
                        continue
                    }
                    if text[i] == quote {
                        if quote == "'" && i + 1 < text.count && text[i + 1] == "'" {
                            i += 2
                            continue
                        }
                        return (start..<(i + 1), written(value, like: scalar.style))
                    }
                    i += 1
                }
                return nil
            case .literal, .folded:
                // The indicator line and the indented lines under it.
                guard let end = blockEnd(after: start, text: text, indent: indentOfLine(containing: start, text)) else {
                    return nil
                }
                return (start..<end, written(value, like: scalar.style))
            }
        case .sequence(let s) where s.style == .flow:
            guard text[start] == "[" else { return nil }
            var depth = 0
            var i = start
            while i < text.count {
                if text[i] == "[" { depth += 1 }
                if text[i] == "]" {
                    depth -= 1
                    if depth == 0 { return (start..<(i + 1), value) }
                }
                if text[i] == "#" { return nil }
                i += 1
            }
            return nil
        default:
            return nil
        }
    }

    /// Indentation (spaces) of the line holding `offset`.
    static func indentOfLine(containing offset: Int, _ text: [Unicode.Scalar]) -> Int {
        var s = offset
        while s > 0 && text[s - 1] != "\n" { s -= 1 }
        var n = 0
        while s + n < text.count && text[s + n] == " " { n += 1 }
        return n
    }

    /// End (exclusive, before the newline) of the lines after `offset`'s line indented more than `indent`.
    static func blockEnd(after offset: Int, text: [Unicode.Scalar], indent: Int) -> Int? {
        var i = offset
        while i < text.count && text[i] != "\n" { i += 1 }
        var end = i
        while i < text.count {
            let lineStart = i + 1
            var j = lineStart
            while j < text.count && text[j] == " " { j += 1 }
            if j >= text.count { break }
            let blank = text[j] == "\n"
            if !blank && j - lineStart <= indent { break }
            var k = j
            while k < text.count && text[k] != "\n" { k += 1 }
            if !blank { end = k }
            i = k
        }
        return end
    }

    /// Largest line of any node in a subtree.
    static func lastLine(_ node: Node) -> Int {
        var line = node.mark?.line ?? 0
        switch node {
        case .mapping(let m): for (k, v) in m { line = max(line, lastLine(k), lastLine(v)) }
        case .sequence(let s): for v in s { line = max(line, lastLine(v)) }
        default: break
        }
        return line
    }

    /// Text adding the absent field `path` under its deepest written section.
    static func insertion(_ root: Node, _ path: [String], value: String, text: [Unicode.Scalar], lineStarts: [Int])
        -> (range: Range<Int>, text: String)?
    {
        guard !path.contains(where: { $0.hasPrefix("[") }) else { return nil }
        var depth = path.count - 1
        var parent: Node?
        while depth >= 0 {
            parent = find(root, Array(path.prefix(depth)))
            if parent != nil { break }
            depth -= 1
        }
        guard case .mapping(let mapping)? = parent, mapping.style != .flow else { return nil }
        let indent: Int
        let at: Int
        if depth == 0 {
            indent = 0
            // A new top-level section goes at the end of the file.
            at = text.count
        } else {
            guard let firstKey = mapping.first?.key, let keyMark = firstKey.mark else { return nil }
            indent = keyMark.column - 1
            let last = lastLine(parent!)
            guard last >= 1, last <= lineStarts.count else { return nil }
            // After the section's last line and any more-indented lines under it.
            let lastStart = lineStarts[last - 1]
            guard let end = blockEnd(after: lastStart, text: text, indent: indent) else { return nil }
            at = end < text.count ? end + 1 : end
        }
        var lines: [String] = []
        for (level, key) in path.enumerated() where level >= depth {
            let pad = String(repeating: " ", count: indent + 2 * (level - depth))
            lines.append(level == path.count - 1 ? "\(pad)\(key): \(value)" : "\(pad)\(key):")
        }
        var inserted = lines.joined(separator: "\n") + "\n"
        if at == text.count && at > 0 && text[at - 1] != "\n" { inserted = "\n" + inserted }
        return (at..<at, inserted)
    }
}
