import Foundation
import Testing

@testable import ScreenplanCore

// Statistical tests of the dynamics: each compares a simulated population with what the model
// says it must be, with the tolerance's reason written next to it.

@Test func controlCellsSitAtTheAttractor() throws {
    let run = try simulate(try loadDesign(smallDesign()))
    let x = run.model.initialState[0]
    let controls = zip(run.cells, run.states).filter { $0.0.perturbation == -1 }.map(\.1)
    #expect(controls.count == 120)
    for g in 0..<run.model.geneCount where x[g] > 0.5 {
        let m = mean(controls.map { $0[g] })
        let sd = variance(controls.map { $0[g] }).squareRoot()
        // Intrinsic noise s = 0.05 gives a per-cell CV of a few percent; the mean of 120 cells has
        // a standard error under 1%, and the noise-induced (second-order) bias is O(s²) ≈ 0.3%.
        #expect(abs(m - x[g]) < 0.03 * x[g], "gene \(g): mean \(m) vs attractor \(x[g])")
        #expect(sd < 0.25 * x[g], "gene \(g): sd \(sd) too large for s = 0.05")
    }
}

@Test func crispriTargetFallsByItsKnockdown() throws {
    // Target a gene that regulates nothing, so its level is exactly κ times the control level.
    let probe = try loadDesign(smallDesign())
    let network = try NetworkLoader.network(for: probe)
    let k = Kinetics(network)
    let target = network.genes[(0..<k.geneCount).first { k.regulatorPosition[$0] < 0 && k.basal[$0] > 0.5 }!]
    let text = smallDesign().replacingOccurrences(
        of: "perturbations: {targets: 6, moi: 0.2}",
        with: "perturbations: {target_genes: [\(target)], moi: 0.2}")
    let run = try simulate(try loadDesign(text))
    let g = network.index[target]!
    let ctrl = meanState(run, gene: g) { $0.perturbation == -1 }
    let pert = meanState(run, gene: g) { $0.perturbation == 0 }
    let guides = run.model.guides[0]
    // Cells draw their efficiency around their guide's (Beta, same mean), guides equally often.
    let expected = mean(guides.map { 1 - $0.efficiency[0] })
    let perGuide = guides.map { 1 - $0.efficiency[0] }
    // 60 cells: the guide mix alone (binomial split of 60 over 2 guides) moves the mean by up to
    // ~0.5·|Δ guide|·2/√60; plus per-cell Beta spread (sd ≈ 0.08/√60) and noise.
    let tolerance = 0.03 + abs(perGuide.max()! - perGuide.min()!) * 0.15
    #expect(abs(pert / ctrl - expected) < tolerance, "ratio \(pert / ctrl) vs 1 − e = \(expected)")
    // In counts too: normalised pseudo-bulk ratio (NB noise over 60 cells: ~10%).
    let counts = run.counts
    func bulk(_ p: Int) -> Double {
        let rows = zip(run.cells, counts).filter { $0.0.perturbation == p }.map(\.1)
        return mean(rows.map { Double($0[g]) / Double(max(1, $0.reduce(0, +))) })
    }
    #expect(abs(bulk(0) / bulk(-1) - expected) < 0.15)
}

@Test func downstreamGenesMoveAsTheNetworkSignsPredict() throws {
    // Knock out the regulator with the most targets; compare simulated mean changes with the
    // linear response (signs from the network).
    let probe = try loadDesign(smallDesign())
    let network = try NetworkLoader.network(for: probe)
    let k = Kinetics(network)
    let outDegree = Dictionary(grouping: network.edges, by: \.regulator).mapValues(\.count)
    let hub = outDegree.max { $0.value < $1.value }!.key
    let text = smallDesign().replacingOccurrences(
        of: "perturbations: {targets: 6, moi: 0.2}",
        with: "perturbations: {target_genes: [\(network.genes[hub])], modality: knockout}")
    let loaded = try loadDesign(text)
    let run = try simulate(loaded)
    let none = PerturbationAction.none(genes: k.geneCount)
    let u = k.mediumInput(loaded.design.system.media[0], index: 0, system: loaded.design.system)
    let x = try k.steadyState(input: u, action: none)
    let action = loaded.design.action(targets: [hub], efficiency: [1], genes: k.geneCount)
    let predicted = try LinearResponse.log2FoldChanges(k, baseline: x, input: u, actions: [action])
    var agree = 0
    var total = 0
    for g in 0..<k.geneCount where g != hub && abs(predicted[g, 0]) > 0.3 {
        let ctrl = meanState(run, gene: g) { $0.perturbation == -1 }
        let pert = meanState(run, gene: g) { $0.perturbation == 0 }
        total += 1
        if (pert - ctrl) * predicted[g, 0] > 0 { agree += 1 }
    }
    #expect(total >= 3, "the hub should move several genes")
    // Linear response predicts signs of strong effects; nonlinearity can flip a rare one.
    #expect(Double(agree) >= 0.9 * Double(total), "\(agree) of \(total) signs agree")
}

