import Foundation

// MARK: - The tables every text report shows, as rows of formatted strings
//
// Markdown and HTML lay out the same tables, so the cells are formatted once here.

/// A table of formatted cells.
public struct ReportTable: Equatable, Sendable {
    public var header: [String]
    public var rows: [[String]]
    /// Columns that hold numbers (right-aligned).
    public var numeric: Set<Int>

    public init(header: [String], rows: [[String]], numeric: Set<Int> = []) {
        self.header = header
        self.rows = rows
        self.numeric = numeric
    }
}

/// Builds the report's tables from a model.
public enum ReportTables {
    /// Most perturbations listed in the lowest-power table (the CSV has them all).
    public static let lowestPowerLimit = 20

    /// Headline figures.
    public static func summary(_ m: ReportModel) -> ReportTable {
        let s = m.analysis.summary
        let d = m.design
        return ReportTable(
            header: ["Figure", "Value"],
            rows: [
                [
                    "Perturbations",
                    "\(ReportNumber.integer(s.perturbations)) (\(d.perturbations.modality.rawValue), \(d.perturbations.guidesPerTarget) guides per target)",
                ],
                [
                    "Cells per perturbation",
                    "\(ReportNumber.integer(d.sampling.cellsPerPerturbation)) after QC, at \(d.timePoints.count) time point(s)",
                ],
                [
                    "Cells loaded",
                    "\(ReportNumber.integer(s.cellsLoaded)) in \(ReportNumber.integer(s.batches)) \(d.batching.unit.rawValue)s",
                ],
                ["Layout", m.analysis.layout],
                ["Median power", ReportNumber.percent(s.medianPower)],
                ["Lowest power", "\(s.worstPerturbation): \(ReportNumber.percent(s.worstPower))"],
                ["Cost (analysis)", ReportNumber.money(s.cost, s.currency)],
                ["Order: model cost", ReportNumber.money(m.order.modelTotal, m.order.currency)],
                ["Order: purchase cost", ReportNumber.money(m.order.purchaseTotal, m.order.currency)],
            ])
    }

    /// The order list with the cost of each line.
    public static func order(_ m: ReportModel) -> ReportTable {
        let cur = m.order.currency
        var rows = m.order.lines.map { l -> [String] in
            let inTotals = [l.inModelTotal ? "model" : nil, l.inPurchaseTotal ? "purchase" : nil].compactMap { $0 }
            return [
                l.item, ReportNumber.quantity(l.quantity) + " " + l.unit,
                l.unitCost.map { ReportNumber.money($0, cur) } ?? "–",
                l.cost.map { ReportNumber.money($0, cur) } ?? "–",
                inTotals.isEmpty ? "–" : inTotals.joined(separator: ", "), l.basis,
            ]
        }
        rows.append([
            "Total: model cost (lanes or batches, cells, reads)", "", "", ReportNumber.money(m.order.modelTotal, cur),
            "", "what the analysis and the optimiser use",
        ])
        rows.append([
            "Total: purchase cost (whole kits, cells, whole flow cells)", "", "",
            ReportNumber.money(m.order.purchaseTotal, cur), "", "what the lab pays up front",
        ])
        return ReportTable(
            header: ["Item", "Quantity", "Unit cost", "Cost", "In total", "How it is computed"],
            rows: rows, numeric: [1, 2, 3])
    }

    /// The design's main parameters with their field paths.
    public static func design(_ m: ReportModel) -> ReportTable {
        let d = m.design
        let f = DesignFigures(d)
        var rows: [[String]] = [
            [
                "Regime, dynamics", "\(d.system.regime.rawValue), \(d.system.dynamics.rawValue)",
                "system.regime, system.dynamics",
            ],
            [
                "Modelled / measured genes",
                "\(ReportNumber.integer(d.system.genes)) / \(ReportNumber.integer(d.measurement.measuredGenes))",
                "system.genes, measurement.measured_genes",
            ],
            ["Modality", d.perturbations.modality.rawValue, "perturbations.modality"],
            [
                "Perturbations (guides)",
                "\(ReportNumber.integer(f.perturbations)) (\(ReportNumber.integer(f.guides)))",
                "perturbations.targets, .guides_per_target, .combinations",
            ],
            ["MOI", ReportNumber.short(d.perturbations.moi), "perturbations.moi"],
            [
                "Time points (h)", f.timePointsH.map(ReportNumber.short).joined(separator: ", "),
                "sampling.time_points_h",
            ],
            [
                "Cells per perturbation", ReportNumber.integer(f.cellsPerPerturbation),
                "sampling.cells_per_perturbation",
            ],
            [
                "Perturbed / control cells",
                "\(ReportNumber.integer(f.perturbedCells)) / \(ReportNumber.integer(f.controlCells))", "derived",
            ],
            ["QC pass fraction", ReportNumber.percent(d.sampling.qcPassFraction), "sampling.qc_pass_fraction"],
            ["Cells loaded", ReportNumber.quantity(m.order.line("cells")?.quantity ?? 0), "analysis (order list)"],
            ["Reads per cell", ReportNumber.quantity(f.readsPerCell), "measurement.reads_per_cell"],
            [
                "UMIs per cell (saturation)",
                "\(ReportNumber.fixed(f.expectedUmisPerCell, 0)) (\(ReportNumber.percent(f.sequencingSaturation)))",
                "derived",
            ],
            [
                "Batches",
                "\(f.batches) \(f.batchUnit)s, up to \(ReportNumber.integer(d.batching.maxCellsPerBatch)) cells each",
                "batching.batches, .unit, .max_cells_per_batch",
            ],
            ["Layout", d.batching.layout.rawValue, "batching.layout"],
            [
                "Batch effect / interaction sd",
                "\(ReportNumber.short(d.batching.batchEffectSd)) / \(ReportNumber.short(d.batching.interactionSd))",
                "batching.batch_effect_sd, .interaction_sd",
            ],
            [
                "α, correction", "\(ReportNumber.short(d.analysis.alpha)), \(d.analysis.multipleTesting.rawValue)",
                "analysis.alpha, .multiple_testing",
            ],
        ]
        for level in d.batching.nested {
            rows.append([
                "Nested level",
                "\(level.count) \(level.unit.rawValue)s, effect sd \(ReportNumber.short(level.effectSd))",
                "batching.nested",
            ])
        }
        return ReportTable(header: ["Parameter", "Value", "Field"], rows: rows)
    }

