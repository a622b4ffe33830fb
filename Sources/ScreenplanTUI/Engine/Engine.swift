import ScreenplanCore

// MARK: - The engine seam: everything the TUI asks of the analysis, simulator and reports
//
// The TUI does not call the analysis or the simulator directly: the executable hands it an
// `Engine` value (TUIEngine.swift builds it from ScreenplanCore). That keeps screens testable with
// hand-built fixture engines and keeps the screens' code independent of how a number is computed.
// Every member is optional or has an honest fallback, so an engine without an analysis (a test
// fixture, `Engine.designOnly`) shows "analysis not available" instead of made-up numbers.

/// What the TUI needs from the modelling code. All closures are called off the UI thread.
public struct Engine: Sendable {
    /// Analytical error model, power, error budget and recommendations for a design (its
    /// `batching.layout` is the layout analysed). nil when the analysis is not available.
    public var analyze: (@Sendable (Design) throws -> AnalysisResult)?
    /// Median power at each of the given cells-per-perturbation values (same order).
    public var powerVsCells: (@Sendable (Design, [Int]) throws -> [Double])?
    /// Median power at each of the given target effect sizes (|log2 fold change|, same order).
    public var powerVsEffect: (@Sendable (Design, [Double]) throws -> [Double])?
    /// Cells of every perturbation in every batch, and control cells per batch, for the design's
    /// layout strategy. Throws when the strategy cannot be laid out for this design.
    public var layout: @Sendable (Design) throws -> LayoutGrid
    /// Long runs offered on the Simulate screen (simulation, Monte Carlo, optimisation).
    public var jobs: [LongJob]
    /// The solver's designs that reach `analysis.target_power` (fewest cells, fewest reads,
    /// lowest cost) as recommendations; slow, so run after the analysis and cancelled by the
    /// reporter when a newer edit waits. nil without the analysis.
    public var reachTarget: (@Sendable (Design, ProgressReporter) throws -> [Recommendation])?
    /// Per-perturbation rows with what the result contract leaves out (expected UMIs of the
    /// target per control cell), for the Analysis screen's table. nil: the table uses the
    /// analysis result's rows without UMIs.
    public var perturbationRows: (@Sendable (Design) throws -> [PerturbationRow])?
    /// File formats offered on the Export screen, after the design YAML (always first).
    public var exporters: [Exporter]
    /// Power for a downstream gene over cells per perturbation × reads per cell, with the
    /// target-power contour (the Analysis screen's `d` panel, issue 12); nil result: no gene is
    /// testable. Asked for only when the panel is shown.
    public var downstreamPower: (@Sendable (Design) throws -> DownstreamPowerGrid?)?
    /// The analysis without its recommendations and the power per cell type: the headline frame
    /// the runner shows before `analyze` (whose recommendations evaluate edited designs and can
    /// take longer than the analysis itself). nil: the runner starts with `analyze`.
    public var headline: (@Sendable (Design) throws -> AnalysisResult)?

    public init(
        analyze: (@Sendable (Design) throws -> AnalysisResult)? = nil,
        powerVsCells: (@Sendable (Design, [Int]) throws -> [Double])? = nil,
        powerVsEffect: (@Sendable (Design, [Double]) throws -> [Double])? = nil,
        layout: @escaping @Sendable (Design) throws -> LayoutGrid = { try LayoutGrid.fromDesign($0) },
        jobs: [LongJob] = [], exporters: [Exporter] = [],
        reachTarget: (@Sendable (Design, ProgressReporter) throws -> [Recommendation])? = nil,
        perturbationRows: (@Sendable (Design) throws -> [PerturbationRow])? = nil,
        downstreamPower: (@Sendable (Design) throws -> DownstreamPowerGrid?)? = nil,
        headline: (@Sendable (Design) throws -> AnalysisResult)? = nil
    ) {
        self.headline = headline
        self.downstreamPower = downstreamPower
        self.reachTarget = reachTarget
        self.perturbationRows = perturbationRows
        self.analyze = analyze
        self.powerVsCells = powerVsCells
        self.powerVsEffect = powerVsEffect
        self.layout = layout
        self.jobs = jobs
        self.exporters = exporters
    }

    /// An engine without the model, for tests of the screens and the runner: layouts from the
    /// design's own counts, no analysis, no long jobs, the design YAML as the only export.
    public static let designOnly = Engine()

    /// The exporters shown, design YAML first.
    public var allExporters: [Exporter] { [Exporter.designYAML] + exporters }

    /// A value description of the engine that state can hold (closures are not Equatable).
    public var info: EngineInfo {
        EngineInfo(
            analysisAvailable: analyze != nil,
            jobs: jobs.map {
                JobInfo(
                    title: $0.title, summary: $0.summary, parameter: $0.parameter,
                    writeFormats: $0.writer?.formats ?? [])
            },
            exports: allExporters.map { ExportFormat(title: $0.title, fileExtension: $0.fileExtension) })
    }
}

/// A long run: reports progress on the reporter, checks `isCancelled`, and returns a result.
public struct LongJob: Sendable {
    public var title: String
    /// One line saying what the run does.
    public var summary: String
    public var run: @Sendable (Design, ProgressReporter) async throws -> JobResult
    /// A whole-number setting of the run the user can change (`+`/`-` on the Simulate screen),
    /// e.g. Monte Carlo replicates; `runWith` is then called with its value.
    public var parameter: JobParameter?
    public var runWith: (@Sendable (Design, Int, ProgressReporter) async throws -> JobResult)?
    /// Writes what a finished run made (the simulation's counts) to disk, in one of its formats
    /// (`w` on the Simulate screen); nil when the run's result is figures only.
    public var writer: JobWriter?

