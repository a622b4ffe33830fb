import Foundation
import ScreenplanCore
import ScreenplanTUI

// MARK: - The engine the TUI runs on
//
// The one place that wires the analysis, simulator, learnability and report modules into the
// screens. The analyzer is shared so its caches (network, expected effects) survive keystrokes:
// re-analysis after one edit reuses everything the edit did not touch.

/// The engine of `screenplan tui` (and of the TUI benchmark): every screen's figures from the core.
public func tuiEngine() -> Engine {
    let analyzer = Analyzer()
    let last = LastEvaluation()
    return Engine(
        analyze: { design in
            let evaluation = try analyzer.evaluate(design)
            last.store(design, evaluation)
            var result = evaluation.result(recommendations: Recommendations.make(evaluation, analyzer: analyzer))
            result.cellTypes = try CellTypePower.compute(design, layout: evaluation.layout, analyzer: analyzer)
            result.cellType = design.analysis.cellType
            return result
        },
        powerVsCells: { design, cells in
            try analyzer.powerVersusCells(design, cells: cells, layout: nil).map(\.power)
        },
        powerVsEffect: { design, effects in
            try analyzer.powerVersusEffect(design, effects: effects, layout: nil).map(\.power)
        },
        layout: { design in try layoutGrid(design, analyzer: analyzer) },
        jobs: [simulationJob(), monteCarloJob(), optimizeJob(analyzer: analyzer), learnabilityJob()],
        exporters: ReportFormat.allCases.map { format in
            Exporter(title: "report (\(format.rawValue))", fileExtension: format.rawValue) { design, path in
                try ReportRenderer.write(try ReportModel.build(design: design, analyzer: analyzer), to: path)
            }
        },
        reachTarget: { design, progress in
            try Recommendations.reachTarget(design, analyzer: analyzer, progress: progress)
        },
        perturbationRows: { design in
            let evaluation = try last.evaluation(of: design) ?? analyzer.evaluate(design)
            let times = design.timePoints
            return evaluation.rows.map { r in
                PerturbationRow(
                    name: times.count > 1 ? "\(r.name) @\(Int(times[r.timeIndex]))h" : r.name, target: r.target,
                    targetUMIs: r.targetUMIs, cells: r.cells, batches: r.batches, effect: r.targetEffect,
                    sd: r.targetSD.isFinite ? r.targetSD : nil, power: r.power, flags: r.flags,
                    samplingPower: r.samplingPower, guideEffectProbability: r.guideEffectProbability)
            }
        },
        downstreamPower: { design in
            // The report's downstream gene (median testable expression, −0.5 log2) over the
            // report's cells and five depths around the design's.
            let evaluation = try last.evaluation(of: design) ?? analyzer.evaluate(design)
            guard !evaluation.testableUMIs.isEmpty else { return nil }
            let umis = evaluation.testableUMIs[evaluation.testableUMIs.count / 2]
            let n0 = design.sampling.cellsPerPerturbation
            let cells = Array(Set(ReportModel.powerCurveCellFactors.map { max(1, Int((Double(n0) * $0).rounded())) }))
                .sorted()
            let reads = [0.25, 0.5, 1, 2, 4].map { design.measurement.readsPerCell * $0 }
            return try analyzer.downstreamPowerGrid(
                design, umis: umis, effect: ReportModel.downstreamEffect, cells: cells,
                reads: reads)
        },
        headline: { design in
            let evaluation = try analyzer.evaluate(design)
            last.store(design, evaluation)
            var result = evaluation.result(recommendations: [])
            result.cellType = design.analysis.cellType
            return result
        })
}

/// The last design analysed and its evaluation, so the Analysis table reuses the analysis of
/// the same keystroke instead of evaluating again.
private final class LastEvaluation: Sendable {
    private let last = Locked<(design: Design, value: Evaluation)?>(nil)

    func store(_ d: Design, _ e: Evaluation) {
        last.withLock { $0 = (d, e) }
    }

