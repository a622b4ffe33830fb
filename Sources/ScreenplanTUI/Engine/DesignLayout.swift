import ScreenplanCore

// MARK: - Layouts computed from the design's own counts (used until the analysis supplies them)
//
// These are arithmetic on the design, not a model: cells per perturbation spread over the
// batches the strategy puts it in, controls from `Design.controlCells` over
// `Design.batchesWithControls`. The grid says so in its note.

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
            p.target_genes.isEmpty
            ? (0..<p.targets).map { Design.generatedGeneName($0, of: design.system.genes) }
            : p.target_genes
        return singles + p.combinations.map { $0.joined(separator: "+") }
    }

    /// The grid for the design's `batching.layout`, from its derived counts.
    ///
    /// - pooled, per-animal, per-time-point: every perturbation in every batch, evenly.
    /// - sub-libraries, balanced-incomplete: each perturbation in `replicates` batches, assigned
    ///   round-robin so batches stay balanced.
    /// - confounded: each perturbation in a single batch.
    /// - explicit: `batching.explicit_cells` as written.
    /// Complexity: O(perturbations × batches).
    public static func fromDesign(_ design: Design) throws -> LayoutGrid {
        let b = design.batching
        let batchCount = b.batches
        guard batchCount > 0 else { throw LayoutUnavailable(reason: "the design has no batches") }
        let names = perturbationNames(design)
        let perPerturbation = design.sampling.cells_per_perturbation * design.timePoints.count
        var cells: [[Int]]
        switch b.layout {
        case .pooled, .perAnimal, .perTimePoint:
            cells = names.indices.map { k in
                spread(perPerturbation, over: Array(0..<batchCount), batches: batchCount, rotate: k)
            }
        case .subLibraries, .balancedIncomplete:
            let r = max(1, min(b.replicates, batchCount))
            cells = names.indices.map { k in
                let chosen = (0..<r).map { (k * r + $0) % batchCount }
                return spread(perPerturbation, over: chosen, batches: batchCount)
            }
        case .confounded:
            cells = names.indices.map { k in spread(perPerturbation, over: [k % batchCount], batches: batchCount) }
        case .explicit:
            guard b.explicit_cells.count == names.count else {
                throw LayoutUnavailable(
                    reason:
                        "batching.explicit_cells has \(b.explicit_cells.count) rows for \(names.count) perturbations")
            }
            cells = b.explicit_cells
        }
        let holders = design.batchesWithControls
        let controlHolders = holders == 0 ? [] : evenlySpaced(holders, of: batchCount)
        let controls = spread(design.controlCells, over: controlHolders, batches: batchCount)
        let labels = (0..<batchCount).map { "\(b.unit.rawValue) \($0 + 1)" }
        return LayoutGrid(
            strategy: b.layout.rawValue, batches: labels, perturbations: names, cells: cells,
            controls: controls, note: "preview from the design's counts")
    }

    /// `total` cells split as evenly as possible over `chosen` batches. The remainder goes to
    /// batches starting at `rotate`, so that rotating by the perturbation index keeps batch
    /// totals balanced.
    static func spread(_ total: Int, over chosen: [Int], batches: Int, rotate: Int = 0) -> [Int] {
        var row = [Int](repeating: 0, count: batches)
        guard !chosen.isEmpty else { return row }
        let share = total / chosen.count
        let extra = total % chosen.count
        for (i, batch) in chosen.enumerated() {
            let slot = ((i - rotate * extra) % chosen.count + chosen.count) % chosen.count
            row[batch] += share + (slot < extra ? 1 : 0)
        }
        return row
    }

    /// `n` batch indices spread evenly over `count` batches.
    static func evenlySpaced(_ n: Int, of count: Int) -> [Int] {
        (0..<n).map { $0 * count / n }
    }
}
