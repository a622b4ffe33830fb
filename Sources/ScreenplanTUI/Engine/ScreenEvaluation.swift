import Foundation
import ScreenplanCore

// MARK: - Everything the screens show about a design, computed once per design change
//
// The shell runs `Engine.evaluate` off the UI thread after every change and posts the result as
// `.evaluated`; a result for an older generation is dropped. Render only reads it.

/// Summary of one layout strategy for the Compare screen: grid statistics always, the analysis'
/// summary when it is available.
public struct LayoutComparison: Equatable, Sendable {
    public var strategy: LayoutStrategy
    /// Why this strategy cannot be used for the design (validation or layout), if it cannot.
    public var refused: String?
    public var stats: LayoutStats?
    public var summary: AnalysisSummary?

    public init(
        strategy: LayoutStrategy, refused: String? = nil, stats: LayoutStats? = nil, summary: AnalysisSummary? = nil
    ) {
        self.strategy = strategy
        self.refused = refused
        self.stats = stats
        self.summary = summary
    }
}

/// Statistics of a layout grid that need no model.
public struct LayoutStats: Equatable, Sendable {
    /// Fewest and median batches a perturbation appears in.
    public var minBatchesPerPerturbation: Int
    public var medianBatchesPerPerturbation: Int
    /// Perturbations found in one batch only (their effect is confounded with that batch).
    public var singleBatchPerturbations: Int
    public var batchesWithControls: Int
    /// Smallest and largest cells in one batch (controls included).
    public var minCellsPerBatch: Int
    public var maxCellsPerBatch: Int

    public init(_ grid: LayoutGrid) {
        let spans = grid.cells.map { row in row.reduce(0) { $0 + ($1 > 0 ? 1 : 0) } }.sorted()
        minBatchesPerPerturbation = spans.first ?? 0
        medianBatchesPerPerturbation = spans.isEmpty ? 0 : spans[spans.count / 2]
        singleBatchPerturbations = spans.filter { $0 == 1 }.count
        batchesWithControls = grid.controls.filter { $0 > 0 }.count
        var perBatch = grid.controls
        for row in grid.cells { for (b, n) in row.enumerated() where b < perBatch.count { perBatch[b] += n } }
        minCellsPerBatch = perBatch.min() ?? 0
        maxCellsPerBatch = perBatch.max() ?? 0
    }
}

/// The engine's view of one design generation.
public struct ScreenEvaluation: Equatable, Sendable {
    public var generation: Int
    public var analysis: AnalysisResult?
    /// Why there is no analysis ("analysis not available in this build", or the error).
    public var analysisNote: String?
    public var layout: LayoutGrid?
    public var layoutNote: String?
    public var powerVsCells: [PowerPoint]
    public var powerVsEffect: [PowerPoint]
    public var comparison: [LayoutComparison]
    /// Every perturbation's row for the Analysis table (design order).
    public var perturbations: [PerturbationRow] = []
    /// The analysis is the headline only (`Engine.headline`): its recommendations and the power
    /// per cell type follow in the next evaluation of this generation.
    public var recommendationsPending = false

    public init(
        generation: Int, analysis: AnalysisResult? = nil, analysisNote: String? = nil,
        layout: LayoutGrid? = nil, layoutNote: String? = nil, powerVsCells: [PowerPoint] = [],
        powerVsEffect: [PowerPoint] = [], comparison: [LayoutComparison] = []
    ) {
        self.generation = generation
        self.analysis = analysis
        self.analysisNote = analysisNote
        self.layout = layout
        self.layoutNote = layoutNote
        self.powerVsCells = powerVsCells
        self.powerVsEffect = powerVsEffect
        self.comparison = comparison
    }
}

/// Text of an error for the screen: validation issues by their message, others as described.
func reason(_ error: Error) -> String {
    if let v = error as? DesignValidationError {
        return v.issues.map { "\($0.path): \($0.message)" }.joined(separator: "; ")
    }
    return "\(error)"
}

