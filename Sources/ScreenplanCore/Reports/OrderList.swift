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
    public var model_total: Double
    /// Sum of the lines with `in_purchase_total`: whole kits, cells and whole flow cells.
    public var purchase_total: Double

    public init(currency: String, lines: [OrderLine]) {
        self.currency = currency
        self.lines = lines
        self.model_total = lines.filter(\.in_model_total).compactMap(\.cost).reduce(0, +)
        self.purchase_total = lines.filter(\.in_purchase_total).compactMap(\.cost).reduce(0, +)
    }

    /// Cells one 10x Chromium lane takes when batches are not lanes (the superloading maximum,
    /// which is also the default of `batching.max_cells_per_batch`).
    public static let laneCapacity = BatchingSpec().max_cells_per_batch

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
            lines.append(OrderLine(
                id: "lanes", item: "10x Chromium lanes", quantity: Double(lanes), unit: "lane",
                unit_cost: c.per_batch, cost: Double(lanes) * c.per_batch, in_model_total: true,
                in_purchase_total: false,
                basis: "batching.batches = \(lanes) lanes × cost.per_batch (\(ReportNumber.money(c.per_batch, c.currency)), one lane's share of a kit)"))
        } else {
            let perBatchLanes = max(1, Int((Double(cellsPerBatch) / Double(Self.laneCapacity)).rounded(.up)))
            lanes = batches * perBatchLanes
            lines.append(OrderLine(
                id: "batches", item: "\(unit.rawValue)s", quantity: Double(batches), unit: unit.rawValue,
                unit_cost: c.per_batch, cost: Double(batches) * c.per_batch, in_model_total: true,
                in_purchase_total: true,
                basis: "batching.batches = \(batches) \(unit.rawValue)s × cost.per_batch"))
            lines.append(OrderLine(
                id: "lanes", item: "10x Chromium lanes", quantity: Double(lanes), unit: "lane",
                unit_cost: nil, cost: nil, in_model_total: false, in_purchase_total: false,
                basis: "\(perBatchLanes) lane(s) per \(unit.rawValue) (⌈\(ReportNumber.integer(cellsPerBatch)) cells / \(ReportNumber.integer(Self.laneCapacity)) per lane⌉); not priced by the cost model, whose per_batch is per \(unit.rawValue)"))
        }
        let animals = design.animalCount(batches: batches)
        if c.per_animal > 0 && animals > 0 {
            lines.append(OrderLine(
                id: "animals", item: "animals", quantity: Double(animals), unit: "animal",
                unit_cost: c.per_animal, cost: Double(animals) * c.per_animal, in_model_total: true,
                in_purchase_total: true,
                basis: "\(animals) animals × cost.per_animal (recipient, conditioning, housing), on top of cost.per_batch"))
        }
        let kits = (lanes + max(1, c.lanes_per_kit) - 1) / max(1, c.lanes_per_kit)
        let spare = kits * c.lanes_per_kit - lanes
        let kitPriced = unit == .lane
        lines.append(OrderLine(
            id: "kits", item: "10x kits (\(c.lanes_per_kit) lanes each)", quantity: Double(kits), unit: "kit",
            unit_cost: kitPriced ? c.per_batch * Double(c.lanes_per_kit) : nil,
            cost: kitPriced ? c.per_batch * Double(c.lanes_per_kit * kits) : nil,
            in_model_total: false, in_purchase_total: kitPriced,
            basis: "⌈\(lanes) lanes / cost.lanes_per_kit \(c.lanes_per_kit)⌉; \(spare) lane(s) spare"
                + (kitPriced ? "; a kit costs lanes_per_kit × per_batch" : "")))
        let lanesForCells = max(1, lanes)
        let perLane = Int((Double(cells) / Double(lanesForCells)).rounded(.up))
        let capacity = unit == .lane ? design.batching.max_cells_per_batch : Self.laneCapacity
        lines.append(OrderLine(
            id: "cells_per_lane", item: "cells to load per lane", quantity: Double(perLane), unit: "cells/lane",
            unit_cost: nil, cost: nil, in_model_total: false, in_purchase_total: false,
            basis: "\(ReportNumber.integer(cells)) cells loaded / \(lanesForCells) lanes"
                + (perLane > capacity ? "; ABOVE the lane capacity of \(ReportNumber.integer(capacity))" : "; capacity \(ReportNumber.integer(capacity))")))
        lines.append(OrderLine(
            id: "cells", item: "cells loaded (reagent share)", quantity: Double(cells), unit: "cells",
            unit_cost: c.per_cell, cost: Double(cells) * c.per_cell, in_model_total: true, in_purchase_total: true,
            basis: "(cells after QC\(moiNote)) / sampling.qc_pass_fraction \(ReportNumber.short(design.sampling.qc_pass_fraction)) × cost.per_cell"))
        let reads = Double(cells) * design.measurement.reads_per_cell
        let millions = reads / 1e6
        lines.append(OrderLine(
            id: "reads", item: "sequencing reads", quantity: millions, unit: "million reads",
            unit_cost: c.per_million_reads, cost: millions * c.per_million_reads, in_model_total: true,
            in_purchase_total: false,
            basis: "\(ReportNumber.integer(cells)) cells × measurement.reads_per_cell \(ReportNumber.quantity(design.measurement.reads_per_cell)) × cost.per_million_reads"))
        let flowCells = c.reads_per_flow_cell > 0 ? Int((reads / c.reads_per_flow_cell).rounded(.up)) : 0
        let fill = flowCells > 0 ? reads / (Double(flowCells) * c.reads_per_flow_cell) : 0
        lines.append(OrderLine(
            id: "flow_cells", item: "sequencing flow cells", quantity: Double(flowCells), unit: "flow cell",
            unit_cost: c.flow_cell, cost: Double(flowCells) * c.flow_cell, in_model_total: false,
            in_purchase_total: true,
            basis: "⌈\(ReportNumber.short(reads)) reads / cost.reads_per_flow_cell \(ReportNumber.short(c.reads_per_flow_cell))⌉; \(ReportNumber.percent(fill, 0)) of the ordered capacity used"))
        self.init(currency: c.currency, lines: lines)
    }

    /// The line with `id`, if present.
    public func line(_ id: String) -> OrderLine? { lines.first { $0.id == id } }
}

