import ArgumentParser
import Foundation
import ScreenplanCommands
import ScreenplanCore

/// `screenplan montecarlo DESIGN --reps N [--json]`: empirical against analytical variance.
struct MonteCarloCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "montecarlo",
        abstract:
            "Simulate the design N times, run the design's test on every replicate and compare power, false positives, bias and variance with the analysis.",
        discussion: """
            --seed is the seed of the replicate seeds. JSON (--json): median_variance_ratio, power_calibration, \
            brier, null_rejection_rate, bias_median and variance_ratio_quantiles (schema in docs/batching.md).
            """)

    @OptionGroup var designArgument: DesignArgument
    /// The design file path (`DesignArgument`).
    var design: String { designArgument.design }

    @Option(help: "Replicate simulations (≥ 2; the ratio's sampling error is about √(2/(N−1))).")
    var reps: Int = 50

    @OptionGroup var seedOption: SeedOption
    /// The seed of the replicate seeds (`SeedOption`).
    var seed: UInt64 { seedOption.seed }

    @OptionGroup var jsonOption: JSONOption
    /// `--json` (`JSONOption`).
    var json: Bool { jsonOption.json }

    @Option(help: "Rows of the table (largest deviation first); 0 for all.")
    var rows: Int = 15

    @Flag(help: "Check the genetic interactions of the design's combinations instead (I = Δ_AB − Δ_A − Δ_B per gene).")
    var interactions = false

    func validate() throws {
        if !(2...100_000).contains(reps) { throw ValidationError("--reps must be in [2, 100000] (got \(reps))") }
    }

    func run() throws {
        let progress = ProgressReporter()
        SignalGuard.install("montecarlo", cancelling: progress)
        let d = try loadDesign(design)
        let bar = TerminalProgressBar.started(label: "montecarlo", reporter: progress, enabled: !json)
        if interactions {
            let check = try runtime {
                try MonteCarlo.interactions(design: d, replicates: reps, seed: seed, progress: progress)
            }
            bar.finish()
            if json {
                print(try jsonText(check))
                return
            }
            print(
                "\(check.design) — genetic interactions; \(check.replicates) replicates in \(String(format: "%.1f", check.seconds)) s"
            )
            print(
                check.rows.isEmpty
                    ? "no combination × gene has an analytical error (see `screenplan analyze`)"
                    : String(
                        format: "median variance ratio (empirical / analytical): %.3f over %d combination × gene rows",
                        check.medianVarianceRatio, check.rows.count))
            var sorted = check.rows.sorted { abs(Foundation.log($0.ratio)) > abs(Foundation.log($1.ratio)) }
            if rows > 0 && sorted.count > rows { sorted = Array(sorted.prefix(rows)) }
            print("")
            print(
                AnalysisText.table(
                    [
                        "combination", "gene", "analytical var (log2²)", "empirical var (log2²)", "ratio",
                        "mean estimate (log2)", "expected (log2)",
                    ],
                    sorted.map { r in
                        [
                            r.combination, r.gene, String(format: "%.4g", r.analyticalVariance),
                            String(format: "%.4g", r.empiricalVariance),
                            String(format: "%.3f", r.ratio), String(format: "%.3f", r.meanEstimate),
                            String(format: "%.3f", r.expectedInteraction),
                        ]
                    }, rightAligned: [2, 3, 4, 5, 6]))
            return
        }
        let result = try runtime { try MonteCarlo.run(design: d, replicates: reps, seed: seed, progress: progress) }
        bar.finish()
        if json {
            print(try jsonText(result))
            return
        }
        print(
            terminalSafe(result.design)
                + " — layout \(result.layout), \(result.regime); \(result.replicates) replicates in \(String(format: "%.1f", result.seconds)) s (simulation \(String(format: "%.1f", result.simulationSeconds)) s, tests \(String(format: "%.1f", result.testSeconds)) s)"
        )
        print(
            String(
                format: "median variance ratio (empirical / analytical): %.3f  (sampling error of one ratio ≈ %.0f%%)",
                result.medianVarianceRatio, 100 * result.samplingError))
        print(Self.summary(result))
        var sorted = result.perturbations.sorted { abs(Foundation.log($0.ratio)) > abs(Foundation.log($1.ratio)) }
        if rows > 0 && sorted.count > rows { sorted = Array(sorted.prefix(rows)) }
        print("")
        print(
            terminalSafe(
                AnalysisText.table(
                    [
                        "name", "target", "analytical var (log2²)", "empirical var (log2²)", "ratio",
                        "mean estimate (log2)", "expected (log2)",
                        "predicted power", "rejection rate",
                    ],
                    sorted.map { p in
                        [
                            p.name, p.target, String(format: "%.4g", p.analyticalVariance),
                            String(format: "%.4g", p.empiricalVariance),
                            String(format: "%.3f", p.ratio), String(format: "%.3f", p.meanEstimate),
                            String(format: "%.3f", p.expectedEffect),
                            p.predictedPower.map { String(format: "%.3f", $0) } ?? "n/a",
                            p.empiricalPower.map { String(format: "%.3f (%d)", $0, p.tests) } ?? "n/a",
                        ]
                    }, rightAligned: [2, 3, 4, 5, 6, 7, 8])))
    }

    /// The text summary: calibration table, Brier score, null rejections, bias and ratio quantiles.
    static func summary(_ r: MonteCarloResult) -> String {
        func f(_ v: Double?, _ format: String, _ reason: String) -> String {
            v.map { String(format: format, $0) } ?? "n/a (\(reason))"
        }
        var lines: [String] = []
        if let q = r.varianceRatioQuantiles {
            lines.append(
                String(
                    format: "variance ratio quantiles 5/25/50/75/95%%: %.3f / %.3f / %.3f / %.3f / %.3f", q.q05, q.q25,
                    q.q50, q.q75, q.q95))
        } else {
            lines.append("variance ratio quantiles: n/a (no perturbation with finite estimates)")
        }
        lines.append(
            "bias of the mean estimate (median of mean − expected): " + f(r.biasMedian, "%+.3f log2", "no perturbation")
        )
        lines.append("")
        lines.append("test: \(r.test) on every replicate; power by bin of predicted power:")
        if r.powerCalibration.isEmpty {
            lines.append("  n/a (no perturbation with a testable target)")
        } else {
            lines.append(
                AnalysisText.table(
                    [
                        "predicted power bin", "perturbations", "tests", "mean predicted", "rejection rate",
                        "± (binomial se)",
                    ],
                    r.powerCalibration.map { b in
                        let se = (b.empirical * (1 - b.empirical) / Double(max(1, b.tests))).squareRoot()
                        return [
                            String(format: "%.1f–%.1f", b.low, b.high), "\(b.n)", "\(b.tests)",
                            String(format: "%.3f", b.predicted),
                            String(format: "%.3f", b.empirical), String(format: "%.3f", se),
                        ]
                    }, rightAligned: [1, 2, 3, 4, 5]))
        }
        lines.append("Brier score (predicted power against rejected 0/1): " + f(r.brier, "%.4f", "no tests"))
        lines.append(
            "truth-null genes (\(r.nullGenesPerPerturbation) per perturbation, \(r.nullTests) tests): rejection rate "
                + f(r.nullRejectionRate, "%.2e", "no null genes tested") + " at the per-test level (mean "
                + f(r.nullLevel, "%.2e", "no tests")
                + "), " + f(r.nullRejectionRateAtAlpha, "%.4f", "no tests") + " at p < α unadjusted")
        return lines.joined(separator: "\n")
    }
}
