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
        for character in text {
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
