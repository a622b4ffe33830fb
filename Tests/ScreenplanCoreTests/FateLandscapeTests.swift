import Foundation
import TestSupport
import Testing

@testable import ScreenplanCore

// Fates from a network file's own attractors (docs/model.md, "Fates from the network's own
// attractors"): a published toggle with known fates, the haematopoiesis sample, and the iPSC
// sample's generated program.

private let huangEdges = repositoryRoot + "/Tests/Fixtures/networks/huang2007-gata1-pu1-edges.tsv"
private let huangGenes = repositoryRoot + "/Tests/Fixtures/networks/huang2007-gata1-pu1-genes.tsv"

/// The Huang et al. (2007) toggle as a design: the stem medium is their symmetric parameter set,
/// the trigger lowers both productions by 0.5.
private func huangDesign(targets: [String] = ["GATA1"], cells: Int = 150) -> String {
    """
    name: Huang 2007 toggle
    system:
      dynamics: differentiating
      network: {file: \(huangEdges), genes_file: \(huangGenes)}
      media:
        - {name: stem}
        - {name: commit, inputs: {GATA1: -0.5, SPI1: -0.5}}
      differentiation: {trigger_medium: commit}
      intrinsic_noise: 0.05
      time_step_h: 0.2
    perturbations: {modality: knockout, target_genes: [\(targets.joined(separator: ", "))], moi: 0.2}
    protocol:
      - {medium: stem, perturb: true, duration_h: 12}
      - {medium: commit, perturb: true, duration_h: 24}
    sampling: {cells_per_perturbation: \(cells), control_cells: \(cells)}
    measurement: {measured_genes: 4, mrna_per_cell: 20000, doublet_rate_per_cell: 0}
    batching: {batches: 1}
    """
}

private func fractions(_ cells: [CellRecord], where keep: (CellRecord) -> Bool) -> [String: Double] {
    let chosen = cells.filter { keep($0) && !$0.doublet }
    var counts: [String: Double] = [:]
    for c in chosen { counts[c.state, default: 0] += 1 }
    return counts.mapValues { $0 / Double(max(1, chosen.count)) }
}

@Test func huangToggleHasItsKnownAttractors() throws {
    let network = try NetworkFile.read(
        edgesPath: huangEdges, genesPath: huangGenes,
        defaults: NetworkFile.Defaults(NetworkSpec()))
    let k = Kinetics(network)
    let gata1 = network.index["GATA1"]!
    let pu1 = network.index["SPI1"]!
    let zero = [Double](repeating: 0, count: k.geneCount)
    // Their parameter set: tristable. The primed progenitor (both at 1) is stable, and so are
    // the two committed states.
    let stem = try FateLandscape.compute(kinetics: k, startInput: zero, triggerInput: zero, seed: 1)
    #expect(abs(stem.progenitor[gata1] - 1) < 1e-6 && abs(stem.progenitor[pu1] - 1) < 1e-6)
    #expect(stem.attractors.map(\.name) == ["GATA1-high", "SPI1-high"])
    // Lowering both productions destabilises the progenitor state: two fates and a saddle.
    var commit = zero
    commit[gata1] = -0.5
    commit[pu1] = -0.5
    let fates = FateLandscape.find(k, input: commit, progenitor: stem.progenitor, seed: 1)
    #expect(fates.attractors.map(\.name) == ["GATA1-high", "SPI1-high"])
    let g = fates.attractors[0]
    let p = fates.attractors[1]
    // GATA1-high: x = 0.5 + H(x) with PU.1 clipped to 0; the mirror image for PU.1.
    #expect(g.state[gata1] > 1.3 && g.state[pu1] < 0.05, "\(g.state)")
    #expect(abs(g.state[gata1] - p.state[pu1]) < 1e-6 && abs(g.state[pu1] - p.state[gata1]) < 1e-6)
    #expect(g.leadingEigenvalue < 0 && p.leadingEigenvalue < 0)
    // The symmetric state is a fixed point with an unstable direction (the saddle between fates).
    #expect(fates.saddles.contains { abs($0.state[gata1] - $0.state[pu1]) < 1e-6 && $0.leadingEigenvalue > 0 })
}

