import Foundation
import ScreenplanCore
import ScreenplanTUI
import TestSupport
import Testing

// MARK: - The TUI as a planning instrument: the Plan, nudges, whole refusals with their fix,
// honest recommendations, the per-perturbation table, saving in place, invalid files

/// The visible text of a screen with line breaks and runs of spaces folded to one space, so a
/// wrapped message can be looked for whole.
func folded(_ text: String) -> String {
    text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "│" }).joined(separator: " ")
}

@Suite struct PlanPanelTests {
    @Test func thePlanComesFirstAndTheCursorStartsOnCells() {
        let s = evaluatedState()
        let plan = s.rows.prefix(10).map(\.path)
        for path in [
            "sampling.cells_per_perturbation", "measurement.reads_per_cell", "batching.batches",
            "sampling.control_cells", "sampling.time_points_h", "perturbations.targets", "batching.layout",
        ] {
            #expect(plan.contains(path), "the Plan lacks \(path)")
        }
        #expect(s.rows[s.designScreen.tree.cursor].path == "sampling.cells_per_perturbation")
    }

    @Test func plusAndMinusNudgeAndReanalyse() {
        let s = evaluatedState()
        let (up, effects) = press(s, [.character("+")])
        #expect(up.design.sampling.cellsPerPerturbation == 160)
        #expect(effects.contains(.evaluate(design: up.design, generation: up.generation)))
        #expect(press(s, [.character("-")]).0.design.sampling.cellsPerPerturbation == 140)
        #expect(press(s, [.character("[")]).0.design.sampling.cellsPerPerturbation == 100)
        // Reads per cell move in steps of 1,000 and 10,000.
        let reads = goTo("measurement.reads_per_cell", s)
        #expect(press(reads, [.character("]")]).0.design.measurement.readsPerCell == 30000)
        // u undoes a nudge like any edit.
        #expect(press(up, [.character("u")]).0.design.sampling.cellsPerPerturbation == 150)
        // The layout row cycles strategies.
        let layout = goTo("batching.layout", s)
        #expect(press(layout, [.character("+")]).0.design.batching.layout != s.design.batching.layout)
    }

    @Test func onlySectionsThatApplyAreShownAndNullFieldsAreThere() throws {
        let invitro = evaluatedState()
        #expect(!invitro.rows.contains { $0.path.hasPrefix("system.differentiation") })
        #expect(!invitro.rows.contains { $0.path.hasPrefix("system.in_vivo") })
        #expect(invitro.rows.contains { $0.path == "sampling.controls_fraction" && $0.value == "null" })
        #expect(invitro.rows.contains { $0.path == "system.network.file" && $0.value == "null" })
        let neuron = AppState(document: try DesignDocument.open(path: sampleScreen("ipsc-neuron-crispri.yaml")))
        #expect(neuron.rows.contains { $0.path == "system.differentiation.lineages" })
        let liver = AppState(document: try DesignDocument.open(path: sampleScreen("liver-invivo-crispr.yaml")))
        #expect(liver.rows.contains { $0.path == "system.in_vivo.delivery_delay_h" })
        // A null field is found by search and can be set.
        var s = goTo("sampling.controls_fraction", invitro)
        #expect(s.rows[s.designScreen.tree.cursor].path == "sampling.controls_fraction")
        s = press(s, [.enter] + typing("0.05") + [.enter]).0
        #expect(s.design.sampling.controlsFraction == 0.05)
    }

    @Test func selectedPaneShowsUnitRangeDefaultAndSource() {
        let text = folded(render(evaluatedState(width: 160, height: 48)).text)
        #expect(text.contains("unit cells (per time point, after QC)"))
        #expect(text.contains("valid [1, 1000000]"))
        #expect(text.contains("default 150"))
        #expect(text.contains("source Replogle 2022"))
    }

