import ScreenplanCore

// MARK: - The pure update function

/// A new state and the effects to carry out. Never blocks: long work is an effect.
public func update(_ state: AppState, _ msg: Msg) -> (AppState, [Effect]) {
    var s = state
    switch msg {
    case .resized(let width, let height):
        s.width = width
        s.height = height
        s.designScreen.tree.reveal(visible: Geometry.treeRows(height: height))
        s.layoutScreen.rows.reveal(visible: Geometry.layoutRows(height: height))
        return (s, [])
    case .click(let x, let y):
        return click(x: x, y: y, s)
    case .saved(let path, let design, let text):
        s.savedDesign = design
        if let text {
            s.document.originalText = text
            s.document.openedDesign = design
        }
        if s.document.path != path, s.autosavePath != nil {
            // The side file follows the design to its new file (a path needs no environment).
            s.document.path = path
            s.autosavePath = Autosave.path(for: s.document, environment: [:])
        }
        s.document.path = path
        s.document.displayName = path
        s.say(text != nil ? "saved \(path) (changed fields edited in place, comments kept)" : "saved \(path)")
        if s.quitAfterSave { return (s, [.quit]) }
        return (s, [])
    case .autosaveProblem(let why):
        s.say(why, error: true)
        return (s, [])
    case .saveFailed(let why):
        s.quitAfterSave = false
        s.say("save failed: \(why)", error: true)
        return (s, [])
    case .evaluated(let evaluation):
        guard evaluation.generation >= (s.evaluation?.generation ?? -1), evaluation.generation <= s.generation else {
            return (s, [])
        }
        s.evaluation = evaluation
        s.sortTable()
        let count = s.recommendations.count
        s.analysisScreen.recommendation = min(s.analysisScreen.recommendation, max(0, count - 1))
        s.layoutScreen.rows.cursor = min(
            s.layoutScreen.rows.cursor, max(0, (evaluation.layout?.perturbations.count ?? 1) - 1))
        // The downstream panel follows the design once its analysis is in.
        return (s, evaluation.analysis != nil && evaluation.generation == s.generation ? downstreamRequest(s) : [])
    case .downstreamComputed(let generation, let grid, let note):
        guard generation <= s.generation, generation >= s.analysisScreen.downstreamGeneration else { return (s, []) }
        s.analysisScreen.downstream = grid
        s.analysisScreen.downstreamNote = note
        s.analysisScreen.downstreamGeneration = generation
        return (s, [])
    case .jobProgress(let id, let fraction, let eta, let message):
        guard var run = s.simulateScreen.job, run.id == id, run.isRunning else { return (s, []) }
        run.fraction = fraction
        run.eta = eta
        run.message = message
        s.simulateScreen.job = run
        return (s, [])
    case .jobFinished(let id, let result):
        return finishJob(id, .finished(result), "\(s.simulateScreen.job?.title ?? "run") finished", s)
    case .jobFailed(let id, let why):
        return finishJob(id, .failed(why), "\(s.simulateScreen.job?.title ?? "run") failed: \(why)", s, error: true)
    case .jobCancelled(let id):
        return finishJob(id, .cancelled, "\(s.simulateScreen.job?.title ?? "run") cancelled", s)
    case .exported(let path, let format):
        s.say("wrote \(format) to \(path)")
        return (s, [])
    case .exportFailed(let why):
        s.say("export failed: \(why)", error: true)
        return (s, [])
    case .comparisonLoaded(let path, let design, let summary):
        s.compareScreen.otherDesign = ComparedDesign(
            path: path, design: design, summary: summary,
            differences: differences(s.allFields, design.fields()))
        s.compareScreen.showsDesigns = true
        s.compareScreen.pins.append(s.compareScreen.otherDesign!)
        s.compareScreen.pinColumn = s.compareScreen.pins.count - 1
        s.say("comparing with \(path): \(fieldsDiffer(s.compareScreen.otherDesign!.differences.count))")
        return (s, [])
    case .comparisonFailed(let why):
        s.say("cannot compare: \(why)", error: true)
        return (s, [])
    case .targetsSolved(let generation, let recommendations):
        guard generation == s.generation else { return (s, []) }
        s.targetRecommendations = SolvedTargets(generation: generation, recommendations: recommendations)
        return (s, [])
    case .opened(let document, let issues):
        s.document = document
        s.savedDesign = document.design
        s.undoStack.removeAll()
        s.redoStack.removeAll()
        s.replaceDesign(document.design)
        s.compareScreen.otherDesign = nil
        s.issues = issues
        s.designScreen.tree = ListPosition()
        s.designScreen.tree.cursor =
            issues.isEmpty ? s.rows.firstIndex { $0.path == "sampling.cells_per_perturbation" } ?? 0 : 1
        s.screen = .design
        if issues.isEmpty {
            s.say("opened \(document.displayName)")
        } else {
            s.say(
                "\(document.displayName) has \(issues.count) problem\(issues.count == 1 ? "" : "s"): those fields took their defaults; Enter on one goes to it",
                error: true)
        }
        return (s, designChanged(s))
    case .openFailed(let why):
        s.say("cannot open: \(why)", error: true)
        return (s, [])
    case .key(let key):
        return handle(key, s)
    }
}