/// One line of the order list.
public struct OrderLine: Codable, Equatable, Sendable {
    /// Stable identifier: "lanes", "batches", "kits", "cells_per_lane", "cells", "reads", "flow_cells".
    public var id: String
    public var item: String
    public var quantity: Double
    public var unit: String
    /// Cost of one `unit`; nil when the cost model does not price it.
    public var unit_cost: Double?
    /// Cost of the line; nil when the cost model does not price it.
    public var cost: Double?
    public var in_model_total: Bool
    public var in_purchase_total: Bool
    /// How the line is computed, naming the design fields it uses.
    public var basis: String

    public init(id: String, item: String, quantity: Double, unit: String, unit_cost: Double?, cost: Double?,
                in_model_total: Bool, in_purchase_total: Bool, basis: String) {
        self.id = id
        self.item = item
        self.quantity = quantity
        self.unit = unit
        self.unit_cost = unit_cost
        self.cost = cost
        self.in_model_total = in_model_total
        self.in_purchase_total = in_purchase_total
        self.basis = basis
    }

    // Unpriced lines carry explicit nulls, so every line has the same keys in JSON.
    enum CodingKeys: String, CodingKey {
        case id, item, quantity, unit, unit_cost, cost, in_model_total, in_purchase_total, basis
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(item, forKey: .item)
        try c.encode(quantity, forKey: .quantity)
        try c.encode(unit, forKey: .unit)
        try c.encode(unit_cost, forKey: .unit_cost)
        try c.encode(cost, forKey: .cost)
        try c.encode(in_model_total, forKey: .in_model_total)
        try c.encode(in_purchase_total, forKey: .in_purchase_total)
        try c.encode(basis, forKey: .basis)
    }
}
