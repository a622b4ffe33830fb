import Foundation
import Testing
@testable import ScreenplanCore

@Test func smokeSimulation() throws {
    let text = """
    name: smoke
    system:
      genes: 300
      network: {seed: 3, regulators: 40}
    perturbations: {targets: 20}
    sampling: {cells_per_perturbation: 30}
    measurement: {measured_genes: 400, mrna_per_cell: 50000}
    batching: {batches: 4}
    """
    let loaded = try DesignLoader.load(text: text, file: "smoke.yaml")
    let network = try Simulator.network(for: loaded)
    var cells = 0, entries = 0
    let t0 = Date()
    let summary = try Simulator.run(design: loaded.design, network: network, seed: 1, shard: nil,
                                    options: SimulationOptions(), progress: nil) { block in
        cells += block.cellCount
        entries += block.entryCount
    }
    print("cells", cells, "entries", entries, "seconds", Date().timeIntervalSince(t0), summary)
    #expect(cells == summary.totalCells)
}