@Test func differentiatingRegimeGivesDistinctTerminalStates() throws {
    let text = """
        name: diff
        system:
          dynamics: differentiating
          genes: 80
          network: {seed: 5, regulators: 15, mean_in_degree: 2}
          time_step_h: 1.0
          media: [{name: maintenance}, {name: differentiation}]
          differentiation: {lineages: 3, trigger_medium: differentiation}
        perturbations: {targets: 2}
        protocol:
          - {medium: maintenance, perturb: true, duration_h: 12}
          - {medium: differentiation, perturb: true, duration_h: 96}
        sampling: {time_points_h: [10, 108], cells_per_perturbation: 30, control_cells: 150}
        measurement: {measured_genes: 80, mrna_per_cell: 20000, doublet_rate_per_cell: 0}
        batching: {batches: 1}
        """
    let run = try simulate(try loadDesign(text))
    let early = run.cells.filter { $0.timeH < 20 && $0.perturbation == -1 }
    let late = run.cells.filter { $0.timeH > 100 && $0.perturbation == -1 }
    #expect(early.allSatisfy { $0.state == "progenitor" }, "\(Set(early.map(\.state)))")
    let counts = Dictionary(grouping: late, by: \.state).mapValues(\.count)
    let lineages = counts.filter { $0.key.hasPrefix("lineage_") && $0.value >= late.count / 10 }
    // Three symmetric lineages: at least two must each hold ≥ 10% of the late controls.
    #expect(lineages.count >= 2, "late states: \(counts)")
    // Distinct: each lineage's own regulator is far above the others in its cells.
    let states = Dictionary(uniqueKeysWithValues: zip(run.cells.map(\.index), run.states))
    for (label, _) in lineages {
        let l = Int(label.dropFirst("lineage_".count))!
        let cells = late.filter { $0.state == label }.map { states[$0.index]! }
        let own = mean(cells.map { $0[l] })
        let others = mean(cells.map { c in (1...3).filter { $0 != l }.map { c[$0] }.max()! })
        #expect(own > 3 * others, "\(label): own \(own) vs others \(others)")
    }
}

@Test func protocolOrderMatters() throws {
    // CRISPRi of lineage regulator 1 before the differentiation trigger biases the lineage choice;
    // the same guides after commitment find cells already locked in by self-activation.
    func design(_ steps: String) -> String {
        """
        name: order
        system:
          dynamics: differentiating
          genes: 80
          network: {seed: 5, regulators: 15, mean_in_degree: 2}
          time_step_h: 1.0
          media: [{name: maintenance}, {name: differentiation}]
          differentiation: {lineages: 3, trigger_medium: differentiation}
        perturbations: {target_genes: [G0002], knockdown_mean: 0.3}
        protocol:
        \(steps)
        sampling: {time_points_h: [120], cells_per_perturbation: 200, control_cells: 10}
        measurement: {measured_genes: 80, mrna_per_cell: 20000, doublet_rate_per_cell: 0}
        batching: {batches: 1}
        """
    }
    let perturbFirst = try simulate(
        try loadDesign(
            design(
                """
                  - {medium: maintenance, perturb: true, duration_h: 24}
                  - {medium: differentiation, perturb: true, duration_h: 96}
                """)))
    let mediaFirst = try simulate(
        try loadDesign(
            design(
                """
                  - {medium: differentiation, perturb: false, duration_h: 72}
                  - {medium: differentiation, perturb: true, duration_h: 48}
                """)))
    func composition(_ run: SimRun) -> [String: Double] {
        let cells = run.cells.filter { $0.perturbation == 0 }
        return Dictionary(grouping: cells, by: \.state).mapValues { Double($0.count) / Double(cells.count) }
    }
    let a = composition(perturbFirst)
    let b = composition(mediaFirst)
    let labels = Set(a.keys).union(b.keys)
    let distance = 0.5 * labels.reduce(0) { $0 + abs((a[$1] ?? 0) - (b[$1] ?? 0)) }
    print("protocol order: perturb-then-media \(a), media-then-perturb \(b), distance \(distance)")
    // Perturbing during the choice steers cells away from lineage 1 (they pick 2 or 3); the
    // same knockdown after commitment pushes committed lineage-1 cells out of their state into an
    // intermediate one. With 200 cells per arm the total-variation distance between two samples
    // of the same composition is ≈ 0.05 (4 states); 0.12 is well beyond it.
    #expect(distance > 0.12)
    #expect((a["lineage_1"] ?? 0) < 0.1)
    #expect((b["intermediate"] ?? 0) > (a["intermediate"] ?? 0))
}

