import Foundation
import Testing

@testable import ScreenplanCore

// Valid nesting: the delivery unit (`batching.delivery_unit`, e.g. the animal) receives one pool
// of guides, so no layout may put a perturbation in some of its batches and not in others.

private func nestedDesign(
    layout: String, targets: Int, animals: Int, lanesPerAnimal: Int, times: Int,
    replicates: Int, delivery: Bool = true, extra: String = ""
) throws -> LoadedDesign {
    let points = times == 1 ? "[72]" : "[48, 72]"
    let text = """
        name: nested
        system:
          regime: in-vivo
          genes: 40
          network: {seed: 3, regulators: 10}
        perturbations: {targets: \(targets)}
        protocol:
          - {medium: growth, perturb: true, duration_h: 72}
        sampling: {time_points_h: \(points), cells_per_perturbation: 40}
        measurement: {measured_genes: 40}
        batching:
          unit: lane
          batches: \(animals * lanesPerAnimal)
          layout: \(layout)
          replicates: \(replicates)
          nested: [{unit: animal, count: \(animals), effect_sd: 0.2}]
        \(delivery ? "  delivery_unit: animal" : "")
        \(extra)
        """
    return try DesignLoader.load(text: text, file: "nested.yaml")
}

/// (perturbation, animal, time point) triples whose batches hold the perturbation only in part.
private func splits(_ d: Design, _ layout: Layout) -> [(Int, Int, Int)] {
    let animals = d.batching.nested[0].count
    var out: [(Int, Int, Int)] = []
    for p in 0..<layout.perturbationCount {
        for a in 0..<animals {
            for t in 0..<d.timePoints.count {
                let batches = (0..<layout.batchCount).filter {
                    $0 * animals / layout.batchCount == a && layout.batchTime[$0] == t
                }
                let held = batches.filter { layout.cells(p, $0) > 0 }.count
                if held > 0 && held < batches.count { out.append((p, a, t)) }
            }
        }
    }
    return out
}

@Test func noLayoutSplitsADeliveryUnit() throws {
    var checked = 0
    for layout in ["sub-libraries", "confounded", "balanced-incomplete", "pooled", "per-animal"] {
        for (targets, animals, lanes, times, replicates) in [
            (7, 4, 2, 1, 2), (20, 6, 3, 2, 1), (13, 6, 2, 2, 2), (30, 8, 3, 1, 3),
        ] {
            let loaded = try nestedDesign(
                layout: layout, targets: targets, animals: animals, lanesPerAnimal: lanes,
                times: times, replicates: replicates)
            let d = loaded.design
            let l = Layout.make(d)
            #expect(
                splits(d, l).isEmpty,
                "\(layout) K=\(targets) animals=\(animals)×\(lanes) T=\(times) r=\(replicates): \(splits(d, l).prefix(3))"
            )
            #expect(l.deliveryViolations(d).isEmpty)
            // Every perturbation keeps its cells at every time point.
            for p in 0..<l.perturbationCount {
                #expect(l.totalCells(of: p) == d.sampling.cellsPerPerturbation * d.timePoints.count)
            }
            checked += 1
        }
    }
    #expect(checked == 20)
    // Without a delivery unit, sub-libraries of lanes do split animals: the constraint matters.
    let free = try nestedDesign(
        layout: "sub-libraries", targets: 7, animals: 4, lanesPerAnimal: 2, times: 1,
        replicates: 1, delivery: false)
    #expect(!splits(free.design, Layout.make(free.design)).isEmpty)
}

@Test func explicitLayoutsThatSplitAnAnimalAreRefused() throws {
    // 2 animals × 2 lanes; perturbation 1 sits in one lane of animal 1 only.
    let rows = "explicit_cells: [[10, 10, 0, 0], [10, 0, 10, 10]]"
    let text = """
        name: explicit
        system: {regime: in-vivo, genes: 40, network: {seed: 3, regulators: 10}}
        perturbations: {targets: 2}
        measurement: {measured_genes: 40}
        batching:
          batches: 4
          layout: explicit
          delivery_unit: animal
          nested: [{unit: animal, count: 2, effect_sd: 0.2}]
          \(rows)
        """
    #expect(throws: DesignValidationError.self) { try DesignLoader.load(text: text, file: "e.yaml") }
    do {
        _ = try DesignLoader.load(text: text, file: "e.yaml")
    } catch let error as DesignValidationError {
        #expect(
            error.issues.contains { $0.path == "batching.explicit_cells[1]" && $0.message.contains("animal 1") },
            "\(error)")
    }
    // A delivery unit that is not a level of the design is refused.
    #expect(throws: DesignValidationError.self) {
        try DesignLoader.load(
            text: text.replacingOccurrences(of: "delivery_unit: animal", with: "delivery_unit: day"), file: "e.yaml")
    }
}

@Test func animalsHaveTheirOwnCost() throws {
    let loaded = try nestedDesign(
        layout: "sub-libraries", targets: 7, animals: 4, lanesPerAnimal: 2, times: 1,
        replicates: 2, extra: "cost: {per_batch: 700, per_animal: 2500}")
    let d = loaded.design
    let layout = Layout.make(d)
    let cost = CostBreakdown(d, layout: layout)
    #expect(cost.animals == 4)
    #expect(cost.animalCost == 10_000)
    #expect(abs(cost.total - (cost.batchCost + cost.cellCost + cost.sequencingCost + 10_000)) < 1e-9)
    #expect(cost.batchCost == 8 * 700)
    let order = OrderList(design: d, cellsLoaded: cost.cellsLoaded, batches: layout.batchCount)
    #expect(order.lines.contains { $0.id == "animals" && $0.quantity == 4 && $0.cost == 10_000 })
    #expect(abs(order.modelTotal - cost.total) < 1e-6 * cost.total)
}
