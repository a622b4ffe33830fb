import Foundation
import Testing

@testable import ScreenplanCore

// The neural ODE, its RK4 integrator, the hand-written reverse pass and the two losses.

/// A small random problem: d genes, H hidden units, P perturbations observed at two times, two
/// media with a switch between the observations, and steady-state terms on a control and on
/// each perturbation.
private func smallProblem(d: Int = 5, hidden: Int = 4, p: Int = 3, seed: UInt64 = 11)
    -> (NeuralODE, Objective)
{
    var rng = RandomStream(seed: seed, domain: .learning, 999)
    var model = NeuralODE(
        dimension: d, hidden: hidden, modalities: 2, media: 2, decay: 0.2, outputScale: 0.5, rng: &rng)
    // Non-zero biases, decays and strengths so that every parameter block gets a gradient.
    for i in model.b1Offset..<model.w2Offset { model.parameters[i] = 0.3 * rng.normal() }
    for i in model.b2Offset..<model.rhoOffset { model.parameters[i] = 0.05 * rng.normal() }
    for i in model.rhoOffset..<model.strengthOffset { model.parameters[i] += 0.2 * rng.normal() }
    model.parameters[model.strengthOffset] = -0.3
    model.parameters[model.strengthOffset + 1] = 0.2
    let targets = (0..<p).map { [$0 % d] }
    let inputs = PerturbationInputs(dimension: d, targets: targets, modality: (0..<p).map { $0 % 2 })
    let times = [7.0, 20.0]
    let states = times.map { _ in Matrix(rows: d, cols: p, data: (0..<(d * p)).map { _ in 0.5 * rng.normal() }) }
    let weights = times.map { _ in (0..<p).map { _ in 0.5 + rng.uniform() } }
    let steadyStates = Matrix(rows: d, cols: p + 1, data: (0..<(d * (p + 1))).map { _ in 0.3 * rng.normal() })
    var steadyTargets = targets
    steadyTargets.append([])
    let steady = SteadyStateTargets(
        states: steadyStates,
        inputs: PerturbationInputs(dimension: d, targets: steadyTargets, modality: (0..<(p + 1)).map { $0 % 2 }),
        weights: (0..<(p + 1)).map { _ in 1 + rng.uniform() }, media: (0..<(p + 1)).map { $0 % 2 })
    let initial = Matrix(rows: d, cols: p, data: (0..<(d * p)).map { _ in 0.1 * rng.normal() })
    let objective = Objective(
        trajectories: TrajectoryTargets(times: times, inputs: inputs, states: states, weights: weights),
        steady: steady, initial: initial, maxStep: 3, schedule: [(-5, 0), (10.5, 1)])
    return (model, objective)
}

/// Checks every component of a reverse-mode `gradient` against central differences of the loss,
/// expecting each below 1e-5 relative error, and returns the worst error.
private func worstFiniteDifferenceError(_ objective: Objective, _ model: NeuralODE, _ gradient: [Double]) -> Double {
    let scale = gradient.map(abs).max() ?? 0
    var worst = 0.0
    for i in 0..<model.parameterCount {
        // Central differences: truncation error ~ ε² |L'''| and rounding ~ u |L| / ε with
        // u = 1.1e-16; ε ≈ (3u)^(1/3) ≈ 7e-6 (relative to the parameter's size) balances them at
        // ~1e-10 of the loss scale, far below the 1e-5 tolerance.
        let epsilon = 7e-6 * max(1, abs(model.parameters[i]))
        var plus = model
        var minus = model
        plus.parameters[i] += epsilon
        minus.parameters[i] -= epsilon
        let fd = (objective.value(plus).total - objective.value(minus).total) / (2 * epsilon)
        // Relative error, with a floor of 1e-3 of the largest component so that entries that are
        // nearly zero are compared on the gradient's own scale.
        let error = abs(fd - gradient[i]) / max(abs(gradient[i]), abs(fd), 1e-3 * scale)
        worst = max(worst, error)
        #expect(error < 1e-5, "parameter \(i): reverse mode \(gradient[i]) vs finite difference \(fd)")
    }
    return worst
}

@Test func reverseModeGradientMatchesFiniteDifferences() {
    let (model, objective) = smallProblem()
    let (_, gradient) = objective.valueAndGradient(model)
    #expect((gradient.map(abs).max() ?? 0) > 0)
    #expect(worstFiniteDifferenceError(objective, model, gradient) < 1e-5)
}

@Test func gradientOfTheSteadyStateTermsAloneMatchesFiniteDifferences() {
    // The steady-state part on its own (no trajectories) exercises the field's VJP directly.
    let (model, full) = smallProblem(d: 4, hidden: 3, p: 2, seed: 5)
    var noTrajectory = full.trajectories
    noTrajectory.weights = noTrajectory.weights.map { $0.map { _ in 0 } }
    let objective = Objective(
        trajectories: noTrajectory, steady: full.steady, initial: full.initial, maxStep: 3,
        schedule: [(0, 0), (10.5, 1)])
    let (value, gradient) = objective.valueAndGradient(model)
    #expect(value.trajectory == 0 && value.steady > 0)
    #expect(worstFiniteDifferenceError(objective, model, gradient) < 1e-5)
}

