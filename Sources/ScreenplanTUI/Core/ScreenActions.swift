import ScreenplanCore

// MARK: - Actions whose meaning depends on the screen

func screenAction(_ action: Action, _ state: AppState) -> (AppState, [Effect]) {
    switch state.screen {
    case .design: return designAction(action, state)
    case .layout: return layoutAction(action, state)
    case .analysis: return analysisAction(action, state)
    case .compare: return compareAction(action, state)
    case .simulate: return simulateAction(action, state)
    case .export: return exportAction(action, state)
    }
}

/// How far a list action moves, for a list of `count` rows showing `page` at once.
private func delta(_ action: Action, page: Int, count: Int, cursor: Int) -> Int? {
    switch action {
    case .down: return 1
    case .up: return -1
    case .pageDown: return max(1, page - 1)
    case .pageUp: return -max(1, page - 1)
    case .top: return -cursor
    case .bottom: return count - 1 - cursor
    default: return nil
    }
}

private func designAction(_ action: Action, _ state: AppState) -> (AppState, [Effect]) {
    var s = state
    let page = Geometry.treeRows(height: s.height)
    if let d = delta(action, page: page, count: s.rows.count, cursor: s.designScreen.tree.cursor) {
        s.designScreen.tree.move(by: d, count: s.rows.count, visible: page)
    } else if case .nudge(let direction, let big) = action, s.rows.indices.contains(s.designScreen.tree.cursor) {
        let row = s.rows[s.designScreen.tree.cursor]
        guard !row.path.isEmpty else { return (s, []) }
        let (value, why) = nudged(row.path, s.design, direction: direction, big: big)
        guard let value else {
            s.say(why ?? "cannot nudge \(row.path)", error: true)
            return (s, [])
        }
        let (next, effects, refused) = set(row.path, to: value, s)
        if let refused { return (refuse(row.path, value, refused, s), []) }
        return (next, effects)
    } else if action == .applyFix {
        return applyFix(s)
    } else if action == .activate, s.rows.indices.contains(s.designScreen.tree.cursor) {
        let row = s.rows[s.designScreen.tree.cursor]
        if row.path.isEmpty { return (s, []) }
        if row.path.hasPrefix(issuePrefix) {
            // Go to the field the problem names (its section when the field itself is gone).
            var path = String(row.path.dropFirst(issuePrefix.count))
            while !path.isEmpty {
                if let i = s.rows.lastIndex(where: { $0.path == path }) {
                    s.designScreen.tree.cursor = i
                    s.designScreen.tree.reveal(visible: page)
                    if let value = s.rows[i].value {
                        s.input = InputLine(kind: .value(path: path), text: value == "null" ? "" : displayValue(value))
                    }
                    return (s, [])
                }
                guard let dot = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
                path = String(path[..<dot])
            }
            s.say("\(row.path.dropFirst()) is not in the tree", error: true)
            return (s, [])
        }
        if let value = row.value {
            s.input = InputLine(kind: .value(path: row.path), text: value == "null" ? "" : displayValue(value))
        } else {
            s.say("\(row.path) is a section: edit the values under it")
        }
    }
    return (s, [])
}

private func layoutAction(_ action: Action, _ state: AppState) -> (AppState, [Effect]) {
    var s = state
    let page = Geometry.layoutRows(height: s.height)
    let count = s.evaluation?.layout?.perturbations.count ?? 0
    let batches = s.evaluation?.layout?.batches.count ?? s.design.batching.batches
    if let d = delta(action, page: page, count: count, cursor: s.layoutScreen.rows.cursor) {
        s.layoutScreen.rows.move(by: d, count: count, visible: page)
        return (s, [])
    }
    switch action {
    case .left:
        s.layoutScreen.column = max(0, s.layoutScreen.column - 4)
    case .right:
        let columns = Geometry.layoutBatchColumns(width: s.width)
        s.layoutScreen.column = min(max(0, batches - columns), s.layoutScreen.column + 4)
    case .nextLayout, .previousLayout:
        let all = LayoutStrategy.allCases
        let current = all.firstIndex(of: s.design.batching.layout) ?? 0
        // Skip strategies the design refuses (explicit without explicit_cells), saying why.
        var refusals: [String] = []
        for step in 1..<all.count {
            let i = (current + (action == .nextLayout ? step : -step) + all.count * 2) % all.count
            let (next, effects, refused) = set("batching.layout", to: all[i].rawValue, s)
            if refused == nil { return (next, effects) }
            refusals.append("\(all[i].rawValue) refused: \(refused!)")
        }
        s.say(refusals.first ?? "no other layout", error: true)
    default:
        break
    }
    return (s, [])
}

