import Foundation
import TestSupport
import Testing

// MARK: - The real binary in tmux: screens, an edit, a resize, save, quit, terminal restored
//
// Needs tmux and a built binary (`swift build`, or SCREENPLAN_BIN). Every wait polls
// `capture-pane` until the expected text shows or a timeout passes, so a slow machine only makes
// the test slower, never flaky. A private tmux socket keeps it away from the user's sessions.

/// tmux's path, if it is installed.
let tmuxPath: String? = ["/usr/bin/tmux", "/usr/local/bin/tmux", "/opt/homebrew/bin/tmux", "/bin/tmux"]
    .first { FileManager.default.isExecutableFile(atPath: $0) }

/// A tmux server on its own socket, running one shell in a window of the given size.
final class TmuxSession {
    let socket = "screenplan-e2e-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let tmux: String

    init(tmux: String, width: Int, height: Int, home: String) throws {
        self.tmux = tmux
        let shell =
            "env -i HOME=\(home) XDG_STATE_HOME=\(home)/state TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 "
            + "PATH=/usr/bin:/bin PS1='PROMPT$ ' bash --norc --noprofile"
        try run(["new-session", "-d", "-s", "e2e", "-x", "\(width)", "-y", "\(height)", shell])
    }

    /// Runs tmux with posix_spawn and waitpid rather than Foundation's Process: the tmux server
    /// forks off and outlives the call, and it must start with a clean signal mask and none of
    /// our pipes, or it hangs (seen under the test runner).
    @discardableResult
    func run(_ arguments: [String]) throws -> String {
        let output = NSTemporaryDirectory() + "\(socket)-\(UInt32.random(in: 0...UInt32.max)).out"
        defer { unlink(output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        var all = sigset_t()
        sigemptyset(&empty)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = [tmux, "-L", socket] + arguments
        let environment = ["PATH=/usr/bin:/bin", "TERM=xterm-256color", "LANG=C.UTF-8"]
        var cArgv: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        var cEnv: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer { for pointer in cArgv + cEnv { free(pointer) } }
        var pid = pid_t()
        guard posix_spawn(&pid, tmux, &actions, &attributes, &cArgv, &cEnv) == 0 else {
            throw TmuxError(message: "cannot start tmux")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw TmuxError(message: "tmux \(arguments.joined(separator: " ")) failed (\(status))")
        }
        return text
    }

    /// Sends keys (tmux key names, or literal text with `literal`).
    func send(_ keys: String..., literal: Bool = false) throws {
        try run(["send-keys", "-t", "e2e"] + (literal ? ["-l"] : []) + keys)
    }

    func screen() throws -> String { try run(["capture-pane", "-p", "-t", "e2e"]) }

    /// Polls the pane until `predicate` holds; fails with the last screen after `timeout` seconds.
    @discardableResult
    func waitFor(_ what: String, timeout: Double = 20, _ predicate: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if predicate(last) { return last }
            usleep(50_000)
        }
        throw TmuxError(message: "timed out waiting for \(what); the screen was:\n\(last)")
    }

    func waitFor(text: String, timeout: Double = 20) throws {
        try waitFor("“\(text)”", timeout: timeout) { $0.contains(text) }
    }

    func alternateScreenOn() throws -> Bool {
        try run(["display-message", "-p", "-t", "e2e", "#{alternate_on}"]).trimmingCharacters(
            in: .whitespacesAndNewlines) == "1"
    }

    deinit { _ = try? run(["kill-server"]) }
}

struct TmuxError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

@Suite(.serialized) struct EndToEndTests {
    /// A copy of the K562 sample in a fresh folder (removed by the caller), opened by the real
    /// binary in a 100 × 30 tmux session, once its first screen is drawn.
    private func openSampleInTmux() throws -> (TmuxSession, folder: String) {
        let binary = screenplanBinary()
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build screenplan first (swift build)")
        let folder = temporaryDirectory("screenplan-e2e")
        try FileManager.default.copyItem(
            atPath: sampleScreen("k562-essential-crispri.yaml"), toPath: folder + "/design.yaml")
        let tmux = try TmuxSession(tmux: tmuxPath!, width: 100, height: 30, home: folder)
        try tmux.waitFor(text: "PROMPT$")
        try tmux.send("cd \(folder) && \(binary) design.yaml", literal: true)
        try tmux.send("Enter")
        try tmux.waitFor(text: "1 Design")
        return (tmux, folder)
    }

