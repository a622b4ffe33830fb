import ArgumentParser
import Foundation
import ScreenplanCore

/// `screenplan montecarlo DESIGN --reps N [--json]`: empirical against analytical variance.
struct MonteCarloCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "montecarlo",
        abstract: "Simulate the design N times and compare each perturbation's empirical variance with the analytical one.")

    @Argument(help: "Design file (YAML or JSON).")
    var design: String

    @Option(help: "Replicate simulations (≥ 2; the ratio's sampling error is about √(2/(N−1))).")
    var reps: Int = 50

    @Option(help: "Seed of the replicate seeds.")
    var seed: UInt64 = 1

    @Flag(help: "Print JSON with median_variance_ratio (schema in docs/batching.md).")
    var json = false

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
        let bar = TerminalProgress(progress, enabled: !json)
        if interactions {
            let check = try runtime { try MonteCarlo.interactions(design: d, replicates: reps, seed: seed, progress: progress) }
            bar.finish()
            if json { print(try jsonText(check)); return }
            print("\(check.design) — genetic interactions; \(check.replicates) replicates in \(String(format: "%.1f", check.seconds)) s")
            print(check.rows.isEmpty ? "no combination × gene has an analytical error (see `screenplan analyze`)"
                  : String(format: "median variance ratio (empirical / analytical): %.3f over %d combination × gene rows",
                           check.median_variance_ratio, check.rows.count))
            var sorted = check.rows.sorted { abs(Foundation.log($0.ratio)) > abs(Foundation.log($1.ratio)) }
            if rows > 0 && sorted.count > rows { sorted = Array(sorted.prefix(rows)) }
            print("")
            print(AnalysisText.table(
                ["combination", "gene", "analytical var (log2²)", "empirical var (log2²)", "ratio", "mean estimate (log2)", "expected (log2)"],
                sorted.map { r in
                    [r.combination, r.gene, String(format: "%.4g", r.analytical_variance), String(format: "%.4g", r.empirical_variance),
                     String(format: "%.3f", r.ratio), String(format: "%.3f", r.mean_estimate), String(format: "%.3f", r.expected_interaction)]
                }, rightAligned: [2, 3, 4, 5, 6]))
            return
        }
        let result = try runtime { try MonteCarlo.run(design: d, replicates: reps, seed: seed, progress: progress) }
        bar.finish()
        if json {
            print(try jsonText(result))
            return
        }
        print(terminalSafe(result.design) + " — layout \(result.layout), \(result.regime); \(result.replicates) replicates in \(String(format: "%.1f", result.seconds)) s")
        print(String(format: "median variance ratio (empirical / analytical): %.3f  (sampling error of one ratio ≈ %.0f%%)",
                     result.median_variance_ratio, 100 * result.sampling_error))
        var sorted = result.perturbations.sorted { abs(Foundation.log($0.ratio)) > abs(Foundation.log($1.ratio)) }
        if rows > 0 && sorted.count > rows { sorted = Array(sorted.prefix(rows)) }
        print("")
        print(terminalSafe(AnalysisText.table(
            ["name", "target", "analytical var (log2²)", "empirical var (log2²)", "ratio", "mean estimate (log2)", "expected (log2)"],
            sorted.map { p in
                [p.name, p.target, String(format: "%.4g", p.analytical_variance), String(format: "%.4g", p.empirical_variance),
                 String(format: "%.3f", p.ratio), String(format: "%.3f", p.mean_estimate), String(format: "%.3f", p.expected_effect)]
            }, rightAligned: [2, 3, 4, 5, 6])))
    }
}
