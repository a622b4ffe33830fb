import Foundation
import Testing

@testable import ScreenplanCore

// Small designs and helpers shared by the simulation tests. Designs are tiny (tens of genes, a
// few hundred cells, 1-hour steps) so that every test runs in seconds in a debug build.

/// A whole simulated run held in memory.
struct SimRun {
    var model: SimulationModel
    var blocks: [SimulatedBlock]
    var summary: SimulationSummary
    var stats: SimulationStats

    var cells: [CellRecord] { blocks.flatMap(\.cells) }

    /// True states of all cells (requires `keepStates`), as one column per cell.
    var states: [[Double]] {
        blocks.flatMap { b in (0..<b.cellCount).map { b.states!.column($0) } }
    }

    /// Dense counts of all cells (cells × measured genes).
    var counts: [[Int]] {
        blocks.flatMap { b in
            (0..<b.cellCount).map { j in
                var row = [Int](repeating: 0, count: model.measuredGeneCount)
                for e in b.offsets[j]..<b.offsets[j + 1] { row[Int(b.geneIndices[e])] = Int(b.counts[e]) }
                return row
            }
        }
    }
}

/// A small non-differentiating in vitro design; `extra` is appended as YAML.
func smallDesign(_ extra: String = "", genes: Int = 80, regulators: Int = 15) -> String {
    """
    name: test screen
    system:
      genes: \(genes)
      network: {seed: 5, regulators: \(regulators), mean_in_degree: 2}
      time_step_h: 1.0
      intrinsic_noise: 0.05
    perturbations: {targets: 6, moi: 0.2}
    protocol:
      - {medium: growth, perturb: false, duration_h: 12}
      - {medium: growth, perturb: true, duration_h: 48}
    sampling: {cells_per_perturbation: 60, control_cells: 60}
    measurement: {measured_genes: 100, mrna_per_cell: 20000, reads_per_cell: 50000, doublet_rate_per_cell: 0}
    batching: {batches: 2}
    """ + (extra.isEmpty ? "" : "\n" + extra)
}

/// Loads design text, merging `overrides` (top-level YAML sections replace the defaults').
func loadDesign(_ text: String) throws -> LoadedDesign {
    try DesignLoader.load(text: text, file: "test.yaml")
}

/// Simulates a design fully in memory.
func simulate(_ loaded: LoadedDesign, seed: UInt64 = 1, options: SimulationOptions? = nil, states: Bool = true) throws
    -> SimRun
{
    var opts = options ?? SimulationOptions()
    opts.keepStates = states
    let network = try NetworkLoader.network(for: loaded)
    let model = try Simulator.prepare(design: loaded.design, network: network, seed: seed, options: opts)
    var blocks: [SimulatedBlock] = []
    let (summary, stats) = try Simulator.run(model: model, options: opts, transform: { $0 }) { blocks.append($0) }
    return SimRun(model: model, blocks: blocks, summary: summary, stats: stats)
}

func mean(_ xs: [Double]) -> Double { xs.isEmpty ? .nan : xs.reduce(0, +) / Double(xs.count) }

func variance(_ xs: [Double]) -> Double {
    let m = mean(xs)
    return xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(max(1, xs.count - 1))
}

func correlation(_ a: [Double], _ b: [Double]) -> Double {
    let ma = mean(a)
    let mb = mean(b)
    var sab = 0.0
    var saa = 0.0
    var sbb = 0.0
    for i in 0..<a.count {
        sab += (a[i] - ma) * (b[i] - mb)
        saa += (a[i] - ma) * (a[i] - ma)
        sbb += (b[i] - mb) * (b[i] - mb)
    }
    return sab / (saa * sbb).squareRoot()
}

/// Mean state of gene `g` over the cells selected.
func meanState(_ run: SimRun, gene g: Int, where keep: (CellRecord) -> Bool) -> Double {
    let states = run.states
    return mean(zip(run.cells, states).filter { keep($0.0) }.map { $0.1[g] })
}
