import ScreenplanCore

// MARK: - Layout grids for the Layout screen
//
// The grid is the analysis module's `Layout` (the one the error model and the simulator use),
// labelled for display.

/// Thrown when a layout strategy cannot be drawn for a design.
public struct LayoutUnavailable: Error, Equatable, Sendable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}

extension LayoutGrid {
    /// Perturbation names in design order: target genes (or generated names, regulators first),
    /// then combinations joined with `+`.
    public static func perturbationNames(_ design: Design) -> [String] {
        let p = design.perturbations
        let singles =
            p.targetGenes.isEmpty
            ? (0..<p.targets).map { Design.generatedGeneName($0, of: design.system.genes) }
            : p.targetGenes
        return singles + p.combinations.map { $0.joined(separator: "+") }
    }

    /// The grid of the analysis module's layout (`Layout.make`) for the design's
    /// `batching.layout`, so the Layout screen shows exactly what the analysis and the simulator use.
    /// Complexity: O(perturbations × batches).
    public static func fromDesign(_ design: Design) throws -> LayoutGrid {
        try LayoutGrid(Layout.make(design), design: design)
    }

    /// The grid of a layout, labelled with the design's batch unit and perturbation names.
    public init(_ layout: Layout, design: Design) throws {
        guard layout.batchCount > 0 else { throw LayoutUnavailable(reason: "the design has no batches") }
        let b = design.batching
        if b.layout == .explicit && b.explicitCells.count != layout.perturbationCount {
            throw LayoutUnavailable(
                reason:
                    "batching.explicit_cells has \(b.explicitCells.count) rows for \(layout.perturbationCount) perturbations"
            )
        }
        let names = LayoutGrid.perturbationNames(design)
        let cells = (0..<layout.perturbationCount).map { p in (0..<layout.batchCount).map { layout.cells(p, $0) } }
        self.init(
            strategy: layout.strategy,
            batches: (0..<layout.batchCount).map { "\(b.unit.rawValue) \($0 + 1)" },
            perturbations: Array(names.prefix(layout.perturbationCount)), cells: cells, controls: layout.controls)
    }
}
