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
        #expect(
            Autosave.fallbackPath(for: "/state/screenplan/embedded.screenplan-autosave", environment: environment)
                == nil)
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

// Issue 17: control characters and escape sequences from the design reach the screen escaped.
@Suite struct EscapingTests {
    /// Whether a scalar would act on the terminal rather than print.
    private func acts(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x20 || s.value == 0x7F || (0x80...0x9F).contains(s.value) || s.value == 0x2028 || s.value == 0x2029
    }

    @Test func aBufferNeverHoldsAControlCharacter() {
        var buffer = Buffer(width: 40, height: 2)
        buffer.put("G1\u{1B}[31mRED\nforged\u{9B}2J", x: 0, y: 0)
        #expect(buffer.lines[0] == "G1\\e[31mRED\\nforged\\x9B2J")
        #expect(buffer.lines[1].isEmpty)
    }

    @Test func aGeneNameWithEscapeAndNewlineCannotForgeALineOrAColour() {
        // A perturbation row and the design's name carrying ESC sequences and a newline that,
        // printed raw, would colour the screen red and start a fake diagnostic line.
        let evil = "G\u{1B}[31mX\nscreenplan: error: forged"
        var document = defaultDocument()
        document.design.name = evil
        var state = evaluatedState(.analysis, width: 160, height: 48, document: document)
        var evaluation = state.evaluation!
        evaluation.perturbations[0].name = evil
        evaluation.perturbations[0].target = evil
        evaluation.perturbations[0].power = 0  // weakest: on top of the table
        state = update(state, .evaluated(evaluation)).0
        state.analysisScreen.showTable = true
        let screens = [
            render(state),
            {
                var s = state
                s.screen = .design
                return render(s)
            }(),
        ]
        for buffer in screens {
            for y in 0..<buffer.height {
                for x in 0..<buffer.width {
                    #expect(!buffer[x, y].symbol.unicodeScalars.contains(where: acts), "raw control at \(x),\(y)")
                }
            }
            // No drawn line starts with the forged text: the newline is shown, not taken.
            #expect(!buffer.lines.contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("screenplan: error") })
        }
        #expect(screens[0].text.contains("G\\e[31mX\\"))
        #expect(screens[1].text.contains("G\\e[31mX\\nscreenplan"))
    }
}
