import ScreenplanCore
import ScreenplanTUI
import TestSupport
import Testing

// MARK: - The update function: editing, undo/redo, recommendations, quitting, commands

/// Moves the design-tree cursor to `path` through the `/` search.
func goTo(_ path: String, _ state: AppState) -> AppState {
    var s = press(state, [.character("/")] + typing(path) + [.enter]).0
    // The search matches substrings; step on until the exact path is selected.
    for _ in 0..<s.rows.count where s.rows[s.designScreen.tree.cursor].path != path {
        s = press(s, [.character("n")]).0
    }
    return s
}

@Suite struct EditingTests {
    @Test func enterEditsInPlaceAndAcceptsAValidValue() {
        var s = goTo("batching.batches", evaluatedState())
        #expect(s.rows[s.designScreen.tree.cursor].path == "batching.batches")
        s = press(s, [.enter]).0
        #expect(s.input == InputLine(kind: .value(path: "batching.batches"), text: "28"))
        let (next, effects) = press(s, [.backspace, .backspace] + typing("32") + [.enter])
        #expect(next.input == nil)
        #expect(next.design.batching.batches == 32)
        #expect(next.dirty)
        #expect(next.undoStack.count == 1)
        #expect(effects.contains(.evaluate(design: next.design, generation: next.generation)))
        #expect(effects.contains(.autosave(design: next.design, path: "/tmp/screenplan-test.autosave")))
        // The cached rows follow the design.
        #expect(next.rows.first { $0.path == "batching.batches" }?.value == "32")
        #expect(render(next).text.contains("32 lanes"))
    }

    @Test func refusedValueKeepsTheOldOneAndSaysWhy() {
        var s = goTo("batching.batches", evaluatedState())
        let before = s.design
        let (refused, effects) = press(s, [.enter, .control("u")] + typing("0") + [.enter])
        #expect(effects.isEmpty)
        #expect(refused.design == before)
        #expect(refused.input?.error?.contains("batching.batches") == true)
        #expect(refused.statusIsError)
        // Esc closes the editor and keeps the old value.
        s = press(refused, [.escape]).0
        #expect(s.input == nil)
        #expect(s.design == before)
        #expect(!s.dirty)
    }

    @Test func notANumberIsRefused() {
        let s = press(
            goTo("sampling.cells_per_perturbation", evaluatedState()),
            [.enter, .control("u")] + typing("lots") + [.enter]
        ).0
        #expect(s.input?.error != nil)
        #expect(s.design.sampling.cellsPerPerturbation == 150)
    }

    @Test func sectionsAreNotEditable() {
        let s = press(goTo("batching", evaluatedState()), [.enter]).0
        #expect(s.input == nil)
        #expect(s.status.contains("section"))
    }

    @Test func undoAndRedoWalkTheHistory() {
        var s = evaluatedState()
        s = press(s, [.character(":")] + typing("set batching.batches 30") + [.enter]).0
        s = press(s, [.character(":")] + typing("set sampling.cells_per_perturbation 160") + [.enter]).0
        #expect(s.design.batching.batches == 30 && s.design.sampling.cellsPerPerturbation == 160)
        s = press(s, [.character("u")]).0
        #expect(s.design.sampling.cellsPerPerturbation == 150 && s.design.batching.batches == 30)
        s = press(s, [.character("u")]).0
        #expect(s.design == defaultDocument().design)
        #expect(!s.dirty)
        let (again, effects) = press(s, [.character("u")])
        #expect(again.status == "nothing to undo" && effects.isEmpty)
        s = press(s, [.control("r"), .control("r")]).0
        #expect(s.design.sampling.cellsPerPerturbation == 160 && s.design.batching.batches == 30)
        // A new edit clears the redo history.
        s = press(s, [.character("u"), .character(":")] + typing("set batching.batches 29") + [.enter]).0
        #expect(s.redoStack.isEmpty)
    }

    @Test func searchFindsFieldsAndWraps() {
        var s = press(evaluatedState(), [.character("/")] + typing("mrna") + [.enter]).0
        #expect(s.rows[s.designScreen.tree.cursor].path == "measurement.mrna_per_cell")
        s = press(s, [.character("/")] + typing("no-such-field") + [.enter]).0
        #expect(s.statusIsError)
    }
}

@Suite struct RecommendationTests {
    @Test func enterAppliesARecommendationAndUUndoesIt() {
        let s = evaluatedState(.analysis)
        let (applied, effects) = press(s, [.enter])
        #expect(applied.design.sampling.cellsPerPerturbation == 160)
        #expect(applied.analysisScreen.appliedRecommendations == ["more-cells"])
        #expect(effects.contains(.evaluate(design: applied.design, generation: applied.generation)))
        let undone = press(applied, [.character("u")]).0
        #expect(undone.design == s.design)
    }

