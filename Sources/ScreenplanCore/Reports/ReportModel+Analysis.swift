import Foundation

// MARK: - Building a report model from the analysis

extension ReportModel {
    /// Cells per perturbation at which the power curve is evaluated, as multiples of the design's.
    public static let powerCurveCellFactors: [Double] = [0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4]
    /// True |log2 fold changes| at which the effect-size power curve is evaluated.
    public static let powerCurveEffects: [Double] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.25, 1.5, 2.0]
    /// Effect of the downstream gene in the report's downstream plot (log2; a typical secondary
    /// effect, weaker than a knockdown).
    public static let downstreamEffect = -0.5
    /// Reads per cell of the downstream plot's series, as multiples of the design's.
    public static let downstreamReadFactors: [Double] = [0.5, 1, 2]

    /// Analyses `design` under `layout` (its own when nil) and gathers everything a report shows:
    /// the result with recommendations and target-power solutions, the layout grid, power curves
    /// against cells per perturbation and effect size, and the order list priced from the
    /// analysis's cell count (which counts perturbed cells 1/MOI at high MOI).
    /// - Parameter solve: run the target-power solvers (the slowest part) for `analysis.solutions`.
    /// - Throws: what the analysis throws (e.g. an unreadable network file).
    /// - Complexity: one evaluation per power-curve point plus the solvers.
    public static func build(
        design: Design, layout strategy: LayoutStrategy? = nil,
        analyzer: Analyzer = Analyzer(), solve: Bool = true
    ) throws -> ReportModel {
        let evaluation = try analyzer.evaluate(design, layout: strategy)
        let solutions = solve ? try analyzer.solve(design, layout: strategy) : nil
        var result = evaluation.result(
            recommendations: Recommendations.make(evaluation, analyzer: analyzer),
            solutions: solutions)
        if !design.perturbations.combinations.isEmpty {
            result.interactions = try GeneticInteractions.compute(design, layout: evaluation.layout)
        }
        result.cellTypes = try CellTypePower.compute(design, layout: evaluation.layout, analyzer: analyzer)
        result.cellType = design.analysis.cellType
        let names = try analyzer.effects(for: design).names
        let layout = evaluation.layout
        let grid = (0..<layout.perturbationCount).map { p in (0..<layout.batchCount).map { layout.cells(p, $0) } }
        let rowNames = (0..<layout.perturbationCount).map { $0 < names.count ? names[$0] : "P\($0 + 1)" }
        let summary = LayoutSummary.grouping(
            name: layout.strategy.rawValue, unit: design.batching.unit.rawValue,
            perturbations: rowNames, cells: grid, controls: layout.controls)

        let n0 = design.sampling.cellsPerPerturbation
        var cellPoints = powerCurveCellFactors.map { max(1, Int((Double(n0) * $0).rounded())) }
        cellPoints = Array(Set(cellPoints)).sorted()
        let byCells = try analyzer.powerVersusCells(design, cells: cellPoints, layout: strategy)
        let byEffect = try analyzer.powerVersusEffect(design, effects: powerCurveEffects, layout: strategy)
        let typicalEffect = evaluation.medianRow.map { abs($0.targetEffect) }
        let curves = [
            PowerCurve(
                id: "power-vs-cells", title: "Median power against cells per perturbation",
                xLabel: "cells per perturbation", currentX: Double(n0),
                series: [
                    PowerSeries(
                        label: "median power",
                        points: byCells.map { PowerPoint(x: Double($0.cells), power: $0.power) })
                ]),
            PowerCurve(
                id: "power-vs-effect", title: "Power of the typical perturbation against effect size",
                xLabel: "true |log2 fold change| of the target", currentX: typicalEffect,
                series: [
                    PowerSeries(
                        label: "typical perturbation (median sd)",
                        points: byEffect.map { PowerPoint(x: $0.effect, power: $0.power) })
                ]),
        ]
        // A downstream gene at the median testable expression: power over cells and depth, each
        // series labelled with the target-power contour (fewest cells reaching it at that depth).
        var allCurves = curves
        if !evaluation.testableUMIs.isEmpty {
            let umis = evaluation.testableUMIs[evaluation.testableUMIs.count / 2]
            let reads = downstreamReadFactors.map { design.measurement.readsPerCell * $0 }
            let grid = try analyzer.downstreamPowerGrid(
                design, umis: umis, effect: downstreamEffect, cells: cellPoints,
                reads: reads, layout: strategy)
            let target = ReportNumber.percent(grid.targetPower)
            allCurves.append(
                PowerCurve(
                    id: "downstream-power",
                    title:
                        "Power for a downstream gene (\(ReportNumber.short(umis)) UMIs per cell, \(ReportNumber.short(downstreamEffect)) log2) against cells per perturbation",
                    xLabel: "cells per perturbation", currentX: Double(n0),
                    series: zip(grid.readsPerCell, zip(grid.power, grid.contourCells)).map { r, pc in
                        let reach =
                            pc.1.map { "\(target) at \(ReportNumber.integer($0)) cells" } ?? "\(target) not reached"
                        return PowerSeries(
                            label: "\(ReportNumber.integer(Int(r.rounded()))) reads per cell (\(reach))",
                            points: zip(grid.cellsPerPerturbation, pc.0).map { PowerPoint(x: Double($0), power: $1) })
                    }))
        }
        let order = OrderList(design: design, cellsLoaded: evaluation.cost.cellsLoaded, batches: layout.batchCount)
        return ReportModel(design: design, analysis: result, layout: summary, powerCurves: allCurves, order: order)
    }
}

extension ReportRenderer {
    /// Analyses `design` and writes its report at `path`, in the format of the extension: the
    /// one call behind `screenplan report` and the TUI's Export screen.
    /// - Throws: `ReportPathError` for an unknown extension (before any analysis), what the
    ///   analysis throws, `FileWriteError` when writing fails.
    @discardableResult
    public static func write(
        design: Design, to path: String, layout: LayoutStrategy? = nil,
        solve: Bool = true
    ) throws -> ReportFormat {
        guard ReportFormat(path: path) != nil else { throw ReportPathError(path: path) }
        return try write(try ReportModel.build(design: design, layout: layout, solve: solve), to: path)
    }
}

extension ReportFormat {
    /// A title for menus (the TUI's Export screen).
    public var title: String {
        switch self {
        case .markdown: return "report (Markdown)"
        case .html: return "report (HTML, self-contained)"
        case .json: return "report (JSON)"
        case .csv: return "per-perturbation table (CSV)"
        case .tsv: return "per-perturbation table (TSV)"
        }
    }
}
