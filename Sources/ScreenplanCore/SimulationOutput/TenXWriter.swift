import Foundation

// MARK: - The 10x output: a writer that only consumes simulated blocks
//
// DIR/matrix.mtx.gz     genes × cells counts (Matrix Market coordinate, 1-based, cell-major order)
// DIR/barcodes.tsv.gz   one barcode per cell
// DIR/features.tsv.gz   id, name, "Gene Expression" per measured gene
// DIR/cells.tsv         per-cell metadata (header line, then one row per cell, in barcode order)
// DIR/truth.tsv         true effects (steady-state log2 fold changes)
// DIR/states.mtx.gz     true states before measurement (modelled genes × cells), with --states
// DIR/run.json          seed, version, design hash, shard, counts, timings
//
// Each block of cells is one gzip member in each .gz file, compressed by the worker that made
// the block. The Matrix Market size line comes first but its entry count is known only at the
// end, so it is written as a stored (uncompressed) gzip member of fixed width, reserved at the
// start and filled in last. A shard writes the same members for its blocks, with global cell
// numbers, so `merge` concatenates members and rewrites the size line: the merged files are
// byte for byte those of an unsharded run.

/// Output formats of `simulate`.
public enum SimulationFormat: String, Sendable, CaseIterable {
    case mtx
    case h5ad
}

/// The output directory exists and `force` was not given.
public struct OutputExistsError: Error, CustomStringConvertible {
    public var path: String
    public var description: String { "output `\(path)` already exists (use --force to replace it)" }
}

/// Merging shards failed for a reason found in the inputs.
public struct MergeError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// What a written run reports (also stored as run.json).
public struct SimulationRunInfo: Sendable {
    public var directory: String
    public var summary: SimulationSummary
    public var writeSeconds: Double
    public var totalSeconds: Double
}

public enum TenXWriter {
    /// Width of the entry-count field of the size line (spaces pad it; Matrix Market fields are
    /// whitespace-separated).
    static let countWidth = 20
    static let matrixBanner = "%%MatrixMarket matrix coordinate integer general\n"
    static let statesBanner = "%%MatrixMarket matrix coordinate real general\n"

    /// The size line: rows, columns, entry count padded to a fixed width.
    static func sizeLine(rows: Int, cols: Int, entries: Int) -> String {
        let count = String(entries)
        return "\(rows) \(cols) " + String(repeating: " ", count: max(0, countWidth - count.count)) + count + "\n"
    }

    /// The header member (stored, so its length depends only on the text length).
    static func headerMember(banner: String, rows: Int, cols: Int, entries: Int) throws -> [UInt8] {
        try Gzip.member(Array((banner + sizeLine(rows: rows, cols: cols, entries: entries)).utf8), level: 0)
    }