    @Test func aRecommendationWithSeveralChangesIsOneStep() {
        let s = press(evaluatedState(.analysis), [.down, .enter]).0
        #expect(s.design.batching.batches == 32 && s.design.batching.maxCellsPerBatch == 12000)
        #expect(s.undoStack.count == 1)
    }

    @Test func adviceOnlyIsNotApplied() {
        let s = press(evaluatedState(.analysis), [.down, .down, .enter]).0
        #expect(s.design == defaultDocument().design)
        #expect(s.statusIsError)
    }

    @Test func aChangeTheDesignRefusesAppliesNothing() {
        var s = evaluatedState(.analysis)
        var analysis = s.evaluation!.analysis!
        analysis.recommendations = [
            Recommendation(
                id: "bad", message: "bad",
                change: [
                    FieldChange(path: "sampling.cells_per_perturbation", value: "300"),
                    FieldChange(path: "batching.batches", value: "-1"),
                ])
        ]
        s.evaluation!.analysis = analysis
        let (next, effects) = press(s, [.enter])
        #expect(next.design == s.design && effects.isEmpty)
        #expect(next.status.contains("cannot apply bad"))
    }
}

@Suite struct QuitAndSaveTests {
    @Test func quitWithoutChangesQuits() {
        #expect(press(evaluatedState(), [.character("q")]).1 == [.quit])
    }

    @Test func quitWithUnsavedChangesAsks() {
        var s = press(evaluatedState(), [.character(":")] + typing("set batching.batches 30") + [.enter]).0
        var (asking, effects) = press(s, [.character("q")])
        #expect(asking.confirmingQuit && effects.isEmpty)
        #expect(render(asking).text.contains("unsaved changes: quit anyway? y/n"))
        (s, effects) = press(asking, [.character("n")])
        #expect(!s.confirmingQuit && effects.isEmpty && s.design.batching.batches == 30)
        (asking, effects) = press(s, [.character("q"), .character("y")])
        #expect(effects == [.quit])
    }

    @Test func saveWritesToTheFileOrAsksForAPath() {
        var s = evaluatedState()
        s = press(s, [.character(":")] + typing("set batching.batches 30") + [.enter]).0
        let (asking, none) = press(s, [.character("s")])
        #expect(none.isEmpty)
        #expect(asking.input == InputLine(kind: .command, text: "w "))
        let (_, effects) = press(asking, typing("/tmp/d.yaml") + [.enter])
        #expect(effects == [.save(design: s.design, path: "/tmp/d.yaml")])
        let saved = update(s, .saved(path: "/tmp/d.yaml", design: s.design)).0
        #expect(!saved.dirty && saved.document.path == "/tmp/d.yaml")
        #expect(press(saved, [.character("s")]).1 == [.save(design: s.design, path: "/tmp/d.yaml")])
    }

    @Test func writeQuitQuitsOnlyAfterTheSave() {
        var s = evaluatedState()
        s.document.path = "/tmp/d.yaml"
        s = press(s, [.character(":")] + typing("set batching.batches 30") + [.enter]).0
        let (waiting, effects) = press(s, [.character(":")] + typing("wq") + [.enter])
        #expect(effects == [.save(design: s.design, path: "/tmp/d.yaml")])
        #expect(update(waiting, .saved(path: "/tmp/d.yaml", design: s.design)).1 == [.quit])
        let failed = update(waiting, .saveFailed("disk full"))
        #expect(failed.1.isEmpty && failed.0.statusIsError)
    }

    @Test func forcedQuitDoesNotAsk() {
        let s = press(evaluatedState(), [.character(":")] + typing("set batching.batches 30") + [.enter]).0
        #expect(press(s, [.character(":")] + typing("q!") + [.enter]).1 == [.quit])
    }
}

@Suite struct CommandAndScreenTests {
    @Test func layoutCommandAndKeysSwitchStrategy() {
        var s = press(evaluatedState(), [.character(":")] + typing("layout sub-libraries") + [.enter]).0
        #expect(s.design.batching.layout == .subLibraries)
        s = press(s, [.character(":")] + typing("layout nonsense") + [.enter]).0
        #expect(s.design.batching.layout == .subLibraries && s.statusIsError)
        s.screen = .layout
        s = press(s, [.character("]")]).0
        #expect(s.design.batching.layout == .confounded)
        s = press(s, [.character("["), .character("[")]).0
        #expect(s.design.batching.layout == .pooled)
        // explicit needs explicit_cells: going back from pooled skips it.
        s = press(s, [.character("[")]).0
        #expect(s.design.batching.layout == .perTimePoint)
    }

