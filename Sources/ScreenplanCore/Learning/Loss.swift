import Foundation

// MARK: - The standard and the steady-state (modified) loss
//
//   L_std = Σ_(p,t) w_pt ‖ODESolve(f_θ; p, z₀, t) − z̄_p(t)‖²
//   L_mod = L_std + λ₀ mean_ctrl ‖f_θ(z̄_ctrl; ∅)/γ_ref‖² + λ₁ mean_late ‖f_θ(z̄_p; p)/γ_ref‖²
//
// Both are means over genes and observations (the weights hold the normalisation), so λ = 1
// gives the steady-state terms the weight of the endpoint fit. The vector field is measured per
// relaxation time (divided by the design's decay γ_ref) so that ‖f/γ_ref‖ is in the same log
// units as the endpoint error: a field residual r means the state would drift by about r in one
// relaxation time. In differentiating regimes the controls are not at a steady state; there the
// λ₀ term is replaced by fitting the control trajectory (an extra trajectory column with zero
// target indicator and weight λ₀), and perturbed cells are not treated as steady.

/// Which loss a model is trained with.
public enum LossKind: String, Codable, Sendable, CaseIterable {
    /// Endpoint MSE of the integrated prediction against the observed means.
    case standard
    /// The standard loss plus the steady-state terms of the model reference (section 5).
    case steadyState = "steady-state"

    /// Key used in JSON output (`standard`, `steady_state`).
    public var jsonKey: String { self == .standard ? "standard" : "steady_state" }
}

/// Observed trajectories: for each observation time (hours since onset) a d × P matrix of
/// observed states and the weight of each column at that time (0 = not observed).
public struct TrajectoryTargets: Sendable, Equatable {
    public var times: [Double]
    public var inputs: PerturbationInputs
    /// One d × P matrix per time.
    public var states: [Matrix]
    /// weights[k][p]: weight of column p at time k (normalisation included).
    public var weights: [[Double]]

    public init(times: [Double], inputs: PerturbationInputs, states: [Matrix], weights: [[Double]]) {
        precondition(times.count == states.count && times.count == weights.count)
        self.times = times
        self.inputs = inputs
        self.states = states
        self.weights = weights
    }
}

/// States where the field should vanish (controls and late perturbed cells), with the
/// perturbation acting at each and the weight of its squared residual (normalisation included).
public struct SteadyStateTargets: Sendable, Equatable {
    public var states: Matrix
    public var inputs: PerturbationInputs
    public var weights: [Double]
    /// Medium of each column.
    public var media: [Int]

    public init(states: Matrix, inputs: PerturbationInputs, weights: [Double], media: [Int]? = nil) {
        precondition(states.cols == inputs.columns && weights.count == inputs.columns)
        self.states = states
        self.inputs = inputs
        self.weights = weights
        self.media = media ?? [Int](repeating: 0, count: inputs.columns)
    }

    public static func empty(dimension: Int) -> SteadyStateTargets {
        SteadyStateTargets(
            states: Matrix(rows: dimension, cols: 0),
            inputs: PerturbationInputs(indicator: Matrix(rows: dimension, cols: 0), modality: []),
            weights: [])
    }
}

/// A loss of the model: trajectory terms integrated from `initial` over `grid`, plus
/// steady-state terms.
public struct Objective: Sendable {
    public var trajectories: TrajectoryTargets
    public var steady: SteadyStateTargets
    /// Initial states (d × P) at onset.
    public var initial: Matrix
    public var grid: IntegrationGrid

    public init(
        trajectories: TrajectoryTargets, steady: SteadyStateTargets, initial: Matrix, maxStep: Double,
        schedule: [(start: Double, medium: Int)] = []
    ) {
        self.trajectories = trajectories
        self.steady = steady
        self.initial = initial
        grid = IntegrationGrid(times: trajectories.times, maxStep: maxStep, schedule: schedule)
    }

    /// The value split into its trajectory and steady-state parts.
    public struct Value: Sendable, Equatable {
        public var trajectory: Double
        public var steady: Double
        public var total: Double { trajectory + steady }
    }

    /// Loss value (forward only).
    public func value(_ model: NeuralODE) -> Value {
        let tape = RK4Tape(
            dimension: model.dimension, hidden: model.hidden, columns: trajectories.inputs.columns,
            stepCount: grid.stepCount)
        var unused: [Double] = []
        return evaluate(model, tape: tape, gradient: &unused, computeGradient: false)
    }

    /// Loss value and ∂L/∂θ (reverse mode through RK4). `tape` may be reused between calls.
    public func valueAndGradient(_ model: NeuralODE) -> (value: Value, gradient: [Double]) {
        let tape = RK4Tape(
            dimension: model.dimension, hidden: model.hidden, columns: trajectories.inputs.columns,
            stepCount: grid.stepCount)
        var g = [Double](repeating: 0, count: model.parameterCount)
        let v = evaluate(model, tape: tape, gradient: &g, computeGradient: true)
        return (v, g)
    }