    /// A stable 64-bit FNV-1a hash of the design (canonical JSON), as 16 hex digits.
    public static func designHash(_ design: Design) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(design)) ?? Data()
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return String(h, radix: 16).leftPadded(to: 16)
    }

    /// Encoded pieces of one block.
    struct Encoded: Sendable {
        var matrix: [UInt8]
        var barcodes: [UInt8]
        var cells: [UInt8]
        var states: [UInt8]?
        var stateEntries: Int
    }

    static let cellsHeader =
        "cell\tindex\tbatch\tanimal\ttime_h\tage_h\tmedium\tperturbation\tperturbation_index\tguides\tdetected_guides\tobserved_perturbation\tdoublet\tstate\tlibrary_size\tcell_type\n"

    static func encode(_ block: SimulatedBlock, model: SimulationModel, genes: DecimalTexts? = nil) throws -> Encoded {
        let bc = ByteBuffer(capacity: block.cellCount * 20)
        let cl = ByteBuffer(capacity: block.cellCount * 120)
        func name(_ p: Int) -> String {
            p >= 0
                ? model.perturbations[p].name
                : (p == -1 ? "control" : (p == CellRecord.unassigned ? "unassigned" : "ambiguous"))
        }
        let matrixMember = try compressedEntries(block, genes: genes ?? DecimalTexts(count: model.measuredGeneCount))
        for cell in block.cells {
            bc.append(cell.barcode)
            bc.append(byte: 10)
            cl.append(cell.barcode)
            cl.append(byte: 9)
            cl.append(cell.index)
            cl.append(byte: 9)
            cl.append(cell.batch + 1)
            cl.append(byte: 9)
            cl.append(cell.animal >= 0 ? cell.animal + 1 : 0)
            cl.append(byte: 9)
            cl.append(real: cell.timeH)
            cl.append(byte: 9)
            cl.append(real: cell.ageH)
            cl.append(byte: 9)
            cl.append(cell.medium)
            cl.append(byte: 9)
            cl.append(name(cell.perturbation))
            cl.append(byte: 9)
            cl.append(cell.perturbation)
            cl.append(byte: 9)
            cl.append(cell.guides.joined(separator: ";"))
            cl.append(byte: 9)
            cl.append(cell.detectedGuides.joined(separator: ";"))
            cl.append(byte: 9)
            cl.append(name(cell.observedPerturbation))
            cl.append(byte: 9)
            cl.append(cell.doublet ? 1 : 0)
            cl.append(byte: 9)
            cl.append(cell.state)
            cl.append(byte: 9)
            cl.append(cell.librarySize)
            cl.append(byte: 9)
            cl.append(cell.cellType)
            cl.append(byte: 10)
        }
        var statesMember: [UInt8]? = nil
        var stateEntries = 0
        if let states = block.states {
            let s = ByteBuffer(capacity: states.data.count * 12)
            for (j, cell) in block.cells.enumerated() {
                for i in 0..<states.rows where states[i, j] != 0 {
                    s.append(i + 1)
                    s.append(byte: 32)
                    s.append(cell.index + 1)
                    s.append(byte: 32)
                    s.append(real: states[i, j])
                    s.append(byte: 10)
                    stateEntries += 1
                }
            }
            statesMember = try Gzip.member(s)
        }
        return Encoded(
            matrix: matrixMember, barcodes: try Gzip.member(bc), cells: cl.bytes,
            states: statesMember, stateEntries: stateEntries)
    }

    /// Decimal texts of 1…count followed by a separator (`"12 "`), 16 bytes apart, with their
    /// lengths: a matrix line is then two 16-byte copies and a count, not three loops of divisions.
    /// Values of more than 15 digits do not occur (gene and cell numbers are far below 10¹⁵).
    struct DecimalTexts: Sendable {
        let text: [UInt64]  // two words per value
        let length: [UInt8]

        init(count: Int, first: Int = 1, separator: UInt8 = 32) {
            var text = [UInt64](repeating: 0, count: 2 * max(0, count))
            var length = [UInt8](repeating: 0, count: max(0, count))
            text.withUnsafeMutableBytes { raw in
                let bytes = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
                for i in 0..<count {
                    var digits = [UInt8](String(first + i).utf8)
                    digits.append(separator)
                    precondition(digits.count <= 16)
                    for (k, d) in digits.enumerated() { bytes[16 * i + k] = d }
                    length[i] = UInt8(digits.count)
                }
            }
            self.text = text
            self.length = length
        }
    }

    /// Bytes of staging text handed to deflate at a time (stays in L2 with deflate's window).
    static let stagingBytes = 1 << 17

    /// The block's Matrix Market lines `gene cell count` (1-based), as one gzip member. Each line
    /// is formatted into a small staging buffer that deflate consumes as it fills, so the text of
    /// a block is never materialised; the bytes are those of compressing the whole text at once.
    /// `genes` holds the texts of the gene numbers 1…G.
    static func compressedEntries(_ block: SimulatedBlock, genes: DecimalTexts) throws -> [UInt8] {
        let gz = try GzipMemberStream(level: 1, expectedOutput: block.entryCount * 4 + 1024)
        let slack = 64
        let staging = UnsafeMutablePointer<UInt8>.allocate(capacity: stagingBytes + slack)
        defer { staging.deallocate() }
        let limit = staging + stagingBytes
        var p = staging
        // Cell numbers of the block: the column text once per cell (" 1025 " minus the leading space).
        var cellText = (UInt64(0), UInt64(0))
        var cellLength = 0
        try genes.text.withUnsafeBufferPointer { gt in
            try genes.length.withUnsafeBufferPointer { gl in
                try block.geneIndices.withUnsafeBufferPointer { gi in
                    try block.counts.withUnsafeBufferPointer { ct in
                        for (j, cell) in block.cells.enumerated() {
                            let e0 = block.offsets[j]
                            let e1 = block.offsets[j + 1]
                            guard e1 > e0 else { continue }
                            withUnsafeMutableBytes(of: &cellText) { raw in
                                let b = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
                                var v = cell.index + 1
                                var digits = 1
                                var t = v / 10
                                while t > 0 {
                                    digits += 1
                                    t /= 10
                                }
                                for k in stride(from: digits - 1, through: 0, by: -1) {
                                    b[k] = UInt8(48 + v % 10)
                                    v /= 10
                                }
                                b[digits] = 32
                                cellLength = digits + 1
                            }
                            for e in e0..<e1 {
                                if p >= limit {
                                    try gz.compress(staging, count: p - staging)
                                    p = staging
                                }
                                let g = Int(gi[e])
                                let raw = UnsafeMutableRawPointer(p)
                                raw.storeBytes(of: gt[2 * g], as: UInt64.self)
                                raw.storeBytes(of: gt[2 * g + 1], toByteOffset: 8, as: UInt64.self)
                                p += Int(gl[g])
                                let rawCell = UnsafeMutableRawPointer(p)
                                rawCell.storeBytes(of: cellText.0, as: UInt64.self)
                                rawCell.storeBytes(of: cellText.1, toByteOffset: 8, as: UInt64.self)
                                p += cellLength
                                var v = Int(ct[e])
                                if v < 10 {
                                    p[0] = UInt8(48 + v)
                                    p[1] = 10
                                    p += 2
                                } else if v < 100 {
                                    p[0] = UInt8(48 + v / 10)
                                    p[1] = UInt8(48 + v % 10)
                                    p[2] = 10
                                    p += 3
                                } else {
                                    var digits = 1
                                    var t = v / 10
                                    while t > 0 {
                                        digits += 1
                                        t /= 10
                                    }
                                    var q = p + digits - 1
                                    repeat {
                                        q.pointee = UInt8(48 + v % 10)
                                        v /= 10
                                        q -= 1
                                    } while v > 0
                                    p[digits] = 10
                                    p += digits + 1
                                }
                            }
                        }
                    }
                }
            }
        }
        try gz.compress(staging, count: p - staging)
        return try gz.finish()
    }

    /// Simulates and writes a run (or one shard of it) into `directory`.
    ///
    /// Writes into a temporary sibling directory and renames it at the end, so a failure or a
    /// cancellation leaves nothing half-written. Throws `OutputExistsError` when `directory`
    /// exists and `force` is false.
    public static func write(
        model: SimulationModel, to directory: String, shard: ShardSpec?, options: SimulationOptions,
        force: Bool, progress: ProgressReporter? = nil
    ) throws -> SimulationRunInfo {
        let started = monotonicSeconds()
        let fm = FileManager.default
        try OutputSafety.checkDirectoryTarget(directory, force: force)
        let target = URL(fileURLWithPath: directory).standardizedFileURL
        let temp = try temporarySibling(of: target)
        var success = false
        defer {
            if !success { try? fm.removeItem(at: temp) }
            TemporaryOutputs.forget(temp.path)
        }

        let g = model.measuredGeneCount
        let n = model.totalCells
        let matrix = try OutputFile(temp.appendingPathComponent("matrix.mtx.gz"))
        let matrixHeaderLength = try headerMember(banner: matrixBanner, rows: g, cols: n, entries: 0).count
        try matrix.write([UInt8](repeating: 0, count: matrixHeaderLength))
        let barcodes = try OutputFile(temp.appendingPathComponent("barcodes.tsv.gz"))
        let cellsFile = try OutputFile(temp.appendingPathComponent("cells.tsv"))
        try cellsFile.write(Array(cellsHeader.utf8))
        var statesFile: OutputFile? = nil
        let statesHeaderLength = try headerMember(banner: statesBanner, rows: model.geneCount, cols: n, entries: 0)
            .count
        if options.keepStates {
            statesFile = try OutputFile(temp.appendingPathComponent("states.mtx.gz"))
            try statesFile!.write([UInt8](repeating: 0, count: statesHeaderLength))
        }
        var stateEntries = 0
        let geneTexts = DecimalTexts(count: g)
        let summary = try Simulator.run(
            model: model, shard: shard, options: options, progress: progress,
            transform: { try encode($0, model: model, genes: geneTexts) }
        ) { encoded in
            try matrix.write(encoded.matrix)
            try barcodes.write(encoded.barcodes)
            try cellsFile.write(encoded.cells)
            if let s = encoded.states { try statesFile?.write(s) }
            stateEntries += encoded.stateEntries
        }
        let w0 = monotonicSeconds()
        try matrix.write(try headerMember(banner: matrixBanner, rows: g, cols: n, entries: summary.entries), at: 0)
        try matrix.close()
        try barcodes.close()
        try cellsFile.close()
        if let statesFile {
            try statesFile.write(
                try headerMember(banner: statesBanner, rows: model.geneCount, cols: n, entries: stateEntries), at: 0)
            try statesFile.close()
        }
        try writeFeatures(model, to: temp)
        try writeTruth(model, options: options, to: temp)
        var info = SimulationRunInfo(
            directory: target.path, summary: summary, writeSeconds: summary.sinkSeconds,
            totalSeconds: 0)
        info.writeSeconds += monotonicSeconds() - w0
        info.totalSeconds = monotonicSeconds() - started
        try writeRunJSON(
            model: model, shard: shard, options: options, summary: summary, stateEntries: stateEntries,
            info: info, to: temp)
        try replace(target, with: temp, force: force)
        success = true
        return info
    }

    static func writeFeatures(_ model: SimulationModel, to dir: URL) throws {
        let f = ByteBuffer()
        for name in model.measuredGeneNames {
            f.append(name)
            f.append(byte: 9)
            f.append(name)
            f.append(byte: 9)
            f.append("Gene Expression\n")
        }
        try Data(try Gzip.member(f, level: 6)).write(to: dir.appendingPathComponent("features.tsv.gz"))
    }

    static func writeTruth(_ model: SimulationModel, options: SimulationOptions, to dir: URL) throws {
        let t = ByteBuffer()
        t.append(
            "perturbation\tperturbation_index\tgene\tgene_index\tstate\tcontrol_level\tperturbed_level\tlog2_fold_change\tinteraction_log2\n"
        )
        for e in try Simulator.truth(model, options: options) {
            t.append(e.perturbation)
            t.append(byte: 9)
            t.append(e.perturbationIndex)
            t.append(byte: 9)
            t.append(e.gene)
            t.append(byte: 9)
            t.append(e.geneIndex)
            t.append(byte: 9)
            t.append(e.state)
            t.append(byte: 9)
            t.append(real: e.controlLevel)
            t.append(byte: 9)
            t.append(real: e.perturbedLevel)
            t.append(byte: 9)
            t.append(real: e.log2FoldChange)
            t.append(byte: 9)
            // Combinations only: the true genetic interaction; other rows have none.
            if let i = e.interaction { t.append(real: i) } else { t.append("n/a") }
            t.append(byte: 10)
        }
        try Data(t.bytes).write(to: dir.appendingPathComponent("truth.tsv"))
    }

    static func writeRunJSON(
        model: SimulationModel, shard: ShardSpec?, options: SimulationOptions,
        summary: SimulationSummary, stateEntries: Int, info: SimulationRunInfo, to dir: URL,
        format: String = "10x-mtx"
    ) throws {
        var json: [String: Any] = [
            "generator": OutputSafety.generator,
            "format": format,
            "version": ScreenplanVersion.string,
            "seed": summary.seed,
            "design_name": model.design.name,
            "design_hash": designHash(model.design),
            "cells": summary.cells,
            "total_cells": summary.totalCells,
            "genes": summary.genes,
            "modelled_genes": model.geneCount,
            "entries": summary.entries,
            "state_entries": stateEntries,
            "states": options.keepStates,
            "block_size": model.blockSize,
            "blocks": [summary.firstBlock, summary.firstBlock + summary.blocks],
            "total_blocks": model.blockCount,
            "downstream": options.downstream.rawValue,
            "threads": options.threads,
            "timings_s": [
                "setup": model.setupSeconds, "dynamics": summary.dynamicsSeconds,
                "measurement_and_encoding": summary.measurementSeconds, "writing": info.writeSeconds,
                "total": info.totalSeconds,
            ],
        ]
        json["shard"] = shard.map { ["index": $0.index + 1, "count": $0.count] as [String: Any] } ?? NSNull()
        let data = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
        try (data + Data("\n".utf8)).write(to: dir.appendingPathComponent("run.json"))
    }

    /// A new, empty hidden directory next to `target` (same file system, so the final rename is
    /// atomic) in which an output is written before `replace` moves it into place.
    static func temporarySibling(of target: URL) throws -> URL {
        let fm = FileManager.default
        let parent = target.deletingLastPathComponent()
        do {
            try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw FileWriteError(
                path: parent.path, reason: (error as NSError).localizedFailureReason ?? "cannot create the folder")
        }
        removeAbandonedSiblings(of: target)
        let temp = parent.appendingPathComponent(
            ".\(target.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        // mkdir(2) fails on any existing name, a planted link included.
        if mkdir(temp.path, 0o755) != 0 {
            throw FileWriteError(path: temp.path, reason: String(cString: strerror(errno)))
        }
        TemporaryOutputs.register(temp.path)
        return temp
    }

    /// Removes the temporary siblings of `target` left by a run that was killed (SIGKILL, power
    /// loss) before it could clean up: those whose process no longer exists. A sibling of a live
    /// process (another run writing the same target, or a reused PID) is left alone. A `.old`
    /// sibling is the previous output of a `--force` swap killed between its two renames: when
    /// the target is missing it is moved back (nothing is lost), otherwise removed.
    static func removeAbandonedSiblings(of target: URL) {
        let fm = FileManager.default
        let parent = target.deletingLastPathComponent()
        guard let entries = try? fm.contentsOfDirectory(atPath: parent.path) else { return }
        for kind in ["old", "tmp"] {
            let prefix = ".\(target.lastPathComponent).\(kind)-"
            for entry in entries.sorted() where entry.hasPrefix(prefix) {
                guard let pid = Int32(entry.dropFirst(prefix.count).prefix { $0 != "-" }),
                    OutputSafety.processIsGone(pid)
                else { continue }
                let sibling = parent.appendingPathComponent(entry)
                if kind == "old" && !fm.fileExists(atPath: target.path)
                    && OutputSafety.isPreviousOutput(sibling.path)
                {
                    try? fm.moveItem(at: sibling, to: target)
                } else {
                    try? fm.removeItem(at: sibling)
                }
            }
        }
    }

    /// Moves `temp` to `target`, replacing an existing `target` (only with `force`).
    static func replace(_ target: URL, with temp: URL, force: Bool) throws {
        try TemporaryOutputs.exclusively { try swap(target, with: temp, force: force) }
    }

    private static func swap(_ target: URL, with temp: URL, force: Bool) throws {
        let fm = FileManager.default
        var info = stat()
        if lstat(target.path, &info) == 0 {
            guard force else { throw OutputExistsError(path: target.path) }
            // Checked again at the swap: the folder may have changed while the run was working.
            try OutputSafety.checkDirectoryTarget(target.path, force: true)
            let old = temp.deletingLastPathComponent().appendingPathComponent(
                ".\(target.lastPathComponent).old-\(getpid())")
            try fm.moveItem(at: target, to: old)
            try fm.moveItem(at: temp, to: target)
            try? fm.removeItem(at: old)
        } else {
            try fm.moveItem(at: temp, to: target)
        }
    }

    // MARK: Merging shards

    /// Joins shard directories (any order) into `directory`; the result equals an unsharded run,
    /// byte for byte, for every file except run.json (whose timings are those of the shards).
    public static func merge(shards: [String], into directory: String, force: Bool) throws {
        let fm = FileManager.default
        try OutputSafety.checkDirectoryTarget(directory, force: force, inputs: shards)
        let target = URL(fileURLWithPath: directory).standardizedFileURL
        struct Shard {
            var dir: URL
            var json: [String: Any]
            var index: Int
            var count: Int
        }
        var list: [Shard] = []
        for path in shards {
            let dir = URL(fileURLWithPath: path)
            let runURL = dir.appendingPathComponent("run.json")
            guard let data = try? Data(contentsOf: runURL),
                let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            else {
                throw MergeError(
                    message: "\(path): no readable run.json; is it a `screenplan simulate --shard` output?")
            }
            if let format = json["format"] as? String, format != "10x-mtx" {
                throw MergeError(
                    message:
                        "\(path): a \(format) run; merge joins 10x (mtx) shards, and anndata.concat joins h5ad shards")
            }
            guard let shard = json["shard"] as? [String: Any], let i = shard["index"] as? Int,
                let c = shard["count"] as? Int
            else {
                throw MergeError(message: "\(path): run.json has no shard; it is already a complete run")
            }
            list.append(Shard(dir: dir, json: json, index: i, count: c))
        }
        guard let first = list.first else { throw MergeError(message: "no shard directories given") }
        let count = first.count
        list.sort { $0.index < $1.index }
        for s in list {
            for key in ["seed", "design_hash", "block_size", "genes", "total_cells", "states", "version"] {
                guard "\(s.json[key] ?? "")" == "\(first.json[key] ?? "")" else {
                    throw MergeError(
                        message:
                            "\(s.dir.path): `\(key)` differs from \(first.dir.path); shards of different runs cannot be merged"
                    )
                }
            }
            guard s.count == count else {
                throw MergeError(message: "\(s.dir.path): shard count \(s.count) differs from \(count)")
            }
        }
        let indices = list.map(\.index)
        guard indices == Array(1...count) else {
            let missing = Set(1...count).subtracting(indices).sorted().map(String.init).joined(separator: ", ")
            throw MergeError(
                message: missing.isEmpty ? "a shard is given twice" : "missing shard(s) \(missing) of \(count)")
        }
        // Every shard is read once before anything is written: a truncated or corrupt member,
        // or fewer entries than its run.json says, refuses the merge (ShardVerification.swift).
        for s in list { try verifyShard(s.dir, json: s.json, display: s.dir.path) }
        let temp = try temporarySibling(of: target)
        var success = false
        defer {
            if !success { try? fm.removeItem(at: temp) }
            TemporaryOutputs.forget(temp.path)
        }

        let genes = first.json["genes"] as? Int ?? 0
        let modelled = first.json["modelled_genes"] as? Int ?? 0
        let total = first.json["total_cells"] as? Int ?? 0
        let entries = list.reduce(0) { $0 + ($1.json["entries"] as? Int ?? 0) }
        let stateEntries = list.reduce(0) { $0 + ($1.json["state_entries"] as? Int ?? 0) }
        let withStates = first.json["states"] as? Bool ?? false

        func concatenate(_ name: String, skip: Int, header: [UInt8]?) throws {
            let out = try OutputFile(temp.appendingPathComponent(name))
            if let header { try out.write(header) }
            for s in list {
                let input = try FileHandle(forReadingFrom: s.dir.appendingPathComponent(name))
                defer { try? input.close() }
                try input.seek(toOffset: UInt64(skip))
                while let chunk = try input.read(upToCount: 1 << 22), !chunk.isEmpty { try out.write([UInt8](chunk)) }
            }
            try out.close()
        }
        let matrixHeader = try headerMember(banner: matrixBanner, rows: genes, cols: total, entries: entries)
        try concatenate("matrix.mtx.gz", skip: matrixHeader.count, header: matrixHeader)
        try concatenate("barcodes.tsv.gz", skip: 0, header: nil)
        try concatenate("cells.tsv", skip: cellsHeader.utf8.count, header: Array(cellsHeader.utf8))
        if withStates {
            let statesHeader = try headerMember(
                banner: statesBanner, rows: modelled, cols: total, entries: stateEntries)
            try concatenate("states.mtx.gz", skip: statesHeader.count, header: statesHeader)
        }
        for name in ["features.tsv.gz", "truth.tsv"] {
            try fm.copyItem(at: first.dir.appendingPathComponent(name), to: temp.appendingPathComponent(name))
        }
        var json = first.json
        json["shard"] = NSNull()
        json["merged_from"] = list.map { $0.dir.path }
        json["cells"] = list.reduce(0) { $0 + ($1.json["cells"] as? Int ?? 0) }
        json["entries"] = entries
        json["state_entries"] = stateEntries
        json["blocks"] = [0, first.json["total_blocks"] as? Int ?? 0]
        var timings: [String: Double] = [:]
        for s in list {
            for (k, v) in (s.json["timings_s"] as? [String: Double]) ?? [:] { timings[k, default: 0] += v }
        }
        json["timings_s"] = timings
        let data = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
        try (data + Data("\n".utf8)).write(to: temp.appendingPathComponent("run.json"))
        try replace(target, with: temp, force: force)
        success = true
    }
}

/// A file written sequentially with an unbuffered descriptor (chunks are large).
final class OutputFile {
    let fd: Int32
    let path: String

    init(_ url: URL) throws {
        path = url.path
        // A new file in the run's own temporary folder: never an existing file or a planted link.
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        if fd < 0 { throw FileWriteError(path: path, reason: String(cString: strerror(errno))) }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { b in
            var done = 0
            while done < b.count {
                let r = Foundation.write(fd, b.baseAddress! + done, b.count - done)
                if r < 0 { throw FileWriteError(path: path, reason: String(cString: strerror(errno))) }
                done += r
            }
        }
    }

    func write(_ bytes: [UInt8], at offset: Int) throws {
        try bytes.withUnsafeBytes { b in
            let r = pwrite(fd, b.baseAddress!, b.count, off_t(offset))
            if r != b.count { throw FileWriteError(path: path, reason: String(cString: strerror(errno))) }
        }
    }

    func close() throws {
        if Foundation.close(fd) != 0 { throw FileWriteError(path: path, reason: String(cString: strerror(errno))) }
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
