import CNcursesw
import Foundation
import ScreenplanCore
import ScreenplanTUI

// MARK: - The ncurses shell: draws buffers, reads keys, carries out effects
//
// This is the only code that calls ncurses. It owns no app logic: keys become messages, the
// pure update function decides, render produces a buffer, and this file draws the difference
// from the previous frame.

/// Restores the terminal when a signal ends the program while curses owns the screen.
private func restoreTerminalAndExit(_ signal: Int32) {
    endwin()
    _exit(128 + signal)
}

public enum TerminalApp {
    /// Runs the interactive app until the user quits. Returns the process exit status.
    public static func run(document: DesignDocument) -> Int32 {
        setlocale(sp_lc_all(), "")
        let codeset = String(cString: sp_codeset())
        guard initscr() != nil else { return 1 }
        for sig in [SIGINT, SIGTERM, SIGHUP] { signal(sig, restoreTerminalAndExit) }
        defer { endwin() }
        cbreak()
        noecho()
        nonl()
        keypad(sp_stdscr(), true)
        set_escdelay(25)
        curs_set(0)
        let hasColors = has_colors()
        if hasColors {
            start_color()
            use_default_colors()
        }
        let capabilities = Capabilities.detect(
            codeset: codeset, environment: ProcessInfo.processInfo.environment,
            terminalHasColors: hasColors)
        let painter = Painter(capabilities: capabilities)

        var state = AppState(document: document, width: Int(sp_cols()), height: Int(sp_lines()),
                             capabilities: capabilities)
        var previous: Buffer? = nil
        while true {
            let frame = render(state)
            painter.draw(frame, over: previous)
            previous = frame
            let code = getch()
            guard let msg = decode(code) else { continue }
            if case .resized = msg { previous = nil; clear() }
            let (next, effects) = update(state, msg)
            state = next
            for effect in effects {
                switch effect {
                case .quit:
                    return 0
                case .save(let text, let path):
                    do {
                        try writeAtomically(text, to: path)
                        state = update(state, .saved(path: path)).0
                    } catch {
                        state = update(state, .saveFailed("\(error)")).0
                    }
                }
            }
        }
    }

    /// Turns an ncurses key code into a message.
    static func decode(_ code: Int32) -> Msg? {
        switch code {
        case sp_err(): return nil
        case sp_key_resize(): return .resized(width: Int(sp_cols()), height: Int(sp_lines()))
        case sp_key_up(): return .key(.up)
        case sp_key_down(): return .key(.down)
        case sp_key_left(): return .key(.left)
        case sp_key_right(): return .key(.right)
        case sp_key_enter(), 10, 13: return .key(.enter)
        case 27: return .key(.escape)
        case 9: return .key(.tab)
        case sp_key_btab(): return .key(.backTab)
        case sp_key_backspace(), 127, 8: return .key(.backspace)
        case sp_key_dc(): return .key(.delete)
        case sp_key_npage(): return .key(.pageDown)
        case sp_key_ppage(): return .key(.pageUp)
        case sp_key_home(): return .key(.home)
        case sp_key_end(): return .key(.end)
        case 1...26: return .key(.control(Character(UnicodeScalar(UInt8(code) + 96))))
        case 32...126: return .key(.character(Character(UnicodeScalar(UInt8(code)))))
        default: return nil
        }
    }
}

/// Maps roles to colour pairs (or attributes on monochrome terminals) and draws buffers.
final class Painter {
    let capabilities: Capabilities
    private var attributes: [Role: attr_t] = [:]

    init(capabilities: Capabilities) {
        self.capabilities = capabilities
        for role in Role.allCases { attributes[role] = attribute(for: role) }
    }

    private func attribute(for role: Role) -> attr_t {
        let colors: [Role: (Int32, Int32, attr_t)] = [
            .title: (sp_color_black(), sp_color_cyan(), sp_a_normal()),
            .selected: (sp_color_black(), sp_color_yellow(), sp_a_bold()),
            .heading: (sp_color_cyan(), -1, sp_a_bold()),
            .accent: (sp_color_yellow(), -1, sp_a_normal()),
            .good: (sp_color_green(), -1, sp_a_normal()),
            .warning: (sp_color_yellow(), -1, sp_a_bold()),
            .error: (sp_color_red(), -1, sp_a_bold()),
            .keyHint: (sp_color_black(), sp_color_white(), sp_a_normal()),
            .border: (sp_color_blue(), -1, sp_a_normal()),
            .dim: (-1, -1, sp_a_dim()),
            .edit: (sp_color_white(), sp_color_blue(), sp_a_bold()),
        ]
        let monochrome: [Role: attr_t] = [
            .title: sp_a_reverse(), .selected: sp_a_reverse() | sp_a_bold(), .heading: sp_a_bold(),
            .accent: sp_a_normal(), .warning: sp_a_bold(), .error: sp_a_bold() | sp_a_underline(),
            .keyHint: sp_a_reverse(), .dim: sp_a_dim(), .edit: sp_a_reverse() | sp_a_underline(),
            .good: sp_a_normal(), .border: sp_a_normal(),
        ]
        guard capabilities.color, let (fg, bg, extra) = colors[role] else {
            return monochrome[role] ?? sp_a_normal()
        }
        let pair = Int16(role.rawValue) + 1
        init_pair(pair, Int16(fg), Int16(bg))
        return sp_color_pair(pair) | extra
    }

    /// Draws the rows that changed since `previous`, in runs of equal role.
    func draw(_ buffer: Buffer, over previous: Buffer?) {
        for y in 0..<buffer.height {
            if let previous, previous.width == buffer.width, previous.height == buffer.height,
               (0..<buffer.width).allSatisfy({ previous[$0, y] == buffer[$0, y] }) {
                continue
            }
            var x = 0
            while x < buffer.width {
                let role = buffer[x, y].role
                var run = ""
                let start = x
                while x < buffer.width && buffer[x, y].role == role {
                    if !buffer[x, y].continuation { run.append(buffer[x, y].symbol) }
                    x += 1
                }
                _ = sp_put(Int32(y), Int32(start), run, attributes[role] ?? sp_a_normal())
            }
        }
        refresh()
    }
}
