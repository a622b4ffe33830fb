import Foundation
import ScreenplanCommands
import ScreenplanCore
import ScreenplanTUI
import TestSupport
import Testing

// The engine `screenplan tui` runs on, in process: what each screen is given is what the core
// computes for the same design, and the simulation a user writes with `w` is the one summarised.

@Suite struct TUIEngineTests {
    let engine = tuiEngine()

    @Test func analysisIsTheCoresWithCellTypes() throws {
        let d = try design(smallScreen)
        let analyze = try #require(engine.analyze)
        let result = try analyze(d)
        let core = try Analyzer().analyze(d)
        #expect(result.summary == core.summary)
        #expect(result.perturbations.map(\.name) == core.perturbations.map(\.name))
        #expect(result.cellType == d.analysis.cellType)
        #expect(
            result.cellTypes
                == (try CellTypePower.compute(d, layout: try Analyzer().layout(for: d), analyzer: Analyzer())))
        #expect(!result.recommendations.isEmpty)
    }

    @Test func theHeadlineIsTheAnalysisWithoutItsRecommendations() throws {
        let d = try design(smallScreen)
        let headlineOf = try #require(engine.headline)
        let analyze = try #require(engine.analyze)
        let headline = try headlineOf(d)
        let full = try analyze(d)
        #expect(headline.summary == full.summary && headline.perturbations == full.perturbations)
        #expect(headline.recommendations.isEmpty && !full.recommendations.isEmpty)
        #expect(headline.cellType == d.analysis.cellType)
    }

    @Test func tableRowsNameTheTimePointWhenThereAreSeveral() throws {
        let one = try design(smallScreen)
        let rowsOf = try #require(engine.perturbationRows)
        let rows = try rowsOf(one)
        let evaluation = try Analyzer().evaluate(one)
        #expect(rows.map(\.name) == evaluation.rows.map(\.name))
        #expect(rows.map(\.power) == evaluation.rows.map(\.power))
        #expect(rows.allSatisfy { $0.targetUMIs != nil })
        // Two time points (72 h and 120 h of the default 120-hour protocol): one row per
        // perturbation and time point, named `NAME @72h`.
        var two = one
        two.sampling.timePointsH = [72, 120]
        two.batching.batches = 8
        let timed = try rowsOf(two)
        #expect(timed.count == 2 * rows.count)
        #expect(timed.filter { $0.name.hasSuffix(" @72h") }.count == rows.count)
        #expect(timed.filter { $0.name.hasSuffix(" @120h") }.count == rows.count)
    }

    @Test func downstreamGridSpansFiveDepthsAroundTheDesigns() throws {
        let d = try design(smallScreen)
        let downstream = try #require(engine.downstreamPower)
        let grid = try #require(try downstream(d))
        #expect(grid.readsPerCell == [0.25, 0.5, 1, 2, 4].map { d.measurement.readsPerCell * $0 })
        #expect(grid.cellsPerPerturbation == grid.cellsPerPerturbation.sorted())
        #expect(Set(grid.cellsPerPerturbation).count == grid.cellsPerPerturbation.count)
        #expect(grid.cellsPerPerturbation.contains(d.sampling.cellsPerPerturbation))
    }

    @Test func jobsAndExportersOfferWhatTheScreensList() throws {
        #expect(
            engine.jobs.map(\.title) == [
                "simulate", "Monte Carlo", "optimize (same budget)", "learnability (quick fit)",
            ])
        #expect(engine.exporters.map(\.fileExtension) == ReportFormat.allCases.map(\.rawValue))
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try design(smallScreen)
        let json = try #require(engine.exporters.first { $0.fileExtension == "json" })
        try json.write(d, dir + "/report.json")
        let report = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: dir + "/report.json")))
        #expect((report as? [String: Any])?["analysis"] != nil)
    }

    @Test func theWrittenSimulationIsTheOneSummarised() async throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let d = try design(smallScreen)
        let simulate = engine.jobs[0]
        let summary = try await simulate.run(d, ProgressReporter())
        let figures = Dictionary(uniqueKeysWithValues: summary.figures.map { ($0.label, $0.value) })
        let cells = try #require(figures["cells"].flatMap { Int($0) })
        #expect(cells > 0 && summary.histogram?.counts.reduce(0, +) ?? 0 > 0)
        let writer = try #require(simulate.writer)
        let written = try writer.write(d, 0, dir + "/counts", false, ProgressReporter())
        let writtenFigures = Dictionary(uniqueKeysWithValues: written.figures.map { ($0.label, $0.value) })
        #expect(writtenFigures["cells × genes"]?.hasPrefix("\(cells) cells × ") == true)
        #expect(writtenFigures["non-zero counts"] == figures["non-zero counts"])
        let barcodes = try #require(FileManager.default.contents(atPath: dir + "/counts/barcodes.tsv.gz"))
        #expect(!barcodes.isEmpty)
    }
}
