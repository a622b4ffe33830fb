import Foundation
import ScreenplanCore
import ScreenplanTUI
import TestSupport
import Testing

// MARK: - Issue 17 in the TUI: autosave that cannot be written, Export over an existing file

@Suite struct AutosaveFallbackTests {
    /// The design's folder refuses the side file (here a folder sits at its name, which fails for
    /// root too): the edit goes to $XDG_STATE_HOME/screenplan, the status line says so at once,
    /// recovery finds it there, and a save removes it.
    @Test func anUnwritableSideFileFallsBackToTheStateFolderAndSaysSo() throws {
        let folder = temporaryDirectory("screenplan-autosave")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let side = folder + "/.d.yaml.screenplan-autosave"
        try FileManager.default.createDirectory(atPath: side, withIntermediateDirectories: true)
        let environment = ["XDG_STATE_HOME": folder + "/state", "HOME": folder]
        let runner = EffectRunner(engine: .designOnly, autosavePath: side)
        runner.environment = environment
        var design = defaultDocument().design
        design.batching.batches = 31
        runner.carryOut(.autosave(design: design, path: side))
        let fallback = try #require(Autosave.fallbackPath(for: side, environment: environment))
        #expect(fallback.hasPrefix(folder + "/state/screenplan/"))
        #expect(FileManager.default.fileExists(atPath: fallback))
        let said = runner.messages()
        #expect(said.count == 1)
        guard case .autosaveProblem(let text)? = said.first else {
            Issue.record("no status-line message: \(said)")
            return
        }
        #expect(text.contains("cannot write \(side)") && text.contains(fallback))
        // Said once, not on every edit.
        runner.carryOut(.autosave(design: design, path: side))
        #expect(runner.messages().isEmpty)
        // The status line shows it as an error.
        let (shown, _) = update(AppState(document: defaultDocument()), .autosaveProblem(text))
        #expect(shown.status == text && shown.statusIsError)
        // Recovery on the next start looks in the state folder too.
        let recovered = Autosave.load(path: side, baseDirectory: folder, environment: environment)
        #expect(recovered?.batching.batches == 31)
        Autosave.remove(path: side, environment: environment)
        #expect(!FileManager.default.fileExists(atPath: fallback))
    }

    @Test func fallbackNamesKeepTwoFoldersApart() {
        let environment = ["XDG_STATE_HOME": "/state"]
        let a = Autosave.fallbackPath(for: "/a/x/.d.yaml.screenplan-autosave", environment: environment)
        let b = Autosave.fallbackPath(for: "/a/y/.d.yaml.screenplan-autosave", environment: environment)
        #expect(a != nil && a != b)
        #expect(Autosave.fallbackPath(for: "/state/screenplan/embedded.screenplan-autosave", environment: environment) == nil)
    }
}

@Suite struct ExportOverwriteTests {
    @Test func exportAsksBeforeReplacingAFile() async throws {
        let folder = temporaryDirectory("screenplan-export")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/r.md"
        try "my notes\n".write(toFile: path, atomically: true, encoding: .utf8)
        let runner = EffectRunner(engine: fixtureEngine, autosavePath: nil)
        runner.carryOut(.export(exporter: 1, design: defaultDocument().design, path: path))
        let asked = runner.messages()
        #expect(asked.contains { if case .exportFailed(let why) = $0 { why.contains("exists") } else { false } })
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "my notes\n")
        // The same export again replaces it.
        runner.carryOut(.export(exporter: 1, design: defaultDocument().design, path: path))
        let messages = await collect(runner) { if case .exported = $0 { return true } else { return false } }
        #expect(messages.last == .exported(path: path, format: "Markdown report"))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "# K562 essential CRISPRi\n")
    }
}
