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
            PerturbationReport(name: r.name, target: r.target, cells: r.cells, batches: r.batches,
                               target_effect: r.targetEffect,
                               target_sd: r.targetSD.isFinite && r.targetUMIs >= design.analysis.expression_threshold
                                   ? r.targetSD : nil,
                               power: r.power, de_genes: r.deGenes, flags: r.flags,
                               sampling_power: r.samplingPower, guide_effect_probability: r.guideEffectProbability,
                               target_umis: r.targetUMIs)
        }
        let worst = rows.min { $0.power < $1.power }
        var summary = AnalysisSummary(
            median_power: medianPower, cost: cost.total, currency: cost.currency,
            cells_loaded: cost.cells_loaded, batches: layout.batchCount, perturbations: layout.perturbationCount,
            worst_perturbation: worst?.name ?? "", worst_power: worst?.power ?? 0)
        summary.median_sampling_power = median(rows.map(\.samplingPower))
        summary.median_guide_effect_probability = median(rows.map(\.guideEffectProbability))
        summary.test = design.analysis.test.rawValue
        var result = AnalysisResult(design: design.name, layout: layout.strategy.rawValue, perturbations: reports,
                                    summary: summary, error_budget: errorBudget, recommendations: recommendations,
                                    cost_breakdown: cost, solutions: solutions)
        result.mde_by_expression_decile = Analyzer.mdeByExpressionDecile(self)
        return result
    }
}
