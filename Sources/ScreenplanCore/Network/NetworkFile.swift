import Foundation

// MARK: - Reading network files
//
// Edge list: tab-separated `regulator target weight [hill_n half_response]`, one edge a line,
// `#` comments and an optional header line. Genes table: `gene basal decay`. Names are kept.

public enum NetworkFile {
    /// Default kinetics for columns a file leaves out.
    public struct Defaults: Sendable, Equatable {
        public var hillN: Double
        public var halfResponse: Double
        public var basal: Double
        public var decay: Double

        public init(hillN: Double, halfResponse: Double, basal: Double, decay: Double) {
            self.hillN = hillN
            self.halfResponse = halfResponse
            self.basal = basal
            self.decay = decay
        }

        public init(_ spec: NetworkSpec) {
            self.init(
                hillN: spec.hillN, halfResponse: spec.halfResponse, basal: spec.basal,
                decay: spec.decayPerH)
        }
    }

    /// Reads an edge list (and optionally a genes table) into a network. `fieldPath` names the
    /// design field that pointed at the file, for messages about the file as a whole.
    public static func read(
        edgesPath: String, genesPath: String?, defaults: Defaults,
        fieldPath: String = "system.network.file", referencedAt: SourceLocation? = nil
    ) throws -> Network {
        var issues: [DesignIssue] = []
        var dropped = 0
        var lastDropped: DesignIssue? = nil
        // Keeps the first problems and counts the rest (memory and time stay bounded).
        func note(_ issue: DesignIssue) {
            if issues.count < maxIssues {
                issues.append(issue)
            } else {
                dropped += 1
                lastDropped = issue
            }
        }
        let here = referencedAt ?? SourceLocation(file: edgesPath, line: 1, column: 1)

        var genes: [String] = []
        var basal: [Double] = []
        var decay: [Double] = []
        var known: [String: Int] = [:]
        let genesFromTable = genesPath != nil
        if let genesPath {
            let rows = try lines(of: genesPath, fieldPath: "system.network.genes_file", at: here)
            for row in rows {
                let cols = row.columns
                if row.isHeader(first: "gene") { continue }
                guard cols.count >= 1, !cols[0].isEmpty else { continue }
                let name = cols[0]
                if known[name] != nil {
                    note(row.issue(column: 0, "gene `\(token(name))` is listed twice"))
                    continue
                }
                var b = defaults.basal
                var d = defaults.decay
                if cols.count > 1 {
                    // A negative basal is a production threshold (max(0, ·) clips it), the
                    // construct mutually exclusive lineage regulators need in the additive law.
                    guard let v = strictNumber(cols[1]), abs(v) <= 1e6 else {
                        note(
                            row.issue(
                                column: 1,
                                "basal must be a number in [-1e6, 1e6] (negative: a production threshold), not `\(token(cols[1]))`"
                            ))
                        continue
                    }
                    b = v
                }
                if cols.count > 2 {
                    guard let v = strictNumber(cols[2]), v > 0 else {
                        note(row.issue(column: 2, "decay must be a number > 0 (per hour), not `\(token(cols[2]))`"))
                        continue
                    }
                    d = v
                }
                known[name] = genes.count
                genes.append(name)
                basal.append(b)
                decay.append(d)
            }
            if genes.isEmpty {
                note(
                    DesignIssue(
                        location: SourceLocation(file: genesPath, line: 1, column: 1),
                        path: "system.network.genes_file", message: "the genes table lists no genes"))
            }
        }

        var edges: [Edge] = []
        var seenEdges: [Int64: Int] = [:]
        let rows = try lines(of: edgesPath, fieldPath: fieldPath, at: here)
        for row in rows {
            let cols = row.columns
            if row.isHeader(first: "regulator") { continue }
            guard cols.count >= 3 else {
                note(
                    row.issue(
                        column: 0,
                        "needs at least 3 tab-separated columns `regulator target weight`, found \(cols.count)"))
                continue
            }
            guard let weight = strictNumber(cols[2]) else {
                note(row.issue(column: 2, "weight must be a finite number, not `\(token(cols[2]))`"))
                continue
            }
            var hillN = defaults.hillN
            var half = defaults.halfResponse
            if cols.count > 3, !cols[3].isEmpty {
                guard let v = strictNumber(cols[3]), v > 0 else {
                    note(row.issue(column: 3, "hill_n must be a number > 0, not `\(token(cols[3]))`"))
                    continue
                }
                hillN = v
            }
            if cols.count > 4, !cols[4].isEmpty {
                guard let v = strictNumber(cols[4]), v > 0 else {
                    note(row.issue(column: 4, "half_response must be a number > 0, not `\(token(cols[4]))`"))
                    continue
                }
                half = v
            }
            var ends: [Int] = []
            for column in 0..<2 {
                let name = cols[column]
                if let index = known[name] {
                    ends.append(index)
                } else if genesFromTable {
                    var message = "unknown gene `\(token(name))`: not in the genes table"
                    if issues.count < maxIssues, let guess = suggestion(for: name, among: Array(known.keys)) {
                        message += "; did you mean `\(guess)`?"
                    }
                    note(row.issue(column: column, message))
                } else {
                    known[name] = genes.count
                    ends.append(genes.count)
                    genes.append(name)
                    basal.append(defaults.basal)
                    decay.append(defaults.decay)
                }
            }
            guard ends.count == 2 else { continue }
            let key = Int64(ends[0]) << 32 | Int64(ends[1])
            if let firstLine = seenEdges[key] {
                note(
                    row.issue(
                        column: 0,
                        "duplicate edge \(token(cols[0])) → \(token(cols[1])) (first on line \(firstLine))"))
                continue
            }
            seenEdges[key] = row.line
            edges.append(
                Edge(
                    regulator: ends[0], target: ends[1], weight: weight, hillN: hillN,
                    halfResponse: half))
        }
        if edges.isEmpty && issues.isEmpty {
            note(
                DesignIssue(
                    location: SourceLocation(file: edgesPath, line: 1, column: 1), path: fieldPath,
                    message: "the network file has no edges; expected lines `regulator<TAB>target<TAB>weight`"))
        }
        if dropped > 0, let last = lastDropped {
            issues.append(
                DesignIssue(
                    location: last.location, path: last.path,
                    message: "… and \(dropped) more problems in this file (the first \(maxIssues) are shown)"))
        }
        guard issues.isEmpty else { throw DesignValidationError(issues: issues) }
        return Network(genes: genes, basal: basal, decay: decay, edges: edges)
    }