@Test func huangToggleCellsChooseAFateAndAKnockoutRemovesOne() throws {
    let run = try simulate(try loadDesign(huangDesign()), seed: 3)
    let controls = fractions(run.cells) { $0.perturbation < 0 }
    // A symmetric toggle: both fates, about half each.
    #expect((controls["GATA1-high"] ?? 0) > 0.3 && (controls["SPI1-high"] ?? 0) > 0.3, "\(controls)")
    let knockout = fractions(run.cells) { $0.perturbation == 0 }
    #expect((knockout["GATA1-high"] ?? 0) < 0.02, "\(knockout)")
    #expect((knockout["SPI1-high"] ?? 0) > 0.9, "\(knockout)")
    // The read-outs follow the fate in the true states.
    let klf1 = run.model.kinetics.network.index["KLF1"]!
    let cebpa = run.model.kinetics.network.index["CEBPA"]!
    let states = run.states
    for (j, cell) in run.cells.enumerated() where cell.perturbation < 0 && cell.state == "GATA1-high" {
        #expect(states[j][klf1] > states[j][cebpa])
    }
}

/// The haematopoiesis sample with fewer cells, genes and perturbations (the same network,
/// media, protocol and noise).
private func haematopoiesis(targets: [String]) throws -> LoadedDesign {
    let loaded = try DesignLoader.load(path: sampleScreen("haematopoiesis-invivo.yaml"))
    var d = loaded.design
    d.perturbations.targetGenes = targets
    d.sampling.cellsPerPerturbation = 200
    d.measurement.measuredGenes = 33
    d.batching.batches = 2
    d.batching.maxCellsPerBatch = 100_000
    var small = loaded
    small.design = d
    return small
}

@Test func haematopoiesisSampleReachesItsFatesAndKnockoutsShiftThem() throws {
    let loaded = try haematopoiesis(targets: ["GATA1", "SPI1", "CEBPA"])
    let run = try simulate(loaded, seed: 42)
    let names = run.model.kinetics.network.index
    #expect(run.model.landscape?.attractors.map(\.name) == ["EBF1-high", "GATA1-high", "SPI1-high"])
    let cells = run.cells
    let states = run.states
    let control = fractions(cells) { $0.perturbation < 0 }
    for fate in ["GATA1-high", "SPI1-high", "EBF1-high"] {
        #expect((control[fate] ?? 0) >= 0.05, "controls: \(control)")
    }
    // Markers from the true states: each fate's program is on in its cells and off elsewhere.
    let markers = [
        "GATA1-high": ["GATA1", "KLF1", "HBB", "GYPA"], "SPI1-high": ["SPI1", "CEBPA", "CSF1R", "MPO"],
        "EBF1-high": ["EBF1", "PAX5", "CD19"],
    ]
    for (fate, genes) in markers {
        for gene in genes {
            let i = names[gene]!
            let inside = mean(
                cells.indices.filter { cells[$0].state == fate && cells[$0].perturbation < 0 }.map { states[$0][i] })
            let outside = mean(
                cells.indices.filter {
                    cells[$0].state != fate && cells[$0].state != "intermediate"
                        && cells[$0].state != "progenitor" && cells[$0].perturbation < 0
                }.map { states[$0][i] })
            #expect(inside > 3 * outside, "\(gene) in \(fate): \(inside) vs \(outside)")
        }
    }
    // Knockouts of fate regulators move the fractions the expected way.
    let gata1 = fractions(cells) { $0.perturbation == 0 }
    let spi1 = fractions(cells) { $0.perturbation == 1 }
    let cebpa = fractions(cells) { $0.perturbation == 2 }
    #expect(
        (gata1["GATA1-high"] ?? 0) < 0.02 && (gata1["SPI1-high"] ?? 0) > (control["SPI1-high"] ?? 0),
        "GATA1 KO: \(gata1)")
    #expect(
        (spi1["SPI1-high"] ?? 0) < 0.02 && (spi1["GATA1-high"] ?? 0) > (control["GATA1-high"] ?? 0), "SPI1 KO: \(spi1)")
    #expect((cebpa["SPI1-high"] ?? 0) < (control["SPI1-high"] ?? 0) - 0.03, "CEBPA KO: \(cebpa) vs \(control)")

    // The analysis mixes the same attractors with the same fractions as the simulated controls.
    let k = run.model.kinetics
    let (landscape, _) = try #require(try ExpectedEffects.fateLandscape(loaded.design, k))
    #expect(landscape.attractors.map(\.name) == run.model.landscape?.attractors.map(\.name))
    let late = loaded.design.timePoints.last!
    let mix = landscape.mixture(loaded.design, kinetics: k, at: late)
    let simulatedLate = fractions(cells) { $0.perturbation < 0 && $0.timeH == late }
    for (label, f) in zip(mix.labels, mix.fractions) {
        #expect(
            abs(f - (simulatedLate[label] ?? 0)) < 0.1, "\(label): mixture \(f), simulated \(simulatedLate[label] ?? 0)"
        )
    }
}

