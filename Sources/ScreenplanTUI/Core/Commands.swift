import ScreenplanCore

// MARK: - The `:` command line

/// Commands of the `:` line, for the help overlay and docs.
public let commandHelp: [(String, String)] = [
    (":w [PATH]", "save (to PATH, which becomes the design's file)"),
    (":wq  :x", "save, then quit"),
    (":q", "quit (asks when unsaved)"),
    (":q!", "quit, discarding changes"),
    (":set PATH VALUE", "set a design field (Tab completes the path)"),
    (":e FILE  :e! FILE", "open another design (! discards unsaved changes)"),
    (":messages", "every message of the session, refusals in full"),
    (":layout NAME", "switch layout strategy (pooled, sub-libraries, …)"),
    (":compare PATH", "compare the design with another design file (Compare screen)"),
    (":help", "show the keys"),
]

func runCommand(_ text: String, _ state: AppState) -> (AppState, [Effect]) {
    var s = state
    let words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    guard let verb = words.first else { return (s, []) }
    let rest = words.dropFirst()
    switch verb {
    case "w", "write", "wq", "x":
        guard let path = rest.first ?? s.document.path else {
            s.say("no file yet: :w PATH", error: true)
            return (s, [])
        }
        s.quitAfterSave = verb == "wq" || verb == "x"
        return (s, [.save(design: s.design, path: path, original: s.source)])
    case "q", "quit":
        return perform(.quit, s)
    case "q!", "quit!":
        return (s, [.quit])
    case "set":
        guard rest.count >= 2 else {
            s.say(":set PATH VALUE, e.g. :set batching.batches 32", error: true)
            return (s, [])
        }
        let path = rest.first!
        let value = rest.dropFirst().joined(separator: " ")
        let (next, effects, refused) = set(path, to: value, s)
        if let refused { return (refuse(path, value, refused, s), []) }
        return (next, effects)
    case "messages", "mes":
        s.showMessages = true
        return (s, [])
    case "e", "edit":
        guard let path = rest.first else {
            s.say(":e FILE opens another design file", error: true)
            return (s, [])
        }
        if s.dirty && verb != "e!" {
            s.say("unsaved changes: :w first, or :e! \(path) to discard them", error: true)
            return (s, [])
        }
        s.say("opening \(path)…")
        return (s, [.open(path: path)])
    case "e!":
        guard let path = rest.first else {
            s.say(":e! FILE opens another design file, discarding changes", error: true)
            return (s, [])
        }
        return (s, [.open(path: path)])
    case "layout":
        guard let name = rest.first else {
            let names = ScreenplanCore.LayoutStrategy.allCases.map(\.rawValue).joined(separator: ", ")
            s.say(":layout NAME, one of \(names)", error: true)
            return (s, [])
        }
        let (next, effects, refused) = set("batching.layout", to: name, s)
        if let refused {
            s.say("refused: \(refused)", error: true)
            return (s, [])
        }
        return (next, effects)
    case "compare":
        guard let path = rest.first else {
            s.say(":compare PATH: a design file to compare with", error: true)
            return (s, [])
        }
        s.screen = .compare
        s.say("reading \(path)…")
        return (s, [.loadComparison(path: path)])
    case "help", "h":
        s.showHelp = true
        return (s, [])
    default:
        s.say("unknown command :\(verb) (see ? for commands)", error: true)
        return (s, [])
    }
}