extension Engine {
    /// Cells-per-perturbation values of the power curve: from a sixth to four times the design's.
    public static func cellsAxis(_ design: Design) -> [Int] {
        let c = Double(max(1, design.sampling.cellsPerPerturbation))
        var values: [Int] = []
        for i in 0..<24 {
            let v = Int((c / 6 * pow(24, Double(i) / 23)).rounded())
            if v >= 1 && values.last != v { values.append(v) }
        }
        return values
    }

    /// Effect sizes (|log2 fold change|) of the power curve: 0.1 to 2.
    public static let effectAxis: [Double] = (1...20).map { Double($0) / 10 }

    /// Evaluates the design: analysis, layout, power curves and the comparison of every layout
    /// strategy. Blocking; the shell calls it off the UI thread.
    /// - Parameter comparison: also analyse every other layout strategy (the Compare screen);
    ///   the runner first posts an evaluation without it, so the headline updates sooner.
    /// - Parameter curves: also compute the power curves (the Analysis plots).
    /// - Parameter reusing: an evaluation of the same design whose analysis, table and layout are
    ///   taken instead of computed again (the runner's later, fuller phases).
    /// - Parameter headlineOnly: the analysis from `headline` (no recommendations yet, marked
    ///   `recommendationsPending`) when the engine has it: the runner's first frame.
    public func evaluate(
        _ design: Design, generation: Int, comparison: Bool = true, curves: Bool = true,
        reusing: ScreenEvaluation? = nil, headlineOnly: Bool = false
    ) -> ScreenEvaluation {
        var e = ScreenEvaluation(generation: generation)
        if headlineOnly, let headline, reusing == nil {
            do {
                e.analysis = try headline(design)
                e.recommendationsPending = true
            } catch { e.analysisNote = "analysis failed: \(reason(error))" }
            if let perturbationRows, let rows = try? perturbationRows(design) {
                e.perturbations = rows
            } else if let analysis = e.analysis {
                e.perturbations = analysis.perturbations.map(PerturbationRow.init)
            }
            do { e.layout = try layout(design) } catch { e.layoutNote = reason(error) }
        } else if let reusing {
            e.analysis = reusing.analysis
            e.analysisNote = reusing.analysisNote
            e.perturbations = reusing.perturbations
            e.layout = reusing.layout
            e.layoutNote = reusing.layoutNote
        } else {
            if let analyze {
                do { e.analysis = try analyze(design) } catch { e.analysisNote = "analysis failed: \(reason(error))" }
            } else {
                e.analysisNote = "analysis not available in this build"
            }
            if let perturbationRows, let rows = try? perturbationRows(design) {
                e.perturbations = rows
            } else if let analysis = e.analysis {
                e.perturbations = analysis.perturbations.map(PerturbationRow.init)
            }
            do { e.layout = try layout(design) } catch { e.layoutNote = reason(error) }
        }
        if curves, let powerVsCells {
            let xs = Engine.cellsAxis(design)
            if let ys = try? powerVsCells(design, xs), ys.count == xs.count {
                e.powerVsCells = zip(xs, ys).map { PowerPoint(x: Double($0), power: $1) }
            }
        }
        if curves, let powerVsEffect {
            let xs = Engine.effectAxis
            if let ys = try? powerVsEffect(design, xs), ys.count == xs.count {
                e.powerVsEffect = zip(xs, ys).map { PowerPoint(x: $0, power: $1) }
            }
        }
        guard comparison else { return e }
        e.comparison = LayoutStrategy.allCases.map { strategy in
            if strategy == design.batching.layout {
                return LayoutComparison(
                    strategy: strategy, stats: e.layout.map(LayoutStats.init),
                    summary: e.analysis?.summary)
            }
            do {
                let variant = try design.setting("batching.layout", to: strategy.rawValue)
                let grid = try layout(variant)
                let summary = try analyze.map { try $0(variant).summary }
                return LayoutComparison(strategy: strategy, stats: LayoutStats(grid), summary: summary)
            } catch {
                return LayoutComparison(strategy: strategy, refused: reason(error))
            }
        }
        return e
    }
}
