import Foundation
import TestSupport
import Testing

@testable import ScreenplanCore

// The simulator streamed into an .h5ad, read back by anndata and scanpy and compared with the
// blocks the simulator hands out for the same seed.

private let smallDesign = """
    name: small h5ad screen
    system:
      genes: 120
      network: {seed: 3, regulators: 30}
    perturbations:
      targets: 6
    sampling:
      cells_per_perturbation: 40
    measurement:
      measured_genes: 200
    batching:
      batches: 3
    """

@Suite struct SimulationH5ADTests {
    @Test func simulatedH5ADMatchesTheSimulatorsBlocks() throws {
        let dir = temporaryDirectory("screenplan-sim-h5ad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let loaded = try DesignLoader.load(text: smallDesign, file: "small.yaml")
        let network = try NetworkLoader.network(for: loaded)
        var options = SimulationOptions()
        options.blockSize = 128
        let model = try Simulator.prepare(design: loaded.design, network: network, seed: 11, options: options)
        let summary = try SimulationH5AD.write(model: model, to: "\(dir)/sim.h5ad", options: options).summary

        // The same run again, collected in memory, is what the file must hold.
        var cells: [CellRecord] = []
        var rowSums: [Double] = []
        var samples: [[Double]] = []
        var nnz = 0
        _ = try Simulator.run(
            model: model, options: options, transform: { $0 },
            sink: { (b: SimulatedBlock) in
                for j in 0..<b.cellCount {
                    let range = b.offsets[j]..<b.offsets[j + 1]
                    rowSums.append(range.reduce(0.0) { $0 + Double(b.counts[$1]) })
                    if (cells.count + j) % 97 == 0, let first = range.first {
                        samples.append([Double(cells.count + j), Double(b.geneIndices[first]), Double(b.counts[first])])
                    }
                }
                nnz += b.entryCount
                cells += b.cells
            })
        #expect(summary.cells == cells.count)
        let names = model.perturbations.map(\.name)
        let perturbation = cells.map { $0.perturbation >= 0 ? names[$0.perturbation] : SimulationH5AD.controlLabel }
        let expect: [String: Any] = [
            "shape": [cells.count, model.measuredGeneCount],
            "nnz": nnz,
            "obs_names_head": cells.prefix(3).map(\.barcode),
            "var_names": model.measuredGeneNames,
            "is_regulator": SimulationH5AD.isRegulator(model),
            "obs_categorical": [
                "perturbation": perturbation,
                "batch": cells.map { "lane \($0.batch + 1)" },
                "state": cells.map(\.state),
            ],
            "obs_numeric": ["time_h": cells.map(\.timeH), "library_size": cells.map { Double($0.librarySize) }],
            "counts": samples,
            "row_sums": rowSums,
            "uns": ["seed": 11, "screenplan_version": ScreenplanVersion.string, "shard": "1/1", "block_size": 128],
        ]
        try JSONSerialization.data(withJSONObject: expect).write(to: URL(fileURLWithPath: "\(dir)/expect.json"))
        let check = try runPythonCheck(["h5ad", "\(dir)/sim.h5ad", "\(dir)/expect.json"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(SimulationH5AD.isRegulator(model).filter { $0 }.count == model.kinetics.regulatorCount)
    }
}
