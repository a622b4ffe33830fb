import Foundation

// MARK: - The quick learnability figure (TUI)

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
