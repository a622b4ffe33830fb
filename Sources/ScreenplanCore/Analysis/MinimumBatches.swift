import Foundation

// MARK: - A minimum of animals (batches) per perturbation (`optimize --min-batches`)
//
// An in vivo effect seen in one or two animals cannot be told from that animal's biology, so labs
// ask for each perturbation in at least N animals. The optimizer's solvers (`maximizePower`,
// `cheapest`) take that minimum: sub-library layouts get at least N replicates, the batch grid
// reaches N batches per time point, and a grid point whose layout puts a perturbation in fewer
// than N sampling units at a time point (animals in vivo — the `animal` level when animals hold
// several lanes — else batches) is not a candidate.

extension Optimizer {
    /// The fewest sampling units (animals in vivo, else batches) any perturbation of `design` is
    /// in at one time point of its layout.
    public static func fewestUnitsPerPerturbation(_ design: Design) -> Int {
        let layout = Layout.make(design)
        let unitOf = CellTypePower.unitOfBatch(design, layout: layout)
        var fewest = Int.max
        for p in 0..<layout.perturbationCount {
            let batches = layout.batches(of: p)
            for t in Set(batches.map { layout.batchTime[$0] }) {
                fewest = min(fewest, Set(batches.filter { layout.batchTime[$0] == t }.map { unitOf[$0] }).count)
            }
            if batches.isEmpty { fewest = 0 }
        }
        return fewest == .max ? 0 : fewest
    }

    /// Whether every perturbation of `design` is in at least `minBatches` units at each time point.
    static func meetsMinimumBatches(_ design: Design, _ minBatches: Int) -> Bool {
        minBatches <= 1 || fewestUnitsPerPerturbation(design) >= minBatches
    }
}
