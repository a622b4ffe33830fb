// MARK: - What a learnability fit returns (the contract of `screenplan fit --json`)
//
// JSON keys are snake_case. Effects are log2 fold changes of the modelled genes (the
// regulators) against time-matched controls; errors are in log2 units squared.

/// Results of one fold.
public struct FoldResult: Codable, Equatable, Sendable {
    public var fold: Int
    public var trainingPerturbations: Int
    public var validationPerturbations: Int
    public var heldoutPerturbations: Int
    /// Held-out MSE per method (`standard`, `steady_state`, `no_change`, `mean_effect`, `linear`).
    public var heldoutMse: [String: Double]
    /// Held-out MSE on the genes a perturbation does not target (its downstream effects).
    public var heldoutMseDownstream: [String: Double]
    /// Held-out Pearson correlation of predicted against true effects per method.
    public var heldoutPearson: [String: Double]
    /// Training curves per loss.
    public var curves: [String: TrainingCurve]
    /// Learned modality strength per loss.
    public var strengths: [String: Double]

    public init(
        fold: Int, trainingPerturbations: Int, validationPerturbations: Int, heldoutPerturbations: Int,
        heldoutMse: [String: Double], heldoutMseDownstream: [String: Double],
        heldoutPearson: [String: Double], curves: [String: TrainingCurve], strengths: [String: Double]
    ) {
        self.fold = fold
        self.trainingPerturbations = trainingPerturbations
        self.validationPerturbations = validationPerturbations
        self.heldoutPerturbations = heldoutPerturbations
        self.heldoutMse = heldoutMse
        self.heldoutMseDownstream = heldoutMseDownstream
        self.heldoutPearson = heldoutPearson
        self.curves = curves
        self.strengths = strengths
    }

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case fold
        case trainingPerturbations = "training_perturbations"
        case validationPerturbations = "validation_perturbations"
        case heldoutPerturbations = "heldout_perturbations"
        case heldoutMse = "heldout_mse"
        case heldoutMseDownstream = "heldout_mse_downstream"
        case heldoutPearson = "heldout_pearson"
        case curves
        case strengths
    }
}

/// The learnability of a design: held-out errors per loss and baseline, over folds.
public struct FitResult: Codable, Equatable, Sendable {
    public var design: String
    /// Where the pseudo-bulk data came from (the simulator, or its deterministic stand-in).
    public var dataSource: String
    public var regime: String
    public var dynamics: String
    public var perturbationsInDesign: Int
    public var perturbationsFitted: Int
    /// Modelled genes d (regulators).
    public var genes: Int
    public var folds: Int
    public var seed: UInt64
    public var lambdaControl: Double
    public var lambdaPerturbed: Double
    public var losses: [String]
    /// Mean held-out MSE over folds per method.
    public var heldoutMse: [String: Double]
    /// Standard deviation over folds of the held-out MSE per method.
    public var heldoutMseSd: [String: Double]
    /// Mean held-out MSE of downstream (non-targeted) genes per method.
    public var heldoutMseDownstream: [String: Double]
    /// Mean held-out Pearson correlation over folds per method.
    public var heldoutPearson: [String: Double]
    public var heldoutPearsonSd: [String: Double]
    /// Held-out MSE of the steady-state loss divided by the standard loss's, per fold, with its
    /// mean and sd (nil unless both losses were fitted).
    public var mseRatioSteadyStateToStandard: RatioSummary?
    public var perFold: [FoldResult]
    /// Wall-clock seconds of the data simulation and of the fits.
    public var secondsData: Double
    public var secondsFit: Double

    public struct RatioSummary: Codable, Equatable, Sendable {
        public var mean: Double
        public var sd: Double
        public var perFold: [Double]

        /// The keys of the file format (snake_case), kept when the properties were renamed.
        enum CodingKeys: String, CodingKey {
            case mean
            case sd
            case perFold = "per_fold"
        }
    }

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case design
        case dataSource = "data_source"
        case regime
        case dynamics
        case perturbationsInDesign = "perturbations_in_design"
        case perturbationsFitted = "perturbations_fitted"
        case genes
        case folds
        case seed
        case lambdaControl = "lambda_control"
        case lambdaPerturbed = "lambda_perturbed"
        case losses
        case heldoutMse = "heldout_mse"
        case heldoutMseSd = "heldout_mse_sd"
        case heldoutMseDownstream = "heldout_mse_downstream"
        case heldoutPearson = "heldout_pearson"
        case heldoutPearsonSd = "heldout_pearson_sd"
        case mseRatioSteadyStateToStandard = "mse_ratio_steady_state_to_standard"
        case perFold = "per_fold"
        case secondsData = "seconds_data"
        case secondsFit = "seconds_fit"
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
