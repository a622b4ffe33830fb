// MARK: - What a learnability fit returns (the contract of `screenplan fit --json`)
//
// JSON keys are snake_case. Effects are log2 fold changes of the modelled genes (the
// regulators) against time-matched controls; errors are in log2 units squared.

/// Results of one fold.
public struct FoldResult: Codable, Equatable, Sendable {
    public var fold: Int
    public var training_perturbations: Int
    public var validation_perturbations: Int
    public var heldout_perturbations: Int
    /// Held-out MSE per method (`standard`, `steady_state`, `no_change`, `mean_effect`, `linear`).
    public var heldout_mse: [String: Double]
    /// Held-out MSE on the genes a perturbation does not target (its downstream effects).
    public var heldout_mse_downstream: [String: Double]
    /// Held-out Pearson correlation of predicted against true effects per method.
    public var heldout_pearson: [String: Double]
    /// Training curves per loss.
    public var curves: [String: TrainingCurve]
    /// Learned modality strength per loss.
    public var strengths: [String: Double]

    public init(fold: Int, training_perturbations: Int, validation_perturbations: Int, heldout_perturbations: Int,
                heldout_mse: [String: Double], heldout_mse_downstream: [String: Double],
                heldout_pearson: [String: Double], curves: [String: TrainingCurve], strengths: [String: Double]) {
        self.fold = fold
        self.training_perturbations = training_perturbations
        self.validation_perturbations = validation_perturbations
        self.heldout_perturbations = heldout_perturbations
        self.heldout_mse = heldout_mse
        self.heldout_mse_downstream = heldout_mse_downstream
        self.heldout_pearson = heldout_pearson
        self.curves = curves
        self.strengths = strengths
    }
}

/// The learnability of a design: held-out errors per loss and baseline, over folds.
public struct FitResult: Codable, Equatable, Sendable {
    public var design: String
    /// Where the pseudo-bulk data came from (the simulator, or its deterministic stand-in).
    public var data_source: String
    public var regime: String
    public var dynamics: String
    public var perturbations_in_design: Int
    public var perturbations_fitted: Int
    /// Modelled genes d (regulators).
    public var genes: Int
    public var folds: Int
    public var seed: UInt64
    public var lambda_control: Double
    public var lambda_perturbed: Double
    public var losses: [String]
    /// Mean held-out MSE over folds per method.
    public var heldout_mse: [String: Double]
    /// Standard deviation over folds of the held-out MSE per method.
    public var heldout_mse_sd: [String: Double]
    /// Mean held-out MSE of downstream (non-targeted) genes per method.
    public var heldout_mse_downstream: [String: Double]
    /// Mean held-out Pearson correlation over folds per method.
    public var heldout_pearson: [String: Double]
    public var heldout_pearson_sd: [String: Double]
    /// Held-out MSE of the steady-state loss divided by the standard loss's, per fold, with its
    /// mean and sd (nil unless both losses were fitted).
    public var mse_ratio_steady_state_to_standard: RatioSummary?
    public var per_fold: [FoldResult]
    /// Wall-clock seconds of the data simulation and of the fits.
    public var seconds_data: Double
    public var seconds_fit: Double

    public struct RatioSummary: Codable, Equatable, Sendable {
        public var mean: Double
        public var sd: Double
        public var per_fold: [Double]
    }
}

/// The learnability figure the TUI shows next to a design.
public struct LearnabilitySummary: Codable, Equatable, Sendable {
    /// Held-out MSE steady-state / standard (< 1: the steady-state loss helps).
    public var mseRatio: Double
    /// Held-out MSE of each loss, and of predicting no change.
    public var standardMSE: Double
    public var steadyStateMSE: Double
    public var noChangeMSE: Double
    /// Held-out Pearson of the steady-state model.
    public var steadyStatePearson: Double
    public var perturbationsFitted: Int
    public var seconds: Double

    /// One line for the Analysis screen.
    public var headline: String {
        "learnability: steady-state loss \(verdict) (held-out MSE ratio \(Self.format(mseRatio)), r = \(Self.format(steadyStatePearson)))"
    }

    /// "helps" below a ratio of 0.98, "hurts" above 1.02, otherwise "makes no difference".
    public var verdict: String {
        guard mseRatio.isFinite else { return "could not be evaluated" }
        if mseRatio < 0.98 { return "helps" }
        if mseRatio > 1.02 { return "hurts" }
        return "makes no difference"
    }

    static func format(_ x: Double) -> String {
        guard x.isFinite else { return "n/a" }
        return String(format: "%.2f", x)
    }
}