private func finishJob(
    _ id: Int, _ phase: JobRun.Phase, _ message: String, _ state: AppState,
    error: Bool = false
) -> (AppState, [Effect]) {
    var s = state
    guard var run = s.simulateScreen.job, run.id == id else { return (s, []) }
    run.phase = phase
    if case .finished = phase {
        run.fraction = 1
        // A finished run whose output can be written: `w` offers it.
        if s.engine.jobs.indices.contains(run.job), !s.engine.jobs[run.job].writeFormats.isEmpty {
            s.simulateScreen.writableJob = run.job
        }
    }
    s.simulateScreen.job = run
    s.say(message, error: error)
    return (s, [])
}

// MARK: - Keys

private func handle(_ key: Key, _ state: AppState) -> (AppState, [Effect]) {
    var s = state
    if s.recovery != nil { return answerRecovery(key, s) }
    if s.confirmingQuit {
        s.confirmingQuit = false
        if key == .character("y") || key == .character("Y") { return (s, [.quit]) }
        s.say("quit cancelled")
        return (s, [])
    }
    if s.showHelp || s.showMessages {
        s.showHelp = false
        s.showMessages = false
        return (s, [])
    }
    if s.input != nil { return editInput(key, s) }
    guard let action = action(for: key, on: s.screen) else { return (s, []) }
    return perform(action, s)
}

private func answerRecovery(_ key: Key, _ state: AppState) -> (AppState, [Effect]) {
    var s = state
    guard let recovered = s.recovery else { return (s, []) }
    switch key {
    case .character("r"), .character("R"), .enter:
        s.recovery = nil
        s.undoStack.append(s.design)
        s.replaceDesign(recovered)
        s.say("recovered the autosaved edits (u undoes the recovery)")
        return (s, designChanged(s))
    case .character("d"), .character("D"), .escape:
        s.recovery = nil
        s.say("discarded the autosaved edits")
        return (s, s.autosavePath.map { [.removeAutosave(path: $0)] } ?? [])
    default:
        return (s, [])
    }
}

/// Carries out one action of the binding tables.
func perform(_ action: Action, _ state: AppState) -> (AppState, [Effect]) {
    var s = state
    switch action {
    case .nextScreen:
        s.screen = Screen(rawValue: (s.screen.rawValue + 1) % Screen.allCases.count)!
    case .previousScreen:
        s.screen = Screen(rawValue: (s.screen.rawValue + Screen.allCases.count - 1) % Screen.allCases.count)!
    case .goTo(let screen):
        s.screen = screen
    case .help:
        s.showHelp = true
    case .command:
        s.input = InputLine(kind: .command)
    case .search:
        // A new search starts empty; n and N repeat the last one.
        s.screen = .design
        s.input = InputLine(kind: .search, text: "")
    case .searchNext:
        return (findMatch(s, forward: true, from: s.designScreen.tree.cursor + 1), [])
    case .searchPrevious:
        return (findMatch(s, forward: false, from: s.designScreen.tree.cursor - 1), [])
    case .undo:
        guard let previous = s.undoStack.popLast() else {
            s.say("nothing to undo")
            return (s, [])
        }
        s.redoStack.append(s.design)
        s.replaceDesign(previous)
        s.say("undone")
        return (s, designChanged(s))
    case .redo:
        guard let next = s.redoStack.popLast() else {
            s.say("nothing to redo")
            return (s, [])
        }
        s.undoStack.append(s.design)
        s.replaceDesign(next)
        s.say("redone")
        return (s, designChanged(s))
    case .save:
        guard let path = s.document.path else {
            s.input = InputLine(kind: .command, text: "w ")
            s.say("the embedded design has no file yet: type a path")
            return (s, [])
        }
        return (s, [.save(design: s.design, path: path, original: s.source)])
    case .quit:
        if s.dirty {
            s.confirmingQuit = true
            return (s, [])
        }
        return (s, [.quit])
    case .pin:
        let summary = s.evaluation?.generation == s.generation ? s.evaluation?.analysis?.summary : nil
        let label = "pin \(s.compareScreen.pins.filter { $0.path.hasPrefix("pin ") }.count + 1)"
        s.compareScreen.pins.append(ComparedDesign(path: label, design: s.design, summary: summary, differences: []))
        s = refreshPins(s)
        s.compareScreen.pinColumn = s.compareScreen.pins.count - 1
        let power = summary.map { ", median power \(fixed($0.medianPower, 2))" } ?? ""
        s.say("pinned this design as \(label)\(power): 4 Compare, d shows the pins")
        return (s, [])
    case .cancel:
        if s.screen == .simulate, var run = s.simulateScreen.job, run.phase == .running {
            run.phase = .cancelling
            s.simulateScreen.job = run
            s.say("cancelling \(run.title)…")
            return (s, [.cancelJob(id: run.id)])
        }
        s.say("")
    default:
        return screenAction(action, s)
    }
    return (s, [])
}

