import Foundation

// MARK: - Plain-text rendering of a learnability fit (the CLI's default output)

extension FitResult {
    /// Methods in report order, models first.
    static let methodOrder = ["standard", "steady_state", "linear", "mean_effect", "no_change"]

    static func label(_ key: String) -> String {
        switch key {
        case "standard": return "neural ODE, standard loss"
        case "steady_state": return "neural ODE, steady-state loss"
        case "linear": return "linear steady-state model"
        case "mean_effect": return "mean training effect"
        case "no_change": return "no change"
        default: return key
        }
    }

    static func number(_ x: Double?, _ digits: Int = 4) -> String {
        guard let x, x.isFinite else { return "n/a" }
        return String(format: "%.\(digits)f", x)
    }

    /// The report: settings, a table of held-out errors with spread over folds, the ratio, and
    /// the training curves.
    public var text: String {
        var lines: [String] = []
        lines.append("Learnability of \(design) (\(regime), \(dynamics))")
        lines.append("data: \(dataSource)")
        lines.append(
            "\(perturbationsFitted) of \(perturbationsInDesign) perturbations fitted on \(genes) regulators; "
                + "\(folds) folds, seed \(seed); λ₀ = \(Self.number(lambdaControl, 2)), λ₁ = \(Self.number(lambdaPerturbed, 2))"
        )
        lines.append("")
        lines.append("held-out effects (log2 fold change of the regulators), mean ± sd over folds")
        let header =
            "  " + "method".padding(toLength: 32, withPad: " ", startingAt: 0)
            + "MSE".padding(toLength: 22, withPad: " ", startingAt: 0)
            + "MSE downstream".padding(toLength: 16, withPad: " ", startingAt: 0) + "Pearson r"
        lines.append(header)
        for key in Self.methodOrder where heldoutMse[key] != nil {
            let mse = Self.number(heldoutMse[key]) + " ± " + Self.number(heldoutMseSd[key])
            let r = Self.number(heldoutPearson[key], 3) + " ± " + Self.number(heldoutPearsonSd[key], 3)
            lines.append(
                "  " + Self.label(key).padding(toLength: 32, withPad: " ", startingAt: 0)
                    + mse.padding(toLength: 22, withPad: " ", startingAt: 0)
                    + Self.number(heldoutMseDownstream[key]).padding(toLength: 16, withPad: " ", startingAt: 0) + r)
        }
        if let ratio = mseRatioSteadyStateToStandard {
            lines.append("")
            let verdict = ratio.mean < 1 ? "lowers" : "does not lower"
            lines.append(
                "held-out MSE steady-state / standard: \(Self.number(ratio.mean, 3)) ± \(Self.number(ratio.sd, 3)) "
                    + "(folds: " + ratio.perFold.map { Self.number($0, 3) }.joined(separator: ", ") + ")")
            lines.append("the steady-state loss \(verdict) the held-out error on this design")
        }
        lines.append("")
        lines.append("training curves (training objective / validation endpoint MSE, natural-log units)")
        for fold in perFold {
            for key in ["standard", "steady_state"] {
                guard let curve = fold.curves[key], !curve.epochs.isEmpty else { continue }
                let picks = Self.samplePoints(curve.epochs.count, 6)
                let points = picks.map { i in
                    "\(curve.epochs[i]): \(Self.number(curve.training[i], 4))/\(Self.number(curve.validation[i], 4))"
                }
                lines.append(
                    "  fold \(fold.fold) \(key.padding(toLength: 12, withPad: " ", startingAt: 0)) "
                        + points.joined(separator: "  ") + "  (kept epoch \(curve.bestEpoch))")
            }
        }
        lines.append("")
        lines.append(String(format: "time: %.1f s data, %.1f s fitting", secondsData, secondsFit))
        return lines.joined(separator: "\n")
    }

    /// Up to `n` evenly spaced indices of 0..<count, always including the ends.
    static func samplePoints(_ count: Int, _ n: Int) -> [Int] {
        guard count > n else { return Array(0..<count) }
        return (0..<n).map { Int((Double($0) * Double(count - 1) / Double(n - 1)).rounded()) }
    }
}
