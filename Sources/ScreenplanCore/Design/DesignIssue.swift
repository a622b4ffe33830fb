// MARK: - Problems found in a design, with the place they come from

/// A place in an input file (1-based line and column).
public struct SourceLocation: Equatable, Sendable, Codable {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }
}

/// One problem in a design or in a file it names, reported as `file:line:column: field.path: message`.
public struct DesignIssue: Error, Equatable, Sendable, CustomStringConvertible {
    public var location: SourceLocation
    /// Dotted field path, e.g. `batching.batches` or `protocol[1].duration_h`.
    public var path: String
    public var message: String

    public init(location: SourceLocation, path: String, message: String) {
        self.location = location
        self.path = path
        self.message = message
    }

    /// One line: control characters from the design (a gene name with a newline or an escape
    /// sequence) are shown escaped, so no file can forge or hide a diagnostic.
    public var description: String {
        TerminalText.escaped("\(location.file):\(location.line):\(location.column): \(path): \(message)")
    }
}

/// All problems found in one design; thrown so that a caller sees every problem at once.
public struct DesignValidationError: Error, Sendable, CustomStringConvertible {
    public var issues: [DesignIssue]

    public init(issues: [DesignIssue]) { self.issues = issues }

    /// Most problems printed; the rest are counted (a file with 10⁶ bad lines prints 21 lines).
    public static let printedIssues = 20

    public var description: String {
        // 21 issues print as 21 lines (a count line would be as long); more print 20 and a count.
        if issues.count <= Self.printedIssues + 1 { return issues.map(\.description).joined(separator: "\n") }
        var lines = issues.prefix(Self.printedIssues).map(\.description)
        if issues.count > Self.printedIssues {
            lines.append(
                "… and \(issues.count - Self.printedIssues) more problems (the first \(Self.printedIssues) are shown)")
        }
        return lines.joined(separator: "\n")
    }
}

// MARK: - Suggestions

/// Edit distance between two strings; used for "did you mean" suggestions.
func levenshtein(_ a: String, _ b: String) -> Int {
    let a = Array(a.lowercased())
    let b = Array(b.lowercased())
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
            current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}

/// The closest candidate to `word`, if it is close enough to be a likely typo.
public func suggestion(for word: String, among candidates: [String]) -> String? {
    let scored = candidates.map { ($0, levenshtein(word, $0)) }.min { $0.1 < $1.1 }
    guard let (best, distance) = scored else { return nil }
    let limit = max(2, best.count / 3)
    // A one- or two-letter word is "close" to every other short word; suggest only real typos.
    return distance <= limit && distance < max(word.count, best.count) - 1 ? best : nil
}