    @Test(.enabled(if: tmuxPath != nil, "tmux is not installed"), .timeLimit(.minutes(2)))
    func editResizeSaveQuitInTheRealBinary() throws {
        let (tmux, folder) = try openSampleInTmux()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let design = folder + "/design.yaml"
        #expect(try tmux.alternateScreenOn())

        // Switch screens with the number keys and Tab.
        try tmux.send("2")
        try tmux.waitFor(text: "perturbations × 28 lanes")
        try tmux.send("Tab")
        try tmux.waitFor(text: "Error budget")
        try tmux.send("1")
        try tmux.waitFor(text: "Headline")

        // Edit batching.batches in place: search, Enter, clear, type, Enter.
        try tmux.send("/")
        try tmux.send("batching.batches", literal: true)
        try tmux.send("Enter")
        try tmux.waitFor(text: "/batching.batches")
        try tmux.send("Enter")
        try tmux.waitFor(text: "Enter accepts, Esc keeps the old value")
        try tmux.send("C-u")
        try tmux.send("32", literal: true)
        try tmux.send("Enter")
        try tmux.waitFor(text: "32 lanes")
        try tmux.waitFor(text: "design.yaml [+]")
        // The edit is autosaved to the side file before any save.
        #expect(FileManager.default.fileExists(atPath: folder + "/.design.yaml.screenplan-autosave"))

        // Resize below the minimum, then back.
        try tmux.run(["resize-window", "-t", "e2e", "-x", "70", "-y", "20"])
        try tmux.waitFor(text: "terminal too small")
        try tmux.run(["resize-window", "-t", "e2e", "-x", "120", "-y", "40"])
        try tmux.waitFor("the design screen at 120×40") { $0.contains("32 lanes") && !$0.contains("too small") }

        // Save, quit, and find the shell again.
        try tmux.send("s")
        try tmux.waitFor(text: "saved design.yaml")
        try tmux.send("q")
        try tmux.waitFor("the shell prompt after quitting") { screen in
            screen.split(separator: "\n").last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }?.hasPrefix(
                "PROMPT$") == true
        }
        #expect(try tmux.alternateScreenOn() == false)
        try tmux.send("echo EXIT=$?", literal: true)
        try tmux.send("Enter")
        try tmux.waitFor(text: "EXIT=0")

        let saved = try String(contentsOfFile: design, encoding: .utf8)
        #expect(saved.contains("batches: 32"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/.design.yaml.screenplan-autosave"))
    }

    @Test(.enabled(if: tmuxPath != nil, "tmux is not installed"), .timeLimit(.minutes(2)))
    func interruptRestoresTheTerminalAndTheEditIsOfferedBack() throws {
        let (tmux, folder) = try openSampleInTmux()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let design = folder + "/design.yaml"
        try tmux.send(":set batching.batches 30", literal: true)
        try tmux.send("Enter")
        try tmux.waitFor(text: "30 lanes")

        // Ctrl-C: the terminal comes back, the process says it was interrupted.
        try tmux.send("C-c")
        try tmux.waitFor("the shell prompt after Ctrl-C") { _ in (try? tmux.alternateScreenOn()) == false }
        try tmux.send("echo EXIT=$?", literal: true)
        try tmux.send("Enter")
        try tmux.waitFor(text: "EXIT=130")

        // The next start offers the edit back.
        try tmux.send("\(screenplanBinary()) design.yaml", literal: true)
        try tmux.send("Enter")
        try tmux.waitFor(text: "Unsaved edits found")
        try tmux.send("r")
        try tmux.waitFor(text: "30 lanes")
        try tmux.send(":q!", literal: true)
        try tmux.send("Enter")
        try tmux.waitFor("the shell prompt") { _ in (try? tmux.alternateScreenOn()) == false }
        #expect(try String(contentsOfFile: design, encoding: .utf8).contains("batches: 28"))
    }

    /// Ctrl-\ (SIGQUIT) is handled like SIGTERM: the terminal is restored, no Swift backtrace
    /// is drawn, the exit status is 128 + 3 and the autosaved edit is offered back (issue 17).
    @Test(.enabled(if: tmuxPath != nil, "tmux is not installed"), .timeLimit(.minutes(2)))
    func quitSignalRestoresTheTerminalWithoutABacktrace() throws {
        let (tmux, folder) = try openSampleInTmux()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try tmux.send(":set batching.batches 29", literal: true)
        try tmux.send("Enter")
        try tmux.waitFor(text: "29 lanes")
        try tmux.send("C-\\")
        try tmux.waitFor("the shell prompt after Ctrl-\\") { _ in (try? tmux.alternateScreenOn()) == false }
        try tmux.send("echo EXIT=$?", literal: true)
        try tmux.send("Enter")
        try tmux.waitFor(text: "EXIT=131")
        let screen = try tmux.screen()
        #expect(!screen.contains("Backtrace") && !screen.contains("Crash"), "\(screen)")
        try tmux.send("\(screenplanBinary()) design.yaml", literal: true)
        try tmux.send("Enter")
        try tmux.waitFor(text: "Unsaved edits found")
        try tmux.send("d")
        try tmux.send(":q!", literal: true)
        try tmux.send("Enter")
        try tmux.waitFor("the shell prompt") { _ in (try? tmux.alternateScreenOn()) == false }
    }

