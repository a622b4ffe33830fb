// MARK: - Everything a design report shows, as values
//
// A report is a pure function of a `ReportModel`: the design, the analysis result, a summary of
// the batch layout, power curves, the order list and the model's assumptions. The renderers
// (Markdown, HTML, JSON, CSV/TSV) never compute science; they only lay these values out, so the
// formats cannot disagree with each other or with `screenplan analyze`.

/// All the values a design report carries. Build it once, render it in any `ReportFormat`.
public struct ReportModel: Equatable, Sendable {
    /// The design as loaded (every default filled in).
    public var design: Design
    /// The analytical result for the design and the layout being reported.
    public var analysis: AnalysisResult
    /// The batch × perturbation layout, grouped for display.
    public var layout: LayoutSummary
    /// Power as a function of a design quantity (cells per perturbation, batches, …).
    public var powerCurves: [PowerCurve]
    /// What to order and what each line costs under the design's cost model.
    public var order: OrderList
    /// The model's assumptions, stated so a reader can judge the prediction.
    public var assumptions: [Assumption]
    /// The screenplan version that produced the report (reports are deterministic per version).
    public var version: String

    /// Creates a model; the order list and the assumptions default to those derived from `design`.
    public init(
        design: Design, analysis: AnalysisResult, layout: LayoutSummary, powerCurves: [PowerCurve],
        order: OrderList? = nil, assumptions: [Assumption]? = nil,
        version: String = ScreenplanVersion.string
    ) {
        self.design = design
        self.analysis = analysis
        self.layout = layout
        self.powerCurves = powerCurves
        self.order = order ?? OrderList(design: design)
        self.assumptions = assumptions ?? Assumption.standard(for: design)
        self.version = version
    }

    /// Version of the JSON report schema (docs/report-schema.json). Bumped on any change to the
    /// JSON layout: minor for added fields, major for removed or renamed ones.
    public static let schemaVersion = "1.0.0"
}

// MARK: - Layout summary

/// A batch × perturbation layout reduced to at most a screenful of rows: consecutive
/// perturbations are grouped and each cell holds the mean cells per perturbation of the group.
public struct LayoutSummary: Codable, Equatable, Sendable {
    /// Layout strategy name (e.g. "pooled", "sub-libraries").
    public var name: String
    /// What a batch is ("lane", "day", "animal", …).
    public var unit: String
    /// One label per batch ("lane 1", …).
    public var batchLabels: [String]
    /// Control cells (after QC) in each batch.
    public var controlCells: [Int]
    /// Perturbed cells (after QC) in each batch.
    public var perturbedCells: [Int]
    /// Rows of the heat map, in perturbation order.
    public var rows: [LayoutRow]

    public init(
        name: String, unit: String, batchLabels: [String], controlCells: [Int], perturbedCells: [Int],
        rows: [LayoutRow]
    ) {
        self.name = name
        self.unit = unit
        self.batchLabels = batchLabels
        self.controlCells = controlCells
        self.perturbedCells = perturbedCells
        self.rows = rows
    }

