import Foundation
import ScreenplanCore

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