    @Test func unknownCommandSaysSo() {
        let s = press(evaluatedState(), [.character(":")] + typing("frobnicate") + [.enter]).0
        #expect(s.statusIsError && s.status.contains("frobnicate"))
    }

    @Test func screensByNumberTabAndClick() {
        var s = evaluatedState()
        s = press(s, [.character("3")]).0
        #expect(s.screen == .analysis)
        s = press(s, [.tab, .tab, .tab, .tab]).0
        #expect(s.screen == .design)
        s = press(s, [.backTab]).0
        #expect(s.screen == .export)
        let layoutTab = locate(" 2 Layout ", in: render(s))!
        s = update(s, .click(x: layoutTab.x + 2, y: 0)).0
        #expect(s.screen == .layout)
        s = update(s, .click(x: 3, y: 6)).0
        #expect(s.layoutScreen.rows.cursor == 2)
    }

    @Test func layoutScrollsThroughThousandsOfPerturbations() {
        var s = press(evaluatedState(.layout), [.end]).0
        #expect(s.layoutScreen.rows.cursor == 1999)
        #expect(render(s).text.contains("G2000"))
        s = press(s, [.pageUp]).0
        #expect(
            s.layoutScreen.rows.cursor < 1999 && render(s).text.contains("G\(String(s.layoutScreen.rows.cursor + 1))"))
    }

    @Test func clickSelectsATreeRow() {
        let s = update(evaluatedState(), .click(x: 4, y: 6)).0
        #expect(s.designScreen.tree.cursor == 4)
    }

    @Test func everyBindingReachesItsAction() {
        for screen in Screen.allCases {
            for binding in bindings(for: screen) {
                for key in binding.keys {
                    let found = action(for: key, on: screen)
                    if case .goTo = binding.action { continue }
                    // A screen key may shadow a global one (Esc on Simulate); never the other way.
                    let owner = bindings(for: screen).first { $0.keys.contains(key) }!
                    #expect(found == owner.action)
                }
            }
        }
    }

    @Test func staleEvaluationsAreDropped() {
        var s = evaluatedState()
        let old = fixtureEngine.evaluate(s.design, generation: s.generation)
        s = press(s, [.character(":")] + typing("set batching.batches 30") + [.enter]).0
        let fresh = fixtureEngine.evaluate(s.design, generation: s.generation)
        s = update(s, .evaluated(fresh)).0
        s = update(s, .evaluated(old)).0
        #expect(s.evaluation == fresh)
    }

    @Test func recoveryRecoversOrDiscards() {
        var changed = defaultDocument().design
        changed.batching.batches = 30
        let s = AppState(document: defaultDocument(), autosavePath: "/tmp/a", recovery: changed)
        let (recovered, effects) = press(s, [.character("r")])
        #expect(recovered.design == changed && recovered.dirty && recovered.recovery == nil)
        #expect(effects.contains(.autosave(design: changed, path: "/tmp/a")))
        #expect(press(recovered, [.character("u")]).0.design == defaultDocument().design)
        let (discarded, removal) = press(s, [.character("d")])
        #expect(discarded.design == defaultDocument().design && removal == [.removeAutosave(path: "/tmp/a")])
        // An autosave equal to the file is not offered.
        #expect(AppState(document: defaultDocument(), recovery: defaultDocument().design).recovery == nil)
    }
}

@Suite struct LongWorkTests {
    @Test func simulateStartsReportsAndCancels() {
        var (s, effects) = press(evaluatedState(.simulate), [.enter])
        #expect(effects == [.startJob(id: 1, job: 0, design: s.design)])
        s = update(s, .jobProgress(id: 1, fraction: 0.5, eta: 3, message: "half")).0
        #expect(s.simulateScreen.job?.fraction == 0.5)
        // A second start while running is refused.
        #expect(press(s, [.enter]).1.isEmpty)
        (s, effects) = press(s, [.escape])
        #expect(effects == [.cancelJob(id: 1)] && s.simulateScreen.job?.phase == .cancelling)
        s = update(s, .jobCancelled(id: 1)).0
        #expect(s.simulateScreen.job?.phase == .cancelled)
        (s, effects) = press(s, [.down, .enter])
        #expect(effects == [.startJob(id: 2, job: 1, design: s.design)])
        s = update(s, .jobFinished(id: 2, result: fixtureResult)).0
        #expect(s.simulateScreen.job?.phase == .finished(fixtureResult))
        #expect(render(s).text.contains("cells simulated"))
    }

