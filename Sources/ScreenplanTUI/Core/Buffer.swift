import ScreenplanCore

// MARK: - The text buffer every screen renders into

/// What a cell means, not how it looks: the backend maps roles to colours or, on monochrome
/// terminals and with NO_COLOR, to attributes.
public enum Role: UInt8, Sendable, CaseIterable {
    case normal, title, border, selected, dim, accent, good, warning, error, heading, keyHint, edit
}

/// One terminal cell: a grapheme, its role, and whether it continues a wide glyph to its left.
public struct Cell: Equatable, Sendable {
    public var symbol: Character
    public var role: Role
    public var continuation: Bool

    public init(_ symbol: Character = " ", role: Role = .normal, continuation: Bool = false) {
        self.symbol = symbol
        self.role = role
        self.continuation = continuation
    }
}

/// A rectangle of cells, row-major. Rendering is a pure function into a Buffer.
public struct Buffer: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: Cell(), count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { cells[y * width + x] = newValue }
    }

    /// Writes `text` at (x, y), clipped to `maxWidth` (and the buffer); returns the columns used.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, role: Role = .normal, maxWidth: Int? = nil) -> Int {
        guard y >= 0, y < height, x < width else { return 0 }
        let limit = min(width, x + (maxWidth ?? width))
        var column = x
        // Control characters and escape sequences from the design (a gene name, a path, a
        // message) would move the cursor, recolour or forge a line: they are shown escaped
        // (`\e`, `\n`, `\x9B`; TerminalText, as on stderr), so a cell always holds something
        // printable (issue 17).
        for character in TerminalText.escaped(text) {
            if column >= limit { break }
            if column >= 0 { self[column, y] = Cell(character, role: role) }
            column += 1
        }
        return column - x
    }

    /// Fills a rectangle with one role (e.g. a selected row) keeping its symbols.
    public mutating func paint(x: Int, y: Int, width w: Int, height h: Int, role: Role) {
        for row in max(0, y)..<min(height, y + h) {
            for column in max(0, x)..<min(width, x + w) { self[column, row].role = role }
        }
    }

    /// The text of each row, trailing spaces removed: what snapshot tests compare.
    public var lines: [String] {
        (0..<height).map { y in
            var line = ""
            for x in 0..<width where !self[x, y].continuation { line.append(self[x, y].symbol) }
            while line.last == " " { line.removeLast() }
            return line
        }
    }

    /// All rows joined with newlines.
    public var text: String { lines.joined(separator: "\n") }
}

// MARK: - Drawing helpers

extension Buffer {
    /// Draws a box border with a title in its top edge.
    public mutating func box(
        x: Int, y: Int, width w: Int, height h: Int, title: String = "", glyphs g: Glyphs,
        role: Role = .border
    ) {
        guard w >= 2, h >= 2 else { return }
        for column in x..<(x + w) {
            let top = column == x ? g.topLeft : column == x + w - 1 ? g.topRight : g.horizontal
            let bottom = column == x ? g.bottomLeft : column == x + w - 1 ? g.bottomRight : g.horizontal
            put(String(top), x: column, y: y, role: role)
            put(String(bottom), x: column, y: y + h - 1, role: role)
        }
        for row in (y + 1)..<(y + h - 1) {
            put(String(g.vertical), x: x, y: row, role: role)
            put(String(g.vertical), x: x + w - 1, y: row, role: role)
        }
        if !title.isEmpty { put(" \(title) ", x: x + 2, y: y, role: .heading, maxWidth: w - 4) }
    }

    /// Blanks a rectangle (for overlays).
    public mutating func clear(x: Int, y: Int, width w: Int, height h: Int, role: Role = .normal) {
        for row in max(0, y)..<min(height, y + h) {
            for column in max(0, x)..<min(width, x + w) { self[column, row] = Cell(" ", role: role) }
        }
    }

    /// Replaces every non-ASCII symbol with an ASCII twin: the safety net of non-UTF-8 locales,
    /// for text that comes from data (design names) rather than from a glyph set.
    public mutating func foldToASCII() {
        for i in cells.indices where !(cells[i].symbol.isASCII) {
            cells[i].symbol = asciiTwin(cells[i].symbol)
        }
    }
}

/// The ASCII character that best stands for `c`.
func asciiTwin(_ c: Character) -> Character {
    switch c {
    case "─", "—", "–", "━": return "-"
    case "│", "┃": return "|"
    case "┌", "┐", "└", "┘", "├", "┤", "┬", "┴", "┼": return "+"
    case "×": return "x"
    case "…": return "."
    case "≈": return "~"
    case "≤": return "<"
    case "≥": return ">"
    case "→", "▶": return ">"
    case "←": return "<"
    case "↑": return "^"
    case "↓": return "v"
    case "α": return "a"
    case "τ": return "t"
    case "ω": return "w"
    case "“", "”": return "\""
    case "‘", "’": return "'"
    case "░": return "."
    case "▒": return ":"
    case "▓": return "*"
    case "█": return "#"
    case "✓": return "*"
    default: return "?"
    }
}