/// The pins' differences from the current design (recomputed when the design changes).
func refreshPins(_ state: AppState) -> AppState {
    var s = state
    for i in s.compareScreen.pins.indices {
        s.compareScreen.pins[i] = ComparedDesign(
            path: s.compareScreen.pins[i].path, design: s.compareScreen.pins[i].design,
            summary: s.compareScreen.pins[i].summary,
            differences: differences(s.allFields, s.compareScreen.pins[i].design.fields()))
    }
    return s
}

/// Effects that follow every change of the design: re-evaluate, and autosave.
func designChanged(_ s: AppState) -> [Effect] {
    var effects: [Effect] = [.evaluate(design: s.design, generation: s.generation)]
    if let path = s.autosavePath { effects.append(.autosave(design: s.design, path: path)) }
    return effects
}

/// Applies an edited design as one undoable step.
func commit(_ design: Design, _ message: String, _ state: AppState) -> (AppState, [Effect]) {
    var s = state
    guard design != s.design else {
        s.say("unchanged")
        return (s, [])
    }
    s.undoStack.append(s.design)
    if s.undoStack.count > 500 { s.undoStack.removeFirst() }
    s.redoStack.removeAll()
    s.replaceDesign(design)
    s.say(message)
    return (s, designChanged(s))
}

/// Sets one field through the same validation as a file; refusal keeps the old value.
func set(_ path: String, to value: String, _ state: AppState) -> (AppState, [Effect], refused: String?) {
    do {
        let design = try state.design.setting(path, to: value)
        var (s, effects) = commit(design, "\(path) = \(value)", state)
        s.pendingFix = nil
        // A problem of the file is fixed once its field is set to a valid value.
        if s.issues.contains(where: { $0.path == path }) { s.issues.removeAll { $0.path == path } }
        return (s, effects, nil)
    } catch {
        return (state, [], reason(error))
    }
}

/// Says why an edit was refused, whole, and offers the fix when one validates (`f` takes it).
func refuse(_ path: String, _ value: String, _ refusal: String, _ state: AppState) -> AppState {
    var s = state
    s.pendingFix = fix(for: path, value: value, refusal: refusal, design: s.design)
    let offer = s.pendingFix.map { " (f: \($0.summary))" } ?? ""
    s.say("refused, old value kept: \(refusal)\(offer)", error: true)
    return s
}

/// Applies the offered fix as one undoable step.
func applyFix(_ state: AppState) -> (AppState, [Effect]) {
    var s = state
    guard let fix = s.pendingFix else {
        s.say("no fix to take: f follows a refused edit that has one", error: true)
        return (s, [])
    }
    var design = s.design
    for change in fix.changes {
        do { design = try design.setting(change.path, to: change.value) } catch {
            s.pendingFix = nil
            s.say("the fix no longer applies: \(reason(error))", error: true)
            return (s, [])
        }
    }
    s.input = nil
    s.pendingFix = nil
    return commit(design, "\(fix.summary) (u undoes)", s)
}

private func findMatch(_ state: AppState, forward: Bool, from start: Int) -> AppState {
    var s = state
    let needle = s.search.lowercased()
    guard !needle.isEmpty, !s.rows.isEmpty else {
        s.say("no search: press / to search")
        return s
    }
    let n = s.rows.count
    for step in 0..<n {
        let i = ((forward ? start + step : start - step) % n + n) % n
        let row = s.rows[i]
        guard !row.path.isEmpty else { continue }
        if row.path.lowercased().contains(needle) || (row.value?.lowercased().contains(needle) ?? false) {
            s.designScreen.tree.cursor = i
            let visible = Geometry.treeRows(height: s.height)
            if i < s.designScreen.tree.scroll || i >= s.designScreen.tree.scroll + visible {
                s.designScreen.tree.scroll = max(0, i - visible / 2)
            }
            s.say("/\(s.search)")
            return s
        }
    }
    s.say("no field matches “\(s.search)”", error: true)
    return s
}

/// Runs a `/` search from the cursor.
func runSearch(_ text: String, _ state: AppState) -> AppState {
    var s = state
    s.search = text
    s.screen = .design
    return findMatch(s, forward: true, from: s.designScreen.tree.cursor)
}
