import Foundation

// MARK: - What every design field means: unit, valid range, default and source
//
// The table (FieldCatalog+Table.swift) is generated from the field tables of
// docs/design-file.md, the one place these are written by hand; a test regenerates it and fails
// when the two disagree. The TUI shows these next to the value being edited.

/// The documentation of one design field, as docs/design-file.md writes it.
public struct FieldInfo: Equatable, Sendable {
    /// Dotted path with `[]` for list items, e.g. `sampling.cells_per_perturbation`,
    /// `protocol[].duration_h`.
    public var path: String
    /// The value's type (`whole number`, `number or null`, `section`, …).
    public var type: String
    /// The unit ("–" when dimensionless text or a choice).
    public var unit: String
    /// The default as written in the docs.
    public var defaultValue: String
    /// The valid values or range.
    public var valid: String
    /// Where the default comes from.
    public var source: String

    public init(path: String, type: String, unit: String, defaultValue: String, valid: String, source: String) {
        self.path = path
        self.type = type
        self.unit = unit
        self.defaultValue = defaultValue
        self.valid = valid
        self.source = source
    }

}

/// Lookup of field documentation by path.
public enum FieldCatalog {
    /// Every documented field, in the order of docs/design-file.md.
    public static var all: [FieldInfo] { table }

    private static let byPath: [String: FieldInfo] = Dictionary(
        table.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })

    /// The documentation of the field at `path` (list indices such as `[2]` match `[]`).
    public static func info(for path: String) -> FieldInfo? {
        let key = pattern(of: path)
        if let info = byPath[key] { return info }
        // A list item (`protocol[1]`) is described by its list.
        return key.hasSuffix("[]") ? byPath[String(key.dropLast(2))] : nil
    }

    /// `protocol[2].duration_h` → `protocol[].duration_h`.
    public static func pattern(of path: String) -> String {
        var out = ""
        var inBracket = false
        for c in path {
            if c == "[" {
                inBracket = true
                out.append("[")
                continue
            }
            if c == "]" {
                inBracket = false
                out.append("]")
                continue
            }
            if !inBracket { out.append(c) }
        }
        return out
    }
}