    public init(
        title: String, summary: String,
        run: @escaping @Sendable (Design, ProgressReporter) async throws -> JobResult
    ) {
        self.title = title
        self.summary = summary
        self.run = run
    }

    /// A run with a whole-number setting; `run` uses its default.
    public init(
        title: String, summary: String, parameter: JobParameter,
        run: @escaping @Sendable (Design, Int, ProgressReporter) async throws -> JobResult
    ) {
        self.title = title
        self.summary = summary
        self.parameter = parameter
        self.runWith = run
        self.run = { design, progress in try await run(design, parameter.defaultValue, progress) }
    }
}

/// Writes a finished run's output: the formats offered (the first is the default) and the
/// writer, called off the UI thread with the format's index, the path, whether an existing
/// output may be replaced (asked first), and a reporter for progress and cancel.
public struct JobWriter: Sendable {
    public var formats: [ExportFormat]
    public var write: @Sendable (Design, Int, String, Bool, ProgressReporter) throws -> JobResult

    public init(
        formats: [ExportFormat],
        write: @escaping @Sendable (Design, Int, String, Bool, ProgressReporter) throws -> JobResult
    ) {
        self.formats = formats
        self.write = write
    }
}

/// A whole-number setting of a long run: its name, default, range and step.
public struct JobParameter: Equatable, Sendable {
    public var name: String
    public var defaultValue: Int
    public var range: ClosedRange<Int>
    public var step: Int

    public init(name: String, defaultValue: Int, range: ClosedRange<Int>, step: Int) {
        self.name = name
        self.defaultValue = defaultValue
        self.range = range
        self.step = step
    }
}

/// Writes one file format (design YAML, or a report added by the reports module).
public struct Exporter: Sendable {
    public var title: String
    /// File name extension without the dot, e.g. `yaml`, `md`, `html`, `json`.
    public var fileExtension: String
    public var write: @Sendable (Design, String) throws -> Void

    public init(title: String, fileExtension: String, write: @escaping @Sendable (Design, String) throws -> Void) {
        self.title = title
        self.fileExtension = fileExtension
        self.write = write
    }

    /// The design as YAML, written atomically.
    public static let designYAML = Exporter(title: "design (YAML)", fileExtension: "yaml") { design, path in
        try writeAtomically(try design.yamlText(), to: path)
    }
}

// MARK: - Value descriptions held in state

/// What the engine offers, as plain values.
public struct EngineInfo: Equatable, Sendable {
    public var analysisAvailable: Bool
    public var jobs: [JobInfo]
    public var exports: [ExportFormat]

    public init(analysisAvailable: Bool, jobs: [JobInfo], exports: [ExportFormat]) {
        self.analysisAvailable = analysisAvailable
        self.jobs = jobs
        self.exports = exports
    }
}

/// A long job as the Simulate screen lists it.
public struct JobInfo: Equatable, Sendable {
    public var title: String
    public var summary: String
    /// The run's whole-number setting, if it has one.
    public var parameter: JobParameter? = nil
    /// Formats its finished output can be written in (`w`); empty: nothing to write.
    public var writeFormats: [ExportFormat] = []
}

/// An export format as the Export screen lists it.
public struct ExportFormat: Equatable, Sendable {
    public var title: String
    public var fileExtension: String

    public init(title: String, fileExtension: String) {
        self.title = title
        self.fileExtension = fileExtension
    }
}

/// One row of the Analysis screen's per-perturbation table.
public struct PerturbationRow: Equatable, Sendable {
    public var name: String
    public var target: String
    /// Expected UMIs of the target gene per control cell; nil when the engine does not give it.
    public var targetUMIs: Double?
    public var cells: Int
    public var batches: Int
    /// Expected log2 fold change of the target.
    public var effect: Double
    /// Predicted standard error of its estimate (log2); nil when not finite.
    public var sd: Double?
    public var power: Double
    public var flags: [String]
    /// Power given the library's guides (sampling alone) and the chance that its guides produce
    /// an effect of at least the detectable size (issue 12: guide quality apart from sampling);
    /// nil when the engine does not give them.
    public var samplingPower: Double?
    public var guideEffectProbability: Double?

    public init(
        name: String, target: String, targetUMIs: Double?, cells: Int, batches: Int, effect: Double,
        sd: Double?, power: Double, flags: [String], samplingPower: Double? = nil,
        guideEffectProbability: Double? = nil
    ) {
        self.samplingPower = samplingPower
        self.guideEffectProbability = guideEffectProbability
        self.name = name
        self.target = target
        self.targetUMIs = targetUMIs
        self.cells = cells
        self.batches = batches
        self.effect = effect
        self.sd = sd
        self.power = power
        self.flags = flags
    }

    /// A row from the analysis result contract.
    public init(_ r: PerturbationReport) {
        self.init(
            name: r.name, target: r.target, targetUMIs: r.targetUmis, cells: r.cells, batches: r.batches,
            effect: r.targetEffect, sd: r.targetSd.flatMap { $0.isFinite ? $0 : nil },
            power: r.power, flags: r.flags, samplingPower: r.samplingPower,
            guideEffectProbability: r.guideEffectProbability)
    }
}
