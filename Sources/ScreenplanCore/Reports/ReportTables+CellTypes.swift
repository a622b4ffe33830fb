import Foundation

// MARK: - The report's per-cell-type table (docs/cell-types.md)

extension ReportTables {
    /// One row per cell type: fraction ± its sd between animals, the effective fraction, median
    /// and lowest power, expression source; nil when the design has no cell types.
    public static func cellTypes(_ m: ReportModel) -> ReportTable? {
        guard let types = m.analysis.cellTypes, !types.isEmpty else { return nil }
        return ReportTable(
            header: [
                "Cell type", "Fraction", "sd between animals", "Effective fraction", "Median power", "Lowest power",
                "Expression",
            ],
            rows: types.map { t in
                [
                    t.name, ReportNumber.percent(t.fraction), ReportNumber.percent(t.fractionSd),
                    ReportNumber.percent(t.effectiveFraction), ReportNumber.percent(t.medianPower),
                    t.worstPerturbation.isEmpty
                        ? "n/a (no perturbations)" : "\(t.worstPerturbation): \(ReportNumber.percent(t.worstPower))",
                    t.hasProfile ? "own profile" : "pooled",
                ]
            },
            numeric: [1, 2, 3, 4])
    }

    /// The sentence above the table: what the headline figures are for.
    public static func cellTypesCaption(_ m: ReportModel) -> String {
        let headline =
            m.analysis.cellType.map { "the headline figures above are for \($0) cells" }
            ?? "the headline figures above are for all cells pooled"
        return
            "Power of each perturbation with the cells of one type (fraction × cells, less the animal-to-animal spread of the fraction) and that type's expression (docs/cell-types.md); \(headline)."
    }
}
