import Foundation

// MARK: - The GLM scores of recent evaluations, reused when only ω, α, multiple testing or target power changed
//
// A GLM evaluation spends a quarter of its time in `TestModels.glmScore` (two 33-node quadratures
// per affected gene and lane pattern, docs/batching.md §11). Nothing a score reads depends on the
// batch × perturbation interaction ω: ω enters the evaluation only through the variance components
// (`c.interaction`), which are made from the score's `shareSquares` after it; nor on α, the
// multiple-testing method or the target power, which only the solve after the scores reads. So a
// design that differs from a recently evaluated one only in those (a TUI nudge of ω or α, and the
// recommendations' designs after it) takes every score from that evaluation's table instead of
// computing it again. The scores are pure functions of their inputs, so the rows are the same
// bit for bit (test `glmScoresReusedAcrossInteractionEditsEqualFreshOnes`).

/// One `TestModels.glmScore` result of an affected gene, and the half-effect score of the target
/// (nil when the evaluation did not compute it).
struct GLMScoreEntry: Sendable {
    var score:
        (
            z: Double, zPerFold: Double, varianceRatio: Double, perturbedShare: Double, shareSquares: Double,
            skewness: Double, floor: Double
        )
    var zHalf: Double?
}

/// The GLM scores of one evaluation: per time point and perturbation, those of its tested genes
/// in the order the evaluation visits them. A table is either read (`reading`: complete, never
/// changed again, so worker threads read it without a lock) or recorded by the one evaluation
/// that owns it, which appends a time point's scores after that time point's parallel loop.
final class GLMScoreTable: @unchecked Sendable {
    /// [time point][perturbation] → scores in gene order.
    private(set) var slices: [[[GLMScoreEntry]]] = []
    /// Whether the table is complete (taken from the memo) rather than being recorded.
    let reading: Bool

    init(reading: Bool = false) { self.reading = reading }

    /// The scores of time point `t` to read, nil when recording (or when `t` was not recorded).
    func scores(time t: Int) -> [[GLMScoreEntry]]? {
        reading && t < slices.count ? slices[t] : nil
    }

    /// Records time point `slices.count`'s scores (recording tables only).
    func append(_ scores: [[GLMScoreEntry]]) {
        precondition(!reading, "a complete score table is never changed")
        slices.append(scores)
    }

    /// The same scores as a complete table to read.
    func completed() -> GLMScoreTable {
        let done = GLMScoreTable(reading: true)
        done.slices = slices
        return done
    }
}

/// The last few evaluations' GLM score tables, keyed by the design (with the fields no score
/// reads set to fixed values, `key`) and the layout strategy. Thread-safe.
final class GLMScoreMemo: Sendable {
    /// Two tables: a design's and its recommendation's (the genome-scale design has one). A table
    /// holds one entry per tested affected gene (72 bytes): the 10,000-perturbation benchmark's
    /// two add 35–55 MB to its peak RSS.
    private let recent = RecentCache<EvaluationKey, GLMScoreTable>(capacity: 2)
    private let reuses = Locked(0)

    /// How many evaluations took their scores from a held table.
    var reused: Int { reuses.withLock { $0 } }

    /// The key: `design` with the fields no GLM score reads set to fixed values: ω
    /// (`batching.interaction_sd`), and the level, multiple testing and target power, which the
    /// multiple-testing solve and the detectable size after the scores read.
    static func key(_ design: Design, strategy: LayoutStrategy?) -> EvaluationKey {
        var d = design
        d.batching.interactionSd = 0
        d.analysis.alpha = 0.05
        d.analysis.multipleTesting = .bh
        d.analysis.targetPower = 0.8
        return EvaluationKey(design: d, strategy: strategy)
    }

    /// A complete table for `key` when one is held, else an empty table to record into.
    func table(_ key: EvaluationKey) -> GLMScoreTable {
        guard let held = recent.value(key) else { return GLMScoreTable() }
        reuses.withLock { $0 += 1 }
        return held
    }

    /// Keeps a recorded table (as a complete one) under `key`.
    func store(_ key: EvaluationKey, _ table: GLMScoreTable) {
        guard !table.reading else { return }
        recent.store(key, table.completed())
    }
}
