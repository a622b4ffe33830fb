import ScreenplanCore
import ScreenplanTUI

/// The engine the TUI runs on: the one place that wires the analysis, simulator and report
/// modules into the screens. Until they land, layouts come from the design's own counts and the
/// screens say "analysis not available" rather than show made-up numbers.
///
/// To wire the analysis: `Engine(analyze: { try analyze($0) }, powerVsCells: …, powerVsEffect: …,
/// layout: { try layoutGrid($0) }, jobs: [simulate, montecarlo, optimize], exporters: [md, html, json])`.
func tuiEngine() -> Engine {
    .designOnly
}