@Test func ipscSampleReachesItsTwoFates() throws {
    let loaded = try DesignLoader.load(path: sampleScreen("ipsc-neuron-crispri.yaml"))
    var d = loaded.design
    d.perturbations.targets = 4
    d.sampling.cellsPerPerturbation = 30
    d.sampling.controlCells = 60
    d.measurement.measuredGenes = d.system.genes
    var small = loaded
    small.design = d
    let run = try simulate(small, seed: 7)
    let cells = run.cells
    let states = run.states
    // Day 0: progenitors; day 7: both lineages, each with its own regulator far above the other.
    let day0 = fractions(cells) { $0.perturbation < 0 && $0.timeH == 72 }
    #expect((day0["progenitor"] ?? 0) > 0.9, "day 0: \(day0)")
    let day7 = fractions(cells) { $0.perturbation < 0 && $0.timeH == 240 }
    #expect((day7["lineage_1"] ?? 0) >= 0.2 && (day7["lineage_2"] ?? 0) >= 0.2, "day 7: \(day7)")
    for l in 1...2 {
        let own = mean(cells.indices.filter { cells[$0].state == "lineage_\(l)" }.map { states[$0][l] })
        let other = mean(cells.indices.filter { cells[$0].state == "lineage_\(3 - l)" }.map { states[$0][l] })
        #expect(own > 5 * other, "lineage \(l): \(own) vs \(other)")
    }
}

@Test func validateWarnsAboutFieldsWithNoEffect() throws {
    let text =
        huangDesign() + "\n" + """
            """
    // `lineages` with a network file, in vivo settings in vitro, replicates with pooled.
    let extra = text.replacingOccurrences(
        of: "differentiation: {trigger_medium: commit}",
        with: "differentiation: {trigger_medium: commit, lineages: 3}\n  in_vivo: {niche_sd: 0.3}"
    )
    .replacingOccurrences(of: "batching: {batches: 1}", with: "batching: {batches: 1, replicates: 2}")
    let loaded = try loadDesign(extra)
    let warnings = DesignValidator.warnings(loaded).map(\.path)
    #expect(warnings.contains("system.differentiation.lineages"))
    #expect(warnings.contains("system.in_vivo.niche_sd"))
    #expect(warnings.contains("batching.replicates"))
    #expect(DesignValidator.warnings(try loadDesign(huangDesign())).isEmpty)
    // A trigger that leaves a single attractor cannot branch.
    let flat = huangDesign().replacingOccurrences(of: "inputs: {GATA1: -0.5, SPI1: -0.5}", with: "inputs: {SPI1: -2}")
    let single = DesignValidator.warnings(try loadDesign(flat))
    #expect(
        single.contains { $0.path == "system.differentiation.trigger_medium" && $0.message.contains("cannot branch") },
        "\(single)")
}
