import ScreenplanCore

// MARK: - The state of the app: one value, so update is pure and tests compare states

/// The screens, in tab order; the number keys 1–6 select them.
public enum Screen: Int, CaseIterable, Sendable {
    case design, layout, analysis, compare, simulate, export

    public var title: String {
        switch self {
        case .design: return "Design"
        case .layout: return "Layout"
        case .analysis: return "Analysis"
        case .compare: return "Compare"
        case .simulate: return "Simulate"
        case .export: return "Export"
        }
    }
}

/// What a line of typed input is for.
public enum InputKind: Equatable, Sendable {
    /// Editing the value of a design field in place.
    case value(path: String)
    /// The `:` command line.
    case command
    /// The `/` search in the design tree.
    case search
    /// The path of the Export screen.
    case exportPath
    /// Where `w` on the Simulate screen writes a finished run's counts (Tab: the format).
    case runOutputPath
}

/// A line being typed: its text, the cursor (in characters) and the reason it was refused.
public struct InputLine: Equatable, Sendable {
    public var kind: InputKind
    public var text: String
    public var cursor: Int
    public var error: String?

    public init(kind: InputKind, text: String = "", error: String? = nil) {
        self.kind = kind
        self.text = text
        self.cursor = text.count
        self.error = error
    }
}

/// A long job running or finished on the Simulate screen.
public struct JobRun: Equatable, Sendable {
    public enum Phase: Equatable, Sendable {
        case running
        case finished(JobResult)
        case failed(String)
        case cancelled, cancelling
    }

    public var id: Int
    public var job: Int
    public var title: String
    public var fraction: Double = 0
    public var eta: Double?
    public var message: String = ""
    public var phase: Phase = .running

    public init(
        id: Int, job: Int, title: String, fraction: Double = 0, eta: Double? = nil, message: String = "",
        phase: Phase = .running
    ) {
        self.id = id
        self.job = job
        self.title = title
        self.fraction = fraction
        self.eta = eta
        self.message = message
        self.phase = phase
    }

    public var isRunning: Bool { phase == .running || phase == .cancelling }
}

/// Cursor and scroll of a list, kept in state so the view stays put while the cursor moves.
public struct ListPosition: Equatable, Sendable {
    public var cursor = 0
    public var scroll = 0

    /// Moves the cursor by `delta` within `count` rows and scrolls so it stays in `visible` rows.
    mutating func move(by delta: Int, count: Int, visible: Int) {
        cursor = min(max(0, count - 1), max(0, cursor + delta))
        reveal(visible: visible)
    }

    mutating func reveal(visible: Int) {
        let v = max(1, visible)
        if cursor < scroll { scroll = cursor }
        if cursor >= scroll + v { scroll = cursor - v + 1 }
        scroll = max(0, scroll)
    }
}

/// The whole state of the app.
public struct AppState: Equatable, Sendable {
    // MARK: The design and its history
    public var document: DesignDocument
    /// The design as last saved (or opened): `dirty` compares against it.
    public var savedDesign: Design
    /// The Design screen's rows (the Plan, then the fields that apply), cached: `Design.fields()`
    /// serialises YAML, too slow per frame.
    public private(set) var rows: [DesignField]
    /// Every field of the design (null ones included), in file order.
    public private(set) var allFields: [DesignField]
    public var undoStack: [Design] = []
    public var redoStack: [Design] = []
    /// Bumped on every design change; evaluations of older generations are dropped.
    public var generation = 0
    public var evaluation: ScreenEvaluation?

    // MARK: The terminal
    public var width: Int
    public var height: Int
    public var capabilities: Capabilities
    public var engine: EngineInfo

