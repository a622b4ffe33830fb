// MARK: - Power for every tested gene beyond the target (`analyze --downstream`)

/// One affected gene of a perturbation and the analysis's power for it: what the engine
/// validation joins with each engine's test of that (perturbation, gene) pair, so the downstream
/// genes' power (the terms of `de_genes`) is checked as the target's is.
public struct DownstreamGenePower: Codable, Equatable, Sendable {
    /// Gene name (as in features.tsv of `simulate`).
    public var gene: String
    /// Power of `analysis.test` for this gene at the perturbation's per-test level.
    public var power: Double

    public init(gene: String, power: Double) {
        self.gene = gene
        self.power = power
    }
}

extension AnalysisResult {
    /// Fills `perturbations[].downstream` from the evaluation's rows (one report per row, in
    /// order) with the gene names of `effects`.
    public mutating func addDownstreamPowers(_ evaluation: Evaluation, effects: ExpectedEffects) {
        for (k, row) in evaluation.rows.enumerated() where k < perturbations.count {
            perturbations[k].downstream = zip(row.downstreamGenes, row.downstreamPowers).map { gene, power in
                DownstreamGenePower(gene: effects.geneNames[Int(gene)], power: power)
            }
        }
    }
}
