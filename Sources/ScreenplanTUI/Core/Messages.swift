import ScreenplanCore

// MARK: - Messages in, effects out

/// Everything that can happen to the app: keys, resizes, clicks, and the results of work the
/// shell carried out. Background work reports only through these, so update stays pure.
public enum Msg: Equatable, Sendable {
    case key(Key)
    case resized(width: Int, height: Int)
    /// A mouse click at a cell (0-based column and row).
    case click(x: Int, y: Int)
    /// The design was written to `path`; `design` is what was written.
    /// `text` is what was written, when it is the original file edited in place.
    case saved(path: String, design: Design, text: String? = nil)
    case saveFailed(String)
    /// The autosave side file could not be written where it belongs (the reason and where the
    /// edits went instead), shown on the status line at once.
    case autosaveProblem(String)
    /// The engine finished evaluating the design of one generation.
    case evaluated(ScreenEvaluation)
    /// A long job reports progress (fraction in [0, 1], ETA in seconds when known).
    case jobProgress(id: Int, fraction: Double, eta: Double?, message: String)
    case jobFinished(id: Int, result: JobResult)
    case jobFailed(id: Int, reason: String)
    case jobCancelled(id: Int)
    /// The downstream-gene power grid of design generation `generation` (nil grid: none, with
    /// the reason in `note`).
    case downstreamComputed(generation: Int, grid: DownstreamPowerGrid?, note: String?)
    case exported(path: String, format: String)
    case exportFailed(String)
    /// Another design was read for the Compare screen (with the engine's summary, when available).
    case comparisonLoaded(path: String, design: Design, summary: AnalysisSummary?)
    case comparisonFailed(String)
    /// The solver's designs that reach the target power, for one generation of the design.
    case targetsSolved(generation: Int, recommendations: [Recommendation])
    /// Another design file was opened (`:e FILE`): its document, with the issues of an invalid
    /// file (the fields they name took their defaults) and its original text.
    case opened(document: DesignDocument, issues: [DesignIssue])
    case openFailed(String)
}

/// Work the shell carries out; results come back as messages. Nothing here blocks update.
public enum Effect: Equatable, Sendable {
    /// Write the design to `path` atomically, then remove the autosave side file.
    /// `original` is the file's text as opened and the design it reads as: the save edits it in
    /// place at the changed fields (comments and layout kept).
    case save(design: Design, path: String, original: SourceText? = nil)
    /// Quit; a deliberate quit removes the autosave side file.
    case quit
    /// Evaluate the design with the engine off the UI thread; answers `.evaluated`.
    case evaluate(design: Design, generation: Int)
    /// Write the design to the autosave side file (crash recovery).
    case autosave(design: Design, path: String)
    /// Remove the autosave side file (recovery declined).
    case removeAutosave(path: String)
    /// Start engine job number `job` (index into `EngineInfo.jobs`) as run `id`.
    /// `parameter` is the value of the job's setting (Monte Carlo replicates), when it has one.
    case startJob(id: Int, job: Int, design: Design, parameter: Int? = nil)
    /// Ask run `id` to stop; it answers `.jobCancelled`.
    case cancelJob(id: Int)
    /// Compute the downstream-gene power grid of the design (generation `generation`).
    case downstreamPower(design: Design, generation: Int)
    /// Write what engine job `job` makes (the simulation's counts) with its writer in format
    /// `format` to `path`, as run `id` (progress, ETA, cancel as for `startJob`).
    case writeRun(id: Int, job: Int, design: Design, format: Int, path: String)
    /// Write the design or a report with exporter number `exporter` to `path`.
    case export(exporter: Int, design: Design, path: String)
    /// Read the design at `path` (relative to the working directory, like `:w`) and analyse it,
    /// to compare with; answers `.comparisonLoaded`.
    case loadComparison(path: String)
    /// Open the design file at `path` in place of this one; answers `.opened` or `.openFailed`.
    case open(path: String)
}

/// A design file's text and the design it reads as (what saving in place starts from).
public struct SourceText: Equatable, Sendable {
    public var text: String
    public var design: Design

    public init(text: String, design: Design) {
        self.text = text
        self.design = design
    }
}