    // MARK: Interaction
    public var screen: Screen = .design
    public var showHelp = false
    public var confirmingQuit = false
    /// Save, then quit when the save succeeds (`:wq`).
    public var quitAfterSave = false
    public var input: InputLine?
    public var status = ""
    public var statusIsError = false
    public var search = ""
    /// Every status message of the session, oldest first (`:messages`).
    public var messages: [String] = []
    /// Whether the `:messages` log is shown.
    public var showMessages = false
    /// Problems of the file as opened (an invalid design opens with them listed; their fields
    /// took their defaults until fixed).
    public var issues: [DesignIssue] = [] {
        didSet { rows = designRows(document.design, fields: allFields, issues: issues) }
    }
    /// The fix offered for the last refused edit: `f` applies it.
    public var pendingFix: PendingFix?
    /// The solver's designs reaching the target power, for one generation of the design.
    public var targetRecommendations: SolvedTargets?
    /// A design found in the autosave side file, offered for recovery at start.
    public var recovery: Design?
    public var autosavePath: String?

    // MARK: Per-screen state (ScreenStates.swift)
    public var designScreen = DesignScreenState()
    public var layoutScreen = LayoutScreenState()
    public var analysisScreen = AnalysisScreenState()
    public var compareScreen = CompareScreenState()
    public var simulateScreen = SimulateScreenState()
    public var exportScreen = ExportScreenState()

    /// Recomputes the table's row order after the evaluation or the sort changed.
    mutating func sortTable() {
        analysisScreen.tableRowOrder = tableOrder(
            evaluation?.perturbations ?? [], by: analysisScreen.tableSort, descending: analysisScreen.tableDescending)
    }

    /// The value of job `index`'s setting: the user's, or its default.
    public func jobParameter(_ index: Int) -> Int? {
        guard engine.jobs.indices.contains(index), let p = engine.jobs[index].parameter else { return nil }
        return simulateScreen.jobParameters[index] ?? p.defaultValue
    }

    public init(
        document: DesignDocument, width: Int = 80, height: Int = 24,
        capabilities: Capabilities = Capabilities(unicode: true, color: true),
        engine: EngineInfo = Engine.designOnly.info, autosavePath: String? = nil,
        recovery: Design? = nil, issues: [DesignIssue] = []
    ) {
        self.document = document
        self.savedDesign = document.design
        let fields = document.design.fields()
        self.allFields = fields
        self.rows = designRows(document.design, fields: fields, issues: issues)
        self.width = width
        self.height = height
        self.capabilities = capabilities
        self.engine = engine
        self.autosavePath = autosavePath
        self.recovery = recovery.flatMap { $0 == document.design ? nil : $0 }
        self.issues = issues
        // Start on the first Plan field: the one most people turn first.
        // (or on the first problem of an invalid file).
        designScreen.tree.cursor =
            issues.isEmpty ? rows.firstIndex { $0.path == "sampling.cells_per_perturbation" } ?? 0 : 1
    }

    /// The design being edited.
    public var design: Design { document.design }

    /// The file's text to edit in place on save, when the design came from a file.
    public var source: SourceText? {
        guard let text = document.originalText, let design = document.openedDesign else { return nil }
        return SourceText(text: text, design: design)
    }

    /// Whether the design differs from the file.
    public var dirty: Bool { document.design != savedDesign }

    /// Replaces the design (recomputing the cached rows); callers decide about undo.
    mutating func replaceDesign(_ design: Design) {
        document.design = design
        allFields = design.fields()
        rows = designRows(design, fields: allFields, issues: issues)
        // The pins' differences are from the design being edited.
        for i in compareScreen.pins.indices {
            compareScreen.pins[i].differences = differences(allFields, compareScreen.pins[i].design.fields()).map {
                (path: $0.0, mine: $0.1, theirs: $0.2)
            }
        }
        generation += 1
        designScreen.tree.cursor = min(designScreen.tree.cursor, max(0, rows.count - 1))
    }

    /// Sets a status line message; every message is kept for `:messages`.
    mutating func say(_ text: String, error: Bool = false) {
        status = text
        statusIsError = error
        if !text.isEmpty, messages.last != text {
            messages.append(text)
            if messages.count > 200 { messages.removeFirst(messages.count - 200) }
        }
    }

