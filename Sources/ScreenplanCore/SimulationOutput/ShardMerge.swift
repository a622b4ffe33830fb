import Foundation

/// Merging shards failed for a reason found in the inputs.
public struct MergeError: Error, CustomStringConvertible {
    public var message: String
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
                throw MergeError(
                    message: "\(path): no readable run.json; is it a `screenplan simulate --shard` output?")
            }
            if let format = header.format, format != "10x-mtx" {
                throw MergeError(
                    message:
                        "\(path): a \(format) run; merge joins 10x (mtx) shards, and anndata.concat joins h5ad shards")
            }
            guard header.shard != nil else {
                throw MergeError(message: "\(path): run.json has no shard; it is already a complete run")
            }
            let record: RunRecord
            do {
                record = try JSONDecoder().decode(RunRecord.self, from: data)
            } catch DecodingError.keyNotFound(let key, _) {
                throw MergeError(
                    message:
                        "\(path): run.json has no `\(key.stringValue)`; is it a `screenplan simulate --shard` output?")
            } catch {
                throw MergeError(
                    message: "\(path): run.json is not one `screenplan simulate --shard` wrote (\(error))")
            }
            list.append(Shard(dir: dir, record: record))
        }
        guard let first = list.first else { throw MergeError(message: "no shard directories given") }
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
                throw MergeError(
                    message:
                        "\(s.dir.path): `\(key)` differs from \(first.dir.path); shards of different runs cannot be merged"
                )
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
            let statesHeader = try headerMember(
                banner: statesBanner, rows: modelled, cols: total, entries: stateEntries)
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
