import Foundation
import ScreenplanCore

// MARK: - Carrying out effects
//
// No terminal here: the ncurses shell owns one runner, hands it every effect, and feeds the
// messages it returns back into update. Keeping it out of the terminal layer lets tests run real
// jobs, saves and exports through it.

/// Runs effects for the UI loop: quick file writes inline, evaluation, jobs and exports in
/// detached tasks whose results come back as messages. Used from one thread (the UI loop).
public final class EffectRunner {
    let engine: Engine
    let mailbox = Mailbox()
    /// The side file at start (the embedded design's, until it is saved to a file).
    let autosavePath: String?
    private var reporters: [Int: ProgressReporter] = [:]
    private var tasks: [Int: Task<Void, Never>] = [:]
    private var lastProgress: [Int: Msg] = [:]
    private var evaluating = false
    private var pendingEvaluation: (Design, Int)?
    private var lastAutosaveOutcome: Autosave.Outcome = .written
    /// The export path the user was asked about; exporting to it again replaces the file.
    private var confirmedOverwrite: String?
    /// The same for a run's output folder (`w` on the Simulate screen).
    private var confirmedRunOutput: String?
    /// The environment that names the state folder autosaves fall back to (XDG_STATE_HOME, HOME).
    public var environment: [String: String] = ProcessInfo.processInfo.environment
    /// Cancels the running search for the solver's designs when a newer edit waits.
    private var solveReporter: ProgressReporter?

    public init(engine: Engine, autosavePath: String?) {
        self.engine = engine
        self.autosavePath = autosavePath
    }