    func evaluation(of d: Design) -> Evaluation? {
        last.withLock { $0?.design == d ? $0?.value : nil }
    }
}

/// The analysis module's layout (cached by the analyzer) as the grid the Layout screen draws.
private func layoutGrid(_ design: Design, analyzer: Analyzer) throws -> LayoutGrid {
    try LayoutGrid(analyzer.layout(for: design), design: design)
}

/// Simulates the whole design in memory and summarises what a sequencing run would give.
private func simulationJob() -> LongJob {
    var job = LongJob(title: "simulate", summary: "simulate every cell of the design (w writes the counts)") {
        design, progress in
        let network = try NetworkLoader.network(for: design)
        var cells = 0
        var entries = 0
        var controls = 0
        var umis: [Int] = []
        let (_, stats) = try Simulator.run(design: design, network: network, seed: 1, progress: progress) { block in
            cells += block.cellCount
            entries += block.entryCount
            for c in 0..<block.cellCount {
                if block.cells[c].observedPerturbation == -1 { controls += 1 }
                var total = 0
                for e in block.offsets[c]..<block.offsets[c + 1] { total += Int(block.counts[e]) }
                umis.append(total)
            }
        }
        umis.sort()
        let median = umis.isEmpty ? 0 : umis[umis.count / 2]
        return JobResult(
            title: "simulation (seed 1)",
            figures: [
                Figure("cells", "\(cells)"), Figure("control cells", "\(controls)"),
                Figure("median UMIs per cell", "\(median) UMIs"),
                Figure("non-zero counts", "\(entries)"),
                Figure("time", String(format: "%.1f s", stats.seconds)),
            ],
            histogram: umiHistogram(umis))
    }
    job.writer = simulationWriter()
    return job
}

/// `w` after a simulation: the same run (seed 1, so the same counts, cell for cell) written as
/// `screenplan simulate` writes it, 10x folder or h5ad, through the same atomic writers (a
/// temporary sibling renamed at the end; an existing folder replaced only when it is a previous
/// screenplan output and the user asked twice). The counts are simulated again while writing:
/// a genome-scale run's counts do not fit in memory.
private func simulationWriter() -> JobWriter {
    JobWriter(formats: [
        ExportFormat(title: "10x (matrix.mtx.gz …)", fileExtension: ""),
        ExportFormat(title: "h5ad", fileExtension: "h5ad"),
    ]) { design, format, path, replace, progress in
        let network = try NetworkLoader.network(for: design)
        let options = SimulationOptions()
        let model = try Simulator.prepare(design: design, network: network, seed: 1, options: options)
        let info =
            format == 1
            ? try SimulationH5AD.writeRun(
                model: model, to: path, shard: nil, options: options, force: replace, progress: progress)
            : try TenXWriter.write(
                model: model, to: path, shard: nil, options: options, force: replace, progress: progress)
        let s = info.summary
        return JobResult(
            title: "counts written (seed 1)",
            figures: [
                Figure("folder", path),
                Figure(
                    "format",
                    format == 1
                        ? "h5ad (simulation.h5ad, truth.tsv, run.json)"
                        : "10x (matrix.mtx.gz, barcodes.tsv.gz, features.tsv.gz, cells.tsv, truth.tsv, run.json)"),
                Figure("cells × genes", "\(s.cells) cells × \(s.genes) genes"),
                Figure("non-zero counts", "\(s.entries)"),
                Figure("time", String(format: "%.1f s", info.totalSeconds)),
            ])
    }
}

/// UMIs per cell in ten equal bins between the 1st and 99th percentile.
private func umiHistogram(_ sorted: [Int]) -> Histogram? {
    guard sorted.count > 10 else { return nil }
    let low = sorted[sorted.count / 100]
    let high = max(low + 1, sorted[sorted.count * 99 / 100])
    let bins = 10
    let width = Double(high - low) / Double(bins)
    var counts = [Int](repeating: 0, count: bins)
    for u in sorted where u >= low && u <= high {
        counts[min(bins - 1, Int(Double(u - low) / width))] += 1
    }
    let labels = (0..<bins).map { "\(low + Int(Double($0) * width))" }
    return Histogram(title: "UMIs per cell", labels: labels, counts: counts)
}

