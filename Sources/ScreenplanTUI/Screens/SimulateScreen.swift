import ScreenplanCore

// MARK: - Screen 5: long runs with a progress bar, ETA and cancel, then their results

func renderSimulateScreen(_ state: AppState, into buffer: inout Buffer) {
    let g = state.capabilities.glyphs
    buffer.put("Simulate", x: 1, y: 1, role: .heading)
    buffer.put("Enter starts the selected run, Esc cancels it", x: 11, y: 1, role: .dim, maxWidth: buffer.width - 12)
    let jobs = state.engine.jobs
    if jobs.isEmpty {
        buffer.put("no long runs: the engine offers none", x: 2, y: Geometry.jobsTop, role: .dim)
    }
    for (i, job) in jobs.enumerated() {
        let y = Geometry.jobsTop + i
        buffer.put(i == state.simulateScreen.jobChoice ? String(g.pointer) : " ", x: 1, y: y, role: .accent)
        buffer.put(job.title, x: 3, y: y, role: .normal, maxWidth: 24)
        // The run's setting (+/- changes it) before its summary.
        let setting = state.jobParameter(i).map { "[\($0) \(job.parameter?.name ?? "")] " } ?? ""
        let used = buffer.put(setting, x: 28, y: y, role: .accent, maxWidth: buffer.width - 29)
        buffer.put(job.summary, x: 28 + used, y: y, role: .dim, maxWidth: buffer.width - 29 - used)
        if i == state.simulateScreen.jobChoice { buffer.paint(x: 0, y: y, width: 27, height: 1, role: .selected) }
    }
    guard let run = state.simulateScreen.job else { return }
    var y = Geometry.jobsTop + max(1, jobs.count) + 1
    buffer.put(run.title, x: 1, y: y, role: .heading)
    let phase: (String, Role)
    switch run.phase {
    case .running: phase = ("running", .accent)
    case .cancelling: phase = ("cancelling\(g.ellipsis)", .warning)
    case .cancelled: phase = ("cancelled", .warning)
    case .failed(let why): phase = ("failed: \(why)", .error)
    case .finished: phase = ("finished", .good)
    }
    buffer.put(phase.0, x: 3 + run.title.count, y: y, role: phase.1, maxWidth: buffer.width - run.title.count - 4)
    y += 1
    let barWidth = max(10, buffer.width - 30)
    buffer.put("[", x: 1, y: y, role: .border)
    buffer.put(bar(run.fraction, width: barWidth, glyphs: g), x: 2, y: y, role: .accent)
    buffer.put("]", x: 2 + barWidth, y: y, role: .border)
    var info = leftPad("\(Int((run.fraction * 100).rounded(.down)))%", 4)
    if run.isRunning, let eta = run.eta { info += "  ETA \(duration(eta))" }
    buffer.put(info, x: 4 + barWidth, y: y, maxWidth: buffer.width - barWidth - 5)
    y += 1
    if !run.message.isEmpty { buffer.put(run.message, x: 2, y: y, role: .dim, maxWidth: buffer.width - 3) }
    y += 2
    guard case .finished(let result) = run.phase else { return }
    renderJobResult(result, into: &buffer, y: y, glyphs: g)
}

/// Figures, then empirical against predicted variance, then the histogram, as far as room allows.
func renderJobResult(_ result: JobResult, into buffer: inout Buffer, y top: Int, glyphs g: Glyphs) {
    var y = top
    let bottom = buffer.height - 3
    let wide = buffer.width >= 120
    let column2 = wide ? buffer.width / 2 : 1
    for figure in result.figures where y < bottom {
        buffer.put(figure.label, x: 1, y: y, role: .dim, maxWidth: 24)
        buffer.put(figure.value, x: 26, y: y, maxWidth: (wide ? column2 : buffer.width) - 27)
        y += 1
    }
    var y2 = wide ? top : y + 1
    if !result.variance.isEmpty, y2 < bottom {
        buffer.put("variance (log2²)", x: column2, y: y2, role: .heading)
        buffer.put("empirical  predicted  ratio", x: column2 + 18, y: y2, role: .dim)
        y2 += 1
        for row in result.variance where y2 < bottom {
            let ratio = row.predicted > 0 ? row.empirical / row.predicted : 0
            buffer.put(clip(row.name, 16, ellipsis: g.ellipsis), x: column2, y: y2)
            buffer.put(leftPad(fixed(row.empirical, 4), 9), x: column2 + 18, y: y2)
            buffer.put(leftPad(fixed(row.predicted, 4), 9), x: column2 + 29, y: y2)
            buffer.put(
                leftPad(fixed(ratio, 2), 5), x: column2 + 40, y: y2,
                role: abs(ratio - 1) <= 0.2 ? .good : .warning)
            y2 += 1
        }
        y2 += 1
    }
    if let histogram = result.histogram, y2 < bottom {
        buffer.put(histogram.title, x: column2, y: y2, role: .heading)
        y2 += 1
        let top = histogram.counts.max() ?? 1
        let barWidth = max(5, (wide ? buffer.width - column2 : buffer.width) - 24)
        for (label, count) in zip(histogram.labels, histogram.counts) where y2 < bottom {
            buffer.put(leftPad(label, 8), x: column2, y: y2, role: .dim)
            buffer.put(
                bar(Double(count) / Double(max(1, top)), width: barWidth, glyphs: g), x: column2 + 9, y: y2,
                role: .accent)
            buffer.put(grouped(count), x: column2 + 10 + barWidth, y: y2, maxWidth: 10)
            y2 += 1
        }
    }
}
