import ScreenplanCore

// MARK: - Result types of the Layout and Simulate screens

/// Cells of every perturbation in every batch, plus control cells per batch: what the Layout
/// screen draws as a heat map and what Compare summarises. Counts are after QC, summed over time
/// points.
public struct LayoutGrid: Equatable, Sendable {
    /// Layout strategy (`batching.layout`).
    public var strategy: LayoutStrategy
    /// One label per batch, e.g. `lane 1`.
    public var batches: [String]
    /// Perturbation names in design order.
    public var perturbations: [String]
    /// `cells[p][b]`: cells of perturbation p in batch b.
    public var cells: [[Int]] {
        didSet { perturbationMaximum = cells.lazy.map { $0.max() ?? 0 }.max() ?? 0 }
    }
    /// Control cells in each batch.
    public var controls: [Int]
    /// Where the grid comes from, when it is not the analysis (shown under the grid).
    public var note: String?
    /// Largest cells of a perturbation in one batch: the top of the heat scale, computed once
    /// here because scanning thousands of rows per frame would cost the keystroke budget.
    public private(set) var perturbationMaximum: Int

    public init(
        strategy: LayoutStrategy, batches: [String], perturbations: [String], cells: [[Int]],
        controls: [Int], note: String? = nil
    ) {
        self.strategy = strategy
        self.batches = batches
        self.perturbations = perturbations
        self.cells = cells
        self.controls = controls
        self.note = note
        perturbationMaximum = cells.lazy.map { $0.max() ?? 0 }.max() ?? 0
    }

    /// Largest count in any block (controls included); the top of the heat scale.
    public var maximum: Int {
        max(controls.max() ?? 0, cells.lazy.map { $0.max() ?? 0 }.max() ?? 0)
    }
}

/// The outcome of a long job, as rows the Simulate screen can show without knowing the model.
public struct JobResult: Equatable, Sendable {
    public var title: String
    /// Headline figures, each with its unit in the value text.
    public var figures: [Figure]
    /// Empirical against predicted variance of effect estimates (Monte Carlo, simulation).
    public var variance: [VarianceRow]
    /// A distribution to draw as bars (e.g. UMI counts per cell).
    public var histogram: Histogram?
    /// Field edits the result proposes (the optimizer's design); `a` applies them in one step.
    public var changes: [FieldChange]

    public init(
        title: String, figures: [Figure] = [], variance: [VarianceRow] = [], histogram: Histogram? = nil,
        changes: [FieldChange] = []
    ) {
        self.title = title
        self.figures = figures
        self.variance = variance
        self.histogram = histogram
        self.changes = changes
    }
}

/// A labelled value; the value text carries its unit.
public struct Figure: Equatable, Sendable {
    public var label: String
    public var value: String

    public init(_ label: String, _ value: String) {
        self.label = label
        self.value = value
    }
}

/// Empirical and predicted variance of one estimate (log2 units squared).
public struct VarianceRow: Equatable, Sendable {
    public var name: String
    public var empirical: Double
    public var predicted: Double

    public init(name: String, empirical: Double, predicted: Double) {
        self.name = name
        self.empirical = empirical
        self.predicted = predicted
    }
}

/// Counts in consecutive bins.
public struct Histogram: Equatable, Sendable {
    public var title: String
    /// One label per bin (e.g. the bin's lower edge).
    public var labels: [String]
    public var counts: [Int]

    public init(title: String, labels: [String], counts: [Int]) {
        self.title = title
        self.labels = labels
        self.counts = counts
    }
}
