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

    public init(design: Design, path: String?, displayName: String) {
        self.design = design
        self.path = path
        self.displayName = displayName
    }

    public static func open(path: String) throws -> DesignDocument {
        let loaded = try DesignLoader.load(path: path)
        return DesignDocument(design: loaded.design, path: path, displayName: path)
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
    public func yamlText() throws -> String {
        let encoder = YAMLEncoder()
        encoder.options.sortKeys = false
        var body = try encoder.encode(self)
        if let root = try Yams.compose(yaml: body) {
            body = try Yams.serialize(node: Design.tidyNumbers(root, key: nil), sortKeys: false)
        }
        return "# screenplan design (written by screenplan \(ScreenplanVersion.string))\n" + body
    }

    /// Fields whose values are text even when they look like numbers (a gene named `1e5`).
    private static let textKeys: Set<String> = [
        "name", "description", "currency", "medium", "file", "genes_file", "trigger_medium",
        "target_genes", "combinations", "expression_profile",
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

/// Writes `text` to `path` atomically: a temporary file in the same folder, then rename(2).
public func writeAtomically(_ text: String, to path: String) throws {
    try writeAtomically(Data(text.utf8), to: path)
}

/// Writes bytes to `path` atomically: a temporary file in the same folder, then rename(2).
public func writeAtomically(_ data: Data, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let folder = url.deletingLastPathComponent()
    let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
    do {
        try data.write(to: temporary)
        if rename(temporary.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw FileWriteError(path: path, reason: reason)
        }
    } catch let error as FileWriteError {
        throw error
    } catch {
        try? FileManager.default.removeItem(at: temporary)
        throw FileWriteError(path: path, reason: "\(error.localizedDescription)")
    }
}

/// A file could not be written; nothing was left half-written.
public struct FileWriteError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "cannot write \(path): \(reason)" }
}
