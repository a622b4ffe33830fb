import Foundation
import Testing

@testable import ScreenplanCore

// At high MOI the design's `cells_per_perturbation` counts cell–guide slots (CellBudget): the
// analysis gives each perturbation that many cells carrying its guide, against the complement,
// and counts slots/MOI + controls cells recovered. The simulator must sample that screen, or the
// power the analysis predicts is for another screen (before the fix it simulated MOI times as
// many cells; the engines detected 0.99 of the targets against a predicted 0.63, docs/batching.md
// section 8.1).

@Test func atHighMOISimulatedCellsCarryEachGuideAsOftenAsTheAnalysisCounts() throws {
    let text = smallDesign().replacingOccurrences(
        of: "perturbations: {targets: 6, moi: 0.2}",
        with: "perturbations: {targets: 6, moi: 4}")
    let loaded = try loadDesign(text)
    let design = loaded.design
    let run = try simulate(loaded, states: false)
    let budget = CellBudget(design, layout: Layout.make(design))
    let perturbedCells = run.cells.filter { $0.perturbation >= 0 }.count
    // Cells recovered: slots/MOI perturbed cells (K × 60 / 4 = 90) plus the controls.
    #expect(
        abs(Double(perturbedCells) - budget.perturbedCells) <= 1,
        "perturbed cells \(perturbedCells) vs \(budget.perturbedCells)")
    #expect(abs(Double(run.cells.count) - budget.recovered) <= 1, "cells \(run.cells.count) vs \(budget.recovered)")
    // Every perturbation's guide fills about cells_per_perturbation slots (60): its own cells and
    // the other cells' extra guides (a cell with two of p's guides fills two).
    var owner: [String: Int] = [:]
    for (p, gs) in run.model.guides.enumerated() { for g in gs { owner[g.name] = p } }
    var carriers = [Int](repeating: 0, count: run.model.guides.count)
    for cell in run.cells {
        for p in cell.guides.compactMap({ owner[$0] }) { carriers[p] += 1 }
    }
    let meanCarriers = Double(carriers.reduce(0, +)) / Double(carriers.count)
    #expect(
        abs(meanCarriers - Double(design.sampling.cellsPerPerturbation)) < 6,
        "cells carrying a perturbation's guide: \(carriers)")
    // The Monte Carlo layout of the plan counts the same carriers (the analysis's slots).
    let mc = MonteCarlo.layout(for: design).layout
    for p in 0..<mc.perturbationCount {
        #expect(abs(mc.totalCells(of: p) - design.sampling.cellsPerPerturbation) <= 2)
    }
}
