import ArgumentParser
import Foundation
import ScreenplanCommands
import ScreenplanCore

/// `screenplan optimize DESIGN --budget AMOUNT [--json]` or `--power P`.
struct OptimizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "optimize",
        abstract:
            "Cells per perturbation, reads per cell, batches and controls: best median power for a budget, or the cheapest design reaching a power.",
        discussion: "JSON (--json): the objective, the current and the best design; schema in docs/batching.md.")

    @OptionGroup var designArgument: DesignArgument
    /// The design file path (`DesignArgument`).
    var design: String { designArgument.design }

    @Option(help: "Budget in the design's cost.currency.")
    var budget: Double?

    @Option(help: "Target median power in (0, 1): find the cheapest design reaching it.")
    var power: Double?

    @OptionGroup var jsonOption: JSONOption
    /// `--json` (`JSONOption`).
    var json: Bool { jsonOption.json }

    @Option(help: "Fewest animals (in vitro: batches) each perturbation must be in at each time point.")
    var minBatches: Int = 1

    func validate() throws {
        if (budget == nil) == (power == nil) {
            throw ValidationError("give exactly one of --budget AMOUNT or --power P")
        }
        if let budget, !(budget > 0 && budget.isFinite) {
            throw ValidationError("--budget must be a finite amount > 0 (got \(budget))")
        }
        if let power, !(power > 0 && power < 1) { throw ValidationError("--power must be in (0, 1)") }
        if minBatches < 1 { throw ValidationError("--min-batches must be a whole number ≥ 1 (got \(minBatches))") }
    }

    struct Output: Codable {
        var objective: String
        var budget: Double?
        var targetPower: Double?
        var currency: String
        var current: AnalysisSummary
        var best: OptimizedDesign?
        /// `--min-batches`: fewest animals (batches) per perturbation and time point.
        var minBatches: Int = 1

        /// The keys of the file format (snake_case), kept when the properties were renamed.
        enum CodingKeys: String, CodingKey {
            case objective
            case budget
            case targetPower = "target_power"
            case currency
            case current
            case best
            case minBatches = "min_batches"
        }
    }

    func run() throws {
        let d = try loadDesign(design)
        let analyzer = Analyzer()
        let progress = ProgressReporter()
        let bar = TerminalProgressBar.started(label: "optimize", reporter: progress, enabled: !json)
        defer { bar.finish() }
        let current = try runtime { try analyzer.analyze(d) }
        let best: OptimizedDesign?
        if let budget {
            best = try runtime {
                try Optimizer.maximizePower(
                    d, budget: budget, analyzer: analyzer, progress: progress, minBatches: minBatches)
            }
        } else {
            best = try runtime {
                try Optimizer.cheapest(d, power: power!, analyzer: analyzer, progress: progress, minBatches: minBatches)
            }
        }
        bar.finish()
        let output = Output(
            objective: budget != nil ? "max-median-power" : "min-cost", budget: budget,
            targetPower: power, currency: d.cost.currency, current: current.summary, best: best,
            minBatches: minBatches)
        if json {
            print(try jsonText(output))
            return
        }
        let cur = d.cost.currency
        print(
            terminalSafe(d.name)
                + ": now median power \(String(format: "%.2f", current.summary.medianPower)) for \(formatMoney(current.summary.cost, cur))"
        )
        guard let b = best else {
            let floor =
                minBatches > 1
                ? " with every perturbation in ≥ \(minBatches) \(d.system.regime == .inVivo ? "animals" : "batches")"
                : ""
            print(
                budget != nil
                    ? "No design\(floor) fits \(formatMoney(budget!, cur))\(minBatches > 1 ? "" : ": even one cell per perturbation costs more")."
                    : "No design\(floor) in the searched range reaches median power \(power!).")
            throw CommandFailure(message: "no feasible design", code: 1)
        }
        let floorNote =
            minBatches > 1
            ? ", every perturbation in ≥ \(minBatches) \(d.system.regime == .inVivo ? "animals" : "batches")" : ""
        print(
            budget != nil
                ? "Best design for \(formatMoney(budget!, cur))\(floorNote):"
                : "Cheapest design with median power ≥ \(power!)\(floorNote):")
        print(
            AnalysisText.table(
                ["", "value"],
                [
                    ["cells per perturbation", formatThousands(Double(b.cellsPerPerturbation))],
                    ["reads per cell", formatThousands(b.readsPerCell)],
                    ["batches", String(b.batches)],
                    [
                        "control cells per batch",
                        formatThousands(Double(b.controlCellsPerBatch))
                            + String(format: " (%.1f × one perturbation's; √K = %.1f)", b.controlRatio, b.sqrtK),
                    ],
                    ["median power", String(format: "%.3f", b.medianPower)],
                    ["cells loaded", formatThousands(Double(b.cost.cellsLoaded))],
                    [
                        "cost",
                        formatMoney(b.cost.total, cur) + " (batches " + formatMoney(b.cost.batchCost, cur) + ", cells "
                            + formatMoney(b.cost.cellCost, cur) + ", sequencing "
                            + formatMoney(b.cost.sequencingCost, cur) + ")",
                    ],
                    ["order", "\(b.cost.kits) kit(s), \(b.cost.flowCells) flow cell(s)"],
                ], rightAligned: []))
        if !b.change.isEmpty {
            print("apply: " + b.change.map { "\($0.path) = \($0.value)" }.joined(separator: ", "))
        }
    }
}
