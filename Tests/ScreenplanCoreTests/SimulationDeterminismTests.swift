import Foundation
import TestSupport
import Testing

@testable import ScreenplanCore

// Same seed, same bytes: whatever the thread count, and shards merged equal the unsharded run.

private func determinismDesign() throws -> LoadedDesign {
    try loadDesign(
        smallDesign().replacingOccurrences(of: "doublet_rate_per_cell: 0", with: "doublet_rate_per_cell: 1e-4"))
}

private func sameBlocks(_ a: [SimulatedBlock], _ b: [SimulatedBlock]) -> Bool {
    guard a.count == b.count else { return false }
    for (x, y) in zip(a, b) {
        if x.index != y.index || x.cells != y.cells || x.offsets != y.offsets || x.geneIndices != y.geneIndices
            || x.counts != y.counts || x.states != y.states
        {
            return false
        }
    }
    return true
}

/// Small blocks, so that a test design spans several of them.
private func blockOptions(_ blockSize: Int = 64, threads: Int) -> SimulationOptions {
    var options = SimulationOptions()
    options.blockSize = blockSize
    options.threads = threads
    return options
}

@Test func sameSeedSameResultWhateverTheThreadCount() throws {
    let loaded = try determinismDesign()
    let one = blockOptions(threads: 1)
    let three = blockOptions(threads: 3)
    let a = try simulate(loaded, options: one)
    let b = try simulate(loaded, options: three)
    #expect(a.blocks.count > 4)
    #expect(sameBlocks(a.blocks, b.blocks))
    let anyDoublet = a.cells.contains { $0.doublet }
    #expect(anyDoublet)
    // Another seed gives another population.
    let c = try simulate(loaded, seed: 2, options: one)
    #expect(!sameBlocks(a.blocks, c.blocks))
}

@Test func mergedShardsEqualTheUnshardedOutputByteForByte() throws {
    let loaded = try determinismDesign()
    var options = SimulationOptions()
    options.blockSize = 64
    options.keepStates = true
    let network = try NetworkLoader.network(for: loaded)
    let model = try Simulator.prepare(design: loaded.design, network: network, seed: 7, options: options)
    let root = temporaryDirectory("sim-shards")
    defer { try? FileManager.default.removeItem(atPath: root) }
    _ = try TenXWriter.write(model: model, to: root + "/full", shard: nil, options: options, force: false)
    let files = ["matrix.mtx.gz", "barcodes.tsv.gz", "features.tsv.gz", "cells.tsv", "truth.tsv", "states.mtx.gz"]
    for count in [2, 3] {
        var dirs: [String] = []
        for i in 0..<count {
            let dir = root + "/shard-\(count)-\(i + 1)"
            var threaded = options
            threaded.threads = 1 + i % 2
            _ = try TenXWriter.write(
                model: model, to: dir, shard: ShardSpec(index: i, count: count), options: threaded, force: false)
            dirs.append(dir)
        }
        try TenXWriter.merge(shards: dirs.reversed(), into: root + "/merged-\(count)", force: false)
        for file in files {
            let full = FileManager.default.contents(atPath: root + "/full/" + file)
            let merged = FileManager.default.contents(atPath: root + "/merged-\(count)/" + file)
            #expect(full != nil && full == merged, "\(file) differs after merging \(count) shards")
        }
    }
    // The merged matrix is a valid (multi-member) gzip whose size line counts its entries.
    let text = String(
        decoding: try Gzip.decompress([UInt8](FileManager.default.contents(atPath: root + "/merged-3/matrix.mtx.gz")!)),
        as: UTF8.self)
    let lines = text.split(separator: "\n")
    let size = lines[1].split(separator: " ").map { Int($0)! }
    #expect(size[0] == model.measuredGeneCount && size[1] == model.totalCells)
    #expect(size[2] == lines.count - 2)
}

