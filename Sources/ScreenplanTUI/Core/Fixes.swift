import Foundation
import ScreenplanCore

// MARK: - Coupled edits: a refused edit offers the edit that makes it valid
//
// Validation refuses a value with the fix in words ("use at least 42 batches"). The fix is
// checked by applying it and the edit together; only a fix that validates is offered, on `f`.

/// An edit refused with a fix that makes it valid: `changes` applied in order.
public struct PendingFix: Equatable, Sendable {
    /// What `f` does, e.g. "raise batching.batches to 42 and set sampling.cells_per_perturbation = 200".
    public var summary: String
    public var changes: [FieldChange]

    public init(summary: String, changes: [FieldChange]) {
        self.summary = summary
        self.changes = changes
    }
}

/// The solver's designs reaching the target power for one generation of the design.
public struct SolvedTargets: Equatable, Sendable {
    public var generation: Int
    public var recommendations: [Recommendation]

    public init(generation: Int, recommendations: [Recommendation]) {
        self.generation = generation
        self.recommendations = recommendations
    }
}

/// The first whole number after `prefix` in `text`.
private func number(after prefix: String, in text: String) -> Int? {
    guard let range = text.range(of: prefix) else { return nil }
    let digits = text[range.upperBound...].prefix { $0.isNumber }
    return Int(digits)
}

/// The fix for setting `path` to `value` on `design`, refused with `refusal`; nil when none is known
/// or the fix would be refused too.
func fix(for path: String, value: String, refusal: String, design: Design) -> PendingFix? {
    var candidates: [(String, [FieldChange])] = []
    if let n = number(after: "use at least ", in: refusal), refusal.contains("batches") {
        candidates.append(("raise batching.batches to \(n)", [FieldChange(path: "batching.batches", value: String(n))]))
    }
    if refusal.contains("replicates need at least as many batches"), let r = Int(value), path == "batching.replicates" {
        candidates.append(("raise batching.batches to \(r)", [FieldChange(path: "batching.batches", value: String(r))]))
    }
    if refusal.contains("not both") {
        let other = path == "sampling.control_cells" ? "sampling.controls_fraction" : "sampling.control_cells"
        candidates.append(("clear \(other)", [FieldChange(path: other, value: "null")]))
    }
    let edit = FieldChange(path: path, value: value)
    for (words, first) in candidates {
        // Each step is validated, so the order matters: the fix first, else the edit first.
        for changes in [first + [edit], [edit] + first] {
            var d = design
            do {
                for c in changes { d = try d.setting(c.path, to: c.value) }
            } catch {
                continue
            }
            return PendingFix(summary: "\(words) and set \(path) = \(value)", changes: changes)
        }
    }
    return nil
}