    @Test func slashStartsWithAnEmptyQuery() {
        let s = press(evaluatedState(), [.character("/")] + typing("cells") + [.enter]).0
        let again = press(s, [.character("/")]).0
        #expect(again.input == InputLine(kind: .search, text: ""))
        let second = press(again, typing("batches") + [.enter]).0
        #expect(second.search == "batches")
    }

    @Test func setCompletesPathsWithTab() {
        var s = press(evaluatedState(), [.character(":")] + typing("set sampling.cells") + [.tab]).0
        #expect(s.input?.text == "set sampling.cells_per_perturbation ")
        s = press(s, typing("170") + [.enter]).0
        #expect(s.design.sampling.cellsPerPerturbation == 170)
        // Several matches: completed to their common prefix, and listed.
        let many = press(evaluatedState(), [.character(":")] + typing("set sampling.con") + [.tab]).0
        #expect(many.input?.text == "set sampling.control")
        #expect(many.status.contains("sampling.control_cells") && many.status.contains("sampling.controls_fraction"))
    }

    @Test func snapshotsOfThePlanAtBothSizes() {
        for (w, h) in [(80, 24), (160, 48)] {
            let s = goTo("batching.batches", evaluatedState(width: w, height: h))
            let failure = checkSnapshot("design-plan-batches-\(w)x\(h)", render(s).text)
            #expect(failure == nil, Comment(rawValue: failure ?? ""))
        }
    }
}

@Suite struct RefusalTests {
    /// Cells per perturbation the default design's 28 lanes cannot hold.
    static func refusedCells(width: Int, height: Int) -> AppState {
        press(evaluatedState(width: width, height: height), [.enter, .control("u")] + typing("400") + [.enter]).0
    }

    @Test func aRefusedEditShowsItsWholeMessageAndTheFix() throws {
        for (w, h) in [(80, 24), (160, 48)] {
            let s = Self.refusedCells(width: w, height: h)
            let message = try #require(s.input?.error)
            #expect(message.contains("use at least"))
            let text = folded(render(s).text)
            #expect(text.contains(folded(message)), "refusal cut at \(w)×\(h)")
            let fix = try #require(s.pendingFix)
            #expect(fix.summary.hasPrefix("raise batching.batches to "))
            #expect(text.contains("f: " + fix.summary))
            let failure = checkSnapshot("design-refused-capacity-\(w)x\(h)", render(s).text)
            #expect(failure == nil, Comment(rawValue: failure ?? ""))
        }
    }

    @Test func fTakesTheFixAsOneUndoableStep() throws {
        let s = Self.refusedCells(width: 80, height: 24)
        let (fixed, effects) = press(s, [.character("f")])
        #expect(fixed.input == nil)
        #expect(fixed.design.sampling.cellsPerPerturbation == 400)
        #expect(fixed.design.cellsLoaded <= fixed.design.batchCapacity)
        #expect(fixed.design.batching.batches > 28)
        #expect(effects.contains(.evaluate(design: fixed.design, generation: fixed.generation)))
        #expect(press(fixed, [.character("u")]).0.design == evaluatedState().design)
    }

    @Test func aNudgeRefusedForCapacityOffersTheFixToo() throws {
        var s = evaluatedState()
        s = press(s, [.character(":")] + typing("set sampling.cells_per_perturbation 170") + [.enter]).0
        #expect(s.design.sampling.cellsPerPerturbation == 170)
        s = press(s, [.character("]")]).0
        #expect(s.design.sampling.cellsPerPerturbation == 170)
        #expect(s.statusIsError)
        #expect(s.pendingFix != nil)
        #expect(press(s, [.character("f")]).0.design.sampling.cellsPerPerturbation == 200)
    }