/// Monte Carlo check of the analytical variances on the design as written.
private func monteCarloJob() -> LongJob {
    LongJob(
        title: "Monte Carlo", summary: "simulate the design N times (+/- sets N); empirical vs predicted variance",
        parameter: JobParameter(name: "replicates", defaultValue: 20, range: 2...1000, step: 5)
    ) { design, replicates, progress in
        let result = try MonteCarlo.run(design: design, replicates: replicates, seed: 1, progress: progress)
        return JobResult(
            title: "Monte Carlo, \(result.replicates) replicates",
            figures: [
                Figure(
                    "median variance ratio", String(format: "%.2f (empirical / predicted)", result.medianVarianceRatio)),
                Figure("sampling error of the ratio", String(format: "± %.2f", result.samplingError)),
                Figure("time", String(format: "%.1f s", result.seconds)),
            ],
            variance: result.perturbations.prefix(200).map {
                VarianceRow(name: $0.name, empirical: $0.empiricalVariance, predicted: $0.analyticalVariance)
            })
    }
}

/// Best cells, reads, batches and controls for the design's current cost as the budget.
private func optimizeJob(analyzer: Analyzer) -> LongJob {
    LongJob(title: "optimize (same budget)", summary: "maximise median power at the design's current cost") {
        design, progress in
        let current = try analyzer.analyze(design)
        guard
            let best = try Optimizer.maximizePower(
                design, budget: current.summary.cost, analyzer: analyzer,
                progress: progress)
        else {
            return JobResult(title: "optimize", figures: [Figure("result", "no design fits the budget")])
        }
        let currency = design.cost.currency
        return JobResult(
            title: "optimize at \(Int(current.summary.cost)) \(currency)",
            figures: [
                Figure("median power", String(format: "%.2f → %.2f", current.summary.medianPower, best.medianPower)),
                Figure(
                    "cells per perturbation",
                    "\(design.sampling.cellsPerPerturbation) → \(best.cellsPerPerturbation) cells"),
                Figure("reads per cell", "\(Int(design.measurement.readsPerCell)) → \(Int(best.readsPerCell)) reads"),
                Figure("batches", "\(design.batching.batches) → \(best.batches) \(design.batching.unit.rawValue)s"),
                Figure(
                    "controls per batch",
                    "\(best.controlCellsPerBatch) cells (\(String(format: "%.1f", best.controlRatio))× a perturbation; √K = \(String(format: "%.1f", best.sqrtK)))"
                ),
                Figure("a applies", best.change.map { "\($0.path) = \($0.value)" }.joined(separator: ", ")),
            ],
            changes: best.change)
    }
}

/// The learnability figure: does the steady-state loss help a model predict unseen perturbations?
private func learnabilityJob() -> LongJob {
    LongJob(
        title: "learnability (quick fit)",
        summary: "neural ODE, standard vs steady-state loss on held-out perturbations"
    ) { design, progress in
        let summary = try Learnability.quickEstimate(design, seed: 1, progress: progress)
        return JobResult(
            title: "learnability",
            figures: [
                Figure("verdict", "steady-state loss \(summary.verdict)"),
                Figure("held-out MSE ratio", String(format: "%.3f (steady-state / standard)", summary.mseRatio)),
                Figure(
                    "held-out MSE",
                    String(
                        format: "%.4g standard, %.4g steady-state, %.4g no change (log2²)", summary.standardMSE,
                        summary.steadyStateMSE, summary.noChangeMSE)),
                Figure("Pearson r", String(format: "%.2f (steady-state model)", summary.steadyStatePearson)),
                Figure("perturbations fitted", "\(summary.perturbationsFitted)"),
                Figure("time", String(format: "%.1f s", summary.seconds)),
            ])
    }
}
