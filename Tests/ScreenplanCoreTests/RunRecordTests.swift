import Foundation
import TestSupport
import Testing

@testable import ScreenplanCore

// run.json is read by scripts and by `merge`: its keys, `null` shard, number formatting and key
// order stay those of the `[String: Any]` + JSONSerialization writer it replaced.

/// The keys run.json has always had.
private let runKeys: Set<String> = [
    "generator", "format", "version", "seed", "design_name", "design_hash", "cells", "total_cells", "genes",
    "modelled_genes", "entries", "state_entries", "states", "block_size", "blocks", "total_blocks", "downstream",
    "threads", "timings_s", "shard",
]

/// The bytes JSONSerialization (pretty printed, sorted keys) writes for the same values.
private func legacyBytes(_ data: Data) throws -> Data {
    let object = try JSONSerialization.jsonObject(with: data)
    return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]) + Data("\n".utf8)
}

@Test func runJSONKeepsItsKeysAndBytesAcrossWritersAndMerge() throws {
    let loaded = try loadDesign(smallDesign())
    var options = SimulationOptions()
    options.blockSize = 64
    options.keepStates = true
    let network = try NetworkLoader.network(for: loaded)
    let model = try Simulator.prepare(design: loaded.design, network: network, seed: 7, options: options)
    let root = temporaryDirectory("run-record")
    defer { try? FileManager.default.removeItem(atPath: root) }
    _ = try TenXWriter.write(model: model, to: root + "/full", shard: nil, options: options, force: false)
    let shards = [root + "/s1", root + "/s2"]
    for (i, dir) in shards.enumerated() {
        _ = try TenXWriter.write(
            model: model, to: dir, shard: ShardSpec(index: i, count: 2), options: options, force: false)
    }
    try TenXWriter.merge(shards: shards, into: root + "/merged", force: false)
    _ = try SimulationH5AD.writeRun(model: model, to: root + "/h5ad", shard: nil, options: options, force: false)

    func read(_ dir: String) throws -> (Data, [String: Any]) {
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/run.json"))
        #expect(try legacyBytes(data) == data, "\(dir)/run.json is not laid out as JSONSerialization wrote it")
        return (data, try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:])
    }
    let (_, full) = try read(root + "/full")
    #expect(Set(full.keys) == runKeys)
    #expect(full["shard"] is NSNull)
    #expect(full["format"] as? String == "10x-mtx")
    #expect(full["seed"] as? Int == 7)
    let (_, shard1) = try read(root + "/s1")
    #expect((shard1["shard"] as? [String: Any])?["index"] as? Int == 1)
    #expect((shard1["shard"] as? [String: Any])?["count"] as? Int == 2)
    let (_, h5ad) = try read(root + "/h5ad")
    #expect(Set(h5ad.keys) == runKeys)
    #expect(h5ad["format"] as? String == "h5ad")

    let (_, merged) = try read(root + "/merged")
    #expect(Set(merged.keys) == runKeys.union(["merged_from"]))
    #expect(merged["shard"] is NSNull)
    #expect(merged["merged_from"] as? [String] == shards.map { URL(fileURLWithPath: $0).path })
    for key in ["cells", "entries", "state_entries", "total_cells", "genes", "blocks", "total_blocks"] {
        #expect("\(merged[key] ?? "")" == "\(full[key] ?? "")", "merged `\(key)` differs from the unsharded run")
    }
    let records = try shards.map { try RunRecord.read(from: URL(fileURLWithPath: $0)) }
    let mergedRecord = try RunRecord.read(from: URL(fileURLWithPath: root + "/merged"))
    #expect(abs(mergedRecord.timings.total - records.map(\.timings.total).reduce(0, +)) < 1e-9)
}

/// Both shards (of 2) of a small run in a new temporary folder: the folder and the shard paths.
private func twoShards(_ label: String) throws -> (root: String, shards: [String]) {
    let loaded = try loadDesign(smallDesign())
    var options = SimulationOptions()
    options.blockSize = 64
    let network = try NetworkLoader.network(for: loaded)
    let model = try Simulator.prepare(design: loaded.design, network: network, seed: 7, options: options)
    let root = temporaryDirectory(label)
    let shards = [root + "/s1", root + "/s2"]
    for (i, dir) in shards.enumerated() {
        _ = try TenXWriter.write(
            model: model, to: dir, shard: ShardSpec(index: i, count: 2), options: options, force: false)
    }
    return (root, shards)
}

@Test func mergeNamesAMissingRunJSONKey() throws {
    let (root, shards) = try twoShards("run-record-key")
    defer { try? FileManager.default.removeItem(atPath: root) }
    let url = URL(fileURLWithPath: shards[1] + "/run.json")
    var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
    object["entries"] = nil
    try JSONSerialization.data(withJSONObject: object).write(to: url)
    do {
        try TenXWriter.merge(shards: shards, into: root + "/merged", force: false)
        Issue.record("merge accepted a run.json without `entries`")
    } catch let error as MergeError {
        #expect(error.message.contains("run.json has no `entries`"), "\(error.message)")
    }
    #expect(!FileManager.default.fileExists(atPath: root + "/merged"))
}

@Test func mergeErrorsNameTheShardToRerun() throws {
    // A workflow (Snakemake, a Slurm array) reruns the shard the error names: the payload says
    // which one, the message says it in words.
    let (root, shards) = try twoShards("run-record-errors")
    defer { try? FileManager.default.removeItem(atPath: root) }
    #expect(throws: MergeError.missingShards([2], of: 2)) {
        try TenXWriter.merge(shards: [shards[0]], into: root + "/merged", force: false)
    }
    #expect(MergeError.missingShards([2], of: 2).message == "missing shard(s) 2 of 2")
    let matrix = shards[1] + "/matrix.mtx.gz"
    let bytes = try Data(contentsOf: URL(fileURLWithPath: matrix))
    try bytes.prefix(bytes.count - 20).write(to: URL(fileURLWithPath: matrix))
    do {
        try TenXWriter.merge(shards: shards, into: root + "/merged", force: false)
        Issue.record("merge accepted a truncated matrix.mtx.gz")
    } catch let error as MergeError {
        guard case .damaged(let shard, let file, let cause) = error else {
            Issue.record("expected a damaged shard, got \(error)")
            return
        }
        #expect(shard == shards[1] && file == "matrix.mtx.gz")
        #expect(error.message == "\(shards[1])/matrix.mtx.gz is damaged (\(cause.message)); re-run this shard")
    }
    #expect(!FileManager.default.fileExists(atPath: root + "/merged"))
}
