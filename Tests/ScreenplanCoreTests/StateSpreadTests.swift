import Foundation
import TestSupport
import Testing

@testable import ScreenplanCore

// The between-state spread of control cells in a differentiating network file (ExpectedEffects,
// `biologicalCV2`): every test's per-cell noise and the glm's information depend on it. A third
// of the haematopoiesis sample's control cells are labelled intermediate; they sit near the
// attractors' mean, not at the progenitor, and counting them at the progenitor overstated the
// spread of lineage markers 2–3-fold, which made the power of differentiating designs too low
// (docs/batching.md, section 8).

@Test func stateSpreadOfLineageMarkersFollowsTheSimulatedControls() throws {
    let loaded = try DesignLoader.load(path: sampleScreen("haematopoiesis-invivo.yaml"))
    var d = loaded.design
    d.perturbations.targetGenes = ["IKZF1"]
    d.sampling.cellsPerPerturbation = 400
    d.sampling.timePointsH = [384]
    d.measurement.measuredGenes = 33
    d.batching.batches = 2
    d.batching.maxCellsPerBatch = 100_000
    var small = loaded
    small.design = d
    let run = try simulate(small, seed: 7)
    let names = run.model.kinetics.network.index
    let slice = try #require(try ExpectedEffects.compute(d).slices.last)
    let controls = zip(run.cells, run.states).filter { $0.0.perturbation < 0 }.map(\.1)
    #expect(controls.count >= 300, "\(controls.count) control cells")
    for gene in ["GATA1", "SPI1", "CEBPA", "IRF8", "KLF1"] {
        let i = try #require(names[gene])
        let xs = controls.map { $0[i] }
        let simulated = variance(xs) / (mean(xs) * mean(xs))
        let model = slice.biologicalCV2[i]
        #expect(
            abs(Foundation.log(model / simulated)) < Foundation.log(1.6),
            "\(gene): model CV² \(model), simulated control cells \(simulated)")
    }
}
