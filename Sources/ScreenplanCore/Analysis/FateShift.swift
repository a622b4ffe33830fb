import Foundation

// MARK: - Fate shift: a fate regulator's knockout moves the fate fractions, and so the markers
//
// In a differentiating network file the control population is a mixture over the network's own
// attractors with weights w_s (`ExpectedEffects.fateMixture`). A perturbation of a regulator can
// change the fate choice itself (a GATA1 knockout leaves no erythroid cells), so its cells are a
// mixture with other weights w′_s: the same seeded stochastic run of the regulators under the
// perturbation's mean action (`FateLandscape.mixture(action:)`, common random numbers with the
// controls' run, so an action that does not move fates leaves the weights unchanged up to the
// cells that end near a boundary), labelled against the perturbation's own continued attractors
// (`FateLandscape.continued`), as the simulator labels them. The expected effect on gene i is
// then the log ratio of the mixture means,
//   Δ_i = log2( Σ_s w′_s x_s,i 2^{Δ_s,i} / Σ_s w_s x_s,i ),
// with Δ_s the linear response within state s. Weight on a fate that no control cell reaches at
// that time is left out (renormalised): the analysis has no control state to expand around there.

extension ExpectedEffects {
    /// Per action: the perturbed cells' weights over `states` (the control mixture's states, the
    /// progenitor and/or attractors of `landscape`), or nil when they equal the controls'.
    static func fateShiftedWeights(
        _ design: Design, _ k: Kinetics, _ landscape: FateLandscape, startInput: [Double],
        triggerInput: [Double], at t: Double, states: [[Double]], weights: [Double],
        actions: [PerturbationAction]
    ) -> [[Double]?] {
        // Which landscape reference each control state is: 0 the progenitor, a + 1 attractor a.
        let reference: [Int?] = states.map { x in
            if x == landscape.progenitor { return 0 }
            return landscape.attractors.firstIndex { $0.state == x }.map { $0 + 1 }
        }
        guard reference.allSatisfy({ $0 != nil }) else { return actions.map { _ in nil } }
        return actions.map { action in
            let refs = landscape.continued(k, startInput: startInput, triggerInput: triggerInput, action: action)
            let mix = landscape.mixture(design, kinetics: k, at: t, action: action, references: refs)
            var w = reference.map { r -> Double in
                r! == 0 ? mix.fractions[0] + mix.fractions[mix.fractions.count - 1] : mix.fractions[r!]
            }
            let total = w.reduce(0, +)
            guard total > 0 else { return nil }
            w = w.map { $0 / total }
            return zip(w, weights).allSatisfy({ abs($0 - $1) < 1e-12 }) ? nil : w
        }
    }
}
