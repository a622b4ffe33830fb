import ScreenplanCore
import ScreenplanTUI

// MARK: - The `tui` benchmark workload: first frame and keystroke re-render times

/// Timings of the TUI on one design, in milliseconds.
public struct TUIBenchmark: Equatable, Sendable, Codable {
    /// From an opened document to the first rendered frame (state, cached tree, render).
    public var firstFrameMs: Double
    /// Mean time of one keystroke: update plus a full render, over every screen.
    public var keystrokeMs: Double
    /// 95th percentile of the keystrokes: robust to a busy machine preempting one of them.
    public var keystrokeP95Ms: Double
    /// Slowest single keystroke seen.
    public var keystrokeMaxMs: Double
    /// Keystrokes measured.
    public var keystrokes: Int
    /// Mean time from a `-` nudge of cells per perturbation on the Design screen to the frame
    /// with the re-analysed headline (update, the engine's analysis with its recommendations'
    /// measured effects, render): what a user waits for after each press. The power curves and
    /// the layout comparison follow in later frames.
    public var nudgeToAnalysedFrameMs: Double
    /// Mean time from the same nudge to the first frame with the re-analysed headline (median
    /// power, the table, the error budget) before the recommendations' measured effects
    /// (`Engine.headline`; the analysed frame when the engine has none): what the user sees move.
    public var nudgeToHeadlineFrameMs: Double = 0
    public var width: Int
    public var height: Int
}

/// Measures the first frame and the keystroke re-render on `document` with `engine`.
///
/// The keystrokes move the cursor (j/k) on each of the six screens with an evaluation present,
/// as a user browsing would; evaluation itself runs off the UI thread in the app and is not timed.
/// - Complexity: `keystrokes` × (update + render of width × height cells).
public func benchmarkRender(
    document: DesignDocument, engine: Engine = .designOnly, width: Int = 160,
    height: Int = 48, keystrokes: Int = 240
) -> TUIBenchmark {
    let clock = ContinuousClock()
    func ms(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }
    var state: AppState! = nil
    let first = clock.measure {
        state = AppState(document: document, width: width, height: height, engine: engine.info)
        _ = render(state)
    }
    state = update(state, .evaluated(engine.evaluate(state.design, generation: state.generation))).0
    var total = Duration.zero
    var slowest = Duration.zero
    var all: [Double] = []
    let keys: [Key] = [.character("j"), .character("j"), .character("k"), .character("j")]
    for i in 0..<keystrokes {
        if i % (keystrokes / 6 + 1) == 0 {
            state.screen = Screen(rawValue: (i / (keystrokes / 6 + 1)) % Screen.allCases.count)!
        }
        let key = keys[i % keys.count]
        let elapsed = clock.measure {
            state = update(state, .key(key)).0
            _ = render(state)
        }
        total += elapsed
        slowest = max(slowest, elapsed)
        all.append(ms(elapsed))
    }
    // Nudges: `-` on cells per perturbation, each until its analysed frame. Always down, so every
    // nudge is a design the engine has not analysed (a `+` then `-` would return to a cached one).
    state.screen = .design
    state.designScreen.tree.cursor = state.rows.firstIndex { $0.path == "sampling.cells_per_perturbation" } ?? 0
    let nudges = 10
    var nudging = Duration.zero
    var toHeadline = Duration.zero
    for _ in 0..<nudges {
        let start = clock.now
        state = update(state, .key(.character("-"))).0
        _ = render(state)
        if engine.headline != nil {
            let first = engine.evaluate(
                state.design, generation: state.generation, comparison: false, curves: false, headlineOnly: true)
            state = update(state, .evaluated(first)).0
            _ = render(state)
            toHeadline += clock.now - start
        }
        let headline = engine.evaluate(state.design, generation: state.generation, comparison: false, curves: false)
        state = update(state, .evaluated(headline)).0
        _ = render(state)
        nudging += clock.now - start
        if engine.headline == nil { toHeadline = nudging }
    }
    let mean: Double = ms(total) / Double(max(1, keystrokes))
    let p95: Double = all.sorted()[min(all.count - 1, all.count * 95 / 100)]
    let nudge: Double = ms(nudging) / Double(nudges)
    return TUIBenchmark(
        firstFrameMs: ms(first), keystrokeMs: mean, keystrokeP95Ms: p95, keystrokeMaxMs: ms(slowest),
        keystrokes: keystrokes, nudgeToAnalysedFrameMs: nudge, nudgeToHeadlineFrameMs: ms(toHeadline) / Double(nudges),
        width: width, height: height)
}