    /// Groups a full layout (one row of per-batch cell counts per perturbation) into at most
    /// `maxRows` rows of consecutive perturbations.
    ///
    /// - Parameters:
    ///   - perturbations: perturbation names, in order.
    ///   - cells: `cells[p][b]` cells (after QC) of perturbation p in batch b.
    ///   - controls: control cells (after QC) per batch.
    /// - Complexity: O(K × B).
    public static func grouping(
        name: String, unit: String, perturbations: [String], cells: [[Int]],
        controls: [Int], maxRows: Int = 40
    ) -> LayoutSummary {
        let batches = controls.count
        let k = perturbations.count
        let groupSize = max(1, (k + max(1, maxRows) - 1) / max(1, maxRows))
        var rows: [LayoutRow] = []
        var perturbedPerBatch = [Int](repeating: 0, count: batches)
        var start = 0
        while start < k {
            let end = min(k, start + groupSize)
            var sums = [Double](repeating: 0, count: batches)
            for p in start..<end {
                for b in 0..<min(batches, cells[p].count) {
                    sums[b] += Double(cells[p][b])
                    perturbedPerBatch[b] += cells[p][b]
                }
            }
            let n = Double(end - start)
            let label = end - start == 1 ? perturbations[start] : "\(perturbations[start])…\(perturbations[end - 1])"
            rows.append(LayoutRow(label: label, perturbations: end - start, meanCells: sums.map { $0 / n }))
            start = end
        }
        let labels = (0..<batches).map { "\(unit) \($0 + 1)" }
        return LayoutSummary(
            name: name, unit: unit, batchLabels: labels, controlCells: controls,
            perturbedCells: perturbedPerBatch, rows: rows)
    }

    /// The largest mean cell count of any row in any batch (the top of the heat-map scale).
    public var maxMeanCells: Double {
        rows.flatMap(\.meanCells).max() ?? 0
    }

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case name
        case unit
        case batchLabels = "batch_labels"
        case controlCells = "control_cells"
        case perturbedCells = "perturbed_cells"
        case rows
    }
}

/// One heat-map row: a perturbation, or a group of consecutive perturbations.
public struct LayoutRow: Codable, Equatable, Sendable {
    /// The perturbation name, or "first…last" for a group.
    public var label: String
    /// Perturbations in the row.
    public var perturbations: Int
    /// Mean cells (after QC) per perturbation of the row, per batch.
    public var meanCells: [Double]

    public init(label: String, perturbations: Int, meanCells: [Double]) {
        self.label = label
        self.perturbations = perturbations
        self.meanCells = meanCells
    }

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case label
        case perturbations
        case meanCells = "mean_cells"
    }
}

// MARK: - Power curves

/// Power of a perturbation (or a quantile of them) as one design quantity varies.
public struct PowerCurve: Codable, Equatable, Sendable {
    /// Stable identifier, e.g. "power-vs-cells".
    public var id: String
    public var title: String
    /// What varies along x, with its unit (e.g. "cells per perturbation").
    public var xLabel: String
    /// The design's current value of x (marked on the plot), if it is on the curve's axis.
    public var currentX: Double?
    public var series: [PowerSeries]

    public init(id: String, title: String, xLabel: String, currentX: Double?, series: [PowerSeries]) {
        self.id = id
        self.title = title
        self.xLabel = xLabel
        self.currentX = currentX
        self.series = series
    }

    // `current_x` is written as null when absent, so the JSON always has the key.
    enum CodingKeys: String, CodingKey {
        case id, title
        case xLabel = "x_label"
        case currentX = "current_x"
        case series
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(title, forKey: .title)
        try c.encode(xLabel, forKey: .xLabel)
        try c.encode(currentX, forKey: .currentX)
        try c.encode(series, forKey: .series)
    }
}

/// One line of a power curve (e.g. "median perturbation", "lowest-power perturbation").
public struct PowerSeries: Codable, Equatable, Sendable {
    public var label: String
    public var points: [PowerPoint]

    public init(label: String, points: [PowerPoint]) {
        self.label = label
        self.points = points
    }
}

/// A point of a power curve: power (0…1) at x.
public struct PowerPoint: Codable, Equatable, Sendable {
    public var x: Double
    public var power: Double

    public init(x: Double, power: Double) {
        self.x = x
        self.power = power
    }
}

// MARK: - Assumptions

/// One assumption of the model behind the prediction, with the design value it uses.
public struct Assumption: Codable, Equatable, Sendable {
    /// Short topic, e.g. "counts".
    public var topic: String
    /// The assumption in a sentence, with the design's numbers.
    public var statement: String

    public init(topic: String, statement: String) {
        self.topic = topic
        self.statement = statement
    }
}
