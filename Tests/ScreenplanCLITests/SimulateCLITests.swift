import Foundation
import TestSupport
import Testing

// `screenplan simulate` and `screenplan merge` through the real binary: exit codes, refusal to
// overwrite, and shards merged into the unsharded bytes.

private let tinyDesign = """
    name: cli screen
    system:
      genes: 40
      network: {seed: 2, regulators: 8, mean_in_degree: 2}
      time_step_h: 1.0
    perturbations: {targets: 3}
    protocol:
      - {medium: growth, perturb: false, duration_h: 6}
      - {medium: growth, perturb: true, duration_h: 24}
    sampling: {cells_per_perturbation: 300, control_cells: 300}
    measurement: {measured_genes: 50, mrna_per_cell: 20000}
    batching: {batches: 2}
    """

private func writeTinyDesign(in dir: String) throws -> String {
    let path = dir + "/design.yaml"
    try tinyDesign.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

@Test func simulateWritesThe10xLayoutAndRefusesToOverwrite() throws {
    let dir = temporaryDirectory("cli-sim")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let design = try writeTinyDesign(in: dir)
    let first = try runScreenplan(["simulate", design, "--out", dir + "/out", "--seed", "3"])
    #expect(first.status == 0, "\(first.stderr)")
    // No progress bar when stderr is not a terminal.
    #expect(first.stderr.isEmpty, "\(first.stderr)")
    for file in ["matrix.mtx.gz", "barcodes.tsv.gz", "features.tsv.gz", "cells.tsv", "truth.tsv", "run.json"] {
        #expect(FileManager.default.fileExists(atPath: dir + "/out/" + file), "missing \(file)")
    }
    let cells = try String(contentsOfFile: dir + "/out/cells.tsv", encoding: .utf8).split(separator: "\n")
    // Header, 3 perturbations × 300 cells, 300 controls in each of 2 batches.
    #expect(cells.count == 1 + 3 * 300 + 2 * 300)
    let again = try runScreenplan(["simulate", design, "--out", dir + "/out"])
    #expect(again.status == 2)
    #expect(again.stderr.contains("--force"))
    let forced = try runScreenplan(["simulate", design, "--out", dir + "/out", "--force", "--seed", "3"])
    #expect(forced.status == 0)
    let h5ad = try runScreenplan(["simulate", design, "--out", dir + "/h5", "--format", "h5ad"])
    #expect(h5ad.status == 0, "\(h5ad.stderr)")
    #expect(FileManager.default.fileExists(atPath: dir + "/h5/simulation.h5ad"))
    let badFormat = try runScreenplan(["simulate", design, "--out", dir + "/l", "--format", "loom"])
    #expect(badFormat.status == 2 && badFormat.stderr.contains("mtx, h5ad"))
    let badShard = try runScreenplan(["simulate", design, "--out", dir + "/s", "--shard", "3/2"])
    #expect(badShard.status == 2 && badShard.stderr.contains("--shard"))
    let noDesign = try runScreenplan(["simulate", dir + "/missing.yaml", "--out", dir + "/x"])
    #expect(noDesign.status == 2)
}

@Test func mergeOfShardsEqualsTheUnshardedRun() throws {
    let dir = temporaryDirectory("cli-merge")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let design = try writeTinyDesign(in: dir)
    #expect(
        try runScreenplan(["simulate", design, "--out", dir + "/full", "--seed", "5", "--threads", "2"]).status == 0)
    for i in 1...2 {
        let r = try runScreenplan([
            "simulate", design, "--out", dir + "/part\(i)", "--seed", "5", "--shard", "\(i)/2", "--threads", "1",
        ])
        #expect(r.status == 0, "\(r.stderr)")
    }
    let missing = try runScreenplan(["merge", dir + "/part1", "--out", dir + "/bad"])
    #expect(missing.status == 2 && missing.stderr.contains("missing shard"))
    let merged = try runScreenplan(["merge", dir + "/part2", dir + "/part1", "--out", dir + "/merged"])
    #expect(merged.status == 0, "\(merged.stderr)")
    for file in ["matrix.mtx.gz", "barcodes.tsv.gz", "features.tsv.gz", "cells.tsv", "truth.tsv"] {
        let a = FileManager.default.contents(atPath: dir + "/full/" + file)
        let b = FileManager.default.contents(atPath: dir + "/merged/" + file)
        #expect(a != nil && a == b, "\(file) differs")
    }
}