    @Test func wWritesTheFinishedRunsCountsAskingPathAndFormat() {
        var s = evaluatedState(.simulate)
        // Nothing finished yet: refused, with what to do.
        var (t, effects) = press(s, [.character("w")])
        #expect(effects.isEmpty && t.statusIsError && t.input == nil && t.status.contains("run simulate first"))
        s = press(s, [.enter]).0
        s = update(s, .jobFinished(id: 1, result: fixtureResult)).0
        (t, effects) = press(s, [.character("w")])
        #expect(t.input?.kind == .runOutputPath && t.input?.text == "k562-essential-crispri-counts")
        #expect(render(t).text.contains("write 10x (Tab format) to: k562-essential-crispri-counts"))
        // Tab: the next format, and the default path follows it.
        t = press(t, [.tab]).0
        #expect(t.input?.text == "k562-essential-crispri-counts-h5ad" && render(t).text.contains("write h5ad"))
        (t, effects) = press(t, [.enter])
        #expect(
            effects == [
                .writeRun(id: 2, job: 0, design: t.design, format: 1, path: "k562-essential-crispri-counts-h5ad")
            ])
        #expect(
            t.simulateScreen.job?.isRunning == true
                && t.simulateScreen.job?.title == "write h5ad to k562-essential-crispri-counts-h5ad")
        // The write is a run like any other: progress, then Esc cancels it.
        (t, effects) = press(t, [.escape])
        #expect(effects == [.cancelJob(id: 2)])
        // A typed path is kept when the format changes.
        t = press(s, [.character("w"), .control("u")] + typing("/tmp/x") + [.tab]).0
        #expect(t.input?.text == "/tmp/x")
    }

    @Test func withoutJobsNothingStarts() {
        let (s, effects) = press(evaluatedState(.simulate, engine: .designOnly), [.enter])
        #expect(effects.isEmpty && s.statusIsError)
    }

    @Test func exportPicksFormatAndPath() {
        var (s, effects) = press(evaluatedState(.export), [.enter])
        #expect(effects == [.export(exporter: 0, design: s.design, path: "k562-essential-crispri.yaml")])
        s = press(s, [.character("p"), .control("u")] + typing("/tmp/out/report.yaml") + [.enter]).0
        s = press(s, [.down]).0
        #expect(s.effectiveExportPath == "/tmp/out/report.md")
        effects = press(s, [.enter]).1
        #expect(effects == [.export(exporter: 1, design: s.design, path: "/tmp/out/report.md")])
    }

    @Test func realJobRunsThroughTheEngineWithProgress() async throws {
        let reporter = ProgressReporter()
        let result = try await fixtureEngine.jobs[0].run(defaultDocument().design, reporter)
        #expect(result == fixtureResult)
        #expect(reporter.fraction > 0.9)
        let cancelled = ProgressReporter()
        cancelled.cancel()
        await #expect(throws: CancelledError.self) {
            try await fixtureEngine.jobs[0].run(defaultDocument().design, cancelled)
        }
    }
}

@Suite struct DesignComparisonTests {
    @Test func compareCommandLoadsAnotherDesignAndShowsTheDifferences() throws {
        var (s, effects) = press(evaluatedState(), [.character(":")] + typing("compare other.yaml") + [.enter])
        #expect(effects == [.loadComparison(path: "other.yaml")])
        #expect(s.screen == .compare)
        var other = try defaultDocument().design.setting("batching.batches", to: "32")
        other = try other.setting("sampling.cells_per_perturbation", to: "160")
        s = update(s, .comparisonLoaded(path: "other.yaml", design: other, summary: nil)).0
        #expect(s.compareScreen.showsDesigns)
        #expect(
            s.compareScreen.otherDesign?.differences.map(\.path) == [
                "sampling.cells_per_perturbation", "batching.batches",
            ])
        let text = render(s).text
        #expect(text.contains("2 fields differ"))
        #expect(text.contains("batching.batches"))
        let failure = checkSnapshot("compare-designs-80x24", text)
        #expect(failure == nil, Comment(rawValue: failure ?? ""))
        // d switches back to the layouts.
        s = press(s, [.character("d")]).0
        #expect(!s.compareScreen.showsDesigns && render(s).text.contains("Compare layouts"))
    }

    @Test func withoutAnotherDesignDSaysHow() {
        let s = press(evaluatedState(.compare), [.character("d")]).0
        #expect(s.statusIsError && s.status.contains(":compare PATH"))
    }
}
