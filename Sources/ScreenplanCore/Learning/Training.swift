import Foundation

// MARK: - Adam and the training loop with early stopping

/// The Adam optimiser (Kingma & Ba 2015) on a flat parameter vector, with bias correction.
public struct Adam: Sendable {
    public var learningRate: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    var m: [Double]
    var v: [Double]
    var t: Int = 0

    public init(
        parameterCount: Int, learningRate: Double, beta1: Double = 0.9, beta2: Double = 0.999,
        epsilon: Double = 1e-8
    ) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        m = [Double](repeating: 0, count: parameterCount)
        v = m
    }

    /// Per-parameter multipliers of the step size (nil = 1 for all).
    public var rateScale: [Double]? = nil

    /// θ ← θ − η m̂ / (√v̂ + ε).
    public mutating func step(_ parameters: inout [Double], gradient: [Double]) {
        t += 1
        let c1 = 1 - Foundation.pow(beta1, Double(t))
        let c2 = 1 - Foundation.pow(beta2, Double(t))
        for i in parameters.indices {
            let g = gradient[i]
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            let rate = learningRate * (rateScale?[i] ?? 1)
            parameters[i] -= rate * (m[i] / c1) / ((v[i] / c2).squareRoot() + epsilon)
        }
    }
}

/// Options of one training run. Defaults are documented in docs/learnability.md.
public struct TrainingOptions: Sendable, Equatable, Codable {
    /// Hidden units H of the vector field's perceptron.
    public var hidden: Int = 16
    /// Most epochs (full-batch Adam steps).
    public var maxEpochs: Int = 300
    /// Adam step size of the perceptron's weights and biases.
    public var learningRate: Double = 0.002
    /// Adam step size of the per-gene decays and the modality strengths (few parameters with a
    /// direct effect; they may move faster).
    public var inputLearningRate: Double = 0.02
    /// Stop when the validation loss has not improved for this many epochs.
    public var patience: Int = 40
    /// Evaluate the validation loss every this many epochs.
    public var validateEvery: Int = 2
    /// Longest RK4 step (hours); also bounds the learned decay (γ h ≤ 2, inside RK4's stability
    /// interval of about 2.78 on the real axis).
    public var maxStepH: Double = 6
    /// Initial output scale of W₂ (small: the untrained field is close to −γz).
    public var outputScale: Double = 0.1
    /// L2 penalty on W₁ and W₂ (per parameter, added to the gradient as 2·decay·θ).
    public var weightDecay: Double = 1e-2

    public init() {}

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case hidden
        case maxEpochs
        case learningRate
        case inputLearningRate
        case patience
        case validateEvery
        case maxStepH = "maxStep_h"
        case outputScale
        case weightDecay
    }
}

/// Losses recorded during training.
public struct TrainingCurve: Sendable, Equatable, Codable {
    /// Epoch of each record.
    public var epochs: [Int] = []
    /// Training objective (the loss being minimised).
    public var training: [Double] = []
    /// Validation endpoint MSE (the early-stopping criterion, the same for every loss).
    public var validation: [Double] = []
    /// Epoch whose parameters were kept.
    public var bestEpoch: Int = 0

    public init() {}
}

/// Trains `model` on `objective` with full-batch Adam and keeps the parameters with the lowest
/// `validation` loss (early stopping). `progress` is called after each epoch with the epoch
/// index; returning false stops training (cancellation).
public func trainModel(
    _ model: NeuralODE, objective: Objective, validation: Objective?, options: TrainingOptions,
    decayReference: Double, progress: (Int) -> Bool = { _ in true }
) -> (model: NeuralODE, curve: TrainingCurve) {
    var current = model
    var best = model
    var bestValidation = Double.infinity
    var curve = TrainingCurve()
    var adam = Adam(parameterCount: model.parameterCount, learningRate: options.learningRate)
    var scale = [Double](repeating: 1, count: model.parameterCount)
    for i in model.rhoOffset..<model.parameterCount { scale[i] = options.inputLearningRate / options.learningRate }
    adam.rateScale = scale
    let tape = objective.makeTape(model)
    var gradient = [Double](repeating: 0, count: model.parameterCount)
    // γ bounds: stability of the largest step, and a floor well below the reference decay.
    let maxStep = objective.grid.steps.max() ?? options.maxStepH
    let rhoMax = Foundation.log(2.0 / maxStep)
    let rhoMin = Foundation.log(decayReference / 20)
    var sinceImprovement = 0
    for epoch in 0..<options.maxEpochs {
        let value = objective.valueAndGradient(current, tape: tape, into: &gradient)
        if !value.total.isFinite { break }
        if options.weightDecay > 0 {
            for i in 0..<(current.b1Offset) { gradient[i] += 2 * options.weightDecay * current.parameters[i] }
            for i in current.w2Offset..<current.b2Offset {
                gradient[i] += 2 * options.weightDecay * current.parameters[i]
            }
        }
        if epoch % options.validateEvery == 0 || epoch == options.maxEpochs - 1 {
            let v = validation?.value(current).trajectory ?? value.trajectory
            curve.epochs.append(epoch)
            curve.training.append(value.total)
            curve.validation.append(v)
            if v < bestValidation {
                bestValidation = v
                best = current
                curve.bestEpoch = epoch
                sinceImprovement = 0
            } else {
                sinceImprovement += options.validateEvery
                if sinceImprovement >= options.patience { break }
            }
        }
        adam.step(&current.parameters, gradient: gradient)
        for i in current.rhoOffset..<current.strengthOffset {
            current.parameters[i] = min(rhoMax, max(rhoMin, current.parameters[i]))
        }
        if !progress(epoch) { break }
    }
    return (best, curve)
}
