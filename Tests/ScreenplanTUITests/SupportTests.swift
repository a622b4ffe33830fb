import Foundation
import ScreenplanBenchmarks
import ScreenplanCore
import ScreenplanTUI
import TestSupport
import Testing

// MARK: - Capabilities, the autosave side file, the engine's design-only layouts, the benchmark

@Suite struct CapabilityTests {
    @Test func codesetAndNoColorDecideGlyphsAndColour() {
        #expect(
            Capabilities.detect(codeset: "UTF-8", environment: [:], terminalHasColors: true)
                == Capabilities(unicode: true, color: true))
        #expect(
            Capabilities.detect(codeset: "ANSI_X3.4-1968", environment: [:], terminalHasColors: true).unicode == false)
        #expect(
            Capabilities.detect(codeset: "utf8", environment: ["NO_COLOR": "1"], terminalHasColors: true)
                == Capabilities(unicode: true, color: false))
        // An empty NO_COLOR does not count (no-color.org).
        #expect(Capabilities.detect(codeset: "UTF-8", environment: ["NO_COLOR": ""], terminalHasColors: true).color)
        #expect(!Capabilities.detect(codeset: "UTF-8", environment: [:], terminalHasColors: false).color)
    }
}

@Suite struct AutosaveTests {
    @Test func sideFileLivesNextToTheDesignOrUnderXDGState() {
        let file = DesignDocument(design: Design(), path: "/data/screens/k562.yaml", displayName: "k562.yaml")
        #expect(Autosave.path(for: file, environment: [:]) == "/data/screens/.k562.yaml.screenplan-autosave")
        let embedded = DesignDocument(design: Design(), path: nil, displayName: "default.yaml")
        #expect(
            Autosave.path(for: embedded, environment: ["XDG_STATE_HOME": "/state", "HOME": "/home/u"])
                == "/state/screenplan/default.yaml.screenplan-autosave")
        #expect(
            Autosave.path(for: embedded, environment: ["HOME": "/home/u"])
                == "/home/u/.local/state/screenplan/default.yaml.screenplan-autosave")
    }

    @Test func writeLoadRemoveRoundTrip() throws {
        let folder = temporaryDirectory("screenplan-autosave")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var design = defaultDocument().design
        design.batching.batches = 31
        let path = folder + "/state/screenplan/x.screenplan-autosave"
        try Autosave.write(design, to: path)
        #expect(Autosave.load(path: path, baseDirectory: design.baseDirectory) == design)
        Autosave.remove(path: path)
        #expect(Autosave.load(path: path, baseDirectory: ".") == nil)
    }
}

@Suite struct DesignLayoutTests {
    @Test func pooledSpreadsEveryPerturbationOverEveryBatchAndKeepsBatchesBalanced() throws {
        let design = defaultDocument().design
        let grid = try LayoutGrid.fromDesign(design)
        #expect(grid.perturbations.count == 2000 && grid.batches.count == 28)
        #expect(grid.cells.allSatisfy { $0.reduce(0, +) == 150 && $0.allSatisfy { $0 == 5 || $0 == 6 } })
        #expect(grid.controls.reduce(0, +) == design.controlCells)
        let stats = LayoutStats(grid)
        // Rotating the remainder keeps batch totals within one or two cells of each other.
        #expect(stats.maxCellsPerBatch - stats.minCellsPerBatch <= 2)
    }

    @Test func strategiesPlacePerturbationsAsDocumented() throws {
        var design = try defaultDocument().design.setting("batching.layout", to: "sub-libraries")
        var stats = LayoutStats(try LayoutGrid.fromDesign(design))
        #expect(stats.minBatchesPerPerturbation == 2 && stats.medianBatchesPerPerturbation == 2)
        design = try design.setting("batching.layout", to: "confounded")
        stats = LayoutStats(try LayoutGrid.fromDesign(design))
        #expect(stats.singleBatchPerturbations == 2000)
        design = try design.setting("batching.controls_in_fraction", to: "0.5")
        #expect(try LayoutGrid.fromDesign(design).controls.filter { $0 > 0 }.count == 14)
    }

    @Test func designOnlyEngineSaysTheAnalysisIsMissing() {
        let e = Engine.designOnly.evaluate(defaultDocument().design, generation: 0)
        #expect(e.analysis == nil && e.analysisNote == "analysis not available in this build")
        #expect(e.powerVsCells.isEmpty && e.layout != nil)
        #expect(e.comparison.count == LayoutStrategy.allCases.count)
        #expect(e.comparison.first { $0.strategy == .explicit }?.refused != nil)
    }
}

@Suite struct BenchmarkTests {
    /// The budget is 16 ms per keystroke on the default design; a debug build on a shared machine
    /// measures well under 1 ms, so this bound only fails on a real regression.
    /// The render benchmark `tui --bench` and `bench --design` report replays every keystroke and
    /// times each frame (the budgets themselves are the benchmark's, not a unit test's).
    @Test func renderBenchmarkReplaysEveryKeystroke() {
        let result = benchmarkRender(
            document: defaultDocument(), engine: fixtureEngine, width: 160, height: 48,
            keystrokes: 120)
        #expect(result.keystrokes == 120)
        #expect(result.firstFrameMs.isFinite && result.firstFrameMs > 0)
        #expect(result.keystrokeMs.isFinite && result.keystrokeMs > 0)
        #expect(result.keystrokeMaxMs >= result.keystrokeP95Ms && result.keystrokeP95Ms > 0)
    }
}

@Suite struct BufferTests {
    @Test func controlCharactersNeverReachACell() {
        var buffer = ScreenplanTUI.Buffer(width: 10, height: 1)
        buffer.put("a\nb\tc\u{1b}d", x: 0, y: 0)
        // Shown escaped, as on stderr (TerminalText), clipped to the buffer.
        #expect(buffer.lines == ["a\\nb\\tc\\ed"])
    }
}