    /// Starts or performs one effect. `.quit` is the loop's to handle and does nothing here.
    public func carryOut(_ effect: Effect) {
        let mailbox = self.mailbox
        let engine = self.engine
        switch effect {
        case .quit:
            break
        case .save(let design, let path, let original):
            do {
                var text = try design.yamlText()
                var inPlace = false
                if let original,
                    let patched = DesignPatch.patch(original.text, from: original.design, to: design, file: path)
                {
                    text = patched
                    inPlace = true
                }
                try writeAtomically(text, to: path)
                if let autosavePath { Autosave.remove(path: autosavePath) }
                Autosave.remove(
                    path: Autosave.path(
                        for: DesignDocument(design: design, path: path, displayName: path),
                        environment: [:]))
                mailbox.post(.saved(path: path, design: design, text: inPlace ? text : nil))
            } catch {
                mailbox.post(.saveFailed("\(error)"))
            }
        case .evaluate(let design, let generation):
            // One evaluation at a time: while one runs, only the latest request waits, so fast
            // typing never piles up analyses on the machine's cores.
            if evaluating {
                pendingEvaluation = (design, generation)
                solveReporter?.cancel()
                return
            }
            evaluating = true
            // The solver's designs come last and stop early when another edit is waiting.
            let solving = ProgressReporter()
            solveReporter = solving
            Task.detached {
                // The headline first (without its recommendations when the engine can, then with
                // them), then the power curves, then every layout compared.
                if engine.headline != nil {
                    mailbox.post(
                        .evaluated(
                            engine.evaluate(
                                design, generation: generation, comparison: false, curves: false, headlineOnly: true)))
                }
                let first = engine.evaluate(design, generation: generation, comparison: false, curves: false)
                mailbox.post(.evaluated(first))
                let plotted = engine.evaluate(design, generation: generation, comparison: false, reusing: first)
                mailbox.post(.evaluated(plotted))
                var full = engine.evaluate(design, generation: generation, curves: false, reusing: plotted)
                full.powerVsCells = plotted.powerVsCells
                full.powerVsEffect = plotted.powerVsEffect
                mailbox.post(.evaluated(full))
                if let reach = engine.reachTarget, !solving.isCancelled,
                    let found = try? reach(design, solving), !solving.isCancelled
                {
                    mailbox.post(.targetsSolved(generation: generation, recommendations: found))
                }
                mailbox.postEvaluationDone()
            }
        case .autosave(let design, let path):
            // A side file that cannot be written is said on the status line at once (once per
            // change of outcome), and the state folder takes it instead (Autosave.swift).
            let outcome = Autosave.write(design, to: path, environment: environment)
            if outcome != lastAutosaveOutcome {
                lastAutosaveOutcome = outcome
                switch outcome {
                case .written: break
                case .fellBack(let fallback, let reason):
                    mailbox.post(
                        .autosaveProblem(
                            "autosave: cannot write \(path) (\(reason)); edits are autosaved to \(fallback)"))
                case .failed(let reason):
                    mailbox.post(
                        .autosaveProblem(
                            "autosave failed: \(reason); edits are only in memory — save with another name"))
                }
            }
        case .removeAutosave(let path):
            Autosave.remove(path: path)
        case .startJob(let id, let job, let design, let parameter):
            guard engine.jobs.indices.contains(job) else {
                mailbox.post(.jobFailed(id: id, reason: "no such job"))
                return
            }
            let reporter = ProgressReporter()
            reporters[id] = reporter
            let plain = engine.jobs[job].run
            let withValue = engine.jobs[job].runWith
            let run: @Sendable (Design, ProgressReporter) async throws -> JobResult = { design, progress in
                if let withValue, let parameter { return try await withValue(design, parameter, progress) }
                return try await plain(design, progress)
            }
            tasks[id] = Task.detached {
                do {
                    let result = try await run(design, reporter)
                    mailbox.post(reporter.isCancelled ? .jobCancelled(id: id) : .jobFinished(id: id, result: result))
                } catch is CancelledError {
                    mailbox.post(.jobCancelled(id: id))
                } catch {
                    mailbox.post(reporter.isCancelled ? .jobCancelled(id: id) : .jobFailed(id: id, reason: "\(error)"))
                }
            }
        case .loadComparison(let path):
            Task.detached {
                do {
                    let design = try DesignDocument.open(path: path).design
                    let summary = try? engine.analyze?(design).summary
                    mailbox.post(.comparisonLoaded(path: path, design: design, summary: summary))
                } catch {
                    mailbox.post(.comparisonFailed("\(error)"))
                }
            }
        case .open(let path):
            Task.detached {
                do {
                    let (document, issues) = try DesignDocument.openLeniently(path: path)
                    mailbox.post(.opened(document: document, issues: issues))
                } catch {
                    mailbox.post(.openFailed("\(error)"))
                }
            }
        case .cancelJob(let id):
            reporters[id]?.cancel()
            tasks[id]?.cancel()
        case .downstreamPower(let design, let generation):
            guard let downstream = engine.downstreamPower else {
                mailbox.post(
                    .downstreamComputed(generation: generation, grid: nil, note: "not available in this build"))
                return
            }
            Task.detached {
                do {
                    let grid = try downstream(design)
                    mailbox.post(
                        .downstreamComputed(
                            generation: generation, grid: grid,
                            note: grid == nil ? "no gene is above the expression threshold" : nil))
                } catch {
                    mailbox.post(.downstreamComputed(generation: generation, grid: nil, note: "\(error)"))
                }
            }
        case .writeRun(let id, let job, let design, let format, let path):
            guard engine.jobs.indices.contains(job), let writer = engine.jobs[job].writer else {
                mailbox.post(.jobFailed(id: id, reason: "this run writes nothing"))
                return
            }
            // An existing output is replaced only when asked for twice in a row (and then only
            // a previous screenplan output: OutputSafety refuses anything else).
            var replace = false
            if FileManager.default.fileExists(atPath: path) {
                guard confirmedRunOutput == path else {
                    confirmedRunOutput = path
                    mailbox.post(
                        .jobFailed(
                            id: id,
                            reason:
                                "\(path) exists: w and Enter again replace it (only a previous screenplan output), or type another path"
                        ))
                    return
                }
                replace = true
            }
            confirmedRunOutput = nil
            let reporter = ProgressReporter()
            reporters[id] = reporter
            tasks[id] = Task.detached {
                do {
                    let result = try writer.write(design, format, path, replace, reporter)
                    mailbox.post(reporter.isCancelled ? .jobCancelled(id: id) : .jobFinished(id: id, result: result))
                } catch is CancelledError {
                    mailbox.post(.jobCancelled(id: id))
                } catch {
                    mailbox.post(reporter.isCancelled ? .jobCancelled(id: id) : .jobFailed(id: id, reason: "\(error)"))
                }
            }
        case .export(let index, let design, let path):
            let exporters = engine.allExporters
            guard exporters.indices.contains(index) else { return }
            let exporter = exporters[index]
            // An existing file is replaced only when the same export is asked for twice in a row:
            // the first time the status line asks (issue 17: Export overwrote without asking).
            if FileManager.default.fileExists(atPath: path) && confirmedOverwrite != path {
                confirmedOverwrite = path
                mailbox.post(.exportFailed("\(path) exists: press Enter again to replace it, or p to change the path"))
                return
            }
            confirmedOverwrite = nil
            Task.detached {
                do {
                    try exporter.write(design, path)
                    mailbox.post(.exported(path: path, format: exporter.title))
                } catch {
                    mailbox.post(.exportFailed("\(error)"))
                }
            }
        }
    }

    /// Messages that arrived since the last call: results of background work, then the progress
    /// of running jobs (only when it changed).
    public func messages() -> [Msg] {
        let (arrived, evaluationDone) = mailbox.drain()
        if evaluationDone {
            evaluating = false
            if let (design, generation) = pendingEvaluation {
                pendingEvaluation = nil
                carryOut(.evaluate(design: design, generation: generation))
            }
        }
        for message in arrived {
            switch message {
            case .jobFinished(let id, _), .jobFailed(let id, _), .jobCancelled(let id):
                reporters[id] = nil
                tasks[id] = nil
                lastProgress[id] = nil
            default:
                break
            }
        }
        return progressMessages() + arrived
    }

    /// Progress of running jobs, as messages (only when it changed).
    func progressMessages() -> [Msg] {
        var out: [Msg] = []
        for (id, reporter) in reporters {
            let msg = Msg.jobProgress(
                id: id, fraction: reporter.fraction, eta: reporter.eta.map { ($0 * 10).rounded() / 10 },
                message: reporter.message)
            if lastProgress[id] != msg {
                lastProgress[id] = msg
                out.append(msg)
            }
        }
        return out
    }

    /// Cancels every running job (on quit).
    public func stopAll() {
        for reporter in reporters.values { reporter.cancel() }
        for task in tasks.values { task.cancel() }
    }
}