/// A model whose field is linear: W₂ = 0, so f(z) = b₂ − γ ⊙ z + s a, with the closed-form
/// solution z(t) = z* + (z₀ − z*) e^(−γt), z* = (b₂ + s a)/γ.
private func linearModel(d: Int, gammas: [Double], b2: [Double], strength: Double) -> NeuralODE {
    var rng = RandomStream(seed: 3, domain: .learning, 1)
    var model = NeuralODE(dimension: d, hidden: 2, modalities: 1, decay: 0.1, rng: &rng)
    for i in model.w2Offset..<model.b2Offset { model.parameters[i] = 0 }
    for i in 0..<d {
        model.parameters[model.b2Offset + i] = b2[i]
        model.parameters[model.rhoOffset + i] = Foundation.log(gammas[i])
    }
    model.parameters[model.strengthOffset] = strength
    return model
}

@Test func gridPutsObservationsAndMediumSwitchesOnStepBoundaries() {
    let grid = IntegrationGrid(times: [7, 20], maxStep: 3, schedule: [(-5, 0), (10.5, 1)])
    // 0…7 in 3 steps, 7…10.5 in 2, 10.5…20 in 4: every step ≤ 3 h and none straddles 10.5 h.
    #expect(grid.steps.count == 9)
    #expect(grid.observationPoints == [3, 9])
    #expect(grid.media == [0, 0, 0, 0, 0, 1, 1, 1, 1])
    #expect(abs(grid.steps.reduce(0, +) - 20) < 1e-12)
    #expect(grid.steps.allSatisfy { $0 <= 3 })
}

@Test func rk4SolvesALinearODEToFourthOrder() {
    let d = 3
    let gammas = [0.1, 0.25, 0.6]
    let b2 = [0.2, -0.1, 0.05]
    let strength = -0.4
    let model = linearModel(d: d, gammas: gammas, b2: b2, strength: strength)
    let inputs = PerturbationInputs(dimension: d, targets: [[1], []], modality: [0, 0])
    let initial = Matrix(rows: d, cols: 2, data: [0.5, -0.2, 0.1, 0, 0.3, -0.4])
    let times = [2.0, 10.0]
    func exact(_ i: Int, _ j: Int, _ t: Double) -> Double {
        let u = b2[i] + strength * inputs.indicator[i, j]
        let star = u / gammas[i]
        return star + (initial[i, j] - star) * Foundation.exp(-gammas[i] * t)
    }
    func maxError(step: Double) -> Double {
        let zero = times.map { _ in Matrix(rows: d, cols: 2) }
        let objective = Objective(
            trajectories: TrajectoryTargets(
                times: times, inputs: inputs, states: zero,
                weights: times.map { _ in [1, 1] }),
            steady: .empty(dimension: d), initial: initial, maxStep: step)
        let predicted = objective.predictions(model)
        var worst = 0.0
        for (k, t) in times.enumerated() {
            for j in 0..<2 { for i in 0..<d { worst = max(worst, abs(predicted[k][i, j] - exact(i, j, t))) } }
        }
        return worst
    }
    let coarse = maxError(step: 0.25)
    let fine = maxError(step: 0.125)
    // RK4's one-step error on z' = −γz is about (γh)⁵/120 of the distance to z*: with γh ≤ 0.15,
    // |z₀ − z*| < 0.6 and 40 steps the global error stays below 2e-6 (closed form: 8.4e-7).
    // Halving h divides it by 2⁴ = 16 (order 4) times 1 + O(γh), which approaches 16 from above
    // (17.0 for this pair, 16.5 for the next), hence the band [15, 18].
    #expect(coarse < 2e-6)
    #expect(fine < coarse)
    #expect(coarse / fine > 15 && coarse / fine < 18, "error ratio \(coarse / fine)")
}

@Test func steadyStateTermsVanishAtATrueSteadyState() {
    let (model, problem) = smallProblem(d: 4, hidden: 5, p: 3, seed: 21)
    let d = 4
    // Relax each perturbation (and the control, last column) to its fixed point by integrating
    // long: 600 h is over 60 relaxation times of the slowest decay in the model.
    var columns = (0..<3).map { [$0] }
    columns.append([])
    let inputs = PerturbationInputs(dimension: d, targets: columns, modality: [0, 1, 0, 0])
    let start = Matrix(rows: d, cols: 4)
    let relax = Objective(
        trajectories: TrajectoryTargets(
            times: [600], inputs: inputs, states: [start],
            weights: [[1, 1, 1, 1]]),
        steady: .empty(dimension: d), initial: start, maxStep: 1)
    let fixed = relax.predictions(model)[0]
    let atFixed = Objective(
        trajectories: relax.trajectories,
        steady: SteadyStateTargets(
            states: fixed, inputs: inputs,
            weights: [1, 1, 1, 1]),
        initial: start, maxStep: 1)
    // At the fixed points the field's residual is at the level of rounding (the relaxation
    // converged geometrically), so the squared terms are ~1e-20 or below.
    #expect(atFixed.value(model).steady < 1e-18)
    // Away from them the same terms are clearly positive.
    let away = Objective(
        trajectories: relax.trajectories,
        steady: SteadyStateTargets(
            states: problem.steady.states,
            inputs: inputs,
            weights: [1, 1, 1, 1]),
        initial: start, maxStep: 1)
    #expect(away.value(model).steady > 1e-6)
}

@Test func trainingLowersTheLoss() {
    let (model, objective) = smallProblem(d: 5, hidden: 6, p: 4, seed: 8)
    var options = TrainingOptions()
    options.maxEpochs = 120
    options.patience = 1000
    options.learningRate = 0.02
    let before = objective.value(model).total
    let (trained, curve) = trainModel(
        model, objective: objective, validation: nil, options: options,
        decayReference: 0.2)
    let after = objective.value(trained).total
    #expect(after < 0.5 * before, "loss \(before) → \(after)")
    #expect(curve.training.first! > curve.training.last!)
}
