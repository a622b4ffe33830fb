// MARK: - Glyph sets: every Unicode glyph has an ASCII twin

/// Glyphs used for borders, bars and markers; chosen once from the terminal's capabilities.
public struct Glyphs: Equatable, Sendable {
    public var horizontal: Character
    public var vertical: Character
    public var topLeft: Character
    public var topRight: Character
    public var bottomLeft: Character
    public var bottomRight: Character
    public var barEighths: [Character]
    public var shades: [Character]
    public var pointer: Character
    public var ellipsis: String
    /// Multiplication sign in sizes (`80×24`).
    public var times: String
    /// Whether plots may use braille dots (2×4 per cell); ASCII plots use `*`.
    public var braille: Bool
    /// Marks an applied recommendation or the current choice.
    public var check: String
    /// Shown for a value that is not available.
    public var missing: String

    public static let unicode = Glyphs(
        horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└",
        bottomRight: "┘", barEighths: [" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"],
        shades: [" ", "░", "▒", "▓", "█"], pointer: "▶", ellipsis: "…", times: "×",
        braille: true, check: "✓", missing: "—")

    public static let ascii = Glyphs(
        horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+",
        bottomRight: "+", barEighths: [" ", " ", " ", " ", "#", "#", "#", "#", "#"],
        shades: [" ", ".", ":", "*", "#"], pointer: ">", ellipsis: "...", times: "x",
        braille: false, check: "*", missing: "-")
}

/// What the terminal can do, decided once from injected inputs (never read inside render).
public struct Capabilities: Equatable, Sendable {
    public var unicode: Bool
    public var color: Bool

    public init(unicode: Bool, color: Bool) {
        self.unicode = unicode
        self.color = color
    }

    /// From the locale's codeset, the environment and whether the terminal has colours.
    public static func detect(codeset: String, environment: [String: String], terminalHasColors: Bool) -> Capabilities {
        let utf8 = codeset.uppercased().replacingOccurrences(of: "-", with: "") == "UTF8"
        let noColor = environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        return Capabilities(unicode: utf8, color: terminalHasColors && !noColor)
    }

    public var glyphs: Glyphs { unicode ? .unicode : .ascii }
}
