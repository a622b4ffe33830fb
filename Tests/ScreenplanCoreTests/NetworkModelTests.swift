import Foundation
import Testing

@testable import ScreenplanCore

// Network generation, steady states and the linear response against exact Newton solves.

private func k562() throws -> (Design, Kinetics) {
    let loaded = try DesignLoader.load(text: EmbeddedDesign.text, file: EmbeddedDesign.name)
    let network = NetworkGenerator.generate(loaded.design.system)
    return (loaded.design, Kinetics(network))
}

@Test func generatedNetworkHasTheRequestedShape() throws {
    let (design, k) = try k562()
    #expect(k.geneCount == design.system.genes)
    #expect(k.regulatorCount <= design.system.network.regulators)
    #expect(k.regulatorCount > design.system.network.regulators * 9 / 10)
    let meanDegree = Double(k.network.edges.count) / Double(k.geneCount)
    // Poisson in-degree truncated by the regulator count: within 10% of the requested mean.
    #expect(abs(meanDegree - design.system.network.meanInDegree) < 0.1 * design.system.network.meanInDegree)
    let activating = Double(k.network.edges.filter { $0.weight > 0 }.count) / Double(k.network.edges.count)
    #expect(abs(activating - design.system.network.activationFraction) < 0.05)
    // Same seed, same network; another seed, another network.
    #expect(NetworkGenerator.generate(design.system) == k.network)
    var other = design.system
    other.network.seed += 1
    #expect(NetworkGenerator.generate(other) != k.network)
}

@Test func steadyStateSolvesTheField() throws {
    let (design, k) = try k562()
    let u = k.mediumInput(design.system.media[0], index: 0, system: design.system)
    let none = PerturbationAction.none(genes: k.geneCount)
    let x = try k.steadyState(input: u, action: none)
    let p = k.production(x, input: u, kappa: none.kappa)
    for i in 0..<k.geneCount {
        // f = P − γx vanishes relative to the production scale.
        #expect(abs(p[i] - k.decay[i] * x[i]) <= 1e-6 * max(1, p[i]))
    }
}

@Test func linearResponseMatchesExactSteadyStatesForSmallKnockdowns() throws {
    let (design, k) = try k562()
    let u = k.mediumInput(design.system.media[0], index: 0, system: design.system)
    let none = PerturbationAction.none(genes: k.geneCount)
    let x = try k.steadyState(input: u, action: none)
    // A 5% knockdown of each of the first 10 regulators: linear response is accurate to first order.
    let actions = (0..<10).map { design.action(targets: [k.regulators[$0]], efficiency: [0.05], genes: k.geneCount) }
    let lfc = try LinearResponse.log2FoldChanges(k, baseline: x, input: u, actions: actions)
    for (p, action) in actions.enumerated() {
        let exact = try k.steadyState(input: u, action: action, start: k.regulators.map { x[$0] }, relaxHours: 0)
        for i in 0..<k.geneCount where x[i] > 1e-6 {
            let truth = Foundation.log2(exact[i] / x[i])
            // Second-order error of a 5% change: well under 0.01 log2 units.
            #expect(abs(lfc[i, p] - truth) < 0.01, "gene \(i) perturbation \(p): \(lfc[i, p]) vs \(truth)")
        }
    }
}

@Test func crispriOfANonRegulatorLowersOnlyItself() throws {
    let (design, k) = try k562()
    let u = k.mediumInput(design.system.media[0], index: 0, system: design.system)
    let x = try k.steadyState(input: u, action: .none(genes: k.geneCount))
    let target = k.geneCount - 1
    #expect(k.regulatorPosition[target] < 0)
    let action = design.action(targets: [target], efficiency: [0.67], genes: k.geneCount)
    let lfc = try LinearResponse.log2FoldChanges(k, baseline: x, input: u, actions: [action])
    #expect(abs(lfc[target, 0] - Foundation.log2(0.33)) < 1e-9)
    #expect((0..<k.geneCount).filter { $0 != target }.allSatisfy { lfc[$0, 0] == 0 })
}
