import Foundation
import Testing

@testable import ScreenplanCore
@testable import ScreenplanTUI

// The Analysis screen's per-cell-type line (docs/cell-types.md): each type's median power, the
// headline type marked.

@Test func analysisScreenShowsPowerPerCellType() {
    func type(_ name: String, _ power: Double) -> CellTypeResult {
        CellTypeResult(
            name: name, fraction: 0.5, fractionSd: 0.05, effectiveFraction: 0.49, hasProfile: false,
            medianPower: power, worstPerturbation: "G0001", worstPower: 0.1, testableGenes: 10,
            perturbations: [])
    }
    var state = evaluatedState(.analysis)
    var evaluation = state.evaluation!
    evaluation.analysis?.cellTypes = [type("hepatocyte", 0.76), type("kupffer", 0.12)]
    state.evaluation = evaluation
    let pooled = render(state).lines[2]
    #expect(
        pooled.contains("per cell type (headline: all cells)") && pooled.contains("hepatocyte 0.76")
            && pooled.contains("kupffer 0.12"), "\(pooled)")
    evaluation.analysis?.cellType = "kupffer"
    state.evaluation = evaluation
    #expect(render(state).lines[2].contains("*kupffer 0.12"))
    // Without cell types the row stays as it was.
    evaluation.analysis?.cellTypes = nil
    state.evaluation = evaluation
    #expect(!render(state).lines[2].contains("per cell type"))
}
