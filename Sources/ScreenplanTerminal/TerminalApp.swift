import CNcursesw
import Foundation
import ScreenplanCore
import ScreenplanTUI

// MARK: - The ncurses shell: draws buffers, reads keys, carries out effects
//
// This is the only code that calls ncurses. It owns no app logic: keys become messages, the
// pure update function decides, render produces a buffer, and the painter draws the difference
// from the previous frame. Effects run here; slow ones in detached tasks that answer through the
// mailbox, which the loop drains every 50 ms while it waits for keys.

/// Restores the terminal when a signal ends the program while curses owns the screen. The
/// autosave side file is left in place on purpose: the next start offers to recover it.
private func restoreTerminalAndExit(_ signal: Int32) {
    endwin()
    _exit(128 + signal)
}

/// The interactive app on a real terminal.
public enum TerminalApp {
    /// Runs the interactive app until the user quits. Returns the process exit status.
    ///
    /// - Parameters:
    ///   - document: the design to edit.
    ///   - engine: the analysis, layouts, long jobs and exporters (see `Engine`).
    ///   - environment: the process environment (NO_COLOR, XDG_STATE_HOME, HOME).
    ///   - issues: problems of an invalid file opened anyway (listed on the Design screen).
    public static func run(
        document: DesignDocument, engine: Engine,
        environment: [String: String] = ProcessInfo.processInfo.environment, issues: [DesignIssue] = []
    ) -> Int32 {
        let started = ContinuousClock.now
        setlocale(sp_lc_all(), "")
        let codeset = String(cString: sp_codeset())
        let autosavePath = Autosave.path(for: document, environment: environment)
        let recovered = Autosave.load(
            path: autosavePath, baseDirectory: document.design.baseDirectory,
            environment: environment)

        let heldStderr = StderrHold()
        guard initscr() != nil else {
            heldStderr.release()
            return 1
        }
        // SIGQUIT (Ctrl-\) too: handled like SIGTERM, so no backtrace is drawn over the screen.
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] { signal(sig, restoreTerminalAndExit) }
        defer {
            endwin()
            heldStderr.release()
        }
        cbreak()
        noecho()
        nonl()
        keypad(sp_stdscr(), true)
        set_escdelay(25)
        curs_set(0)
        wtimeout(sp_stdscr(), 50)
        mousemask(sp_button1_clicked(), nil)
        mouseinterval(0)
        let hasColors = has_colors()
        let capabilities = Capabilities.detect(codeset: codeset, environment: environment, terminalHasColors: hasColors)
        if capabilities.color {
            start_color()
            use_default_colors()
        }
        let painter = Painter(capabilities: capabilities)
        let shell = EffectRunner(engine: engine, autosavePath: autosavePath)

        var state = AppState(
            document: document, width: Int(sp_cols()), height: Int(sp_lines()),
            capabilities: capabilities, engine: engine.info, autosavePath: autosavePath,
            recovery: recovered, issues: issues)
        if recovered == nil || recovered == document.design { Autosave.remove(path: autosavePath) }
        shell.carryOut(.evaluate(design: state.design, generation: state.generation))
        var previous: Buffer? = nil
        var needsRender = true
        var firstFrame: Duration? = nil
        var sinceExec: Double? = nil
        defer {
            // SCREENPLAN_TUI_TIMING=1 reports the first frame's time (on stderr, after endwin).
            if environment["SCREENPLAN_TUI_TIMING"] == "1", let firstFrame {
                let ms = Double(firstFrame.components.attoseconds) / 1e15 + Double(firstFrame.components.seconds) * 1000
                let exec = sinceExec.map { String(format: ", %.0f ms after exec", $0) } ?? ""
                FileHandle.standardError.write(
                    Data(
                        "screenplan tui: first frame \(String(format: "%.1f", ms)) ms after the UI started\(exec)\n"
                            .utf8))
            }
        }
        while true {
            if needsRender {
                let frame = render(state)
                painter.draw(frame, over: previous)
                if previous == nil, firstFrame == nil {
                    firstFrame = ContinuousClock.now - started
                    sinceExec = processAgeMs()
                }
                previous = frame
                needsRender = false
            }
            var messages = shell.messages()
            let code = getch()
            if code == sp_key_mouse() {
                var event = MEVENT()
                if getmouse(&event) == sp_ok(), sp_is_button1(event.bstate) != 0 {
                    messages.append(.click(x: Int(event.x), y: Int(event.y)))
                }
            } else if let msg = decode(code) {
                if case .resized = msg {
                    previous = nil
                    clear()
                }
                messages.append(msg)
            }
            for msg in messages {
                let (next, effects) = update(state, msg)
                if next != state { needsRender = true }
                state = next
                for effect in effects {
                    if effect == .quit {
                        shell.stopAll()
                        if let path = state.autosavePath { Autosave.remove(path: path) }
                        return 0
                    }
                    shell.carryOut(effect)
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

/// While curses owns the screen, anything written to stderr would corrupt it: hold it in a
/// temporary file and print it after endwin.
final class StderrHold {
    private var saved: Int32 = -1
    private var path: String

    init() {
        path = NSTemporaryDirectory() + "screenplan-stderr-\(getpid())"
        let fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0o600)
        guard fd >= 0 else { return }
        fflush(nil)
        saved = dup(2)
        dup2(fd, 2)
        close(fd)
    }

    func release() {
        guard saved >= 0 else { return }
        fflush(nil)
        dup2(saved, 2)
        close(saved)
        saved = -1
        if let data = FileManager.default.contents(atPath: path), !data.isEmpty {
            FileHandle.standardError.write(data)
        }
        unlink(path)
    }
}

/// Milliseconds since this process was started (Linux: /proc/self/stat against the uptime, to
/// the kernel's clock tick), for a first-frame timing that includes start-up and design loading.
func processAgeMs() -> Double? {
    #if os(Linux)
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let uptimeText = try? String(contentsOfFile: "/proc/uptime", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // Field 22 (starttime) is the 20th after the command name.
        guard fields.count > 19, let start = Double(fields[19]),
            let uptime = Double(uptimeText.split(separator: " ").first ?? "")
        else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return (uptime - start / ticks) * 1000
    #else
        return nil
    #endif
}
