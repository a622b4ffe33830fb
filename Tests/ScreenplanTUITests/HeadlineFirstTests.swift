import Foundation
import ScreenplanCore
import ScreenplanTUI
import TestSupport
import Testing

// MARK: - After an edit the headline frame comes before the recommendations' measured effects

@Suite struct HeadlineFirstTests {
    /// The real analysis, with `Engine.headline` as the executable's engine wires it.
    private func engine() -> Engine {
        let analyzer = Analyzer()
        return Engine(
            analyze: { try analyzer.analyze($0) },
            headline: { try analyzer.evaluate($0).result(recommendations: []) })
    }

    @Test func theHeadlineFrameComesFirstAndTheRecommendationsFollow() async throws {
        // Controls in half the lanes: the design has a recommendation with a measured effect.
        let design = try DesignLoader.load(text: smallScreen, file: "(test)").design
        let engine = engine()
        var state = AppState(
            document: DesignDocument(design: design, path: nil, displayName: "small"), width: 160, height: 48,
            engine: engine.info)
        let runner = EffectRunner(engine: engine, autosavePath: nil)
        runner.carryOut(.evaluate(design: design, generation: state.generation))
        let messages = await collect(runner) {
            if case .evaluated(let e) = $0 { return !e.comparison.isEmpty } else { return false }
        }
        let evaluations = messages.compactMap { if case .evaluated(let e) = $0 { e } else { nil } }
        // Headline, headline with recommendations, curves, comparison.
        #expect(evaluations.count == 4)
        guard evaluations.count == 4, let first = evaluations[0].analysis, let second = evaluations[1].analysis else {
            Issue.record("missing evaluations")
            return
        }
        #expect(evaluations[0].recommendationsPending && first.recommendations.isEmpty)
        #expect(evaluations.dropFirst().allSatisfy { !$0.recommendationsPending })
        #expect(!second.recommendations.isEmpty)
        // The headline is the full analysis' (same evaluation, same table).
        #expect(first.summary == second.summary && first.perturbations == second.perturbations)
        #expect(evaluations[0].perturbations == evaluations[1].perturbations)

        // The Analysis screen says the recommendations are coming, not that there are none.
        state.screen = .analysis
        state = update(state, .evaluated(evaluations[0])).0
        let pending = folded(render(state).text)
        #expect(pending.contains("computing: each recommendation's measured effect"))
        #expect(!pending.contains("none"))
        state = update(state, .evaluated(evaluations[1])).0
        #expect(!folded(render(state).text).contains("computing: each recommendation"))
    }

    @Test func anEngineWithoutAHeadlineStartsWithTheFullAnalysis() async throws {
        let analyzer = Analyzer()
        let engine = Engine(analyze: { try analyzer.analyze($0) })
        let design = try DesignLoader.load(text: smallScreen, file: "(test)").design
        let first = engine.evaluate(
            design, generation: 1, comparison: false, curves: false, headlineOnly: true)
        #expect(!first.recommendationsPending && !(first.analysis?.recommendations.isEmpty ?? true))
    }
}
