import Foundation

// MARK: - What to order, with the cost of each line
//
// The cost model (Design.cost) charges per batch unit, per cell and per million reads. Labs buy
// whole kits and whole flow cells, so the order list carries both views: lines that make up the
// model's cost (the figure the analysis and the optimiser use) and lines that make up the purchase
// (whole kits and flow cells). Cells are in both. docs/reports.md explains every line.

/// The order list of a design.
public struct OrderList: Codable, Equatable, Sendable {
    public var currency: String
    public var lines: [OrderLine]
    /// Sum of the lines with `in_model_total`: batches (or lanes), cells and reads, as the cost
    /// model charges them.
    public var modelTotal: Double
    /// Sum of the lines with `in_purchase_total`: whole kits, cells and whole flow cells.
    public var purchaseTotal: Double

    public init(currency: String, lines: [OrderLine]) {
        self.currency = currency
        self.lines = lines
        self.modelTotal = lines.filter(\.inModelTotal).compactMap(\.cost).reduce(0, +)
        self.purchaseTotal = lines.filter(\.inPurchaseTotal).compactMap(\.cost).reduce(0, +)
    }

    /// Cells one 10x Chromium lane takes when batches are not lanes (the superloading maximum,
    /// which is also the default of `batching.max_cells_per_batch`).
    public static let laneCapacity = BatchingSpec().maxCellsPerBatch

    /// The order list of `design` under its cost model.
    /// - Parameters:
    ///   - cellsLoaded: cells to load; the analysis's count (`CostBreakdown.cells_loaded`, which
    ///     counts perturbed cells 1/MOI at high MOI) when given, else `design.cellsLoaded`.
    ///   - batches: batches of the layout; `batching.batches` when nil.
    public init(design: Design, cellsLoaded: Int? = nil, batches: Int? = nil) {
        let c = design.cost
        let batches = batches ?? design.batching.batches
        let unit = design.batching.unit
        let cells = cellsLoaded ?? design.cellsLoaded
        let moiNote = design.perturbations.moi > 1 ? ", perturbed cells counted 1/MOI" : ""
        var lines: [OrderLine] = []
        let lanes: Int
        let cellsPerBatch = Int((Double(cells) / Double(max(1, batches))).rounded(.up))
        if unit == .lane {
            lanes = batches
            lines.append(
                OrderLine(
                    id: "lanes", item: "10x Chromium lanes", quantity: Double(lanes), unit: "lane",
                    unitCost: c.perBatch, cost: Double(lanes) * c.perBatch, inModelTotal: true,
                    inPurchaseTotal: false,
                    basis:
                        "batching.batches = \(lanes) lanes × cost.per_batch (\(ReportNumber.money(c.perBatch, c.currency)), one lane's share of a kit)"
                ))
        } else {
            let perBatchLanes = max(1, Int((Double(cellsPerBatch) / Double(Self.laneCapacity)).rounded(.up)))
            lanes = batches * perBatchLanes
            lines.append(
                OrderLine(
                    id: "batches", item: "\(unit.rawValue)s", quantity: Double(batches), unit: unit.rawValue,
                    unitCost: c.perBatch, cost: Double(batches) * c.perBatch, inModelTotal: true,
                    inPurchaseTotal: true,
                    basis: "batching.batches = \(batches) \(unit.rawValue)s × cost.per_batch"))
            lines.append(
                OrderLine(
                    id: "lanes", item: "10x Chromium lanes", quantity: Double(lanes), unit: "lane",
                    unitCost: nil, cost: nil, inModelTotal: false, inPurchaseTotal: false,
                    basis:
                        "\(perBatchLanes) lane(s) per \(unit.rawValue) (⌈\(ReportNumber.integer(cellsPerBatch)) cells / \(ReportNumber.integer(Self.laneCapacity)) per lane⌉); not priced by the cost model, whose per_batch is per \(unit.rawValue)"
                ))
        }
        let animals = design.animalCount(batches: batches)
        if c.perAnimal > 0 && animals > 0 {
            lines.append(
                OrderLine(
                    id: "animals", item: "animals", quantity: Double(animals), unit: "animal",
                    unitCost: c.perAnimal, cost: Double(animals) * c.perAnimal, inModelTotal: true,
                    inPurchaseTotal: true,
                    basis:
                        "\(animals) animals × cost.per_animal (recipient, conditioning, housing), on top of cost.per_batch"
                ))
        }
        let kits = (lanes + max(1, c.lanesPerKit) - 1) / max(1, c.lanesPerKit)
        let spare = kits * c.lanesPerKit - lanes
        let kitPriced = unit == .lane
        lines.append(
            OrderLine(
                id: "kits", item: "10x kits (\(c.lanesPerKit) lanes each)", quantity: Double(kits), unit: "kit",
                unitCost: kitPriced ? c.perBatch * Double(c.lanesPerKit) : nil,
                cost: kitPriced ? c.perBatch * Double(c.lanesPerKit * kits) : nil,
                inModelTotal: false, inPurchaseTotal: kitPriced,
                basis: "⌈\(lanes) lanes / cost.lanes_per_kit \(c.lanesPerKit)⌉; \(spare) lane(s) spare"
                    + (kitPriced ? "; a kit costs lanes_per_kit × per_batch" : "")))
        let lanesForCells = max(1, lanes)
        let perLane = Int((Double(cells) / Double(lanesForCells)).rounded(.up))
        let capacity = unit == .lane ? design.batching.maxCellsPerBatch : Self.laneCapacity
        lines.append(
            OrderLine(
                id: "cells_per_lane", item: "cells to load per lane", quantity: Double(perLane), unit: "cells/lane",
                unitCost: nil, cost: nil, inModelTotal: false, inPurchaseTotal: false,
                basis: "\(ReportNumber.integer(cells)) cells loaded / \(lanesForCells) lanes"
                    + (perLane > capacity
                        ? "; ABOVE the lane capacity of \(ReportNumber.integer(capacity))"
                        : "; capacity \(ReportNumber.integer(capacity))")))
        lines.append(
            OrderLine(
                id: "cells", item: "cells loaded (reagent share)", quantity: Double(cells), unit: "cells",
                unitCost: c.perCell, cost: Double(cells) * c.perCell, inModelTotal: true, inPurchaseTotal: true,
                basis:
                    "(cells after QC\(moiNote)) / sampling.qc_pass_fraction \(ReportNumber.short(design.sampling.qcPassFraction)) × cost.per_cell"
            ))
        let reads = Double(cells) * design.measurement.readsPerCell
        let millions = reads / 1e6
        lines.append(
            OrderLine(
                id: "reads", item: "sequencing reads", quantity: millions, unit: "million reads",
                unitCost: c.perMillionReads, cost: millions * c.perMillionReads, inModelTotal: true,
                inPurchaseTotal: false,
                basis:
                    "\(ReportNumber.integer(cells)) cells × measurement.reads_per_cell \(ReportNumber.quantity(design.measurement.readsPerCell)) × cost.per_million_reads"
            ))
        let flowCells = c.readsPerFlowCell > 0 ? Int((reads / c.readsPerFlowCell).rounded(.up)) : 0
        let fill = flowCells > 0 ? reads / (Double(flowCells) * c.readsPerFlowCell) : 0
        lines.append(
            OrderLine(
                id: "flow_cells", item: "sequencing flow cells", quantity: Double(flowCells), unit: "flow cell",
                unitCost: c.flowCell, cost: Double(flowCells) * c.flowCell, inModelTotal: false,
                inPurchaseTotal: true,
                basis:
                    "⌈\(ReportNumber.short(reads)) reads / cost.reads_per_flow_cell \(ReportNumber.short(c.readsPerFlowCell))⌉; \(ReportNumber.percent(fill, 0)) of the ordered capacity used"
            ))
        self.init(currency: c.currency, lines: lines)
    }

