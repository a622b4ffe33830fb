import Foundation
import Yams

// MARK: - A design being edited: its values, where it lives, and whether it changed

/// A design opened for editing, with the file it came from. Saving writes the whole design as
/// YAML through a temporary file and a rename, so a crash never leaves a half-written design.
public struct DesignDocument: Equatable, Sendable {
    public var design: Design
    /// The file to save to; nil for the embedded design until saved somewhere.
    public var path: String?
    /// The name shown to the user.
    public var displayName: String
    /// The file's text as opened or last saved, and the design it reads as: saving edits this
    /// text in place at the changed fields, so comments and layout survive.
    public var originalText: String?
    public var openedDesign: Design?

    public init(
        design: Design, path: String?, displayName: String, originalText: String? = nil,
        openedDesign: Design? = nil
    ) {
        self.design = design
        self.path = path
        self.displayName = displayName
        self.originalText = originalText
        self.openedDesign = openedDesign
    }

    public static func open(path: String) throws -> DesignDocument {
        let loaded = try DesignLoader.load(path: path)
        let text = try? String(contentsOfFile: path, encoding: .utf8)
        return DesignDocument(
            design: loaded.design, path: path, displayName: path, originalText: text,
            openedDesign: text == nil ? nil : loaded.design)
    }

    /// Opens a design file even when it is invalid: each field a problem names is dropped (so it
    /// takes its default) until the rest reads, and the problems are returned to be fixed. A file
    /// that is not YAML, or whose problems remain after dropping their fields, still throws.
    public static func openLeniently(path: String) throws -> (DesignDocument, [DesignIssue]) {
        do {
            return (try open(path: path), [])
        } catch let error as DesignValidationError {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            guard var node = try Yams.compose(yaml: text) else { throw error }
            // The file's own problems (their lines are the file's); later rounds add any the
            // dropped fields uncovered.
            var issues = error.issues
            for issue in error.issues {
                if let smaller = Design.removing(in: node, path: Design.components(issue.path)) { node = smaller }
            }
            for _ in 0..<8 {
                let yaml = try Yams.serialize(node: node)
                let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
                do {
                    let loaded = try DesignLoader.load(text: yaml, file: path, baseDirectory: base)
                    // The text is kept: saving patches the original, the dropped fields included.
                    var document = DesignDocument(design: loaded.design, path: path, displayName: path)
                    document.originalText = nil
                    return (document, issues)
                } catch let again as DesignValidationError {
                    var dropped = false
                    for issue in again.issues {
                        if !issues.contains(where: { $0.path == issue.path }) { issues.append(issue) }
                        if let smaller = Design.removing(in: node, path: Design.components(issue.path)) {
                            node = smaller
                            dropped = true
                        }
                    }
                    if !dropped { throw error }
                }
            }
            throw error
        }
    }

    public static func embeddedDefault() throws -> DesignDocument {
        let loaded = try DesignLoader.load(text: EmbeddedDesign.text, file: EmbeddedDesign.name)
        return DesignDocument(design: loaded.design, path: nil, displayName: EmbeddedDesign.name)
    }
}

extension Design {
    /// The full design as YAML, every field written, in the order of docs/design-file.md.
    ///
    /// Numbers are written the way a person would (`0.1`, `48`, `7.7e-06`), not in the exponent
    /// form Yams' encoder produces (`1e-1`, `4.8e+1`, `7.7000000000000008e-06`), which YAML 1.1
    /// readers such as PyYAML would take for text.
    ///
    /// The long lists of names (`perturbations.combinations`, `perturbations.target_genes`) are
    /// represented item by item and spliced in: Yams' encoder copies a list's nodes on every append, so
    /// 8,000 combinations took seconds (every TUI edit and recommendation of a genome-scale design
    /// writes the design). The text is the same as encoding the whole design at once.
    public func yamlText() throws -> String {
        let encoder = YAMLEncoder()
        encoder.options.sortKeys = false
        let chunked = perturbations.combinations.count + perturbations.targetGenes.count > Design.encodedChunk
        var light = self
        if chunked {
            light.perturbations.combinations = []
            light.perturbations.targetGenes = []
        }
        var body = try encoder.encode(light)
        if let root = try Yams.compose(yaml: body) {
            var tidy = Design.tidyNumbers(root, key: nil)
            if chunked {
                tidy = try Design.splice(
                    [
                        ("combinations", Design.encodedInChunks(perturbations.combinations, encoder)),
                        ("target_genes", Design.encodedInChunks(perturbations.targetGenes, encoder)),
                    ],
                    into: tidy)
            }
            body = try Yams.serialize(node: tidy, sortKeys: false)
        }
        return "# screenplan design (written by screenplan \(ScreenplanVersion.string))\n" + body
    }