    @Test func messagesKeepsEveryMessageWhole() throws {
        let s = Self.refusedCells(width: 80, height: 24)
        let message = try #require(s.input?.error)
        var shown = press(s, [.escape, .character(":")] + typing("messages") + [.enter]).0
        #expect(shown.showMessages)
        // Inside the box, the message is whole.
        let inside = render(shown).lines.compactMap { line -> String? in
            guard let a = line.firstIndex(of: "│"), let b = line.lastIndex(of: "│"), a < b else { return nil }
            return String(line[line.index(after: a)..<b])
        }.joined(separator: "\n")
        #expect(folded(inside).contains(folded(message)))
        shown = press(shown, [.character("x")]).0
        #expect(!shown.showMessages)
    }
}

@Suite struct HonestRecommendationTests {
    @Test func aRecommendationThatLowersPowerBelowTargetIsNeverPresentedAsMeetingIt() {
        var s = evaluatedState(.analysis)
        let lowering = s.recommendations.firstIndex { $0.effect?.lowersPowerBelowTarget == true }!
        s.analysisScreen.recommendation = lowering
        for (w, h) in [(80, 24), (160, 48)] {
            s = update(s, .resized(width: w, height: h)).0
            let text = render(s).text
            #expect(text.contains("LOWERS POWER BELOW the target 0.80"))
            #expect(!text.contains("reaches the target"))
            #expect(!text.contains("meets"))
            #expect(text.contains("0.70→0.65"))
            let failure = checkSnapshot("analysis-lowering-\(w)x\(h)", text)
            #expect(failure == nil, Comment(rawValue: failure ?? ""))
        }
    }

    @Test func noRecommendationsBelowTargetDoesNotSayTheTargetsAreMet() {
        let quiet = Engine(analyze: { design in
            var r = try fixtureEngine.analyze!(design)
            r.recommendations = []
            return r
        })
        let text = render(evaluatedState(.analysis, engine: quiet)).text
        #expect(!text.contains("meets"))
        #expect(text.contains("below the target"))
    }

    @Test func theSolversDesignsAreRecommendationsThatApplyWithEnter() {
        var s = evaluatedState(.analysis)
        let own = s.recommendations.count
        let reach = Recommendation(
            id: "reach-target-fewest-cells", message: "Reach the target power with more cells: 170 cells.",
            change: [FieldChange(path: "sampling.cells_per_perturbation", value: "170")],
            effect: RecommendationEffect(
                medianPowerBefore: 0.7, medianPowerAfter: 0.81, costBefore: 1, costAfter: 2,
                currency: "USD", targetPower: 0.8))
        // A result for an older generation is dropped.
        #expect(
            update(s, .targetsSolved(generation: s.generation + 1, recommendations: [reach])).0.recommendations.count
                == own)
        s = update(s, .targetsSolved(generation: s.generation, recommendations: [reach])).0
        #expect(s.recommendations.count == own + 1)
        // It is listed before the one that lowers power below the target.
        let index = s.recommendations.firstIndex { $0.id == "reach-target-fewest-cells" }!
        #expect(index < s.recommendations.firstIndex { $0.effect?.lowersPowerBelowTarget == true }!)
        s.analysisScreen.recommendation = index
        let applied = press(s, [.enter]).0
        #expect(applied.design.sampling.cellsPerPerturbation == 170)
        #expect(render(s).text.contains("reaches the target 0.80"))
    }
}

@Suite struct PerturbationTableTests {
    @Test func tableSortsByPowerThenByOtherColumns() {
        var s = press(evaluatedState(.analysis), [.character("t")]).0
        #expect(s.analysisScreen.showTable)
        let ascending = shownPowers(s)
        #expect(ascending.count == 5 && ascending == ascending.sorted())
        s = press(s, [.character("r")]).0
        let descending = shownPowers(s)
        #expect(descending == descending.sorted(by: >))
        #expect(descending.first! > ascending.first!)
        s = press(s, [.character("o")]).0
        #expect(s.analysisScreen.tableSort == .target)
        // Sampling power and the guide-effect probability (issue 12) sort like the others.
        s = press(s, Array(repeating: .character("o"), count: 5)).0
        #expect(s.analysisScreen.tableSort == .sampling && render(s).text.contains("by sampling power"))
        for (w, h) in [(80, 24), (160, 48)] {
            let sized = update(press(evaluatedState(.analysis), [.character("t")]).0, .resized(width: w, height: h)).0
            let text = render(sized).text
            #expect(text.contains("UMIs/ctrl") && text.contains("sampl guide"))
            let failure = checkSnapshot("analysis-table-\(w)x\(h)", text)
            #expect(failure == nil, Comment(rawValue: failure ?? ""))
        }
    }

