import Foundation
import TestSupport
import Testing

@testable import ScreenplanCore

// The AnnData writer on synthetic blocks, read back independently by anndata and scanpy.

/// Synthetic cells: deterministic sparse counts and metadata from a small integer hash.
private struct SyntheticCells {
    let genes: Int
    let perturbations = ["non-targeting", "G0001", "G0002", "G0003+G0004"]

    static func hash(_ a: Int, _ b: Int) -> UInt64 {
        var x = UInt64(truncatingIfNeeded: a &* 0x9E37_79B9) ^ (UInt64(truncatingIfNeeded: b) &* 0xBF58_476D_1CE4_E5B9)
        x ^= x >> 31
        x = x &* 0x94D0_49BB_1331_11EB
        x ^= x >> 29
        return x
    }

    /// Counts of cell `c`: about a quarter of the genes non-zero.
    func row(_ c: Int) -> [(Int32, Float)] {
        (0..<genes).compactMap { g in
            let h = Self.hash(c, g)
            return h % 4 == 0 ? (Int32(g), Float(1 + h % 17)) : nil
        }
    }

    func block(from start: Int, count: Int) -> H5ADBlock {
        var indptr = [0]
        var indices: [Int32] = []
        var data: [Float] = []
        for c in start..<(start + count) {
            for (g, v) in row(c) {
                indices.append(g)
                data.append(v)
            }
            indptr.append(data.count)
        }
        let cells = Array(start..<(start + count))
        return H5ADBlock(
            obsNames: cells.map { String(format: "CELL%06d-1", $0) },
            categorical: [
                "perturbation": cells.map { perturbations[$0 % perturbations.count] },
                "batch": cells.map { "lane \($0 % 3 + 1)" },
            ],
            numeric: ["time_h": cells.map { Double(24 * ($0 % 2 + 1)) }],
            indptr: indptr, indices: indices, data: data)
    }

    var columns: [H5ADColumn] {
        [.categorical("perturbation", categories: ["non-targeting"]), .categorical("batch"), .number("time_h")]
    }
    var geneNames: [String] { (0..<genes).map { Design.generatedGeneName($0, of: genes) } }
    var regulators: [Bool] { (0..<genes).map { $0 < 5 } }
}

@Suite struct H5ADWriterTests {
    private func write(_ path: String, cells: SyntheticCells, blocks: [Int]) throws {
        let w = try H5ADWriter(
            path: path, genes: cells.geneNames, isRegulator: cells.regulators, columns: cells.columns,
            chunk: 1024)
        var start = 0
        for n in blocks {
            try w.append(cells.block(from: start, count: n))
            start += n
        }
        try w.finish(uns: [
            ("design", .string("name: synthetic\nbatching:\n  batches: 3\n")), ("seed", .unsigned(42)),
            ("screenplan_version", .string(ScreenplanVersion.string)),
        ])
    }

    @Test func anndataReadsWhatTheWriterStreams() throws {
        let dir = temporaryDirectory("screenplan-h5ad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cells = SyntheticCells(genes: 40)
        let blocks = [300, 1, 0, 499, 200]  // uneven, with an empty block
        let n = blocks.reduce(0, +)
        try write("\(dir)/sim.h5ad", cells: cells, blocks: blocks)
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/.sim.h5ad.tmp-\(getpid())"))

        let rows = (0..<n).map(cells.row)
        var samples: [[Double]] = []
        for c in [0, 1, 299, 300, 301, 999] {
            for g in [0, 3, 17, 39] {
                samples.append([Double(c), Double(g), Double(rows[c].first { $0.0 == Int32(g) }?.1 ?? 0)])
            }
        }
        let all = cells.block(from: 0, count: n)
        let expect: [String: Any] = [
            "shape": [n, 40],
            "nnz": rows.map(\.count).reduce(0, +),
            "obs_names_head": ["CELL000000-1", "CELL000001-1", "CELL000002-1"],
            "var_names": cells.geneNames,
            "is_regulator": cells.regulators,
            "obs_categorical": ["perturbation": all.categorical["perturbation"]!, "batch": all.categorical["batch"]!],
            "obs_numeric": ["time_h": all.numeric["time_h"]!],
            "counts": samples,
            "row_sums": rows.map { $0.map { Double($0.1) }.reduce(0, +) },
            "uns": [
                "design": "name: synthetic\nbatching:\n  batches: 3\n", "seed": 42,
                "screenplan_version": ScreenplanVersion.string,
            ],
        ]
        try JSONSerialization.data(withJSONObject: expect).write(to: URL(fileURLWithPath: "\(dir)/expect.json"))
        let check = try runPythonCheck(["h5ad", "\(dir)/sim.h5ad", "\(dir)/expect.json"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    }

    @Test func sameBlocksGiveTheSameBytes() throws {
        let dir = temporaryDirectory("screenplan-h5ad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cells = SyntheticCells(genes: 25)
        try write("\(dir)/a.h5ad", cells: cells, blocks: [100, 50])
        try write("\(dir)/b.h5ad", cells: cells, blocks: [100, 50])
        let a = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/a.h5ad"))
        let b = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/b.h5ad"))
        #expect(a == b)
        if a != b, let keep = ProcessInfo.processInfo.environment["SCREENPLAN_KEEP_ARTIFACTS"] {
            try a.write(to: URL(fileURLWithPath: keep + "/a.h5ad"))
            try b.write(to: URL(fileURLWithPath: keep + "/b.h5ad"))
        }
    }

    @Test func inconsistentBlocksAreRefused() throws {
        let dir = temporaryDirectory("screenplan-h5ad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cells = SyntheticCells(genes: 10)
        let w = try H5ADWriter(
            path: "\(dir)/x.h5ad", genes: cells.geneNames, isRegulator: cells.regulators,
            columns: cells.columns)
        var bad = cells.block(from: 0, count: 5)
        bad.indices[0] = 10
        #expect(throws: H5ADError.self) { try w.append(bad) }
        var short = cells.block(from: 0, count: 5)
        short.categorical["batch"]!.removeLast()
        #expect(throws: H5ADError.self) { try w.append(short) }
        #expect(throws: H5ADError.self) {
            try H5ADWriter(path: "\(dir)/y.h5ad", genes: ["A"], isRegulator: [], columns: [])
        }
    }
}
