import Foundation
import ScreenplanCore
import TestSupport
import Testing

// MARK: - The field catalog is the field tables of docs/design-file.md
//
// The table in code is generated from the docs: FIELD_CATALOG_RECORD=1 rewrites it after the docs
// change. Without it, the test fails when the two disagree.

@Suite struct FieldCatalogTests {
    /// The field rows of docs/design-file.md with their full paths.
    static func documentedFields() throws -> [FieldInfo] {
        let text = try String(contentsOfFile: repositoryRoot + "/docs/design-file.md", encoding: .utf8)
        var prefix = ""
        var out: [FieldInfo] = []
        var inTable = false
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            if line.hasPrefix("#") {
                inTable = false
                if line.contains("Top level") {
                    prefix = ""
                } else if let path = backticked(line) {
                    prefix = path == "protocol" ? "protocol[]" : path
                } else {
                    prefix = "-"
                }
                continue
            }
            if !line.hasPrefix("|") {
                inTable = false
                // A paragraph naming a list (`batching.nested[]` lists …) introduces its table.
                if line.hasPrefix("`"), let path = backticked(line), path.hasSuffix("[]") { prefix = path }
                continue
            }
            // `\|` inside a cell is a literal bar (choices such as `lane` \| `day`).
            let cells = line.replacingOccurrences(of: "\\|", with: "\u{1}")
                .split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
                .map { $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "\u{1}", with: "|") }
            if cells.first == "field" {
                inTable = cells.count == 6
                continue
            }
            if cells.first?.hasPrefix("---") == true || cells.first?.hasPrefix("|-") == true { continue }
            guard inTable, prefix != "-", cells.count == 6, let name = backticked(cells[0]) else { continue }
            let path = prefix.isEmpty ? name : prefix + "." + name
            out.append(
                FieldInfo(
                    path: path, type: cells[1],
                    unit: cells[2], defaultValue: cells[3], valid: cells[4], source: cells[5]))
        }
        return out
    }

    static func backticked(_ line: String) -> String? {
        guard let start = line.firstIndex(of: "`") else { return nil }
        let rest = line[line.index(after: start)...]
        guard let end = rest.firstIndex(of: "`") else { return nil }
        return String(rest[..<end])
    }

    static func swiftSource(_ fields: [FieldInfo]) -> String {
        func lit(_ s: String) -> String {
            "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        var s = """
            // Generated from docs/design-file.md by FieldCatalogTests (FIELD_CATALOG_RECORD=1 swift test
            // --filter FieldCatalogTests). Do not edit by hand: edit the docs and regenerate.

            extension FieldCatalog {
                static let table: [FieldInfo] = [

            """
        for f in fields {
            s += "        FieldInfo(path: \(lit(f.path)), type: \(lit(f.type)), unit: \(lit(f.unit)),\n"
            s += "                  defaultValue: \(lit(f.defaultValue)), valid: \(lit(f.valid)),\n"
            s += "                  source: \(lit(f.source))),\n"
        }
        s += "    ]\n}\n"
        return s
    }

    @Test func catalogAgreesWithTheDocs() throws {
        let documented = try Self.documentedFields()
        #expect(documented.count > 80)
        let file = repositoryRoot + "/Sources/ScreenplanCore/Design/FieldCatalog+Table.swift"
        if ProcessInfo.processInfo.environment["FIELD_CATALOG_RECORD"] == "1" {
            try Self.swiftSource(documented).write(toFile: file, atomically: true, encoding: .utf8)
            return
        }
        #expect(
            FieldCatalog.all == documented,
            "docs/design-file.md and FieldCatalog+Table.swift disagree: run FIELD_CATALOG_RECORD=1 swift test --filter FieldCatalogTests"
        )
    }

    @Test func everyFieldOfTheDefaultDesignIsDocumented() throws {
        let design = try DesignDocument.embeddedDefault().design
        let missing = design.fields().filter { FieldCatalog.info(for: $0.path) == nil }.map(\.path)
        #expect(missing.isEmpty, "undocumented fields: \(missing)")
    }
}