    /// The power column of the first five table rows on screen.
    func shownPowers(_ s: AppState) -> [Double] {
        render(s).lines.dropFirst(4).prefix(5).compactMap { line in
            // The numbers are UMIs, cells, effect, sd, power, sampling power, guide-effect probability.
            line.split(separator: " ").compactMap { Double($0) }.dropLast(2).last
        }
    }
}

@Suite struct FileTests {
    func temporaryCopy(_ sample: String, folder name: String = UUID().uuidString) throws -> String {
        let folder = "/tmp/screenplan-tui-\(name)"
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/" + sample
        try FileManager.default.copyItem(atPath: sampleScreen(sample), toPath: path)
        return path
    }

    @Test func writeKeepsEveryCommentAndSpellsOutNothingNew() throws {
        let path = try temporaryCopy("k562-essential-crispri.yaml")
        let original = try String(contentsOfFile: path, encoding: .utf8)
        var s = AppState(document: try DesignDocument.open(path: path))
        s = press(s, [.character("+")]).0
        s = press(s, [.character(":")] + typing("set measurement.reads_per_cell 30000") + [.enter]).0
        s = press(s, [.character(":")] + typing("set sampling.control_cells 500") + [.enter]).0
        let (_, effects) = press(s, [.character(":"), .character("w"), .enter])
        let runner = EffectRunner(engine: .designOnly, autosavePath: nil)
        for effect in effects { runner.carryOut(effect) }
        let written = try String(contentsOfFile: path, encoding: .utf8)
        let comments = original.split(separator: "\n").filter { $0.contains("#") }
        #expect(!comments.isEmpty)
        for line in comments where !line.contains("cells_per_perturbation") && !line.contains("reads_per_cell") {
            #expect(written.contains(line), "lost: \(line)")
        }
        // The edited lines keep their comments too.
        #expect(written.contains("cells_per_perturbation: 160 # after QC"))
        // One field was added (control_cells, unset before); nothing else spelled out.
        #expect(written.split(separator: "\n").count == original.split(separator: "\n").count + 1)
        let reread = try DesignDocument.open(path: path).design
        #expect(reread.sampling.cellsPerPerturbation == 160)
        #expect(reread.sampling.controlCells == 500)
        #expect(reread.measurement.readsPerCell == 30000)
    }

