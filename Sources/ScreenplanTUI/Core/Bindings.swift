// MARK: - Key bindings as data
//
// One table per screen plus a global table. Dispatch, the `?` help overlay and the key bar are
// all generated from these tables, so they can never disagree.

/// What a key does.
public enum Action: Equatable, Sendable {
    case up, down, left, right, pageUp, pageDown, top, bottom
    case nextScreen, previousScreen
    case goTo(Screen)
    /// Enter: edit the field, apply the recommendation, adopt the layout, start the run, write the file.
    case activate
    /// Esc: cancel the run (Simulate) or clear the status line.
    case cancel
    case help, command, search, searchNext, searchPrevious
    case undo, redo, save, quit
    case nextLayout, previousLayout
    case togglePlot
    case editExportPath
    /// Compare: switch between layouts and another design (`:compare PATH`).
    case toggleCompareMode
    /// Design: nudge the selected number up (+1) or down (−1), a small or a big step.
    case nudge(Int, big: Bool)
    /// Take the fix offered for the last refused edit.
    case applyFix
    /// Pin the current design (and its analysis) for the Compare screen.
    case pin
    /// Simulate: apply the changes a finished run proposes (the optimizer's design).
    case applyResult
    /// Simulate: write the finished run's counts (asks for the path; Tab chooses the format).
    case writeResult
    /// Analysis: sort the per-perturbation table by the next column, reverse it, show or hide it.
    case sortTable, reverseSort, toggleTable
    /// Analysis: the downstream-gene power grid (cells × reads, target-power contour) / the plots.
    case toggleDownstream
}

/// One row of a binding table.
public struct KeyBinding: Equatable, Sendable {
    public var keys: [Key]
    public var action: Action
    /// What the key does, for the help overlay.
    public var help: String
    /// Short label for the key bar; nil keeps it out of the bar.
    public var bar: String?

    public init(_ keys: [Key], _ action: Action, _ help: String, bar: String? = nil) {
        self.keys = keys
        self.action = action
        self.help = help
        self.bar = bar
    }
}

/// Keys that work on every screen.
public let globalBindings: [KeyBinding] = [
    KeyBinding([.tab], .nextScreen, "next screen"),
    KeyBinding([.backTab], .previousScreen, "previous screen"),
    KeyBinding((1...6).map { .character(Character(String($0))) }, .goTo(.design), "go to screen 1–6"),
    KeyBinding([.character("?")], .help, "show / hide this help", bar: "help"),
    KeyBinding([.character(":")], .command, "command line (:w :q :set …)", bar: "cmd"),
    KeyBinding([.character("u")], .undo, "undo the last change", bar: "undo"),
    KeyBinding([.control("r")], .redo, "redo"),
    KeyBinding([.character("s")], .save, "save (atomic write)", bar: "save"),
    KeyBinding([.character("P")], .pin, "pin this design for Compare", bar: "pin"),
    KeyBinding([.character("q")], .quit, "quit (asks if unsaved)", bar: "quit"),
    KeyBinding([.escape], .cancel, "close prompt, clear message"),
]

private let listMoves: [KeyBinding] = [
    KeyBinding([.down, .character("j")], .down, "move down"),
    KeyBinding([.up, .character("k")], .up, "move up"),
    KeyBinding([.pageDown, .control("d")], .pageDown, "page down"),
    KeyBinding([.pageUp, .control("u")], .pageUp, "page up"),
    KeyBinding([.home, .character("g")], .top, "first row"),
    KeyBinding([.end, .character("G")], .bottom, "last row"),
]