@Test func writerRefusesExistingOutputAndLeavesNothingOnFailure() throws {
    let loaded = try determinismDesign()
    let network = try NetworkLoader.network(for: loaded)
    let model = try Simulator.prepare(design: loaded.design, network: network, seed: 1)
    let root = temporaryDirectory("sim-refuse")
    defer { try? FileManager.default.removeItem(atPath: root) }
    try FileManager.default.createDirectory(atPath: root + "/out", withIntermediateDirectories: true)
    #expect(throws: OutputExistsError.self) {
        _ = try TenXWriter.write(
            model: model, to: root + "/out", shard: nil, options: SimulationOptions(), force: false)
    }
    // A cancelled run leaves neither the output nor its temporary directory.
    let progress = ProgressReporter()
    progress.cancel()
    #expect(throws: CancelledError.self) {
        _ = try TenXWriter.write(
            model: model, to: root + "/cancelled", shard: nil, options: SimulationOptions(),
            force: false, progress: progress)
    }
    let left = try FileManager.default.contentsOfDirectory(atPath: root)
    #expect(left == ["out"], "left behind: \(left)")
    // With force, a folder that is not a previous output is still refused (issue 17: --force
    // emptied the current folder); a previous output is replaced.
    #expect(throws: UnsafeOutputError.self) {
        _ = try TenXWriter.write(model: model, to: root + "/out", shard: nil, options: SimulationOptions(), force: true)
    }
    _ = try TenXWriter.write(
        model: model, to: root + "/previous", shard: nil, options: SimulationOptions(), force: false)
    _ = try TenXWriter.write(
        model: model, to: root + "/previous", shard: nil, options: SimulationOptions(), force: true)
    #expect(FileManager.default.fileExists(atPath: root + "/previous/matrix.mtx.gz"))
}

@Test func aKilledRunsTemporaryOutputIsRemovedByTheNextRun() throws {
    let loaded = try determinismDesign()
    let model = try Simulator.prepare(design: loaded.design, network: try NetworkLoader.network(for: loaded), seed: 1)
    let root = temporaryDirectory("sim-abandoned")
    defer { try? FileManager.default.removeItem(atPath: root) }
    // What a SIGKILLed run leaves: a temporary sibling named after a process that no longer exists.
    let finished = Process()
    finished.executableURL = URL(fileURLWithPath: "/bin/true")
    try finished.run()
    finished.waitUntilExit()
    let dead = root + "/.out.tmp-\(finished.processIdentifier)-7"
    let live = root + "/.out.tmp-\(getpid())-8"  // this process: another run still writing
    let other = root + "/.other.tmp-\(finished.processIdentifier)-9"  // another target's
    for path in [dead, live, other] {
        try FileManager.default.createDirectory(atPath: path + "/partial", withIntermediateDirectories: true)
    }
    _ = try TenXWriter.write(model: model, to: root + "/out", shard: nil, options: SimulationOptions(), force: false)
    let left = Set(try FileManager.default.contentsOfDirectory(atPath: root))
    #expect(left == ["out", ".out.tmp-\(getpid())-8", ".other.tmp-\(finished.processIdentifier)-9"], "\(left)")
}

@Test func truthTableHoldsTheTargetsEffects() throws {
    let loaded = try loadDesign(smallDesign())
    let network = try NetworkLoader.network(for: loaded)
    let model = try Simulator.prepare(design: loaded.design, network: network, seed: 1)
    let truth = try Simulator.truth(model)
    for (p, pert) in model.perturbations.enumerated() {
        let own = truth.first { $0.perturbationIndex == p && $0.geneIndex == pert.targets[0] }
        #expect(own != nil)
        // CRISPRi lowers its target (feedback can soften, never reverse, a 67% knockdown here).
        #expect((own?.log2FoldChange ?? 0) < -0.3, "\(pert.name): \(own?.log2FoldChange ?? .nan)")
    }
}