@Test func windowedDownstreamMatchesFineIntegration() throws {
    let loaded = try loadDesign(smallDesign())
    var window = SimulationOptions()
    window.downstream = .window
    var fine = window
    fine.downstream = .fine
    let a = try simulate(loaded, options: window)
    let b = try simulate(loaded, options: fine)
    let sa = a.states
    let sb = b.states
    // Regulators are integrated identically in both modes (same streams, same steps).
    for g in a.model.kinetics.regulators { #expect(sa[0][g] == sb[0][g]) }
    var checked = 0
    for g in a.model.downstreamGenes where a.model.initialState[0][g] > 0.5 {
        for p in [-1, 0, 1] {
            let xa = zip(a.cells, sa).filter { $0.0.perturbation == p }.map { $0.1[g] }
            let xb = zip(b.cells, sb).filter { $0.0.perturbation == p }.map { $0.1[g] }
            // Means: both are exact for the mean of a linear ODE up to the piecewise-constant
            // average of P (≤ 2% here); 60–120 cells add ~1% sampling error each.
            #expect(abs(mean(xa) - mean(xb)) < 0.04 * mean(xb), "gene \(g) p \(p): \(mean(xa)) vs \(mean(xb))")
            // Spread: same order (the window uses the exact OU variance; sampling error of an
            // sd from 60 cells is ~9%, and the two schemes differ at O(dt)).
            let va = variance(xa).squareRoot()
            let vb = variance(xb).squareRoot()
            #expect(va < 2 * vb + 0.01 * mean(xb) && vb < 2 * va + 0.01 * mean(xb), "gene \(g): sd \(va) vs \(vb)")
            checked += 1
        }
    }
    #expect(checked > 10)
}

@Test func windowedDownstreamFollowsAChangeInsideTheWindow() throws {
    // Guides start 10 h before sampling, inside the 25 h window: production changes within it,
    // the case where averaging over pieces is least exact.
    let text = smallDesign().replacingOccurrences(of: "duration_h: 12}", with: "duration_h: 50}")
        .replacingOccurrences(of: "duration_h: 48}", with: "duration_h: 10}")
    let loaded = try loadDesign(text)
    var window = SimulationOptions()
    window.downstream = .window
    var fine = window
    fine.downstream = .fine
    let a = try simulate(loaded, options: window)
    let b = try simulate(loaded, options: fine)
    let sa = a.states
    let sb = b.states
    var worst = 0.0
    for g in a.model.downstreamGenes where a.model.initialState[0][g] > 0.5 {
        for p in 0..<a.model.perturbations.count {
            let ma = mean(zip(a.cells, sa).filter { $0.0.perturbation == p }.map { $0.1[g] })
            let mb = mean(zip(b.cells, sb).filter { $0.0.perturbation == p }.map { $0.1[g] })
            worst = max(worst, abs(ma - mb) / mb)
        }
    }
    print("window vs fine after a change inside the window: worst relative mean difference \(worst)")
    // Four pieces of ~6 h against a 5 h relaxation time: piecewise-constant production is off by
    // a few percent where the change is sharpest; sampling error of 60-cell means adds ~1%.
    #expect(worst < 0.08)
}
