import ArgumentParser
import Foundation
import ScreenplanCommands
import ScreenplanCore

extension LearnabilityData: ExpressibleByArgument {}

/// `screenplan fit DESIGN [--loss standard|steady-state|both] [--json]`: learnability of a design.
struct FitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract:
            "Learnability: fit a neural ODE with the standard and the steady-state loss and predict held-out perturbations.",
        discussion: """
            Simulates pseudo-bulk data of the design, splits perturbations into folds, trains a neural ODE on
            the regulators with each loss, and reports the held-out MSE and Pearson correlation of predicted
            against true effects (log2), next to three baselines: no change, the mean training effect and a
            linear steady-state model. See docs/learnability.md. --seed seeds the data, the split and the
            initialisation. JSON (--json): the fit result (or, with --quick, the quick summary).
            """)

    enum LossChoice: String, ExpressibleByArgument, CaseIterable {
        case standard
        case steadyState = "steady-state"
        case both
    }

    @OptionGroup var designArgument: DesignArgument
    /// The design file path (`DesignArgument`).
    var design: String { designArgument.design }

    @Option(help: "Loss to train with: standard, steady-state or both.")
    var loss: LossChoice = .both

    @OptionGroup var jsonOption: JSONOption
    /// `--json` (`JSONOption`).
    var json: Bool { jsonOption.json }

    @Option(help: "Folds of the perturbation split (each held out once).")
    var folds: Int = 3

    @OptionGroup var seedOption: SeedOption
    /// The seed of the data, the split and the initialisation (`SeedOption`).
    var seed: UInt64 { seedOption.seed }

    @Option(
        name: .customLong("lambda-control"),
        help: "λ₀, weight of the control steady-state term (default: analysis.lambda_control).")
    var lambdaControl: Double?

    @Option(
        name: .customLong("lambda-perturbed"),
        help: "λ₁, weight of the late-perturbed steady-state term (default: analysis.lambda_perturbed).")
    var lambdaPerturbed: Double?

    @Option(name: .customLong("max-perturbations"), help: "Most perturbations fitted (regulator-targeting first).")
    var maxPerturbations: Int = 300

    @Option(
        help:
            "Source of the pseudo-bulk data: simulator (stochastic, the default) or kinetics (deterministic states + measurement noise, faster)."
    )
    var data: LearnabilityData = .simulator

    @Option(help: "Most training epochs per model.")
    var epochs: Int?

    @Flag(help: "Only the quick learnability figure the TUI shows (deterministic data, 120 perturbations, 2 folds).")
    var quick = false

    @Option(help: "Hidden units of the vector field's perceptron.")
    var hidden: Int?

    @Option(name: .customLong("weight-decay"), help: "L2 penalty on the perceptron's weights.")
    var weightDecay: Double?

    func validate() throws {
        if let hidden, !(1...10_000).contains(hidden) { throw ValidationError("--hidden must be in [1, 10000]") }
        if let weightDecay, !(weightDecay >= 0 && weightDecay <= 1e6) {
            throw ValidationError("--weight-decay must be in [0, 1e6]")
        }
        if !(2...1000).contains(folds) { throw ValidationError("--folds must be in [2, 1000]") }
        if !(2 * folds...1_000_000).contains(maxPerturbations) {
            throw ValidationError("--max-perturbations must be in [2 × --folds, 1000000]")
        }
        if let lambdaControl, !(lambdaControl >= 0 && lambdaControl <= 1e6) {
            throw ValidationError("--lambda-control must be in [0, 1e6]")
        }
        if let lambdaPerturbed, !(lambdaPerturbed >= 0 && lambdaPerturbed <= 1e6) {
            throw ValidationError("--lambda-perturbed must be in [0, 1e6]")
        }
        if let epochs, !(1...1_000_000).contains(epochs) { throw ValidationError("--epochs must be in [1, 1000000]") }
    }

    func run() throws {
        let progress = ProgressReporter()
        SignalGuard.install("fit", cancelling: progress)
        let loaded = try DesignLoader.load(path: design)
        var options = LearnabilityOptions()
        options.folds = folds
        options.seed = seed
        options.data = data
        options.lambdaControl = lambdaControl
        options.lambdaPerturbed = lambdaPerturbed
        options.maxPerturbations = maxPerturbations
        options.otherPerturbations = min(options.otherPerturbations, maxPerturbations / 5)
        if let epochs { options.training.maxEpochs = epochs }
        if let hidden { options.training.hidden = hidden }
        if let weightDecay { options.training.weightDecay = weightDecay }
        switch loss {
        case .standard: options.losses = [.standard]
        case .steadyState: options.losses = [.steadyState]
        case .both: options.losses = [.standard, .steadyState]
        }
        let bar = TerminalProgressBar(label: "fit", reporter: progress)
        bar.start()
        if quick {
            let summary: LearnabilitySummary
            do {
                summary = try Learnability.quickEstimate(
                    loaded.design, network: try NetworkLoader.network(for: loaded),
                    seed: seed, progress: progress)
            } catch let error as LearnabilityError {
                bar.finish()
                throw CommandFailure.input("\(design): \(error.description)")
            }
            bar.finish()
            if json {
                try printJSON(summary)
            } else {
                print(summary.headline + String(format: " [%.1f s]", summary.seconds))
            }
            return
        }
        let result: FitResult
        do {
            let network = try NetworkLoader.network(for: loaded)
            result = try Learnability.fit(design: loaded.design, network: network, options: options, progress: progress)
        } catch let error as SteadyStateError {
            bar.finish()
            throw CommandFailure.runtime("\(design): \(error.description)")
        } catch let error as LearnabilityError {
            bar.finish()
            throw CommandFailure.input("\(design): \(error.description)")
        } catch let error as SimulationError {
            bar.finish()
            throw CommandFailure.runtime("\(design): \(error.description)")
        }
        bar.finish()
        if json {
            try printJSON(result)
        } else {
            print(terminalSafe(result.text))
        }
    }
}

/// Prints a value as pretty, key-sorted JSON. JSON has no NaN, so an undefined figure (e.g. a fold
/// without held-out cells) is written as "nan".
private func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