/// The table of one screen (screen keys first: they win over global ones).
public func screenBindings(_ screen: Screen) -> [KeyBinding] {
    switch screen {
    case .design:
        return [
            KeyBinding(
                [.enter], .activate, "edit the value in place (Enter on an error: go to its field)", bar: "edit"),
            KeyBinding(
                [.character("+"), .character("=")], .nudge(1, big: false), "raise the number (re-analyses)", bar: "+/-"),
            KeyBinding([.character("-")], .nudge(-1, big: false), "lower the number (re-analyses)"),
            KeyBinding([.character("]")], .nudge(1, big: true), "raise by a big step"),
            KeyBinding([.character("[")], .nudge(-1, big: true), "lower by a big step"),
            KeyBinding([.character("f")], .applyFix, "take the fix offered for a refused edit", bar: "fix"),
            KeyBinding([.character("/")], .search, "search field paths and values", bar: "search"),
            KeyBinding([.character("n")], .searchNext, "next search match"),
            KeyBinding([.character("N")], .searchPrevious, "previous search match"),
        ] + listMoves
    case .layout:
        return [
            KeyBinding([.character("]")], .nextLayout, "next layout strategy", bar: "layout"),
            KeyBinding([.character("[")], .previousLayout, "previous layout strategy"),
            KeyBinding([.left, .character("h")], .left, "scroll batches left"),
            KeyBinding([.right, .character("l")], .right, "scroll batches right"),
        ] + listMoves
    case .analysis:
        return [
            KeyBinding([.enter], .activate, "apply the recommendation", bar: "apply"),
            KeyBinding([.character("p")], .togglePlot, "plot vs cells / vs effect", bar: "plot"),
            KeyBinding([.character("t")], .toggleTable, "per-perturbation table / overview", bar: "table"),
            KeyBinding([.character("o")], .sortTable, "sort the table by the next column", bar: "sort"),
            KeyBinding([.character("r")], .reverseSort, "reverse the table's order"),
            KeyBinding(
                [.character("d")], .toggleDownstream, "downstream-gene power: cells × reads grid / plots",
                bar: "downstream"),
        ] + listMoves
    case .compare:
        return [
            KeyBinding([.left, .character("h")], .left, "previous layout column"),
            KeyBinding([.right, .character("l")], .right, "next layout column"),
            KeyBinding([.enter], .activate, "use this layout", bar: "use"),
            KeyBinding(
                [.character("d")], .toggleCompareMode, "layouts / pinned designs (P, :compare PATH)", bar: "designs"),
        ]
    case .simulate:
        return [
            KeyBinding([.enter], .activate, "start the selected run", bar: "run"),
            KeyBinding([.escape], .cancel, "cancel the running job", bar: "cancel"),
            KeyBinding([.character("a")], .applyResult, "apply the finished run's design (optimize)", bar: "apply"),
            KeyBinding(
                [.character("w")], .writeResult, "write the finished simulation's counts (Tab: 10x / h5ad)",
                bar: "write"),
            KeyBinding(
                [.character("+"), .character("=")], .nudge(1, big: false),
                "raise the run's setting (Monte Carlo replicates)", bar: "+/-"),
            KeyBinding([.character("-")], .nudge(-1, big: false), "lower the run's setting"),
            KeyBinding([.character("]")], .nudge(1, big: true), "raise the run's setting by 10 steps"),
            KeyBinding([.character("[")], .nudge(-1, big: true), "lower the run's setting by 10 steps"),
        ] + listMoves
    case .export:
        return [
            KeyBinding([.enter], .activate, "write the file", bar: "write"),
            KeyBinding([.character("p")], .editExportPath, "edit the output path", bar: "path"),
        ] + listMoves
    }
}

/// Every binding that applies on `screen`, screen keys first.
public func bindings(for screen: Screen) -> [KeyBinding] {
    screenBindings(screen) + globalBindings
}

/// The action of `key` on `screen`, if any.
public func action(for key: Key, on screen: Screen) -> Action? {
    if case .character(let c) = key, let n = c.wholeNumberValue, (1...6).contains(n) {
        return .goTo(Screen(rawValue: n - 1)!)
    }
    return bindings(for: screen).first { $0.keys.contains(key) }?.action
}