    func makeTape(_ model: NeuralODE) -> RK4Tape {
        RK4Tape(
            dimension: model.dimension, hidden: model.hidden, columns: trajectories.inputs.columns,
            stepCount: grid.stepCount)
    }

    /// Forward (and, when `gradient` is given, reverse) pass.
    func evaluate(_ model: NeuralODE, tape: RK4Tape, gradient: inout [Double], computeGradient: Bool) -> Value {
        let d = model.dimension
        let p = trajectories.inputs.columns
        let block = d * p
        var trajectoryLoss = 0.0
        if p > 0 && !trajectories.times.isEmpty {
            model.integrate(from: initial, inputs: trajectories.inputs, grid: grid, tape: tape)
            for (k, n) in grid.observationPoints.enumerated() {
                let w = trajectories.weights[k]
                tape.states.withUnsafeBufferPointer { st in
                    let z = st.baseAddress! + n * block
                    trajectories.states[k].data.withUnsafeBufferPointer { y in
                        for j in 0..<p where w[j] != 0 {
                            var s = 0.0
                            for i in 0..<d {
                                let r = z[i + j * d] - y[i + j * d]
                                s += r * r
                            }
                            trajectoryLoss += w[j] * s
                        }
                    }
                }
            }
            if computeGradient {
                // Adjoint injected at each observation's grid point: 2 w (z − y).
                var pointsToObservations: [Int: [Int]] = [:]
                for (k, n) in grid.observationPoints.enumerated() { pointsToObservations[n, default: []].append(k) }
                let states = tape.states
                model.backpropagate(tape: tape, inputs: trajectories.inputs, grid: grid, gradient: &gradient) {
                    n, adjoint in
                    guard let ks = pointsToObservations[n] else { return }
                    states.withUnsafeBufferPointer { st in
                        let z = st.baseAddress! + n * block
                        for k in ks {
                            let w = trajectories.weights[k]
                            trajectories.states[k].data.withUnsafeBufferPointer { y in
                                for j in 0..<p where w[j] != 0 {
                                    for i in 0..<d {
                                        let idx = i + j * d
                                        adjoint[idx] += 2 * w[j] * (z[idx] - y[idx])
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        // Steady-state terms: Σ_l ω_l ‖f(s_l; p_l)‖².
        var steadyLoss = 0.0
        let l = steady.inputs.columns
        if l > 0 {
            var f = [Double](repeating: 0, count: d * l)
            var t = [Double](repeating: 0, count: model.hidden * l)
            steady.states.data.withUnsafeBufferPointer { sb in
                f.withUnsafeMutableBufferPointer { fb in
                    t.withUnsafeMutableBufferPointer { tb in
                        model.field(
                            sb.baseAddress!, columns: l, inputs: steady.inputs,
                            media: .perColumn(steady.media), into: fb.baseAddress!,
                            tanhOut: tb.baseAddress!)
                    }
                }
            }
            var adjoint = [Double](repeating: 0, count: d * l)
            for j in 0..<l where steady.weights[j] != 0 {
                var s = 0.0
                for i in 0..<d {
                    let v = f[i + j * d]
                    s += v * v
                    adjoint[i + j * d] = 2 * steady.weights[j] * v
                }
                steadyLoss += steady.weights[j] * s
            }
            if computeGradient {
                var dy = [Double](repeating: 0, count: d * l)
                var scratch = [Double](repeating: 0, count: model.hidden * l)
                steady.states.data.withUnsafeBufferPointer { sb in
                    t.withUnsafeBufferPointer { tb in
                        adjoint.withUnsafeBufferPointer { ab in
                            gradient.withUnsafeMutableBufferPointer { gb in
                                dy.withUnsafeMutableBufferPointer { db in
                                    scratch.withUnsafeMutableBufferPointer { cb in
                                        model.fieldVJP(
                                            sb.baseAddress!, columns: l, inputs: steady.inputs,
                                            media: .perColumn(steady.media), tanh: tb.baseAddress!,
                                            adjoint: ab.baseAddress!,
                                            gradient: gb.baseAddress!, dy: db.baseAddress!,
                                            accumulate: false, scratch: cb.baseAddress!)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Value(trajectory: trajectoryLoss, steady: steadyLoss)
    }
}

extension Objective {
    /// Forward + reverse pass with a reusable tape (the training loop's form).
    func valueAndGradient(_ model: NeuralODE, tape: RK4Tape, into gradient: inout [Double]) -> Value {
        for i in gradient.indices { gradient[i] = 0 }
        return evaluate(model, tape: tape, gradient: &gradient, computeGradient: true)
    }

    /// The states the model predicts at every observation time (forward only).
    public func predictions(_ model: NeuralODE) -> [Matrix] {
        let tape = makeTape(model)
        guard trajectories.inputs.columns > 0 else {
            return trajectories.times.map { _ in Matrix(rows: model.dimension, cols: 0) }
        }
        model.integrate(from: initial, inputs: trajectories.inputs, grid: grid, tape: tape)
        return grid.observationPoints.map { tape.state(at: $0) }
    }
}
