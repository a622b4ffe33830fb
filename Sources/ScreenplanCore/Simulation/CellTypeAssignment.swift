import Foundation

// MARK: - Which cell type each simulated cell is
//
// Each sampling unit (the animal in vivo, else the batch) draws its type fractions from
// Dirichlet(c × f) (c = `system.cell_types.concentration`, f the design's fractions), as Gamma
// variates normalised, from the stream (seed, cellTypes, 0, unit). Each cell then draws its type
// from its unit's fractions with the stream (seed, cellTypes, 1, cell index), so a cell's type
// depends only on the seed, its unit and its index (not on blocks or threads), and is independent
// of its guide. A multiplet is measured with its owner's type.

/// The cell types of a simulation: fractions per sampling unit and each cell's type.
public struct CellTypeAssignment: Sendable, Equatable {
    /// Type names (`system.cell_types.types`); one unnamed population when empty.
    public let names: [String]
    /// Sampling unit of each batch (animal in vivo, else the batch itself).
    public let unitOfBatch: [Int]
    /// Type fractions of each unit (rows sum to 1).
    public let fractions: [[Double]]
    /// Cumulative fractions of each unit, for the per-cell draw.
    let cumulative: [[Double]]
    /// Per type: factor on each measured gene's expression share (nil = pooled expression).
    public let factor: [[Double]?]
    /// Per type: NB θ of each measured gene (nil = the design's).
    public let dispersion: [[Double]?]

    /// The label written when a design has no cell types.
    public static let pooledName = "all"

    /// Draws the units' fractions and reads the types' profiles.
    /// - Parameters:
    ///   - unitOfBatch: the sampling unit of each batch (the animal of each batch in vivo).
    ///   - genes: measured gene names; `pooledDispersion` their θ.
    public init(design: Design, seed: UInt64, unitOfBatch: [Int], genes: [String], pooledDispersion: [Double]) throws {
        let types = design.system.cellTypes.types
        self.unitOfBatch = unitOfBatch
        guard !types.isEmpty else {
            names = [Self.pooledName]
            fractions = [[1]]
            cumulative = [[1]]
            factor = [nil]
            dispersion = [nil]
            return
        }
        names = types.map(\.name)
        let total = types.reduce(0) { $0 + $1.fraction }
        let mean = types.map { $0.fraction / max(total, 1e-300) }
        let c = design.system.cellTypes.concentration
        let units = (unitOfBatch.max() ?? 0) + 1
        var rows: [[Double]] = []
        for u in 0..<units {
            var rng = RandomStream(seed: seed, domain: .cellTypes, 0, UInt64(u))
            var draws = mean.map { $0 > 0 ? rng.gamma(shape: c * $0) : 0 }
            let sum = draws.reduce(0, +)
            if sum > 0 { draws = draws.map { $0 / sum } } else { draws = mean }
            rows.append(draws)
        }
        fractions = rows
        cumulative = rows.map { row in
            var acc = 0.0
            return row.map {
                acc += $0
                return acc
            }
        }
        let expression = try CellTypeExpression.of(design, genes: genes, pooledDispersion: pooledDispersion)
        factor = expression.map(\.factor)
        dispersion = expression.map(\.dispersion)
    }

    /// Whether any type has its own expression (the measurement then reads `factor`).
    public var hasProfiles: Bool { factor.contains { $0 != nil } }

    /// The type index of cell `index` in batch `batch`.
    public func type(ofCell index: Int, batch: Int, seed: UInt64) -> Int {
        guard names.count > 1 else { return 0 }
        var rng = RandomStream(seed: seed, domain: .cellTypes, 1, UInt64(index))
        return rng.categorical(cumulative[unitOfBatch[batch]])
    }
}
