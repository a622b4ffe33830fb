import ScreenplanCore

// MARK: - The Elm architecture: state, messages, update, effects

/// A key press, decoded by the backend.
public enum Key: Equatable, Sendable {
    case character(Character)
    case up, down, left, right, enter, escape, tab, backTab, backspace, delete
    case pageUp, pageDown, home, end
    case control(Character)
}

/// Everything that can happen to the app.
public enum Msg: Equatable, Sendable {
    case key(Key)
    case resized(width: Int, height: Int)
    case saved(path: String)
    case saveFailed(String)
}

/// Work the shell carries out; its results come back as messages.
public enum Effect: Equatable, Sendable {
    case save(text: String, path: String)
    case quit
}

/// The screens of the app, in tab order.
public enum Screen: Int, CaseIterable, Sendable {
    case design

    public var title: String {
        switch self {
        case .design: return "Design"
        }
    }
}

/// The whole state of the app: a value, so update is pure and tests compare states.
public struct AppState: Equatable, Sendable {
    public var document: DesignDocument
    public var screen: Screen = .design
    public var width: Int
    public var height: Int
    public var capabilities: Capabilities
    public var cursor: Int = 0
    public var scroll: Int = 0
    public var showHelp = false
    public var dirty = false
    public var confirmingQuit = false
    public var status: String = ""

    public init(document: DesignDocument, width: Int = 80, height: Int = 24,
                capabilities: Capabilities = Capabilities(unicode: true, color: true)) {
        self.document = document
        self.width = width
        self.height = height
        self.capabilities = capabilities
    }

    /// The design's fields as shown in the tree (derived, never stored).
    public var fields: [DesignField] { document.design.fields() }
}

/// Smallest terminal the screens are laid out for.
public let minimumSize = (width: 80, height: 24)

/// The pure update function: a new state and the effects to carry out.
public func update(_ state: AppState, _ msg: Msg) -> (AppState, [Effect]) {
    var s = state
    switch msg {
    case .resized(let width, let height):
        s.width = width
        s.height = height
        return (s, [])
    case .saved(let path):
        s.dirty = false
        s.document.path = path
        s.status = "saved \(path)"
        return (s, [])
    case .saveFailed(let reason):
        s.status = "save failed: \(reason)"
        return (s, [])
    case .key(let key):
        return handle(key, s)
    }
}

private func handle(_ key: Key, _ state: AppState) -> (AppState, [Effect]) {
    var s = state
    if s.confirmingQuit {
        s.confirmingQuit = false
        if key == .character("y") { return (s, [.quit]) }
        s.status = "quit cancelled"
        return (s, [])
    }
    if s.showHelp {
        s.showHelp = false
        return (s, [])
    }
    let count = s.fields.count
    switch key {
    case .character("q"):
        if s.dirty {
            s.confirmingQuit = true
            return (s, [])
        }
        return (s, [.quit])
    case .character("?"):
        s.showHelp = true
    case .down, .character("j"):
        s.cursor = min(max(0, count - 1), s.cursor + 1)
    case .up, .character("k"):
        s.cursor = max(0, s.cursor - 1)
    case .pageDown:
        s.cursor = min(max(0, count - 1), s.cursor + max(1, s.height - 6))
    case .pageUp:
        s.cursor = max(0, s.cursor - max(1, s.height - 6))
    case .home, .character("g"):
        s.cursor = 0
    case .end, .character("G"):
        s.cursor = max(0, count - 1)
    case .character("s"):
        guard let path = s.document.path else {
            s.status = "the embedded design has no file yet; start screenplan with a path to save"
            return (s, [])
        }
        do {
            return (s, [.save(text: try s.document.design.yamlText(), path: path)])
        } catch {
            s.status = "save failed: \(error)"
        }
    default:
        break
    }
    return (s, [])
}