    @Test(.enabled(if: tmuxPath != nil, "tmux is not installed"), .timeLimit(.minutes(2)))
    func nudgePinCompareAndExportInTheRealBinary() throws {
        let (tmux, folder) = try openSampleInTmux()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // The analysis is in; pin the design as written, then nudge cells per perturbation.
        try tmux.waitFor(text: "median power   0.")
        try tmux.send("P")
        try tmux.waitFor(text: "pinned this design as pin 1")
        try tmux.send("+")
        try tmux.waitFor(text: "sampling.cells_per_perturbation = 160")
        try tmux.waitFor("the Plan row at 160") { $0.contains("cells / perturbation") && $0.contains(" 160 ") }
        // Compare the pin with the nudged design: the difference in cells is listed.
        try tmux.send("4")
        try tmux.send("d")
        try tmux.waitFor(text: "Compare designs")
        try tmux.waitFor(text: "150 (-10)")
        try tmux.waitFor(text: "sampling.cells_per_perturbation")
        // Export the design YAML.
        try tmux.send("6")
        try tmux.send("Enter")
        try tmux.waitFor(text: "wrote design (YAML)")
        try tmux.send(":q!", literal: true)
        try tmux.send("Enter")
        try tmux.waitFor("the shell prompt") { _ in (try? tmux.alternateScreenOn()) == false }
        let exported = try String(contentsOfFile: folder + "/design-export.yaml", encoding: .utf8)
        #expect(exported.contains("cells_per_perturbation: 160"))
    }

    /// A small screen, simulated in a second or two even by a debug build.
    private static let smallScreen = """
        name: small screen
        system:
          genes: 80
          network: {seed: 5, regulators: 15, mean_in_degree: 2}
          time_step_h: 1.0
        perturbations: {targets: 6, moi: 0.2}
        protocol:
          - {medium: growth, perturb: false, duration_h: 12}
          - {medium: growth, perturb: true, duration_h: 48}
        sampling: {cells_per_perturbation: 60, control_cells: 60}
        measurement: {measured_genes: 100, mrna_per_cell: 20000, reads_per_cell: 50000}
        batching: {batches: 2}
        """

    @Test(.enabled(if: tmuxPath != nil, "tmux is not installed"), .timeLimit(.minutes(3)))
    func simulateCancelAndWriteTheCountsInTheRealBinary() throws {
        let binary = screenplanBinary()
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build screenplan first (swift build)")
        // Cancel: the K562 sample's simulation (minutes long) stops within 1 s of Esc, measured
        // from the key to the screen saying so.
        let (tmux, folder) = try openSampleInTmux()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try tmux.send("5")
        try tmux.waitFor(text: "Enter starts the selected run")
        try tmux.send("Enter")
        try tmux.waitFor("the simulation's blocks under way", timeout: 60) {
            $0.contains("simulating") && $0.contains("running")
        }
        Thread.sleep(forTimeInterval: 1)  // inside the first blocks (seconds each)
        let pressed = Date()
        try tmux.send("Escape")
        try tmux.waitFor("the run cancelled", timeout: 10) { $0.contains("simulate cancelled") }
        let latency = Date().timeIntervalSince(pressed)
        #expect(latency < 1.0, "cancelled \(latency) s after Esc")
        try tmux.send(":q!", literal: true)
        try tmux.send("Enter")
        try tmux.waitFor("the shell prompt") { _ in (try? tmux.alternateScreenOn()) == false }

        // Write: a small screen simulated, then `w` writes its counts (10x, then h5ad with Tab);
        // writing again over the same folder asks first.
        try Self.smallScreen.write(toFile: folder + "/small.yaml", atomically: true, encoding: .utf8)
        try tmux.send("clear && \(binary) small.yaml", literal: true)
        try tmux.send("Enter")
        try tmux.waitFor(text: "1 Design")
        try tmux.send("5")
        try tmux.send("Enter")
        try tmux.waitFor("the simulation finished", timeout: 60) { $0.contains("simulate finished") }
        try tmux.send("w")
        try tmux.waitFor(text: "write 10x (matrix.mtx.gz …) (Tab format) to: small-counts")
        try tmux.send("Enter")
        try tmux.waitFor("the counts written", timeout: 60) {
            $0.contains("to small-counts  finished") && $0.contains("non-zero counts")
        }
        #expect(FileManager.default.fileExists(atPath: folder + "/small-counts/matrix.mtx.gz"))
        try tmux.send("w")
        try tmux.send("Enter")
        try tmux.waitFor(text: "small-counts exists: w and Enter again")
        try tmux.send("w")
        try tmux.send("Tab")
        try tmux.waitFor(text: "write h5ad (Tab format) to: small-counts-h5ad")
        try tmux.send("Enter")
        try tmux.waitFor("the h5ad written", timeout: 60) {
            $0.contains("small-counts-h5ad  finished") && $0.contains("h5ad (simulation.h5ad")
        }
        #expect(FileManager.default.fileExists(atPath: folder + "/small-counts-h5ad/simulation.h5ad"))
        try tmux.send(":q!", literal: true)
        try tmux.send("Enter")
        try tmux.waitFor("the shell prompt") { _ in (try? tmux.alternateScreenOn()) == false }
    }
}
