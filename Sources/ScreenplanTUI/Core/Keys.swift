// MARK: - Keys, as the backend decodes them

/// A key press, decoded by the backend. Printable keys are `.character`; Ctrl-letter is `.control`.
public enum Key: Hashable, Sendable {
    case character(Character)
    case up, down, left, right, enter, escape, tab, backTab, backspace, delete
    case pageUp, pageDown, home, end
    case control(Character)

    /// How the key is written in the help overlay and key bar. ASCII terminals get words instead
    /// of arrows so the help never shows a glyph the terminal cannot draw.
    public func display(unicode: Bool) -> String {
        switch self {
        case .character(" "): return "Space"
        case .character(let c): return String(c)
        case .up: return unicode ? "↑" : "Up"
        case .down: return unicode ? "↓" : "Down"
        case .left: return unicode ? "←" : "Left"
        case .right: return unicode ? "→" : "Right"
        case .enter: return "Enter"
        case .escape: return "Esc"
        case .tab: return "Tab"
        case .backTab: return "S-Tab"
        case .backspace: return "Bksp"
        case .delete: return "Del"
        case .pageUp: return "PgUp"
        case .pageDown: return "PgDn"
        case .home: return "Home"
        case .end: return "End"
        case .control(let c): return "^" + String(c).uppercased()
        }
    }
}
