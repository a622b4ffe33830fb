import Foundation
import ScreenplanCore
import ScreenplanTUI
import TestSupport

// MARK: - A hand-built engine and states for screen and update tests
//
// The fixture's numbers are simple closed forms of the design (power rises with cells per
// perturbation), so edits visibly change them and snapshots stay stable. They test rendering and
// update logic, not the model.

/// Power of a perturbation with `cells` cells in the fixture: 1 − exp(−cells / 100).
func fixturePower(_ cells: Int) -> Double { 1 - exp(-Double(cells) / 100) }

let fixtureEngine = Engine(
    analyze: { design in
        let cells = design.sampling.cellsPerPerturbation
        let names = LayoutGrid.perturbationNames(design)
        let reports = names.enumerated().map { i, name in
            let c = cells - (i % 7) * 10
            return PerturbationReport(
                name: name, target: name, cells: c, batches: design.batching.batches,
                targetEffect: -1, targetSd: 0.2, power: fixturePower(c), deGenes: 3, flags: [])
        }
        let worst = reports.min { $0.power < $1.power }!
        return AnalysisResult(
            design: design.name, layout: design.batching.layout.rawValue, perturbations: reports,
            summary: AnalysisSummary(
                medianPower: fixturePower(cells - 30), cost: 123_456, currency: design.cost.currency,
                cellsLoaded: design.cellsLoaded, batches: design.batching.batches,
                perturbations: names.count, worstPerturbation: worst.name, worstPower: worst.power),
            errorBudget: [
                ErrorBudgetItem(source: "perturbed cells", share: 0.55, variance: 0.011),
                ErrorBudgetItem(source: "control cells", share: 0.2, variance: 0.004),
                ErrorBudgetItem(source: "batch × perturbation", share: 0.15, variance: 0.003),
                ErrorBudgetItem(source: "batch confounding", share: 0.1, variance: 0.002),
            ],
            recommendations: [
                Recommendation(
                    id: "more-cells", message: "Raise cells per perturbation to 160: worst power 0.72 → 0.86",
                    change: [FieldChange(path: "sampling.cells_per_perturbation", value: "160")],
                    effect: RecommendationEffect(
                        medianPowerBefore: fixturePower(cells - 30), medianPowerAfter: fixturePower(130),
                        costBefore: 123_456, costAfter: 140_000, currency: design.cost.currency,
                        targetPower: design.analysis.targetPower)),
                Recommendation(
                    id: "more-lanes", message: "Use 32 lanes and 12,000 cells per lane to cut the doublet rate",
                    change: [
                        FieldChange(path: "batching.batches", value: "32"),
                        FieldChange(path: "batching.max_cells_per_batch", value: "12000"),
                    ],
                    effect: RecommendationEffect(
                        medianPowerBefore: fixturePower(cells - 30), medianPowerAfter: 0.65,
                        costBefore: 123_456, costAfter: 170_080, currency: design.cost.currency,
                        targetPower: design.analysis.targetPower)),
                Recommendation(
                    id: "sequence-deeper", message: "Sequencing beyond 25,000 reads per cell gains little power",
                    change: []),
            ])
    },
    powerVsCells: { _, cells in cells.map(fixturePower) },
    powerVsEffect: { _, effects in effects.map { 1 / (1 + exp(-6 * ($0 - 0.6))) } },
    jobs: [
        fixtureSimulateJob,
        LongJob(title: "monte carlo", summary: "empirical vs predicted variance, 200 replicates") { _, _ in
            fixtureResult
        },
    ],
    exporters: [
        Exporter(title: "Markdown report", fileExtension: "md") { design, path in
            try writeAtomically("# \(design.name)\n", to: path)
        }
    ])

