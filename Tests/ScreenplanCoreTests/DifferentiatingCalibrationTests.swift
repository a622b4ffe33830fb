import Foundation
import Testing

@testable import ScreenplanCore

// A generated network's differentiating design (the engine validation's in vitro design): its
// lineage module branches into one attractor per lineage regulator, and a knockdown of a lineage
// regulator removes its lineage, so the regulator's level falls about 16-fold in the perturbed
// cells, not by κ. The analysis used to put the control cells at three nudged states that no
// cell reaches (the nudge had the sign of the regulators' negative basal) and kept the fates
// fixed: the regulators' effect was −0.82 log2 and their glm power 0.12, against rejections in
// most replicates (docs/batching.md, section 8).

private func lineageDesign(targets: [String], cells: Int = 25) throws -> Design {
    let text = """
        name: lineage calibration
        system:
          regime: in-vitro
          dynamics: differentiating
          genes: 150
          network: {seed: 5, regulators: 40}
          media: [{name: growth}, {name: differentiation}]
        perturbations:
          target_genes: [\(targets.joined(separator: ", "))]
          moi: 0.1
        protocol:
          - {medium: growth, perturb: true, duration_h: 24}
          - {medium: differentiation, perturb: true, duration_h: 48}
        sampling:
          cells_per_perturbation: \(cells)
          time_points_h: [72]
        measurement:
          measured_genes: 150
          mrna_per_cell: 10000
        batching:
          unit: lane
          batches: 2
          layout: pooled
        analysis:
          test: glm
          multiple_testing: none
          alpha: 0.01
        """
    return try DesignLoader.load(text: text, file: "lineage.yaml").design
}

@Test func lineageRegulatorKnockdownMovesTheFatesOfAGeneratedNetwork() throws {
    let d = try lineageDesign(targets: ["G0002", "G0003", "G0004", "G0006"], cells: 120)
    var loaded = try DesignLoader.load(text: "name: x", file: "x.yaml")
    loaded.design = d
    let run = try simulate(loaded, seed: 3)
    let slice = try #require(try ExpectedEffects.compute(d).slices.last)
    let cells = run.cells
    let states = run.states
    let controls = (0..<cells.count).filter { cells[$0].perturbation < 0 }
    #expect(controls.count >= 100)
    for (p, gene) in [1, 2, 3, 5].enumerated() {
        let own = (0..<cells.count).filter { cells[$0].perturbation == p }
        let simulated = Foundation.log2(mean(own.map { states[$0][gene] }) / mean(controls.map { states[$0][gene] }))
        #expect(
            abs(slice.targetEffect[p] - simulated) < 1.25,
            "G000\(gene + 1): expected \(slice.targetEffect[p]) log2, simulated cells \(simulated)")
    }
    // No control cell is a progenitor at 72 h: the progenitor marker (G0001) is not expressed.
    let marker = mean(controls.map { states[$0][0] })
    #expect(marker < 0.01)
    #expect(slice.share[0] / slice.share[5] < 0.01 * 4.78 + 1e-3, "G0001 share \(slice.share[0])")
}
