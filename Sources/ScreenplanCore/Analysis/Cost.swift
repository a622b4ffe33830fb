import Foundation

// MARK: - Cost model and order list

/// What a design costs under `cost`, and what to order. Amounts in `currency`.
public struct CostBreakdown: Codable, Equatable, Sendable {
    public var currency: String
    /// Cells to load (so that the layout's cells pass QC). At MOI > 1 a cell carries several
    /// guides, so perturbed cells count 1/MOI each.
    public var cellsLoaded: Int
    public var batches: Int
    /// Reads to sequence (cells loaded × reads per cell).
    public var reads: Double
    public var batchCost: Double
    public var cellCost: Double
    public var sequencingCost: Double
    public var total: Double
    /// Order list: kits (batches / lanes per kit, rounded up) and flow cells (reads / reads per
    /// flow cell, rounded up).
    public var kits: Int
    public var flowCells: Int
    /// Animals charged `cost.per_animal` each (`Design.animalCount`), and what they cost.
    public var animals: Int = 0
    public var animalCost: Double = 0

    public init(_ design: Design, layout: Layout) {
        let c = design.cost
        let loaded = Double(CellBudget(design, layout: layout).loaded)
        currency = c.currency
        cellsLoaded = Int(loaded)
        batches = layout.batchCount
        reads = loaded * design.measurement.readsPerCell
        batchCost = Double(batches) * c.perBatch
        cellCost = loaded * c.perCell
        sequencingCost = reads / 1e6 * c.perMillionReads
        animals = design.animalCount(batches: batches)
        animalCost = Double(animals) * c.perAnimal
        total = batchCost + cellCost + sequencingCost + animalCost
        kits = Int((Double(batches) / Double(max(1, c.lanesPerKit))).rounded(.up))
        flowCells = Int((reads / max(1, c.readsPerFlowCell)).rounded(.up))
    }

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case currency
        case cellsLoaded = "cells_loaded"
        case batches
        case reads
        case batchCost = "batch_cost"
        case cellCost = "cell_cost"
        case sequencingCost = "sequencing_cost"
        case total
        case kits
        case flowCells = "flow_cells"
        case animals
        case animalCost = "animal_cost"
    }
}

extension Design {
    /// Animals in a design with `batches` innermost batches: the batches themselves when they are
    /// animals, else the count of the nested animal level (scaled with the batches, as the
    /// optimizer scales nested levels), else 0 (no animals: in vitro).
    public func animalCount(batches: Int) -> Int {
        if batching.unit == .animal { return batches }
        guard let level = batching.nested.first(where: { $0.unit == .animal }) else { return 0 }
        let perAnimal = max(1, batching.batches / max(1, level.count))
        return max(1, batches / perAnimal)
    }
}

/// "12,345.00 USD".
public func formatMoney(_ amount: Double, _ currency: String) -> String {
    formatThousands(amount, decimals: amount >= 1000 ? 0 : 2) + " " + currency
}

/// A number with thousands separators.
public func formatThousands(_ value: Double, decimals: Int = 0) -> String {
    let s = String(format: "%.\(decimals)f", abs(value))
    let parts = s.split(separator: ".", omittingEmptySubsequences: false)
    var digits = Array(parts[0])
    var out: [Character] = []
    while digits.count > 3 {
        out = [","] + digits.suffix(3) + out
        digits.removeLast(3)
    }
    out = digits + out
    var text = String(out)
    if parts.count > 1 { text += "." + parts[1] }
    return (value < 0 ? "-" : "") + text
}