/// The fixture's simulation: 20 steps of progress, then its result; `w` writes a marker file in
/// a folder (refusing an existing one unless told to replace it).
let fixtureSimulateJob: LongJob = {
    var job = LongJob(title: "simulate", summary: "counts of the whole design under the model") { _, progress in
        for i in 0..<20 {
            if progress.isCancelled { throw CancelledError() }
            progress.report(done: Double(i), total: 20, message: "batch \(i + 1) of 20")
            try await Task.sleep(nanoseconds: 5_000_000)
        }
        return fixtureResult
    }
    job.writer = JobWriter(formats: [
        ExportFormat(title: "10x", fileExtension: ""), ExportFormat(title: "h5ad", fileExtension: "h5ad"),
    ]) {
        design, format, path, replace, _ in
        let fm = FileManager.default
        if fm.fileExists(atPath: path) {
            guard replace else { throw FixtureOutputExists() }
            try fm.removeItem(atPath: path)
        }
        try fm.createDirectory(atPath: path, withIntermediateDirectories: false)
        try writeAtomically("\(design.name) format \(format)\n", to: path + "/counts.txt")
        return JobResult(title: "counts written", figures: [Figure("folder", path)])
    }
    return job
}()

/// The fixture writer's refusal of an existing folder it was not told to replace.
struct FixtureOutputExists: Error {}

let fixtureResult = JobResult(
    title: "simulation",
    figures: [
        Figure("cells simulated", "383,385 cells"), Figure("time", "12.3 s"), Figure("median UMIs", "1,104 per cell"),
    ],
    variance: [
        VarianceRow(name: "G0001", empirical: 0.0210, predicted: 0.0200),
        VarianceRow(name: "G0002", empirical: 0.0300, predicted: 0.0200),
    ],
    histogram: Histogram(
        title: "UMIs per cell", labels: ["0", "500", "1000", "1500", "2000"],
        counts: [1200, 80_000, 190_000, 90_000, 22_185]))

/// The embedded default design, opened fresh.
func defaultDocument() -> DesignDocument { try! DesignDocument.embeddedDefault() }

/// A state on `screen` at a size, with the engine's evaluation already in.
func evaluatedState(
    _ screen: Screen = .design, width: Int = 80, height: Int = 24, engine: Engine = fixtureEngine,
    unicode: Bool = true, document: DesignDocument = defaultDocument()
) -> AppState {
    var state = AppState(
        document: document, width: width, height: height,
        capabilities: Capabilities(unicode: unicode, color: true), engine: engine.info,
        autosavePath: "/tmp/screenplan-test.autosave")
    state = update(state, .evaluated(evaluation(of: state.design, with: engine))).0
    state.screen = screen
    return state
}

/// Sends keys through update, collecting every effect.
func press(_ state: AppState, _ keys: [Key]) -> (AppState, [Effect]) {
    var s = state
    var all: [Effect] = []
    for key in keys {
        let (next, effects) = update(s, .key(key))
        s = next
        all += effects
    }
    return (s, all)
}

/// Keys that type `text`.
func typing(_ text: String) -> [Key] { text.map { .character($0) } }

/// A state after evaluating its design again (what the shell does after a change).
func reevaluated(_ state: AppState, engine: Engine = fixtureEngine) -> AppState {
    update(state, .evaluated(engine.evaluate(state.design, generation: state.generation))).0
}

/// Evaluations of the default design, computed once: most tests start from it, and evaluating
/// (seven layouts, each a validated edit) per test made the suite slow on a busy machine.
let fixtureDefaultEvaluation = fixtureEngine.evaluate(defaultDocument().design, generation: 0)
let designOnlyDefaultEvaluation = Engine.designOnly.evaluate(defaultDocument().design, generation: 0)

/// The engine's evaluation of `design` at generation 0 (cached for the default design).
func evaluation(of design: Design, with engine: Engine) -> ScreenEvaluation {
    if design == defaultDocument().design {
        if engine.info == fixtureEngine.info { return fixtureDefaultEvaluation }
        if engine.info == Engine.designOnly.info { return designOnlyDefaultEvaluation }
    }
    return engine.evaluate(design, generation: 0)
}
