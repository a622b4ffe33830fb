import Foundation
import Yams

// MARK: - The design as an editable tree of fields
//
// Editing goes through the same reader and validator as files: a value is replaced in the YAML
// node tree and the whole design is read again, so an edit is accepted exactly when a file with
// that value would be, and is refused with the same message.

/// One row of the design tree: a section, a list item, or a value.
public struct DesignField: Equatable, Sendable {
    /// Dotted path, e.g. `batching.batches`, `protocol[1].duration_h`.
    public var path: String
    /// The key or index shown.
    public var label: String
    /// The value as text; nil for sections and lists.
    public var value: String?
    public var depth: Int

    public init(path: String, label: String, value: String?, depth: Int) {
        self.path = path
        self.label = label
        self.value = value
        self.depth = depth
    }

    public var isEditable: Bool { value != nil }
}

extension Design {
    /// The node tree of the whole design, every field present. The last few designs' trees are
    /// kept: a TUI edit reads the tree of the design it edits (`setting`) and of the result
    /// (`fields`), and each recommendation edits the same design again; writing a genome-scale
    /// design (thousands of combinations) to YAML and reading it back took tens of milliseconds.
    func node() throws -> Node {
        if let cached = Design.recentNodes.value(self) { return cached }
        let text = try yamlText()
        guard let node = try Yams.compose(yaml: text) else {
            throw DesignValidationError(issues: [])
        }
        Design.recentNodes.store(self, node)
        return node
    }

    /// Node trees of recently edited designs (a pure function of the design).
    static let recentNodes = RecentCache<Design, Node>(capacity: 4)

    /// Every field as a flat list of rows in file order.
    public func fields() -> [DesignField] {
        guard let root = try? node() else { return [] }
        var rows: [DesignField] = []
        func walk(_ node: Node, path: String, label: String, depth: Int) {
            switch node {
            case .scalar(let scalar):
                rows.append(DesignField(path: path, label: label, value: scalar.string, depth: depth))
            case .mapping(let mapping):
                if !path.isEmpty {
                    if mapping.isEmpty {
                        rows.append(DesignField(path: path, label: label, value: "{}", depth: depth))
                        return
                    }
                    rows.append(DesignField(path: path, label: label, value: nil, depth: depth))
                }
                for (key, value) in mapping {
                    let name = key.scalar?.string ?? "?"
                    walk(
                        value, path: path.isEmpty ? name : "\(path).\(name)", label: name,
                        depth: path.isEmpty ? 0 : depth + 1)
                }
            case .sequence(let sequence):
                if sequence.isEmpty {
                    rows.append(DesignField(path: path, label: label, value: "[]", depth: depth))
                    return
                }
                if sequence.allSatisfy({ $0.scalar != nil }) {
                    let items = sequence.compactMap { $0.scalar?.string }
                    rows.append(
                        DesignField(
                            path: path, label: label, value: "[" + items.joined(separator: ", ") + "]", depth: depth))
                    return
                }
                rows.append(DesignField(path: path, label: label, value: nil, depth: depth))
                for (index, item) in sequence.enumerated() {
                    walk(item, path: "\(path)[\(index)]", label: "[\(index)]", depth: depth + 1)
                }
            case .alias:
                break
            }
        }
        walk(root, path: "", label: "", depth: 0)
        return Design.addingNullFields(rows)
    }

    /// Optional fields left unset are absent from the written YAML; the docs list them ("or
    /// null"), so the tree shows them as `null` under their section, where they can be found and set.
    static func addingNullFields(_ rows: [DesignField]) -> [DesignField] {
        var out = rows
        let present = Set(rows.map(\.path))
        for info in FieldCatalog.all where info.type.hasSuffix("or null") && !info.path.contains("[]") {
            guard !present.contains(info.path), let dot = info.path.lastIndex(of: ".") else { continue }
            let parent = String(info.path[..<dot])
            guard let parentIndex = out.firstIndex(where: { $0.path == parent && $0.value == nil }) else { continue }
            // After the parent's last direct child, so the field sits among its siblings.
            var at = parentIndex + 1
            while at < out.count, out[at].path.hasPrefix(parent + ".") { at += 1 }
            let label = String(info.path[info.path.index(after: dot)...])
            out.insert(
                DesignField(path: info.path, label: label, value: "null", depth: out[parentIndex].depth + 1), at: at)
        }
        return out
    }

