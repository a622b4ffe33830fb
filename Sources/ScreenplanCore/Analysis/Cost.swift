import Foundation

// MARK: - Cost model and order list

/// What a design costs under `cost`, and what to order. Amounts in `currency`.
public struct CostBreakdown: Codable, Equatable, Sendable {
    public var currency: String
    /// Cells to load (so that the layout's cells pass QC). At MOI > 1 a cell carries several
    /// guides, so perturbed cells count 1/MOI each.
    public var cells_loaded: Int
    public var batches: Int
    /// Reads to sequence (cells loaded × reads per cell).
    public var reads: Double
    public var batch_cost: Double
    public var cell_cost: Double
    public var sequencing_cost: Double
    public var total: Double
    /// Order list: kits (batches / lanes per kit, rounded up) and flow cells (reads / reads per
    /// flow cell, rounded up).
    public var kits: Int
    public var flow_cells: Int
    /// Animals charged `cost.per_animal` each (`Design.animalCount`), and what they cost.
    public var animals: Int = 0
    public var animal_cost: Double = 0

    public init(_ design: Design, layout: Layout) {
        let c = design.cost
        let loaded = Double(CellBudget(design, layout: layout).loaded)
        currency = c.currency
        cells_loaded = Int(loaded)
        batches = layout.batchCount
        reads = loaded * design.measurement.reads_per_cell
        batch_cost = Double(batches) * c.per_batch
        cell_cost = loaded * c.per_cell
        sequencing_cost = reads / 1e6 * c.per_million_reads
        animals = design.animalCount(batches: batches)
        animal_cost = Double(animals) * c.per_animal
        total = batch_cost + cell_cost + sequencing_cost + animal_cost
        kits = Int((Double(batches) / Double(max(1, c.lanes_per_kit))).rounded(.up))
        flow_cells = Int((reads / max(1, c.reads_per_flow_cell)).rounded(.up))
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