    @Test func anInvalidDesignOpensWithItsProblemsListedAndJumpable() throws {
        // A fixed folder: the snapshot shows the file's path.
        let path = try temporaryCopy("k562-essential-crispri.yaml", folder: "problems")
        let text = try String(contentsOfFile: path, encoding: .utf8)
            .replacingOccurrences(of: "qc_pass_fraction: 0.8", with: "qc_pass_fraction: 7")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: DesignValidationError.self) { try DesignDocument.open(path: path) }
        let (document, issues) = try DesignDocument.openLeniently(path: path)
        #expect(issues.map(\.path) == ["sampling.qc_pass_fraction"])
        var s = AppState(document: document, width: 80, height: 24, issues: issues)
        #expect(s.rows[1].path == "!sampling.qc_pass_fraction")
        let line =
            1 + text.split(separator: "\n", omittingEmptySubsequences: false)
            .firstIndex { $0.contains("qc_pass_fraction") }!
        #expect(issues[0].location.line == line)
        #expect(render(s).text.contains("line \(line) sampling.qc_pass_fraction"))
        #expect(s.designScreen.tree.cursor == 1)
        let failure = checkSnapshot("design-problems-80x24", render(s).text)
        #expect(failure == nil, Comment(rawValue: failure ?? ""))
        s = press(s, [.enter]).0
        #expect(s.input?.kind == .value(path: "sampling.qc_pass_fraction"))
        s = press(s, [.control("u")] + typing("0.75") + [.enter]).0
        #expect(s.design.sampling.qcPassFraction == 0.75)
        #expect(s.issues.isEmpty)
    }

    @Test func editOpensAnotherFile() throws {
        let path = try temporaryCopy("liver-invivo-crispr.yaml")
        var s = evaluatedState()
        let (_, effects) = press(s, [.character(":")] + typing("e \(path)") + [.enter])
        #expect(effects == [.open(path: path)])
        let (document, issues) = try DesignDocument.openLeniently(path: path)
        s = update(s, .opened(document: document, issues: issues)).0
        #expect(s.document.path == path)
        #expect(s.rows.contains { $0.path.hasPrefix("system.in_vivo") })
        // Unsaved edits are not thrown away by :e.
        let dirty = press(s, [.character(":")] + typing("set analysis.target_power 0.9") + [.enter]).0
        #expect(dirty.dirty)
        #expect(press(dirty, [.character(":")] + typing("e \(path)") + [.enter]).1.isEmpty)
    }
}

@Suite struct PinTests {
    @Test func pinsAreComparedWithDeltasAndOneIsUsedWithEnter() {
        var s = evaluatedState()
        s = press(s, [.character("P")]).0
        #expect(s.compareScreen.pins.count == 1)
        s = press(s, [.character("+")]).0
        s = reevaluated(s)
        s = press(s, [.character("P"), .character("+")]).0
        s = reevaluated(s)
        #expect(s.compareScreen.pins.count == 2)
        s = press(s, [.character("4"), .character("d")]).0
        #expect(s.compareScreen.showsDesigns)
        for (w, h) in [(80, 24), (160, 48)] {
            let sized = update(s, .resized(width: w, height: h)).0
            let text = render(sized).text
            #expect(text.contains("pin 1") && text.contains("pin 2"))
            #expect(text.contains("150 (-20)"))
            let failure = checkSnapshot("compare-pins-\(w)x\(h)", text)
            #expect(failure == nil, Comment(rawValue: failure ?? ""))
        }
        // Enter uses the selected pin (the last one pinned); ← selects the first.
        s = press(s, [.left, .enter]).0
        #expect(s.design.sampling.cellsPerPerturbation == 150)
        #expect(press(s, [.character("u")]).0.design.sampling.cellsPerPerturbation == 170)
    }

    @Test func anOptimizerResultAppliesInOneKey() {
        var s = evaluatedState(.simulate)
        let result = JobResult(
            title: "optimize", changes: [FieldChange(path: "sampling.cells_per_perturbation", value: "170")])
        s.simulateScreen.job = JobRun(id: 1, job: 0, title: "optimize", fraction: 1, phase: .finished(result))
        let applied = press(s, [.character("a")]).0
        #expect(applied.design.sampling.cellsPerPerturbation == 170)
    }
}

