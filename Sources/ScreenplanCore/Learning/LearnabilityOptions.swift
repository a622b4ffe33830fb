// MARK: - Options of a learnability fit

/// Where the pseudo-bulk data come from.
public enum LearnabilityData: String, Sendable, Equatable, Codable, CaseIterable {
    /// The stochastic simulator (`Simulator.run`), as `screenplan simulate` would produce it.
    case simulator
    /// The deterministic model plus the measurement operator (fast; no cell-to-cell dynamics).
    case kinetics
}

/// What `screenplan fit` does, with documented defaults (docs/learnability.md).
public struct LearnabilityOptions: Sendable, Equatable, Codable {
    /// Losses to train with.
    public var losses: [LossKind] = [.standard, .steadyState]
    /// Folds of the perturbation split (each held out once). 3 by default: 2 minutes on
    /// 2 cores for the sample screens with both losses.
    public var folds: Int = 3
    /// Source of the pseudo-bulk data.
    public var data: LearnabilityData = .simulator
    /// Seed of the data, the split and the initialisation.
    public var seed: UInt64 = 1
    /// λ₀ (controls) and λ₁ (late perturbed); nil takes `analysis.lambda_control` and
    /// `analysis.lambda_perturbed` from the design.
    public var lambdaControl: Double? = nil
    public var lambdaPerturbed: Double? = nil
    /// Most perturbations fitted: all perturbations that target a modelled gene (up to
    /// `maxPerturbations − otherPerturbations`), then `otherPerturbations` others drawn at
    /// random (their targets lie outside the modelled space, so the model must predict "no
    /// change in the regulators" for them).
    public var maxPerturbations: Int = 300
    public var otherPerturbations: Int = 60
    /// Share of the training perturbations kept for early stopping.
    public var validationFraction: Double = 0.15
    /// Perturbed cells sampled at least this many relaxation times (1/γ of the design) after
    /// onset count as steady for the λ₁ term.
    public var lateRelaxationTimes: Double = 5
    /// Ridge strengths tried for the linear baseline (relative to tr(ZZᵀ)/d).
    public var linearRidges: [Double] = [0.01, 0.1, 1, 10]
    /// Training of each neural ODE.
    public var training = TrainingOptions()
    /// Models trained at once (each single-threaded BLAS); nil = the number of cores.
    public var parallelJobs: Int? = nil

    public init() {}
}
