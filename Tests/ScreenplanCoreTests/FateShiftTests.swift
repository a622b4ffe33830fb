import Foundation
import TestSupport
import Testing

@testable import ScreenplanCore

// The fate shift in expected effects (FateShift.swift): a knockout of a fate regulator removes
// its fate, so the population mean of that fate's markers falls more than the within-state
// response says. With the shift, the expected effects on the markers follow the simulated
// cells' population means more closely.

@Test func expectedEffectsOfFateRegulatorsIncludeTheFateShift() throws {
    let loaded = try DesignLoader.load(path: sampleScreen("haematopoiesis-invivo.yaml"))
    var d = loaded.design
    d.perturbations.targetGenes = ["GATA1", "SPI1"]
    d.sampling.cellsPerPerturbation = 200
    d.measurement.measuredGenes = 33
    d.batching.batches = 2
    d.batching.maxCellsPerBatch = 100_000
    var small = loaded
    small.design = d
    let run = try simulate(small, seed: 42)
    let names = run.model.kinetics.network.index
    let late = d.timePoints.last!
    let shifted = try #require(try ExpectedEffects.compute(d).slices.last)
    let within = try #require(try ExpectedEffects.compute(d, fateShift: false).slices.last)
    func effect(_ slice: EffectSlice, _ p: Int, _ i: Int) -> Double {
        slice.genes[p].firstIndex(of: Int32(i)).map { slice.effects[p][$0] } ?? 0
    }
    // Markers of the fate each knockout removes (GATA1: erythroid, SPI1: myeloid).
    var errorShifted: [Double] = []
    var errorWithin: [Double] = []
    for (p, genes) in [(0, ["KLF1", "HBB", "GYPA"]), (1, ["CSF1R", "MPO"])] {
        for gene in genes {
            let i = try #require(names[gene])
            let knockout = meanState(run, gene: i) { $0.perturbation == p && $0.timeH == late }
            let control = meanState(run, gene: i) { $0.perturbation < 0 && $0.timeH == late }
            let simulated = Foundation.log2(knockout / control)
            let a = effect(shifted, p, i)
            let b = effect(within, p, i)
            #expect(a <= b + 1e-9, "\(gene): the lost fate lowers its marker (shifted \(a), within-state \(b))")
            errorShifted.append(abs(a - simulated))
            errorWithin.append(abs(b - simulated))
        }
    }
    // HBB and MPO sit mostly in the lost fates: the shift must move them by a lot.
    #expect(effect(shifted, 0, names["HBB"]!) < effect(within, 0, names["HBB"]!) - 0.3)
    #expect(effect(shifted, 1, names["MPO"]!) < effect(within, 1, names["MPO"]!) - 0.3)
    #expect(mean(errorShifted) < 0.8 * mean(errorWithin), "shifted \(errorShifted), within-state \(errorWithin)")
    // A perturbation that moves no fate keeps the controls' weights exactly.
    let k = run.model.kinetics
    let (landscape, start) = try #require(try ExpectedEffects.fateLandscape(d, k))
    let u = k.mediumInput(d.system.media[1], index: 1, system: d.system)
    let (states, _, weights) = ExpectedEffects.fateMixture(
        d, k, landscape, startInput: start, triggerInput: u, at: late)
    let none = PerturbationAction.none(genes: k.geneCount)
    #expect(
        ExpectedEffects.fateShiftedWeights(
            d, k, landscape, startInput: start, triggerInput: u, at: late,
            states: states, weights: weights, actions: [none])[0] == nil)
}