    /// Cells per batch.
    public static func batches(_ m: ReportModel) -> ReportTable {
        let l = m.layout
        let rows = l.batchLabels.indices.map { b -> [String] in
            let p = b < l.perturbedCells.count ? l.perturbedCells[b] : 0
            let c = b < l.controlCells.count ? l.controlCells[b] : 0
            return [l.batchLabels[b], ReportNumber.integer(p), ReportNumber.integer(c), ReportNumber.integer(p + c)]
        }
        return ReportTable(
            header: ["Batch", "Perturbed cells", "Control cells", "Total (after QC)"], rows: rows,
            numeric: [1, 2, 3])
    }

    /// Shares of the variance of the median perturbation's estimate.
    public static func errorBudget(_ m: ReportModel) -> ReportTable {
        ReportTable(
            header: ["Source", "Share", "Variance (log2²)"],
            rows: m.analysis.errorBudget.map {
                [$0.source, ReportNumber.percent($0.share), String(format: "%.3e", $0.variance)]
            }, numeric: [1, 2])
    }

    /// One power curve as a table: x down the rows, one column per series.
    public static func powerCurve(_ c: PowerCurve) -> ReportTable {
        let xs = Array(Set(c.series.flatMap { $0.points.map(\.x) })).sorted()
        let rows = xs.map { x -> [String] in
            [ReportNumber.quantity(x)]
                + c.series.map { s in
                    s.points.first(where: { $0.x == x }).map { ReportNumber.percent($0.power) } ?? ""
                }
        }
        return ReportTable(
            header: [c.xLabel] + c.series.map(\.label), rows: rows,
            numeric: Set(0...c.series.count))
    }

    /// Power bins: lower edge inclusive, upper exclusive (the last includes 100%).
    public static let powerBins: [(Double, Double)] = [(0, 0.2), (0.2, 0.5), (0.5, 0.8), (0.8, 0.95), (0.95, 1.0)]

    /// How many perturbations fall in each power bin.
    public static func powerDistribution(_ m: ReportModel) -> ReportTable {
        let powers = m.analysis.perturbations.map(\.power)
        let total = max(1, powers.count)
        let rows = powerBins.enumerated().map { i, bin -> [String] in
            let last = i == powerBins.count - 1
            let n = powers.filter { $0 >= bin.0 && ($0 < bin.1 || (last && $0 <= bin.1)) }.count
            let label = "\(ReportNumber.fixed(bin.0 * 100, 0))–\(ReportNumber.fixed(bin.1 * 100, 0))%"
            return [label, ReportNumber.integer(n), ReportNumber.percent(Double(n) / Double(total))]
        }
        return ReportTable(header: ["Power", "Perturbations", "Share"], rows: rows, numeric: [1, 2])
    }

    /// The perturbations with the lowest power (ties broken by name, so the order is stable).
    public static func lowestPower(_ m: ReportModel) -> ReportTable {
        let sorted = m.analysis.perturbations.sorted {
            $0.power != $1.power ? $0.power < $1.power : $0.name < $1.name
        }
        let rows = sorted.prefix(lowestPowerLimit).map { p -> [String] in
            [
                p.name, p.target, ReportNumber.integer(p.cells), String(p.batches), ReportNumber.short(p.targetEffect),
                p.targetSd.map { ReportNumber.short($0) } ?? "n/a", ReportNumber.percent(p.power),
                ReportNumber.percent(p.samplingPower), ReportNumber.percent(p.guideEffectProbability),
                ReportNumber.fixed(p.deGenes, 1), ReportNumber.short(p.targetUmis),
                p.flags.isEmpty ? "–" : p.flags.joined(separator: ", "),
            ]
        }
        return ReportTable(
            header: [
                "Perturbation", "Target", "Cells", "Batches", "Effect (log2)", "sd (log2)",
                "Power", "Sampling power", "Guide-effect probability", "DE genes",
                "UMIs per control cell", "Flags",
            ],
            rows: rows, numeric: [2, 3, 4, 5, 6, 7, 8, 9, 10])
    }

    /// Most distinct flags listed (flags can carry numbers, so they need not repeat).
    public static let flagLimit = 20

    /// How many perturbations carry each flag, most frequent first (at most `flagLimit`).
    public static func flags(_ m: ReportModel) -> ReportTable {
        var counts: [String: Int] = [:]
        for p in m.analysis.perturbations { for f in p.flags { counts[f, default: 0] += 1 } }
        let rows = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(flagLimit).map { [$0.key, ReportNumber.integer($0.value)] }
        return ReportTable(header: ["Flag", "Perturbations"], rows: Array(rows), numeric: [1])
    }
}
