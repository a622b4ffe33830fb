import ScreenplanCore
import ScreenplanTUI
import TestSupport
import Testing

// MARK: - Every screen as text at 80×24 and 160×48

@Suite struct ScreenSnapshotTests {
    static let sizes = [(80, 24), (160, 48)]

    @Test(arguments: Screen.allCases)
    func everyScreenAtBothSizes(_ screen: Screen) {
        for (w, h) in Self.sizes {
            var state = evaluatedState(screen, width: w, height: h)
            if screen == .simulate {
                state.simulateScreen.job = JobRun(
                    id: 1, job: 0, title: "simulate", fraction: 1, phase: .finished(fixtureResult))
            }
            let text = render(state).text
            let failure = checkSnapshot("\(screen.title.lowercased())-\(w)x\(h)", text)
            #expect(failure == nil, Comment(rawValue: failure ?? ""))
        }
    }

    @Test func withoutTheAnalysisTheAnalysisScreenSaysSo() {
        #expect(render(evaluatedState(.analysis, engine: .designOnly)).text.contains("analysis not available"))
    }

    @Test func helpOverlayListsEveryBindingOfTheScreen() {
        for screen in Screen.allCases {
            var state = evaluatedState(screen, width: 160, height: 48)
            state.showHelp = true
            let text = render(state).text
            for binding in bindings(for: screen) {
                #expect(text.contains(binding.help), "help of \(screen) lacks “\(binding.help)”")
            }
        }
        var state = evaluatedState(.design)
        state.showHelp = true
        let failure = checkSnapshot("help-design-80x24", render(state).text)
        #expect(failure == nil, Comment(rawValue: failure ?? ""))
    }

    @Test func keyBarComesFromTheBindingTable() {
        for screen in Screen.allCases {
            let bar = render(evaluatedState(screen, width: 160, height: 48)).lines[47]
            for binding in bindings(for: screen) {
                guard let label = binding.bar else { continue }
                #expect(bar.contains(label), "key bar of \(screen) lacks \(label)")
            }
        }
    }

    @Test func tooSmallSaysSoAtAnySizeBelow80x24() {
        for (w, h) in [(79, 24), (80, 23), (40, 10)] {
            let state = update(evaluatedState(), .resized(width: w, height: h)).0
            let buffer = render(state)
            #expect(buffer.text.contains("terminal too small"))
            #expect(buffer.text.contains("\(w)×\(h), need 80×24"))
        }
        let failure = checkSnapshot(
            "too-small-60x20", render(update(evaluatedState(), .resized(width: 60, height: 20)).0).text)
        #expect(failure == nil, Comment(rawValue: failure ?? ""))
    }

    @Test func asciiTerminalsGetOnlyASCII() {
        for screen in Screen.allCases {
            var state = evaluatedState(screen, width: 160, height: 48, unicode: false)
            if screen == .simulate {
                state.simulateScreen.job = JobRun(
                    id: 1, job: 0, title: "simulate", fraction: 1, phase: .finished(fixtureResult))
            }
            state.showHelp = screen == .design
            let text = render(state).text
            let ascii = text.unicodeScalars.allSatisfy { $0.isASCII }
            #expect(ascii, "non-ASCII on \(screen)")
        }
        let failure = checkSnapshot("ascii-analysis-80x24", render(evaluatedState(.analysis, unicode: false)).text)
        #expect(failure == nil, Comment(rawValue: failure ?? ""))
    }

    @Test func rolesByRectangle() {
        let design = render(evaluatedState(.design))
        // The tab bar is title-coloured with the current tab selected; the first Plan field
        // (under the Plan heading) is selected.
        #expect(roles(in: design, x: 0, y: 0, width: 12, height: 1) == [.title])
        let tab = locate(" 1 Design ", in: design)!
        #expect(roles(in: design, x: tab.x, y: 0, width: 10, height: 1) == [.selected])
        #expect(roles(in: design, x: 0, y: geometryTreeTop + 1, width: 20, height: 1) == [.selected])
        // The key bar is one role.
        #expect(roles(in: design, x: 0, y: 23, width: 80, height: 1) == [.keyHint])

        let analysis = render(evaluatedState(.analysis))
        // The largest error-budget share (55%) is drawn as a warning bar.
        let budget = locate("perturbed cells", in: analysis)!
        #expect(roles(in: analysis, x: 21, y: budget.y, width: 3, height: 1) == [.warning])

        var refused = evaluatedState(.design)
        refused =
            press(refused, [.down, .down, .down, .down, .down, .enter, .control("u")] + typing("-5") + [.enter]).0
        let buffer = render(refused)
        let reason = locate("refused:", in: buffer)!
        #expect(roles(in: buffer, x: reason.x, y: reason.y, width: 8, height: 1) == [.error])
    }

    @Test func refusedEditShowsTheReasonOnTheSpot() {
        var state = evaluatedState(.design)
        state =
            press(
                state,
                [.character("/")] + typing("batching.batches") + [.enter, .enter, .control("u")]
                    + typing("0") + [.enter]
            ).0
        let failure = checkSnapshot("design-refused-edit-80x24", render(state).text)
        #expect(failure == nil, Comment(rawValue: failure ?? ""))
    }

    @Test func recoveryPromptIsDrawn() {
        var changed = defaultDocument().design
        changed.batching.batches = 30
        let state = AppState(
            document: defaultDocument(), autosavePath: "/tmp/x/.k562.yaml.screenplan-autosave",
            recovery: changed)
        let failure = checkSnapshot("recovery-80x24", render(state).text)
        #expect(failure == nil, Comment(rawValue: failure ?? ""))
    }

    @Test func runningJobShowsProgressAndETA() {
        var state = evaluatedState(.simulate)
        state = press(state, [.enter]).0
        state = update(state, .jobProgress(id: 1, fraction: 0.42, eta: 75, message: "batch 9 of 20")).0
        let text = render(state).text
        #expect(text.contains("42%"))
        #expect(text.contains("ETA 1 min 15 s"))
        #expect(text.contains("batch 9 of 20"))
        let failure = checkSnapshot("simulate-running-80x24", text)
        #expect(failure == nil, Comment(rawValue: failure ?? ""))
    }
}

/// Row of the first design tree line (mirrors Geometry.treeTop, which is internal).
let geometryTreeTop = 2
