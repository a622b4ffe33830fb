import ScreenplanCore

// MARK: - What each screen remembers of itself: cursors, toggles, its own results
//
// One sub-state per screen, so a screen's keys and render function read and write their own
// fields (`state.analysisScreen.table`) and a new field says by its place which screen owns it.
// The design, the evaluation, the input line and the status line stay in `AppState`: every
// screen shares them.

/// The Design screen: the cursor in the field tree (the Plan, then the fields that apply).
public struct DesignScreenState: Equatable, Sendable {
    public var tree = ListPosition()
}

/// The Layout screen: the perturbation row and the batch column under the cursor.
public struct LayoutScreenState: Equatable, Sendable {
    public var rows = ListPosition()
    public var column = 0
}

/// The Analysis screen: the selected recommendation, the panel shown instead of the plots
/// (per-perturbation table `t`, downstream-gene grid `d`) and the table's sort.
public struct AnalysisScreenState: Equatable, Sendable {
    /// The recommendation under the cursor (Enter applies it).
    public var recommendation = 0
    /// Ids of the recommendations applied in this session (marked as applied).
    public var appliedRecommendations: Set<String> = []
    public var showEffectPlot = false
    /// The per-perturbation table is shown instead of the plots (`t`).
    public var showTable = false
    public var table = ListPosition()
    /// The downstream-gene power grid is shown instead of the plots (`d`), and the last grid
    /// computed (for `downstreamGeneration`; `downstreamNote`: why there is none).
    public var showDownstream = false
    public var downstream: DownstreamPowerGrid?
    public var downstreamNote: String?
    public var downstreamGeneration = -1
    public var tableSort: TableColumn = .power
    public var tableDescending = false
    /// The table's row order for the current sort (see `tableOrder`).
    public var tableRowOrder: [Int] = []
}

/// The Compare screen: the layout column selected, another design read with `:compare PATH`
/// (and whether it is shown instead of the layouts), the pinned designs and the pin selected.
public struct CompareScreenState: Equatable, Sendable {
    /// The layout column under the cursor.
    public var column = 0
    /// Another design to compare with (`:compare PATH`).
    public var otherDesign: ComparedDesign?
    /// Compare shows the designs (pins and `otherDesign`) instead of the layouts (`d`).
    public var showsDesigns = false
    /// Designs pinned (`P`) or read (`:compare PATH`), compared side by side.
    public var pins: [ComparedDesign] = []
    /// The pin selected (Enter uses it).
    public var pinColumn = 0
}

/// The Simulate screen: the job under the cursor, the settings changed, the job running or
/// last finished, and what `w` writes.
public struct SimulateScreenState: Equatable, Sendable {
    /// The job under the cursor.
    public var jobChoice = 0
    /// Values of the jobs' settings the user changed (job index → value).
    public var jobParameters: [Int: Int] = [:]
    /// The job running or last finished.
    public var job: JobRun?
    /// The id the next job gets (a finished job's late messages are told apart by it).
    public var nextJobID = 1
    /// The job whose last run finished and can be written (`w`), and the format chosen (Tab).
    public var writableJob: Int?
    public var runOutputFormat = 0
}

/// The Export screen: the format selected and the path typed.
public struct ExportScreenState: Equatable, Sendable {
    /// The format under the cursor: 0 the design YAML, then the engine's exporters.
    public var format = 0
    /// The export path typed by the user; nil = derived from the design's name and the format.
    public var path: String?
}