    /// The line with `id`, if present.
    public func line(_ id: String) -> OrderLine? { lines.first { $0.id == id } }

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case currency
        case lines
        case modelTotal = "model_total"
        case purchaseTotal = "purchase_total"
    }
}

/// One line of the order list.
public struct OrderLine: Codable, Equatable, Sendable {
    /// Stable identifier: "lanes", "batches", "kits", "cells_per_lane", "cells", "reads", "flow_cells".
    public var id: String
    public var item: String
    public var quantity: Double
    public var unit: String
    /// Cost of one `unit`; nil when the cost model does not price it.
    public var unitCost: Double?
    /// Cost of the line; nil when the cost model does not price it.
    public var cost: Double?
    public var inModelTotal: Bool
    public var inPurchaseTotal: Bool
    /// How the line is computed, naming the design fields it uses.
    public var basis: String

    public init(
        id: String, item: String, quantity: Double, unit: String, unitCost: Double?, cost: Double?,
        inModelTotal: Bool, inPurchaseTotal: Bool, basis: String
    ) {
        self.id = id
        self.item = item
        self.quantity = quantity
        self.unit = unit
        self.unitCost = unitCost
        self.cost = cost
        self.inModelTotal = inModelTotal
        self.inPurchaseTotal = inPurchaseTotal
        self.basis = basis
    }

    // Unpriced lines carry explicit nulls, so every line has the same keys in JSON.
    enum CodingKeys: String, CodingKey {
        case id, item, quantity, unit
        case unitCost = "unit_cost"
        case cost
        case inModelTotal = "in_model_total"
        case inPurchaseTotal = "in_purchase_total"
        case basis
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(item, forKey: .item)
        try c.encode(quantity, forKey: .quantity)
        try c.encode(unit, forKey: .unit)
        try c.encode(unitCost, forKey: .unitCost)
        try c.encode(cost, forKey: .cost)
        try c.encode(inModelTotal, forKey: .inModelTotal)
        try c.encode(inPurchaseTotal, forKey: .inPurchaseTotal)
        try c.encode(basis, forKey: .basis)
    }
}
