import Foundation
import TestSupport
import Testing

@testable import ScreenplanCore

// One loader serves validation, the analysis and the simulator: a network file is read once per
// content, an edited file is read again, and the background genes the simulator measures are the
// ones the analysis predicts.

@Test func anEditedNetworkFileIsReadAgain() throws {
    let folder = temporaryDirectory("screenplan-loader")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let edges = folder + "/edges.tsv"
    try "regulator\ttarget\tweight\nA\tB\t2\n".write(toFile: edges, atomically: true, encoding: .utf8)
    let text = "name: loader\nsystem:\n  network:\n    file: edges.tsv\nperturbations:\n  target_genes: [A]\n"
    try text.write(toFile: folder + "/design.yaml", atomically: true, encoding: .utf8)
    let loaded = try DesignLoader.load(path: folder + "/design.yaml")
    let first = try NetworkLoader.network(for: loaded)
    #expect(first.genes == ["A", "B"])
    #expect(try NetworkLoader.network(for: loaded.design) == first)
    // A TUI session keeps analysing while the user edits the file beside it.
    try "regulator\ttarget\tweight\nA\tB\t2\nB\tC\t-1\n".write(toFile: edges, atomically: true, encoding: .utf8)
    let second = try NetworkLoader.network(for: loaded.design)
    #expect(second.genes == ["A", "B", "C"])
    #expect(second.edges.count == 2)
    // A broken edit is reported at its line, not hidden behind the earlier network.
    try "regulator\ttarget\tweight\nA\tB\tstrong\n".write(toFile: edges, atomically: true, encoding: .utf8)
    #expect(throws: DesignValidationError.self) { try NetworkLoader.network(for: loaded) }
    do {
        _ = try NetworkLoader.network(for: loaded)
    } catch let error as DesignValidationError {
        #expect(error.issues.first?.location.file == edges)
        #expect(error.issues.first?.location.line == 2)
    }
}

@Test func theSimulatorMeasuresTheBackgroundGenesTheAnalysisPredicts() throws {
    let loaded = try loadDesign(smallDesign(genes: 40, regulators: 8))  // 100 measured, 60 background
    let network = try NetworkLoader.network(for: loaded)
    let model = try Simulator.prepare(design: loaded.design, network: network, seed: 1)
    let effects = try ExpectedEffects.compute(loaded.design, network: network)
    let background = BackgroundGenes(loaded.design, modelled: network.geneCount)
    #expect(background.names.count == 60)
    #expect(background.names.first == "BG00001")
    #expect(model.measuredGeneNames == effects.geneNames)
    #expect(Array(model.measuredGeneNames.suffix(60)) == background.names)
    #expect(model.backgroundLevels == background.levels)
    #expect(background.levels.allSatisfy { $0 > 0 && $0.isFinite })
}