    /// The design with the field at `path` set to `text` (YAML scalar or flow list), validated
    /// as a file would be. Throws the issues that refuse it.
    /// A scalar field of a design that reads back as itself is read without writing the design
    /// (`settingScalar`, Design+ScalarEdit.swift): the same reader and validator, the same result.
    public func setting(_ path: String, to text: String) throws -> Design {
        if let edited = settingScalar(path, to: text) {
            Design.noteReadBack(edited)
            return edited
        }
        return try settingThroughYAML(path, to: text)
    }

    /// `setting` by writing the design's YAML tree with the value replaced and reading it all
    /// back: any field, any design (the reference the scalar path is tested against).
    func settingThroughYAML(_ path: String, to text: String) throws -> Design {
        let root = try node()
        let replacement: Node
        do {
            replacement = try Yams.compose(yaml: text) ?? Node("")
        } catch {
            throw DesignValidationError(issues: [
                DesignIssue(
                    location: SourceLocation(file: "(edit)", line: 1, column: 1), path: path,
                    message: "`\(text)` is not a valid value")
            ])
        }
        guard let updated = Design.replace(in: root, path: Design.components(path), with: replacement) else {
            throw DesignValidationError(issues: [
                DesignIssue(
                    location: SourceLocation(file: "(edit)", line: 1, column: 1), path: path,
                    message: "no such field")
            ])
        }
        let yaml = try Yams.serialize(node: updated)
        var loaded = try DesignLoader.load(text: yaml, file: "(edit)", baseDirectory: baseDirectory)
        loaded.design.baseDirectory = baseDirectory
        return loaded.design
    }

    /// Splits `a.b[2].c` into ["a", "b", "[2]", "c"].
    static func components(_ path: String) -> [String] {
        var parts: [String] = []
        for piece in path.split(separator: ".") {
            var rest = Substring(piece)
            if let bracket = rest.firstIndex(of: "[") {
                if bracket > rest.startIndex { parts.append(String(rest[..<bracket])) }
                rest = rest[bracket...]
                while let close = rest.firstIndex(of: "]") {
                    parts.append(String(rest[...close]))
                    rest = rest[rest.index(after: close)...]
                }
            } else {
                parts.append(String(rest))
            }
        }
        return parts
    }

    /// The node tree without the field at `path`; nil when there is no such field.
    static func removing(in node: Node, path: [String]) -> Node? {
        guard let head = path.first else { return nil }
        let rest = Array(path.dropFirst())
        switch node {
        case .mapping(var mapping):
            guard let child = mapping[head] else { return nil }
            if rest.isEmpty {
                mapping[head] = nil
                return .mapping(mapping)
            }
            guard let updated = removing(in: child, path: rest) else { return nil }
            mapping[head] = updated
            return .mapping(mapping)
        case .sequence(var sequence):
            guard head.hasPrefix("["), let index = Int(head.dropFirst().dropLast()), sequence.indices.contains(index)
            else { return nil }
            if rest.isEmpty {
                sequence.remove(at: index)
                return .sequence(sequence)
            }
            guard let updated = removing(in: sequence[index], path: rest) else { return nil }
            sequence[index] = updated
            return .sequence(sequence)
        default:
            return nil
        }
    }

    static func replace(in node: Node, path: [String], with value: Node) -> Node? {
        guard let head = path.first else { return value }
        let rest = Array(path.dropFirst())
        switch node {
        case .mapping(var mapping):
            // Optional fields left unset are absent from the tree: a last component may add them.
            if mapping[head] == nil && rest.isEmpty {
                mapping[Node(head)] = value
                return .mapping(mapping)
            }
            guard let child = mapping[head], let updated = replace(in: child, path: rest, with: value) else {
                return nil
            }
            mapping[head] = updated
            return .mapping(mapping)
        case .sequence(var sequence):
            guard head.hasPrefix("["), let index = Int(head.dropFirst().dropLast()),
                index >= 0, index < sequence.count,
                let updated = replace(in: sequence[index], path: rest, with: value)
            else { return nil }
            sequence[index] = updated
            return .sequence(sequence)
        default:
            return nil
        }
    }
}