private func analysisAction(_ action: Action, _ state: AppState) -> (AppState, [Effect]) {
    var s = state
    switch action {
    case .toggleTable:
        s.analysisScreen.showTable.toggle()
        return (s, [])
    case .toggleDownstream:
        s.analysisScreen.showDownstream.toggle()
        s.analysisScreen.showTable = false
        return (s, s.analysisScreen.showDownstream ? downstreamRequest(s) : [])
    case .sortTable:
        s.analysisScreen.tableSort = TableColumn(
            rawValue: (s.analysisScreen.tableSort.rawValue + 1) % TableColumn.allCases.count)!
        s.analysisScreen.tableDescending = false
        s.analysisScreen.table = ListPosition()
        s.sortTable()
        s.say("table sorted by \(s.analysisScreen.tableSort.title)")
        return (s, [])
    case .reverseSort:
        s.analysisScreen.tableDescending.toggle()
        s.analysisScreen.table = ListPosition()
        s.sortTable()
        return (s, [])
    default:
        break
    }
    if s.analysisScreen.showTable {
        let count = s.evaluation?.perturbations.count ?? 0
        let page = Geometry.tableRows(height: s.height)
        if let d = delta(action, page: page, count: count, cursor: s.analysisScreen.table.cursor) {
            s.analysisScreen.table.move(by: d, count: count, visible: page)
        }
        return (s, [])
    }
    let recommendations = s.recommendations
    let page = Geometry.recommendationRows(height: s.height)
    if let d = delta(action, page: page, count: recommendations.count, cursor: s.analysisScreen.recommendation) {
        s.analysisScreen.recommendation = min(
            max(0, recommendations.count - 1), max(0, s.analysisScreen.recommendation + d))
        return (s, [])
    }
    switch action {
    case .togglePlot:
        s.analysisScreen.showEffectPlot.toggle()
    case .activate:
        guard recommendations.indices.contains(s.analysisScreen.recommendation) else {
            s.say("no recommendation to apply", error: true)
            return (s, [])
        }
        return apply(recommendations[s.analysisScreen.recommendation], s)
    default:
        break
    }
    return (s, [])
}

/// Applies every change of a recommendation as one undoable step, or none with the reason.
func apply(_ recommendation: Recommendation, _ state: AppState) -> (AppState, [Effect]) {
    var s = state
    guard !recommendation.change.isEmpty else {
        s.say("“\(recommendation.id)” is advice only: nothing to apply", error: true)
        return (s, [])
    }
    var design = s.design
    for change in recommendation.change {
        do {
            design = try design.setting(change.path, to: change.value)
        } catch {
            s.say("cannot apply \(recommendation.id): \(reason(error))", error: true)
            return (s, [])
        }
    }
    let summary = recommendation.change.map { "\($0.path) = \($0.value)" }.joined(separator: ", ")
    var (next, effects) = commit(design, "applied \(recommendation.id): \(summary) (u undoes)", s)
    next.analysisScreen.appliedRecommendations.insert(recommendation.id)
    return (next, effects)
}