    /// The recommendations shown on the Analysis screen: the analysis' own, then the solver's
    /// designs that reach the target power (when they are for this design).
    public var recommendations: [Recommendation] {
        let own = evaluation?.analysis?.recommendations ?? []
        guard let solved = targetRecommendations, solved.generation == generation else { return own }
        // Those that would lower the median power below the target come after the rest.
        let all = own + solved.recommendations
        return all.filter { $0.effect?.lowersPowerBelowTarget != true }
            + all.filter { $0.effect?.lowersPowerBelowTarget == true }
    }

    /// Whether the terminal is too small for the screens.
    public var tooSmall: Bool { width < minimumSize.width || height < minimumSize.height }

    /// Where `w` writes a finished run's output by default: the design's name (file or slug)
    /// with the format's extension (`-counts` for a folder format such as 10x).
    public func defaultRunOutputPath(format: Int) -> String {
        let formats = simulateScreen.writableJob.map { engine.jobs[$0].writeFormats } ?? []
        let ext = formats.indices.contains(format) ? formats[format].fileExtension : ""
        let base = document.path.map(deletingExtension) ?? slug(document.design.name)
        return base + "-counts" + (ext.isEmpty ? "" : "-" + ext)
    }

    /// The export path shown: the typed one, or the design's name with the format's extension.
    public var effectiveExportPath: String {
        if let path = exportScreen.path { return path }
        let format = exportScreen.format
        let ext = engine.exports.indices.contains(format) ? engine.exports[format].fileExtension : "yaml"
        let base = document.path.map(deletingExtension) ?? slug(document.design.name)
        let suffix = format == 0 && document.path != nil ? "-export" : ""
        return base + suffix + "." + ext
    }
}

/// A second design read for the Compare screen.
public struct ComparedDesign: Equatable, Sendable {
    public var path: String
    public var design: Design
    public var summary: AnalysisSummary?
    /// Fields whose values differ: path, this design's value, the other's.
    public var differences: [(path: String, mine: String, theirs: String)]

    public init(path: String, design: Design, summary: AnalysisSummary?, differences: [(String, String, String)]) {
        self.path = path
        self.design = design
        self.summary = summary
        self.differences = differences.map { (path: $0.0, mine: $0.1, theirs: $0.2) }
    }

    public static func == (a: ComparedDesign, b: ComparedDesign) -> Bool {
        a.path == b.path && a.design == b.design && a.summary == b.summary
            && a.differences.elementsEqual(b.differences) { $0 == $1 }
    }
}

/// Fields whose values differ between two designs' rows (a field only one has counts too).
func differences(_ mine: [DesignField], _ theirs: [DesignField]) -> [(String, String, String)] {
    let other = Dictionary(theirs.compactMap { f in f.value.map { (f.path, $0) } }, uniquingKeysWith: { a, _ in a })
    let own = Dictionary(mine.compactMap { f in f.value.map { (f.path, $0) } }, uniquingKeysWith: { a, _ in a })
    var out: [(String, String, String)] = []
    for f in mine {
        guard let value = f.value else { continue }
        let theirsValue = other[f.path] ?? "(absent)"
        if theirsValue != value { out.append((f.path, displayValue(value), displayValue(theirsValue))) }
    }
    for f in theirs where f.value != nil && own[f.path] == nil {
        out.append((f.path, "(absent)", displayValue(f.value!)))
    }
    return out
}

/// Smallest terminal the screens are laid out for.
public let minimumSize = (width: 80, height: 24)

/// A file-name-safe form of a design name.
func slug(_ name: String) -> String {
    let mapped = name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
    var out = ""
    for c in mapped where !(c == "-" && out.last == "-") { out.append(c) }
    return out.trimmingDashes.isEmpty ? "design" : out.trimmingDashes
}

/// `path` without its file name extension.
func deletingExtension(_ path: String) -> String {
    let nameStart = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
    guard let dot = path.lastIndex(of: "."), dot > nameStart else { return path }
    return String(path[..<dot])
}

extension String {
    var trimmingDashes: String {
        var s = Substring(self)
        while s.first == "-" { s = s.dropFirst() }
        while s.last == "-" { s = s.dropLast() }
        return String(s)
    }
}
