import Foundation
import Testing

@testable import ScreenplanCore

// Genetic interactions I = Δ_AB − Δ_A − Δ_B: expected values from the network's steady states,
// the error of the estimate (three contrasts sharing controls) checked against a Monte Carlo of
// the estimate itself.

private let interactionDesign = """
    name: interaction screen
    system:
      genes: 60
      network: {seed: 5, regulators: 12, mean_in_degree: 2}
      time_step_h: 1.0
      intrinsic_noise: 0.05
    perturbations:
      modality: knockout
      target_genes: [G0001, G0002, G0003, G0004, G0005, G0006, G0007, G0008]
      combinations: [[G0001, G0002], [G0003, G0004], [G0005, G0006], [G0007, G0008]]
      moi: 0.2
    protocol:
      - {medium: growth, perturb: false, duration_h: 12}
      - {medium: growth, perturb: true, duration_h: 48}
    sampling: {cells_per_perturbation: 60, control_cells: 150}
    measurement: {measured_genes: 60, mrna_per_cell: 20000, reads_per_cell: 50000, doublet_rate_per_cell: 0}
    batching: {batches: 2, interaction_sd: 0}
    """

@Test func interactionVarianceMatchesAMonteCarloOfTheEstimate() throws {
    let d = try DesignLoader.load(text: interactionDesign, file: "i.yaml").design
    let results = try GeneticInteractions.compute(d)
    #expect(results.map(\.combination) == ["G0001+G0002", "G0003+G0004", "G0005+G0006", "G0007+G0008"])
    #expect(results.allSatisfy { $0.note == nil })
    // Knockouts of regulators interact through the network: some gene has a real interaction.
    #expect(results.contains { $0.genes.contains { abs($0.interaction) > 0.1 } })
    let mc = try MonteCarlo.interactions(design: d, replicates: 60, seed: 1)
    #expect(mc.rows.count >= 8)
    #expect(mc.medianVarianceRatio >= 0.9 && mc.medianVarianceRatio <= 1.1, "median ratio \(mc.medianVarianceRatio)")
}

@Test func truthGivesTheTrueInteraction() throws {
    let loaded = try DesignLoader.load(text: interactionDesign, file: "i.yaml")
    let network = try NetworkLoader.network(for: loaded)
    let model = try Simulator.prepare(design: loaded.design, network: network, seed: 1)
    let truth = try Simulator.truth(model)
    let expected = try GeneticInteractions.compute(loaded.design)
    var compared = 0
    for result in expected {
        for gene in result.genes {
            guard let row = truth.first(where: { $0.perturbation == result.combination && $0.gene == gene.gene }) else {
                continue
            }
            // Knockouts have no guide spread, so the truth is the expected interaction.
            #expect(abs((row.interaction ?? .nan) - gene.interaction) < 0.01, "\(result.combination) \(gene.gene)")
            compared += 1
        }
    }
    #expect(compared >= 10)
    #expect(truth.filter { !$0.perturbation.contains("+") }.allSatisfy { $0.interaction == nil })
}
