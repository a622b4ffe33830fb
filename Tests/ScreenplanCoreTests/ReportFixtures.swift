import Foundation
import TestSupport

@testable import ScreenplanCore

// MARK: - Hand-built analysis results for report tests
//
// The reports are pure functions of a `ReportModel`; these fixtures give deterministic, plausible
// values for any design so the renderers can be tested without the analysis itself.

enum ReportFixture {
    /// Perturbation names the way the design names them: explicit targets, or generated genes.
    static func names(_ d: Design) -> [String] {
        let singles =
            d.perturbations.targetGenes.isEmpty
            ? (0..<d.perturbations.targets).map { Design.generatedGeneName($0, of: d.system.genes) }
            : d.perturbations.targetGenes
        return singles + d.perturbations.combinations.map { $0.joined(separator: "+") }
    }

    /// Power of a two-sided test at z-threshold 3 (roughly BH over a few thousand genes).
    static func power(effect: Double, sd: Double) -> Double {
        min(1, max(0, Normal.cdf(abs(effect) / sd - 3)))
    }

    /// A pooled analysis of `d` with deterministic per-perturbation values.
    static func analysis(_ d: Design) -> AnalysisResult {
        let names = names(d)
        let cells = d.sampling.cellsPerPerturbation * d.timePoints.count
        var perts: [PerturbationReport] = []
        for (i, name) in names.enumerated() {
            let effect = -0.4 - Double(i % 9) * 0.12
            let sd = 0.12 + Double(i % 5) * 0.03
            var flags: [String] = []
            if i % 13 == 5 { flags.append("below expression threshold") }
            if i % 17 == 3 { flags.append("few cells, \"QC\", loss") }
            perts.append(
                PerturbationReport(
                    name: name, target: name, cells: cells - (i % 4), batches: d.batching.batches,
                    targetEffect: effect, targetSd: sd, power: power(effect: effect, sd: sd),
                    deGenes: Double(i % 11) * 2.5 + 1, flags: flags))
        }
        let sortedPower = perts.map(\.power).sorted()
        let median = sortedPower.isEmpty ? 0 : sortedPower[sortedPower.count / 2]
        let worst = perts.min { $0.power != $1.power ? $0.power < $1.power : $0.name < $1.name }
        let order = OrderList(design: d)
        let summary = AnalysisSummary(
            medianPower: median, cost: order.modelTotal, currency: d.cost.currency,
            cellsLoaded: d.cellsLoaded, batches: d.batching.batches,
            perturbations: perts.count, worstPerturbation: worst?.name ?? "",
            worstPower: worst?.power ?? 0)
        let budget = [
            ErrorBudgetItem(source: "perturbed cells", share: 0.55, variance: 0.0121),
            ErrorBudgetItem(source: "control cells", share: 0.15, variance: 0.0033),
            ErrorBudgetItem(source: "batch × perturbation", share: 0.30, variance: 0.0066),
        ]
        let recs = [
            Recommendation(
                id: "more-cells",
                message:
                    "Raise cells per perturbation from \(d.sampling.cellsPerPerturbation) to 200: the median power rises from 71% to 82% for 9,800 USD more.",
                change: [FieldChange(path: "sampling.cells_per_perturbation", value: "200")]),
            Recommendation(
                id: "controls-in-every-batch",
                message: "Keep controls in every batch <already the case> & check the guide library.", change: []),
        ]
        return AnalysisResult(
            design: d.name, layout: d.batching.layout.rawValue, perturbations: perts, summary: summary,
            errorBudget: budget, recommendations: recs)
    }

    /// An even pooled layout: every perturbation's cells spread over all batches.
    static func layout(_ d: Design) -> LayoutSummary {
        let names = names(d)
        let b = d.batching.batches
        let cells = d.sampling.cellsPerPerturbation * d.timePoints.count
        let grid = names.indices.map { p in (0..<b).map { cells / b + ((p + $0) % b < cells % b ? 1 : 0) } }
        let controlBatches = d.batchesWithControls
        let controls = (0..<b).map { $0 < controlBatches ? d.controlCells / max(1, controlBatches) : 0 }
        return LayoutSummary.grouping(
            name: d.batching.layout.rawValue, unit: d.batching.unit.rawValue,
            perturbations: names, cells: grid, controls: controls)
    }

    /// Power against cells per perturbation for the median and the lowest-power perturbation.
    static func curves(_ d: Design, _ a: AnalysisResult) -> [PowerCurve] {
        let n0 = Double(d.sampling.cellsPerPerturbation)
        let xs: [Double] = [25, 50, 100, 150, 200, 300, 400, 600]
        func series(_ label: String, effect: Double, sd: Double) -> PowerSeries {
            PowerSeries(
                label: label,
                points: xs.map { PowerPoint(x: $0, power: power(effect: effect, sd: sd * (n0 / $0).squareRoot())) })
        }
        return [
            PowerCurve(
                id: "power-vs-cells", title: "Power against cells per perturbation",
                xLabel: "cells per perturbation", currentX: n0,
                series: [
                    series("median perturbation", effect: -0.8, sd: 0.18),
                    series("lowest-power perturbation", effect: -0.4, sd: 0.24),
                ])
        ]
    }

    static func model(_ d: Design) -> ReportModel {
        let a = analysis(d)
        return ReportModel(design: d, analysis: a, layout: layout(d), powerCurves: curves(d, a))
    }

    static func sampleDesigns() throws -> [(String, Design)] {
        try allSampleScreens().map { ($0, try DesignLoader.load(path: $0).design) }
    }
}
