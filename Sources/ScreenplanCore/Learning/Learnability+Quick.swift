import Foundation

// MARK: - The quick learnability figure (TUI) and the benchmark workload

extension LearnabilityOptions {
    /// Settings of the quick estimate: the deterministic data source (no cell-by-cell
    /// simulation), the same perturbations as `screenplan fit` (the steady-state loss only pays
    /// off with enough training perturbations: with ~50 per fold it hurt on the K562 screen, so
    /// the quick figure does not shrink the data), 2 folds and at most 150 epochs, one core.
    /// About 10–20 s for the sample screens; coarser than `screenplan fit`'s figure.
    public static var quick: LearnabilityOptions {
        var o = LearnabilityOptions()
        o.data = .kinetics
        o.folds = 2
        o.training.maxEpochs = 150
        o.training.patience = 30
        o.parallelJobs = 1
        return o
    }
}

extension Learnability {
    /// The learnability figure of a design for the TUI's Analysis screen: held-out MSE of the
    /// steady-state loss over the standard loss, from `LearnabilityOptions.quick`. Safe to run
    /// in a background task; cancel through `progress`.
    /// - Throws: `CancelledError`, or a steady-state failure of the network.
    public static func quickEstimate(
        _ design: Design, network: Network? = nil, seed: UInt64 = 1,
        progress: ProgressReporter? = nil
    ) throws -> LearnabilitySummary {
        var options = LearnabilityOptions.quick
        options.seed = seed
        let start = Date()
        let result = try fit(design: design, network: network, options: options, progress: progress)
        return LearnabilitySummary(
            mseRatio: result.mseRatioSteadyStateToStandard?.mean ?? .nan,
            standardMSE: result.heldoutMse["standard"] ?? .nan,
            steadyStateMSE: result.heldoutMse["steady_state"] ?? .nan,
            noChangeMSE: result.heldoutMse["no_change"] ?? .nan,
            steadyStatePearson: result.heldoutPearson["steady_state"] ?? .nan,
            perturbationsFitted: result.perturbationsFitted,
            seconds: Date().timeIntervalSince(start))
    }
}

/// The `fit` benchmark workload: `screenplan fit` on a design with its default options.
public enum LearnabilityBenchmark {
    /// Runs the default fit (simulator data, both losses, 3 folds) and returns timings and the
    /// headline figures: `fit_total_s`, `fit_data_s`, `fit_training_s`, `mse_ratio`,
    /// `mse_ratio_sd`, `perturbations`, `genes`.
    public static func run(
        design: Design, network: Network? = nil,
        options: LearnabilityOptions = LearnabilityOptions()
    ) throws -> [String: Double] {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try Learnability.fit(design: design, network: network, options: options)
        let total = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return [
            "fit_total_s": total, "fit_data_s": result.secondsData, "fit_training_s": result.secondsFit,
            "mse_ratio": result.mseRatioSteadyStateToStandard?.mean ?? .nan,
            "mse_ratio_sd": result.mseRatioSteadyStateToStandard?.sd ?? .nan,
            "perturbations": Double(result.perturbationsFitted), "genes": Double(result.genes),
        ]
    }
}