    /// One data line of a tab-separated file, with its place for messages.
    struct Row {
        let file: String
        let line: Int
        let text: String
        let path: String

        var columns: [String] {
            text.split(separator: "\t", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
        }

        func isHeader(first: String) -> Bool {
            line == firstLine && columns.first?.lowercased() == first
        }
        var firstLine: Int { headerLine }
        let headerLine: Int

        /// An issue at the start of the given column (1-based character column).
        func issue(column: Int, _ message: String) -> DesignIssue {
            var col = 1
            var index = 0
            for character in text {
                if index == column { break }
                col += 1
                if character == "\t" { index += 1 }
            }
            return DesignIssue(
                location: SourceLocation(file: file, line: line, column: col), path: path,
                message: message)
        }
    }

    /// The non-empty, non-comment lines of a file; a missing or empty file is an issue located at
    /// the design field that named it.
    static func lines(of path: String, fieldPath: String, at referenced: SourceLocation) throws -> [Row] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw DesignValidationError(issues: [
                DesignIssue(
                    location: referenced, path: fieldPath,
                    message: "network file `\(TerminalText.escaped(path))` does not exist")
            ])
        }
        guard let data = FileManager.default.contents(atPath: path),
            let text = String(data: data, encoding: .utf8)
        else {
            throw DesignValidationError(issues: [
                DesignIssue(
                    location: referenced, path: fieldPath,
                    message: "network file `\(TerminalText.escaped(path))` cannot be read as UTF-8 text")
            ])
        }
        var rows: [Row] = []
        var first = 0
        // Swift takes "\r\n" for one character, so CRLF files (Windows, Excel) are split on the
        // scalar "\n" and lose their "\r".
        let lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map {
            String(String.UnicodeScalarView($0))
        }
        for (offset, raw) in lines.enumerated() {
            let line = raw.hasSuffix("\r") ? String(raw.dropLast()) : String(raw)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if first == 0 { first = offset + 1 }
            rows.append(Row(file: path, line: offset + 1, text: line, path: fieldPath, headerLine: first))
        }
        if rows.isEmpty {
            throw DesignValidationError(issues: [
                DesignIssue(
                    location: referenced, path: fieldPath,
                    message: "network file `\(TerminalText.escaped(path))` is empty")
            ])
        }
        return rows
    }

    /// Most problems kept from one file: a 10⁶-edge file checked against the wrong genes table
    /// reports the first 20 and a count, in milliseconds, instead of 2,000,000 lines.
    static let maxIssues = 20

    /// A number written in decimal (`1`, `-0.5`, `2.5e-3`), as the format says: hexadecimal
    /// (`0x10`), `inf`, `nan` and text with an embedded NUL (`1\0`, which strtod reads as 1)
    /// are not numbers here.
    static func strictNumber(_ text: String) -> Double? {
        guard !text.isEmpty,
            text.utf8.allSatisfy({ (48...57).contains($0) || $0 == 43 || $0 == 45 || $0 == 46 || $0 == 101 || $0 == 69 }
            ),
            let value = Double(text), value.isFinite
        else { return nil }
        return value
    }

    /// A cell of the file as shown in a message: escaped, and cut after 24 characters, so that
    /// a message names the offending value without echoing the file's contents.
    static func token(_ text: String) -> String {
        let escaped = TerminalText.escaped(text)
        return escaped.count > 24 ? String(escaped.prefix(24)) + "…" : escaped
    }
}
