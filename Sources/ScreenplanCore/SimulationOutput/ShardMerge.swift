import Foundation

/// Merging shards failed for a reason found in the inputs: which shard (its path), which file
/// or run.json key, and what is wrong. `merge` prints the message and exits with code 2.
public enum MergeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No run.json that parses (not a shard output).
    case noRunRecord(path: String)
    /// A run of another format (h5ad shards are joined by anndata.concat).
    case otherFormat(path: String, format: String)
    /// A complete run, not a shard.
    case completeRun(path: String)
    /// run.json lacks a key.
    case missingKey(path: String, key: String)
    /// run.json does not decode (the decoder's reason).
    case unreadableRecord(path: String, reason: String)
    /// No shard directories.
    case noShards
    /// A run.json key differs from the first shard's: shards of different runs.
    case differentRun(path: String, key: String, first: String)
    /// Shards count different totals of shards.
    case shardCount(path: String, count: Int, expected: Int)
    /// A shard is given twice.
    case duplicateShard
    /// Shards (1-based) missing of `count`.
    case missingShards([Int], of: Int)
    /// A file of a shard is missing.
    case missingFile(shard: String, file: String)
    /// A gzip file of a shard does not decompress.
    case damaged(shard: String, file: String, GzipError)
    /// A file of a shard has another number of lines than its run.json says.
    case lineCount(shard: String, file: String, found: Int, expected: Int)

    /// The sentence a user reads (the command prints it; tests check its wording).
    public var message: String {
        switch self {
        case .noRunRecord(let path): "\(path): no readable run.json; is it a `screenplan simulate --shard` output?"
        case .otherFormat(let path, let format):
            "\(path): a \(format) run; merge joins 10x (mtx) shards, and anndata.concat joins h5ad shards"
        case .completeRun(let path): "\(path): run.json has no shard; it is already a complete run"
        case .missingKey(let path, let key):
            "\(path): run.json has no `\(key)`; is it a `screenplan simulate --shard` output?"
        case .unreadableRecord(let path, let reason):
            "\(path): run.json is not one `screenplan simulate --shard` wrote (\(reason))"
        case .noShards: "no shard directories given"
        case .differentRun(let path, let key, let first):
            "\(path): `\(key)` differs from \(first); shards of different runs cannot be merged"
        case .shardCount(let path, let count, let expected): "\(path): shard count \(count) differs from \(expected)"
        case .duplicateShard: "a shard is given twice"
        case .missingShards(let missing, let count):
            "missing shard(s) \(missing.map(String.init).joined(separator: ", ")) of \(count)"
        case .missingFile(let shard, let file): "\(shard): \(file) is missing; re-run this shard"
        case .damaged(let shard, let file, let error):
            "\(shard)/\(file) is damaged (\(error.message)); re-run this shard"
        case .lineCount(let shard, let file, let found, let expected):
            "\(shard)/\(file) has \(found) lines; its run.json says \(expected) — the shard is incomplete or damaged; re-run it"
        }
    }

    /// The message, as `print` and string interpolation show the error.
    public var description: String { message }
}

extension TenXWriter {
    // MARK: Merging shards

    /// Joins shard directories (any order) into `directory`; the result equals an unsharded run,
    /// byte for byte, for every file except run.json (whose timings are those of the shards).
    public static func merge(shards: [String], into directory: String, force: Bool) throws {
        let fm = FileManager.default
        try OutputSafety.checkDirectoryTarget(directory, force: force, inputs: shards)
        let target = URL(fileURLWithPath: directory).standardizedFileURL
        /// The first keys, read before the whole record: a shard of another format or a complete
        /// run is named as such rather than as an unreadable run.json.
        struct Header: Decodable {
            var format: String?
            var shard: RunRecord.Shard?
        }
        struct Shard {
            var dir: URL
            var record: RunRecord
            var index: Int { record.shard?.index ?? 0 }
            var count: Int { record.shard?.count ?? 0 }
        }
        var list: [Shard] = []
        for path in shards {
            let dir = URL(fileURLWithPath: path)
            let runURL = dir.appendingPathComponent("run.json")
            guard let data = try? Data(contentsOf: runURL),
                let header = try? JSONDecoder().decode(Header.self, from: data)
            else {
                throw MergeError.noRunRecord(path: path)
            }
            if let format = header.format, format != "10x-mtx" {
                throw MergeError.otherFormat(path: path, format: format)
            }
            guard header.shard != nil else {
                throw MergeError.completeRun(path: path)
            }
            let record: RunRecord
            do {
                record = try JSONDecoder().decode(RunRecord.self, from: data)
            } catch DecodingError.keyNotFound(let key, _) {
                throw MergeError.missingKey(path: path, key: key.stringValue)
            } catch {
                throw MergeError.unreadableRecord(path: path, reason: "\(error)")
            }
            list.append(Shard(dir: dir, record: record))
        }
        guard let first = list.first else { throw MergeError.noShards }
        let count = first.count
        list.sort { $0.index < $1.index }
        for s in list {
            let differs: [(String, Bool)] = [
                ("seed", s.record.seed != first.record.seed),
                ("design_hash", s.record.designHash != first.record.designHash),
                ("block_size", s.record.blockSize != first.record.blockSize),
                ("genes", s.record.genes != first.record.genes),
                ("total_cells", s.record.totalCells != first.record.totalCells),
                ("states", s.record.states != first.record.states),
                ("version", s.record.version != first.record.version),
            ]
            if let key = differs.first(where: \.1)?.0 {
                throw MergeError.differentRun(path: s.dir.path, key: key, first: first.dir.path)
            }
            guard s.count == count else {
                throw MergeError.shardCount(path: s.dir.path, count: s.count, expected: count)
            }
        }
        let indices = list.map(\.index)
        guard indices == Array(1...count) else {
            let missing = Set(1...count).subtracting(indices).sorted()
            throw missing.isEmpty ? MergeError.duplicateShard : MergeError.missingShards(missing, of: count)
        }
        // Every shard is read once before anything is written: a truncated or corrupt member,
        // or fewer entries than its run.json says, refuses the merge (ShardVerification.swift).
        for s in list { try verifyShard(s.dir, record: s.record, display: s.dir.path) }
        let temp = try TemporaryDirectory.sibling(of: target)
        var success = false
        defer {
            if !success { try? fm.removeItem(at: temp) }
            TemporaryOutputs.forget(temp.path)
        }

        let genes = first.record.genes
        let modelled = first.record.modelledGenes
        let total = first.record.totalCells
        let entries = list.reduce(0) { $0 + $1.record.entries }
        let stateEntries = list.reduce(0) { $0 + $1.record.stateEntries }
        let withStates = first.record.states

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
            // An array's columns are the cells the file holds: the sum of the shards' cells.
            let statesHeader = try statesHeaderMember(rows: modelled, cols: list.reduce(0) { $0 + $1.record.cells })
            try concatenate("states.mtx.gz", skip: statesHeader.count, header: statesHeader)
        }
        for name in ["features.tsv.gz", "truth.tsv"] {
            try fm.copyItem(at: first.dir.appendingPathComponent(name), to: temp.appendingPathComponent(name))
        }
        var record = first.record
        record.shard = nil
        record.mergedFrom = list.map { $0.dir.path }
        record.cells = list.reduce(0) { $0 + $1.record.cells }
        record.entries = entries
        record.stateEntries = stateEntries
        record.blocks = [0, first.record.totalBlocks]
        record.timings = list.dropFirst().reduce(first.record.timings) { $0 + $1.record.timings }
        try record.write(to: temp)
        try TemporaryDirectory.replace(target, with: temp, force: force)
        success = true
    }
}
