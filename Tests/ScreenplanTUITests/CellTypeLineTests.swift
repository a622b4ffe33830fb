import Foundation
import Testing
@testable import ScreenplanCore
@testable import ScreenplanTUI

// The Analysis screen's per-cell-type line (docs/cell-types.md): each type's median power, the
// headline type marked.

@Test func analysisScreenShowsPowerPerCellType() {
    func type(_ name: String, _ power: Double) -> CellTypeResult {
        CellTypeResult(name: name, fraction: 0.5, fraction_sd: 0.05, effective_fraction: 0.49, has_profile: false,
                       median_power: power, worst_perturbation: "G0001", worst_power: 0.1, testable_genes: 10,
                       perturbations: [])
    }
    var state = evaluatedState(.analysis)
    var evaluation = state.evaluation!
    evaluation.analysis?.cell_types = [type("hepatocyte", 0.76), type("kupffer", 0.12)]
    state.evaluation = evaluation
    let pooled = render(state).lines[2]
    #expect(pooled.contains("per cell type (headline: all cells)") && pooled.contains("hepatocyte 0.76")
            && pooled.contains("kupffer 0.12"), "\(pooled)")
    evaluation.analysis?.cell_type = "kupffer"
    state.evaluation = evaluation
    #expect(render(state).lines[2].contains("*kupffer 0.12"))
    // Without cell types the row stays as it was.
    evaluation.analysis?.cell_types = nil
    state.evaluation = evaluation
    #expect(!render(state).lines[2].contains("per cell type"))
}