@Suite struct JobSettingTests {
    @Test func monteCarloReplicatesAreEditedAndPassedToTheRun() async throws {
        let engine = Engine(jobs: [
            LongJob(
                title: "Monte Carlo", summary: "replicates",
                parameter: JobParameter(name: "replicates", defaultValue: 20, range: 2...1000, step: 5)
            ) { _, n, _ in
                JobResult(title: "ran \(n) replicates")
            }
        ])
        var s = evaluatedState(.simulate, engine: engine)
        #expect(render(s).text.contains("[20 replicates] replicates"))
        s = press(s, [.character("+"), .character("]")]).0
        #expect(s.jobParameter(0) == 75)
        s = press(s, [.character("["), .character("["), .character("[")]).0
        #expect(s.jobParameter(0) == 2)
        s = press(s, [.character("+")]).0
        let (_, effects) = press(s, [.enter])
        #expect(effects == [.startJob(id: 1, job: 0, design: s.design, parameter: 7)])
        let runner = EffectRunner(engine: engine, autosavePath: nil)
        for e in effects { runner.carryOut(e) }
        let messages = await collect(runner) { if case .jobFinished = $0 { return true } else { return false } }
        #expect(messages.contains(.jobFinished(id: 1, result: JobResult(title: "ran 7 replicates"))))
    }
}

// Issue 12: the downstream gene's power over cells × reads with the target-power contour.
@Suite struct DownstreamPanelTests {
    /// A grid as the engine returns it (decoded from the JSON the report writes).
    static let grid = try! JSONDecoder().decode(
        DownstreamPowerGrid.self,
        from: Data(
            """
            {"test": "glm", "umis_per_cell": 1.2, "effect_log2": -0.5, "level": 0.001, "target_power": 0.8,
             "cells_per_perturbation": [38, 75, 112, 150, 225, 300, 450, 600],
             "reads_per_cell": [6250, 12500, 25000, 50000, 100000],
             "power": [[0.01, 0.03, 0.06, 0.1, 0.2, 0.3, 0.5, 0.65],
                       [0.02, 0.05, 0.1, 0.17, 0.33, 0.48, 0.7, 0.84],
                       [0.03, 0.08, 0.16, 0.26, 0.47, 0.64, 0.85, 0.95],
                       [0.04, 0.11, 0.21, 0.33, 0.57, 0.74, 0.92, 0.98],
                       [0.05, 0.12, 0.24, 0.38, 0.62, 0.79, 0.94, 0.99]],
             "contour_cells": [null, 570, 410, 352, 304]}
            """.utf8))

    @Test func dAsksForTheGridAndDrawsItWithTheContour() {
        var (s, effects) = press(evaluatedState(.analysis), [.character("d")])
        #expect(
            s.analysisScreen.showDownstream && effects == [.downstreamPower(design: s.design, generation: s.generation)]
        )
        #expect(render(s).text.contains("computing"))
        s = update(s, .downstreamComputed(generation: s.generation, grid: Self.grid, note: nil)).0
        for (w, h) in [(80, 24), (160, 48)] {
            let sized = update(s, .resized(width: w, height: h)).0
            let text = render(sized).text
            #expect(text.contains("Downstream gene power") && text.contains("0.80 reached at"))
            #expect(text.contains("410 cells") && text.contains("not reached"))
            let failure = checkSnapshot("analysis-downstream-\(w)x\(h)", text)
            #expect(failure == nil, Comment(rawValue: failure ?? ""))
        }
        // Green where the target is reached, yellow where not.
        let buffer = render(s)
        let (x, y) = locate("0.84", in: buffer)!
        #expect(buffer[x, y].role == .good)
        let (x2, y2) = locate("0.65", in: buffer)!
        #expect(buffer[x2, y2].role == .warning)
        // An edit makes the grid stale: the next analysis asks again; an older answer is dropped.
        let edited = press(evaluatedState(.design), [.character("+")]).0
        var shown = edited
        shown.analysisScreen.showDownstream = true
        shown.analysisScreen.downstreamGeneration = 0
        var fresh = evaluation(of: shown.design, with: fixtureEngine)
        fresh.generation = shown.generation
        let next = update(shown, .evaluated(fresh))
        #expect(next.1.contains(.downstreamPower(design: shown.design, generation: shown.generation)))
        // d again: the plots.
        #expect(!press(s, [.character("d")]).0.analysisScreen.showDownstream)
    }
}
