import Foundation

// MARK: - A cell type's expression, from a profile `screenplan calibrate` wrote
//
// `system.cell_types.types[i].profile: FILE` names a profile TSV. When the file has the per-type
// columns `calibrate --cell-type-column` writes (`mean_umis_per_cell:NAME`,
// `dispersion_theta:NAME`) and one NAME is the type's, those columns are the type's expression
// and the file's overall columns the pooled reference; otherwise the file's overall columns are
// the type's expression and the design's `measurement.expression_profile` the reference.
//
// The type's expression enters as a factor on each named gene's expression share: with
// s_t,g = mean_t,g / Σ mean_t and s_ref,g = mean_ref,g / Σ mean_ref over the genes both name,
// factor_g = s_t,g / s_ref,g (depth cancels, so pilots of different depths compare), and the
// type's own θ. The simulator multiplies a cell's molecule weights by the factor of its type
// before the softmax over genes; the analysis multiplies the baseline shares and renormalises.
// So a type's control mean of a gene is the pooled one × factor, the perturbation's fold changes
// are the network's (cell-type-specific wiring is not modelled).

/// The expression of one cell type relative to the design's, over the measured genes.
public struct CellTypeExpression: Equatable, Sendable {
    /// The type's name.
    public var name: String
    /// Factor on each measured gene's expression share (1 for genes the profile does not name);
    /// nil when the type has no profile.
    public var factor: [Double]?
    /// NB size θ of each measured gene in this type (the design's for genes the profile does
    /// not name); nil when the type has no profile.
    public var dispersion: [Double]?

    /// Expression of every type of `design` over `genes` (the measured gene names), with
    /// `pooledDispersion` the design's θ per gene.
    /// - Throws: `CalibrationInputError` (file:line) when a profile cannot be read or has no
    ///   reference to compare with.
    public static func of(_ design: Design, genes: [String], pooledDispersion: [Double]) throws -> [CellTypeExpression]
    {
        try design.system.cellTypes.types.map { type in
            guard let file = type.profile else {
                return CellTypeExpression(name: type.name, factor: nil, dispersion: nil)
            }
            let path = DesignValidator.resolve(file, against: design.baseDirectory)
            let (own, reference) = try profiles(path: path, type: type.name, design: design)
            let index = Dictionary(own.genes.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
            let refIndex = Dictionary(reference.genes.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
            var ownTotal = 0.0
            var refTotal = 0.0
            for (g, i) in index {
                guard let r = refIndex[g], reference.meanUMIs[r] > 0 else { continue }
                ownTotal += own.meanUMIs[i]
                refTotal += reference.meanUMIs[r]
            }
            var factor = [Double](repeating: 1, count: genes.count)
            var theta = pooledDispersion
            for (j, g) in genes.enumerated() {
                guard let i = index[g] else { continue }
                theta[j] = own.dispersion[i]
                if let r = refIndex[g], reference.meanUMIs[r] > 0, ownTotal > 0, refTotal > 0 {
                    factor[j] = (own.meanUMIs[i] / ownTotal) / (reference.meanUMIs[r] / refTotal)
                }
            }
            return CellTypeExpression(name: type.name, factor: factor, dispersion: theta)
        }
    }

    /// The type's profile and its reference (see the file comment).
    static func profiles(path: String, type: String, design: Design) throws -> (ExpressionProfile, ExpressionProfile) {
        let overall = try profileCache.profile(path)
        if let typed = try ExpressionProfile.read(path: path, cellType: type) { return (typed, overall) }
        guard let reference = try ExpressionProfile.of(design) else {
            throw CalibrationInputError(
                file: path,
                "has no columns for cell type `\(type)` (mean_umis_per_cell:\(type), dispersion_theta:\(type)); a profile of the type alone needs measurement.expression_profile as the pooled reference"
            )
        }
        return (overall, reference)
    }

    /// Profiles read for cell types, by path and modification date.
    static let profileCache = ProfileCache()
}