    /// `yamlText` by encoding the whole design at once (the reference the chunked path is tested
    /// against).
    func yamlTextEncodedWhole() throws -> String {
        let encoder = YAMLEncoder()
        encoder.options.sortKeys = false
        var body = try encoder.encode(self)
        if let root = try Yams.compose(yaml: body) {
            body = try Yams.serialize(node: Design.tidyNumbers(root, key: nil), sortKeys: false)
        }
        return "# screenplan design (written by screenplan \(ScreenplanVersion.string))\n" + body
    }

    /// Items per encoded chunk of a long list.
    static let encodedChunk = 256

    /// The node of a list as the encoder writes it (its first `encodedChunk` items encoded for the
    /// list's tag and style, every item represented as the encoder represents it); nil
    /// when the list is empty (the encoded empty list stays).
    static func encodedInChunks<T: Encodable>(_ items: [T], _ encoder: YAMLEncoder) throws -> Node? {
        guard !items.isEmpty else { return nil }
        var nodes: [Node] = []
        nodes.reserveCapacity(items.count)
        var shape: Node.Sequence?
        // The first chunk through the encoder gives the list's tag and style; the items are
        // represented as the encoder represents them (no text round trip).
        let chunk = Array(items[0..<min(items.count, encodedChunk)])
        guard case .sequence(let sequence)? = try Yams.compose(yaml: encoder.encode(chunk)) else {
            throw DesignValidationError(issues: [])
        }
        shape = sequence
        for item in items {
            guard let representable = item as? NodeRepresentable else { throw DesignValidationError(issues: []) }
            nodes.append(try representable.represented())
        }
        return .sequence(Node.Sequence(nodes, shape!.tag, shape!.style))
    }

    /// `root` with the values of `perturbations.<key>` replaced by the given nodes (nil: kept).
    static func splice(_ lists: [(String, Node?)], into root: Node) throws -> Node {
        guard case .mapping(var top) = root, case .mapping(var section)? = top["perturbations"] else { return root }
        for (key, node) in lists { if let node { section[key] = node } }
        top["perturbations"] = .mapping(section)
        return .mapping(top)
    }

    /// Fields whose values are text even when they look like numbers (a gene named `1e5`).
    private static let textKeys: Set<String> = [
        "name", "description", "currency", "medium", "file", "genes_file", "trigger_medium",
        "target_genes", "combinations", "expression_profile", "profile", "cell_type",
    ]

    /// Rewrites the encoder's exponent-form numbers as shortest round-trip decimals.
    static func tidyNumbers(_ node: Node, key: String?) -> Node {
        if let key, textKeys.contains(key) { return node }
        switch node {
        case .scalar(var scalar):
            let text = scalar.string
            guard scalar.style == .plain || scalar.style == .any,
                text.contains("e") || text.contains("E"), let value = Double(text), value.isFinite
            else { return node }
            scalar.string =
                value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : "\(value)"
            return .scalar(scalar)
        case .mapping(var mapping):
            for (k, v) in mapping {
                let name = k.scalar?.string ?? ""
                mapping[k] = tidyNumbers(v, key: name)
            }
            // A medium's inputs are a dictionary, encoded in hash order (which changes from run
            // to run); sorted by gene they make the YAML, the TUI save and the h5ad's embedded
            // design byte-stable.
            if key == "inputs" {
                let sorted = mapping.sorted { ($0.key.scalar?.string ?? "") < ($1.key.scalar?.string ?? "") }
                return .mapping(
                    Node.Mapping(sorted.map { ($0.key, $0.value) }, mapping.tag, mapping.style, mapping.mark))
            }
            return .mapping(mapping)
        case .sequence(var sequence):
            for index in sequence.indices {
                sequence[index] = tidyNumbers(sequence[index], key: key)
            }
            return .sequence(sequence)
        case .alias:
            return node
        }
    }
}
