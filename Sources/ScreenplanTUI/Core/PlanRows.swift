import ScreenplanCore

// MARK: - The rows of the Design screen: the Plan first, then the fields that apply
//
// A new user turns a handful of fields: they come first, with short names, `+`/`-` nudges and
// `[`/`]` big steps. Below them the whole design tree, without the sections the regime ignores
// (`differentiation` in a non-differentiating design, `in_vivo` in vitro).

/// One field of the Plan panel: its path, short label and nudge steps (nil: not nudged).
struct PlanField {
    var path: String
    var label: String
    /// Small and big steps for `+`/`-` and `[`/`]`.
    var step: Double?
    var bigStep: Double?
}

/// The Plan fields for a design (the targets row follows how perturbations are given).
func planFields(_ d: Design) -> [PlanField] {
    var out = [
        PlanField(path: "sampling.cells_per_perturbation", label: "cells / perturbation", step: 10, bigStep: 100),
        PlanField(path: "measurement.reads_per_cell", label: "reads / cell", step: 1000, bigStep: 10000),
        PlanField(path: "batching.batches", label: "batches", step: 1, bigStep: 8),
        PlanField(path: "sampling.control_cells", label: "control cells", step: 100, bigStep: 1000),
        PlanField(path: "sampling.time_points_h", label: "time points (h)", step: nil, bigStep: nil),
    ]
    if d.perturbations.targetGenes.isEmpty {
        out.append(PlanField(path: "perturbations.targets", label: "targets", step: 10, bigStep: 100))
    } else {
        out.append(PlanField(path: "perturbations.target_genes", label: "target genes", step: nil, bigStep: nil))
    }
    out.append(PlanField(path: "batching.layout", label: "layout", step: nil, bigStep: nil))
    out.append(PlanField(path: "analysis.target_power", label: "target power", step: 0.05, bigStep: 0.1))
    return out
}

/// The heading rows' paths: they hold no field.
let planHeading = DesignField(path: "", label: "Plan", value: nil, depth: 0)
let treeHeading = DesignField(path: "", label: "All fields", value: nil, depth: 0)

/// Whether a field applies to the design's regime and dynamics.
func applies(_ path: String, to d: Design) -> Bool {
    if path.hasPrefix("system.differentiation"), d.system.dynamics != .differentiating { return false }
    if path.hasPrefix("system.in_vivo"), d.system.regime != .inVivo { return false }
    return true
}

/// Paths of problem rows start with this (the field's path follows).
let issuePrefix = "!"

/// The displayed rows: the file's problems (if any), the Plan, then the applicable tree (every
/// field, null ones included).
func designRows(_ d: Design, fields: [DesignField], issues: [DesignIssue] = []) -> [DesignField] {
    let byPath = Dictionary(fields.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
    var rows: [DesignField] = []
    if !issues.isEmpty {
        rows.append(DesignField(path: "", label: "Problems (Enter goes to the field)", value: nil, depth: 0))
        for issue in issues {
            rows.append(
                DesignField(
                    path: issuePrefix + issue.path,
                    label: "line \(issue.location.line) \(issue.path): \(issue.message)",
                    value: nil, depth: 1))
        }
    }
    rows.append(planHeading)
    for p in planFields(d) {
        rows.append(DesignField(path: p.path, label: p.label, value: byPath[p.path]?.value ?? "null", depth: 1))
    }
    rows.append(treeHeading)
    rows += fields.filter { applies($0.path, to: d) }.map { f in
        var f = f
        f.depth += 1
        return f
    }
    return rows
}

/// The value of a field after one nudge, as text for `Design.setting`; nil with the reason when
/// it cannot be nudged.
func nudged(_ path: String, _ d: Design, direction: Int, big: Bool) -> (String?, String?) {
    if path == "batching.layout" {
        let all = LayoutStrategy.allCases
        let i = all.firstIndex(of: d.batching.layout) ?? 0
        return (all[(i + direction + all.count) % all.count].rawValue, nil)
    }
    let plan = planFields(d).first { $0.path == path }
    if path == "sampling.control_cells" {
        // null means Dunnett's rule: nudge from the number of control cells it gives.
        let now = d.sampling.controlCells ?? d.controlCells / max(1, d.batchesWithControls * d.timePoints.count)
        let step = big ? 1000 : 100
        return (String(max(0, (now / step + direction) * step)), nil)
    }
    guard let row = d.fields().first(where: { $0.path == path }), let text = row.value else {
        return (nil, "\(path) is a section: nudge the values under it")
    }
    guard let value = Double(text) else {
        return (nil, "\(path) is not a number: Enter edits it")
    }
    let whole = Int(text) != nil
    var next: Double
    if let plan, let step = big ? plan.bigStep : plan.step {
        // Round to the step first, so nudges land on round numbers.
        next = ((value / step).rounded(direction > 0 ? .down : .up) + Double(direction)) * step
        if abs(next - value) < 1e-12 { next += Double(direction) * step }
    } else if big {
        next = direction > 0 ? value * 2 : value / 2
    } else {
        next = value * (direction > 0 ? 1.1 : 1 / 1.1)
        if whole && Int(next.rounded()) == Int(value) { next = value + Double(direction) }
    }
    if whole { return (String(Int(next.rounded())), nil) }
    return ("\((next * 1e6).rounded() / 1e6)", nil)
}