private func compareAction(_ action: Action, _ state: AppState) -> (AppState, [Effect]) {
    var s = state
    let count = LayoutStrategy.allCases.count
    switch action {
    case .left where s.compareScreen.showsDesigns: s.compareScreen.pinColumn = max(0, s.compareScreen.pinColumn - 1)
    case .right where s.compareScreen.showsDesigns:
        s.compareScreen.pinColumn = min(max(0, s.compareScreen.pins.count - 1), s.compareScreen.pinColumn + 1)
    case .left: s.compareScreen.column = max(0, s.compareScreen.column - 1)
    case .right: s.compareScreen.column = min(count - 1, s.compareScreen.column + 1)
    case .toggleCompareMode:
        guard !s.compareScreen.pins.isEmpty else {
            s.say("nothing pinned: P pins this design, :compare PATH reads another", error: true)
            return (s, [])
        }
        s = refreshPins(s)
        s.compareScreen.showsDesigns.toggle()
    case .activate where s.compareScreen.showsDesigns:
        guard s.compareScreen.pins.indices.contains(s.compareScreen.pinColumn) else { return (s, []) }
        let pin = s.compareScreen.pins[s.compareScreen.pinColumn]
        return commit(pin.design, "now using \(pin.path) (u undoes)", s)
    case .activate:
        let name = LayoutStrategy.allCases[s.compareScreen.column].rawValue
        let (next, effects, refused) = set("batching.layout", to: name, s)
        if let refused {
            s.say("\(name) refused: \(refused)", error: true)
            return (s, [])
        }
        return (next, effects)
    default: break
    }
    return (s, [])
}

private func simulateAction(_ action: Action, _ state: AppState) -> (AppState, [Effect]) {
    var s = state
    let count = s.engine.jobs.count
    if let d = delta(action, page: 5, count: count, cursor: s.simulateScreen.jobChoice) {
        s.simulateScreen.jobChoice = min(max(0, count - 1), max(0, s.simulateScreen.jobChoice + d))
        return (s, [])
    }
    if case .nudge(let direction, let big) = action {
        guard s.engine.jobs.indices.contains(s.simulateScreen.jobChoice),
            let p = s.engine.jobs[s.simulateScreen.jobChoice].parameter,
            let now = s.jobParameter(s.simulateScreen.jobChoice)
        else {
            s.say("this run has no setting to change", error: true)
            return (s, [])
        }
        let next = min(p.range.upperBound, max(p.range.lowerBound, now + direction * p.step * (big ? 10 : 1)))
        s.simulateScreen.jobParameters[s.simulateScreen.jobChoice] = next
        s.say(
            "\(s.engine.jobs[s.simulateScreen.jobChoice].title): \(p.name) = \(next) (range \(p.range.lowerBound)–\(p.range.upperBound))"
        )
        return (s, [])
    }
    if action == .writeResult {
        guard let job = s.simulateScreen.writableJob, s.engine.jobs.indices.contains(job) else {
            s.say("w writes a finished simulation's counts: run simulate first (Enter)", error: true)
            return (s, [])
        }
        if let run = s.simulateScreen.job, run.isRunning {
            s.say("\(run.title) is still running: Esc cancels it", error: true)
            return (s, [])
        }
        s.input = InputLine(
            kind: .runOutputPath, text: s.defaultRunOutputPath(format: s.simulateScreen.runOutputFormat))
        return (s, [])
    }
    if action == .applyResult {
        guard case .finished(let result)? = s.simulateScreen.job?.phase, !result.changes.isEmpty else {
            s.say("no finished run proposes a design: run optimize first", error: true)
            return (s, [])
        }
        return apply(Recommendation(id: result.title, message: result.title, change: result.changes), s)
    }
    guard action == .activate else { return (s, []) }
    guard s.engine.jobs.indices.contains(s.simulateScreen.jobChoice) else {
        s.say("no long run to start: the engine offers none", error: true)
        return (s, [])
    }
    if let run = s.simulateScreen.job, run.isRunning {
        s.say("\(run.title) is still running: Esc cancels it", error: true)
        return (s, [])
    }
    let id = s.simulateScreen.nextJobID
    s.simulateScreen.nextJobID += 1
    s.simulateScreen.job = JobRun(
        id: id, job: s.simulateScreen.jobChoice, title: s.engine.jobs[s.simulateScreen.jobChoice].title)
    s.say("started \(s.engine.jobs[s.simulateScreen.jobChoice].title): Esc cancels")
    return (
        s,
        [
            .startJob(
                id: id, job: s.simulateScreen.jobChoice, design: s.design,
                parameter: s.jobParameter(s.simulateScreen.jobChoice))
        ]
    )
}

