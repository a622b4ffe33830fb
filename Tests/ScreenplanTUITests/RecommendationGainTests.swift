import Foundation
import Testing

@testable import ScreenplanCore
@testable import ScreenplanTUI

// A recommendation that improves neither power nor cost (fewer cells per lane) says what it
// gains on the Analysis screen's detail line, before power and cost.

@Test func analysisScreenStatesARecommendationsGain() {
    var state = evaluatedState(.analysis, height: 40)
    var evaluation = state.evaluation!
    var lanes = evaluation.analysis!.recommendations[1]
    lanes.effect?.gain = RecommendationGain(quantity: "multiplet rate per lane", before: 10.5, after: 5.9, unit: "%")
    evaluation.analysis!.recommendations = [lanes]
    state.evaluation = evaluation
    let screen = render(state).lines.joined(separator: "\n")
    #expect(screen.contains("multiplet rate per lane 10.5% → 5.9%; median power"), "\(screen)")
    // Without a gain the detail line starts with the power, as before.
    lanes.effect?.gain = nil
    evaluation.analysis!.recommendations = [lanes]
    state.evaluation = evaluation
    #expect(!render(state).lines.joined(separator: "\n").contains("multiplet rate"))
}