@Test func truthByLinearResponseAgreesWithNewtonForLargeNetworks() throws {
    let loaded = try loadDesign(smallDesign())
    let network = try NetworkLoader.network(for: loaded)
    let model = try Simulator.prepare(design: loaded.design, network: network, seed: 1)
    var linear = SimulationParameters()
    linear.truthNewtonLimit = 1  // force the large-network path on a small network
    let linearModel = try Simulator.prepare(design: loaded.design, network: network, seed: 1, parameters: linear)
    let exact = try Simulator.truth(model)
    let approx = try Simulator.truth(linearModel)
    let key = { (e: TruthEntry) in "\(e.perturbationIndex):\(e.geneIndex)" }
    let byKey = Dictionary(approx.map { (key($0), $0.log2FoldChange) }, uniquingKeysWith: { a, _ in a })
    let pairs = exact.compactMap { e in byKey[key(e)].map { (e.log2FoldChange, $0) } }
    // A 67% knockdown is not small, so first order is not exact, but effects must line up.
    #expect(pairs.count > 10)
    #expect(correlation(pairs.map(\.0), pairs.map(\.1)) > 0.9)
}

@Test func cellsEnteringOverDaysGetTheSameStatesWhateverTheirBlock() throws {
    // In vivo with influx: cells of one block start at different steps, so the dynamics integrates
    // them in start order and each step's GEMM covers only the living columns. A cell's state must
    // not depend on that: not on the thread count, nor on which cells share its block.
    let text = """
        name: in vivo influx
        system:
          regime: in-vivo
          dynamics: differentiating
          genes: 60
          network: {seed: 5, regulators: 12, mean_in_degree: 2}
          time_step_h: 1.0
          differentiation: {trigger_medium: niche}
          media: [{name: niche}]
          in_vivo: {niche_sd: 0.3, delivery_delay_h: 12, influx_per_h: 0.03}
        perturbations: {targets: 4}
        protocol: [{medium: niche, perturb: true, duration_h: 72}]
        sampling: {cells_per_perturbation: 30, control_cells: 60}
        measurement: {measured_genes: 60, mrna_per_cell: 20000, doublet_rate_per_cell: 1e-4}
        batching: {unit: animal, batches: 2, layout: per-animal}
        """
    let loaded = try loadDesign(text)
    let one = blockOptions(threads: 1)
    let three = blockOptions(threads: 3)
    let a = try simulate(loaded, options: one)
    let b = try simulate(loaded, options: three)
    #expect(sameBlocks(a.blocks, b.blocks))
    // Ages spread over days, so blocks really mix start steps (the reordered path runs).
    let ages = a.cells.map(\.ageH)
    #expect(ages.min()! < 5 && ages.max()! > 40)
    // Other blocks (41 cells, not aligned with 64): every cell keeps its state. The GEMM sums each
    // column in the same order whatever the columns around it, so states agree to rounding
    // (1e-12 relative covers a BLAS kernel that treats edge columns differently).
    let c = try simulate(loaded, options: blockOptions(41, threads: 1))
    #expect(a.cells.count == c.cells.count)
    let differingRecords = zip(a.cells, c.cells).filter { $0 != $1 }.count
    #expect(differingRecords == 0, "\(differingRecords) cell records differ")
    var worst = 0.0
    for (x, y) in zip(a.states, c.states) {
        for (u, v) in zip(x, y) { worst = max(worst, abs(u - v) / max(1, abs(u))) }
    }
    #expect(worst <= 1e-12, "largest relative state difference \(worst)")
    let differingCounts = zip(a.counts, c.counts).filter { $0 != $1 }.count
    #expect(differingCounts == 0, "\(differingCounts) cells' counts differ")
    // The GEMMs cover the living columns, not every column for the block's whole time span (which
    // here would be about three times as many).
    #expect(
        a.stats.cellSteps <= 1.1 * a.stats.activeCellSteps,
        "GEMM columns \(a.stats.cellSteps), living cell-steps \(a.stats.activeCellSteps)")
}
