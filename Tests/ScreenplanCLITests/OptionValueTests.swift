import Foundation
import TestSupport
import Testing

// The enum-like options (formats, workloads, layouts, shards, modalities) and the shared
// `--threads` are parsed by argument-parser (`ExpressibleByArgument`, option groups); a refused
// value is still reported in screenplan's words, the whole of standard error one line, exit 2.

@Suite struct RefusedOptionValues {
    let design = sampleScreen("k562-essential-crispri.yaml")

    func expectRefusal(_ arguments: [String], _ message: String, sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        let result = try runScreenplan(arguments)
        #expect(result.status == 2, "\(arguments): \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr == "screenplan: \(message)\n", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, sourceLocation: sourceLocation)
    }

    @Test func simulateFormatShardAndThreads() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try expectRefusal(
            ["simulate", design, "--out", dir + "/o", "--format", "loom"],
            "--format: `loom` is not a format; valid: mtx, h5ad")
        try expectRefusal(
            ["simulate", design, "--out", dir + "/o", "--shard", "3/2"],
            "--shard: `3/2` is not I/N with 1 ≤ I ≤ N (e.g. 2/8)")
        try expectRefusal(
            ["simulate", design, "--out", dir + "/o", "--threads", "0"], "--threads must be in [1, 1024] (got 0)")
        try expectRefusal(["bench", "--threads", "2000"], "--threads must be in [1, 1024] (got 2000)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/o"))
    }

    @Test func layoutsOfAnalyzeCompareAndReport() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let valid = "pooled, sub-libraries, confounded, balanced-incomplete, per-animal, per-time-point, explicit"
        try expectRefusal(["analyze", design, "--layout", "nonsense"], "unknown layout `nonsense`; valid: \(valid)")
        try expectRefusal(
            ["analyze", design, "--layout", "explicit"],
            "layout `explicit` is written in the design (batching.explicit_cells), not chosen on the command line")
        try expectRefusal(
            ["compare", design, "--layouts", "pooled, nonsense"], "unknown layout `nonsense`; valid: \(valid)")
        try expectRefusal(
            ["report", design, "--layout", "zigzag", "-o", dir + "/r.md"],
            "unknown layout `zigzag`; valid: \(valid)")
    }

    @Test func workloadAndModality() throws {
        try expectRefusal(
            ["bench", "--workload", "x"],
            "--workload: `x` is not a workload; valid: in-vitro-non-differentiating, in-vitro-differentiating, "
                + "in-vivo-non-differentiating, in-vivo-differentiating")
        try expectRefusal(
            ["calibrate", "counts", "-o", "d.yaml", "--modality", "rnai"],
            "--modality `rnai`: valid are crispri, crispra, knockout")
    }
}
