import Foundation

// MARK: - From the detailed evaluation to the result contract

extension Evaluation {
    /// The error budget of the typical (median-sd) perturbation's target estimate.
    public var errorBudget: [ErrorBudgetItem] {
        // No finite error (e.g. no control cells anywhere): no budget rather than inf shares.
        guard let row = medianRow, row.components.total.isFinite else { return [] }
        let total = row.components.total
        return row.components.items.map { name, v in
            ErrorBudgetItem(source: name, share: total > 0 && total.isFinite ? v / total : 0, variance: v)
        }
    }

    /// The analysis result contract (`analyze --json`).
    public func result(recommendations: [Recommendation], solutions: PowerSolutions? = nil) -> AnalysisResult {
        let reports = rows.map { r in
            PerturbationReport(
                name: r.name, target: r.target, cells: r.cells, batches: r.batches,
                targetEffect: r.targetEffect,
                targetSd: r.targetSD.isFinite && r.targetUMIs >= design.analysis.expressionThreshold
                    ? r.targetSD : nil,
                power: r.power, deGenes: r.deGenes, flags: r.flags,
                samplingPower: r.samplingPower, guideEffectProbability: r.guideEffectProbability,
                targetUmis: r.targetUMIs)
        }
        let worst = rows.min { $0.power < $1.power }
        var summary = AnalysisSummary(
            medianPower: medianPower, cost: cost.total, currency: cost.currency,
            cellsLoaded: cost.cellsLoaded, batches: layout.batchCount, perturbations: layout.perturbationCount,
            worstPerturbation: worst?.name ?? "", worstPower: worst?.power ?? 0)
        summary.medianSamplingPower = median(rows.map(\.samplingPower))
        summary.medianGuideEffectProbability = median(rows.map(\.guideEffectProbability))
        summary.test = design.analysis.test.rawValue
        var result = AnalysisResult(
            design: design.name, layout: layout.strategy.rawValue, perturbations: reports,
            summary: summary, errorBudget: errorBudget, recommendations: recommendations,
            costBreakdown: cost, solutions: solutions)
        result.mdeByExpressionDecile = Analyzer.mdeByExpressionDecile(self)
        return result
    }
}