private func exportAction(_ action: Action, _ state: AppState) -> (AppState, [Effect]) {
    var s = state
    let count = s.engine.exports.count
    if let d = delta(action, page: 5, count: count, cursor: s.exportScreen.format) {
        s.exportScreen.format = min(max(0, count - 1), max(0, s.exportScreen.format + d))
        if let typed = s.exportScreen.path, s.engine.exports.indices.contains(s.exportScreen.format) {
            s.exportScreen.path = deletingExtension(typed) + "." + s.engine.exports[s.exportScreen.format].fileExtension
        }
        return (s, [])
    }
    switch action {
    case .editExportPath:
        s.input = InputLine(kind: .exportPath, text: s.effectiveExportPath)
    case .activate:
        guard s.engine.exports.indices.contains(s.exportScreen.format) else { return (s, []) }
        s.say("writing \(s.effectiveExportPath)…")
        return (s, [.export(exporter: s.exportScreen.format, design: s.design, path: s.effectiveExportPath)])
    default:
        break
    }
    return (s, [])
}

// MARK: - Mouse

/// A click selects the tab, row or column under it.
func click(x: Int, y: Int, _ state: AppState) -> (AppState, [Effect]) {
    var s = state
    guard !s.tooSmall, s.recovery == nil, !s.showHelp, s.input == nil else { return (s, []) }
    if y == 0 {
        for (screen, range) in tabRanges() where range.contains(x) { s.screen = screen }
        return (s, [])
    }
    switch s.screen {
    case .design:
        let row = s.designScreen.tree.scroll + y - Geometry.treeTop
        if y >= Geometry.treeTop, y < Geometry.treeTop + Geometry.treeRows(height: s.height),
            x < Geometry.treeWidth(width: s.width), s.rows.indices.contains(row)
        {
            s.designScreen.tree.cursor = row
        }
    case .layout:
        let row = s.layoutScreen.rows.scroll + y - Geometry.layoutTop
        let count = s.evaluation?.layout?.perturbations.count ?? 0
        if y >= Geometry.layoutTop, y < Geometry.layoutTop + Geometry.layoutRows(height: s.height), row < count {
            s.layoutScreen.rows.cursor = row
        }
    case .analysis:
        let top = Geometry.recommendationsTop(height: s.height) + 1
        guard !s.analysisScreen.showTable else { break }
        let count = s.recommendations.count
        let rows = max(1, Geometry.recommendationRows(height: s.height) - 4)
        let first = max(0, s.analysisScreen.recommendation - rows + 1)
        if y >= top, y < top + rows, first + y - top < count { s.analysisScreen.recommendation = first + y - top }
    case .simulate:
        let row = y - Geometry.jobsTop
        if s.engine.jobs.indices.contains(row) { s.simulateScreen.jobChoice = row }
    case .export:
        let row = y - Geometry.formatsTop
        if s.engine.exports.indices.contains(row) { s.exportScreen.format = row }
    case .compare:
        let column = (x - CompareGeometry.labelWidth) / max(1, CompareGeometry.columnWidth(width: s.width))
        if x >= CompareGeometry.labelWidth, LayoutStrategy.allCases.indices.contains(column) {
            s.compareScreen.column = column
        }
    }
    return (s, [])
}

/// Column ranges of the screen tabs in the header (render draws them the same way).
func tabRanges() -> [(Screen, Range<Int>)] {
    var x = " screenplan ".count
    return Screen.allCases.map { screen in
        let label = tabLabel(screen)
        defer { x += label.count }
        return (screen, x..<(x + label.count))
    }
}

func tabLabel(_ screen: Screen) -> String { " \(screen.rawValue + 1) \(screen.title) " }

enum CompareGeometry {
    static let labelWidth = 22
    static func columnWidth(width: Int) -> Int { max(8, (width - labelWidth - 1) / LayoutStrategy.allCases.count) }
}

/// Asks for the downstream grid of the current design when the panel shows an older one.
func downstreamRequest(_ s: AppState) -> [Effect] {
    guard s.analysisScreen.showDownstream, s.engine.analysisAvailable,
        s.analysisScreen.downstreamGeneration != s.generation
    else { return [] }
    return [.downstreamPower(design: s.design, generation: s.generation)]
}
