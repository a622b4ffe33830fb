import Foundation

// MARK: - Pseudo-bulk data from the stochastic simulator
//
// The fitted perturbations are simulated as a screen of their own: the design with
// `perturbations.target_genes` (and combinations) restricted to them and the control cells per
// batch kept at the full design's number, so every perturbation has the cells, batches and
// controls the real screen would give it. Cells stream from `Simulator.run` block by block and
// are reduced on the fly; nothing but the sums is kept.
//
// What an analyst sees is used, not the simulator's ground truth: a cell's group is the
// perturbation assigned from its *detected* guides (undetected guides make a perturbed cell look
// like a control; cells with guides of several perturbations are dropped), and counts are
// divided by the cell's library size. The truth for evaluation is the simulator's truth table.

extension PseudoBulk {
    /// The design restricted to `chosen` perturbations, with the full design's control cells.
    public static func restrictedDesign(_ design: Design, to chosen: [Perturbation], network: Network) -> Design {
        var sub = design
        let times = max(1, design.timePoints.count)
        let controlBatches = max(1, design.batchesWithControls)
        let perBatchControls = design.controlCells / times / controlBatches
        let singles = chosen.filter { !$0.name.contains("+") }
        let combos = chosen.filter { $0.name.contains("+") }
        sub.perturbations.targetGenes = singles.map(\.name)
        sub.perturbations.combinations = combos.map { $0.targets.map { network.genes[$0] } }
        sub.sampling.controlCells = max(1, perBatchControls)
        sub.sampling.controlsFraction = nil
        if sub.batching.layout == .explicit {
            // Explicit rows follow the full design's targets: keep the chosen ones' rows.
            let full = design.perturbations(in: network)
            let index = Dictionary(full.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
            sub.batching.explicitCells = chosen.map { p in
                index[p.name].flatMap {
                    $0 < design.batching.explicitCells.count ? design.batching.explicitCells[$0] : nil
                } ?? []
            }
        }
        return sub
    }

    /// Simulates the screen restricted to `chosen` and reduces it to pseudo-bulk sums of the
    /// regulators. Progress reports blocks simulated.
    public static func fromSimulator(
        design: Design, network: Network, perturbations chosen: [Perturbation],
        seed: UInt64, options: SimulationOptions = SimulationOptions(),
        progress: ProgressReporter? = nil
    ) throws -> PseudoBulk {
        let sub = restrictedDesign(design, to: chosen, network: network)
        let model = try Simulator.prepare(design: sub, network: network, seed: seed, options: options)
        let k = model.kinetics
        let genes = k.regulators
        let perturbations = model.perturbations
        var bulk = PseudoBulk(
            genes: genes, geneNames: genes.map { network.genes[$0] }, perturbations: perturbations,
            times: design.timePoints, onset: PseudoBulk.onset(of: design),
            batches: max(1, design.batching.batches),
            source: "stochastic simulator (Simulator.run), \(model.totalCells) cells")
        // Position of each measured gene among the modelled ones (−1 elsewhere).
        var position = [Int](repeating: -1, count: model.measuredGeneCount)
        for (i, g) in genes.enumerated() where g < position.count { position[g] = i }
        let d = genes.count
        var values = [Double](repeating: 0, count: d)
        _ = try Simulator.run(model: model, options: options, progress: progress, transform: { $0 }) { block in
            for (j, cell) in block.cells.enumerated() {
                let group = cell.observedPerturbation == -1 ? perturbations.count : cell.observedPerturbation
                guard group >= 0, cell.librarySize > 0, cell.timePointIndex < bulk.times.count,
                    cell.batch < bulk.batches
                else { continue }
                for i in 0..<d { values[i] = 0 }
                let size = Double(cell.librarySize)
                for e in block.offsets[j]..<block.offsets[j + 1] {
                    let gene = Int(block.geneIndices[e])
                    if gene < position.count, position[gene] >= 0 {
                        values[position[gene]] = Double(block.counts[e]) / size
                    }
                }
                values.withUnsafeBufferPointer {
                    bulk.add(group: group, batch: cell.batch, time: cell.timePointIndex, values: $0)
                }
            }
        }
        // Truth: steady-state log2 fold changes (entries below the table's threshold are 0),
        // averaged over the control attractors of differentiating systems.
        let table = try Simulator.truth(model)
        var sum = Matrix(rows: d, cols: perturbations.count)
        var states = [Set<String>](repeating: [], count: perturbations.count)
        for entry in table {
            states[entry.perturbationIndex].insert(entry.state)
            guard entry.geneIndex < k.geneCount else { continue }
            let i = k.regulatorPosition[entry.geneIndex]
            if i >= 0 { sum[i, entry.perturbationIndex] += entry.log2FoldChange }
        }
        for p in 0..<perturbations.count {
            let n = Double(max(1, states[p].count))
            for i in 0..<d { sum[i, p] /= n }
        }
        bulk.truth = bulk.times.map { _ in sum }
        return bulk
    }
}
