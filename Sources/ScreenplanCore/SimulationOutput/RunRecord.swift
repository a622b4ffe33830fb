import Foundation

/// run.json of a run directory: what made the run (seed, version, design hash, shard) and what it
/// holds (counts, timings). One type for the writers (10x and h5ad) and `merge`, so a key is named
/// in one place. The file keys are the snake_case ones every run.json has had; a shard of a
/// complete run is `null`, and `merged_from` appears only in a merged run. Encoded with sorted
/// keys and pretty printing, which gives the same bytes `JSONSerialization` wrote before this type
/// existed (RunRecordTests checks it).
public struct RunRecord: Codable, Sendable, Equatable {
    /// Which shard of how many (1-based), as `--shard I/N` named it.
    public struct Shard: Codable, Sendable, Equatable {
        public var index: Int
        public var count: Int
    }

    /// Wall-clock seconds of the phases of the run (summed over shards in a merged run).
    public struct Timings: Codable, Sendable, Equatable {
        public var setup: Double
        public var dynamics: Double
        public var measurementAndEncoding: Double
        public var writing: Double
        public var total: Double

        enum CodingKeys: String, CodingKey {
            case setup, dynamics, writing, total
            case measurementAndEncoding = "measurement_and_encoding"
        }

        static func + (a: Timings, b: Timings) -> Timings {
            Timings(
                setup: a.setup + b.setup, dynamics: a.dynamics + b.dynamics,
                measurementAndEncoding: a.measurementAndEncoding + b.measurementAndEncoding,
                writing: a.writing + b.writing, total: a.total + b.total)
        }
    }

    public var generator: String
    /// "10x-mtx" or "h5ad".
    public var format: String
    public var version: String
    public var seed: UInt64
    public var designName: String
    public var designHash: String
    /// Cells in this directory (a shard's own cells).
    public var cells: Int
    /// Cells of the whole run.
    public var totalCells: Int
    /// Measured genes (rows of matrix.mtx.gz).
    public var genes: Int
    /// Modelled genes (rows of states.mtx.gz).
    public var modelledGenes: Int
    public var entries: Int
    public var stateEntries: Int
    /// Whether states.mtx.gz was written (`--states`).
    public var states: Bool
    public var blockSize: Int
    /// The half-open range of blocks in this directory, `[first, end)`.
    public var blocks: [Int]
    public var totalBlocks: Int
    public var downstream: String
    public var threads: Int
    public var timings: Timings
    /// nil for a complete run (written as `null`).
    public var shard: Shard?
    /// The shard directories a merged run was joined from; nil (no key) for a simulated run.
    public var mergedFrom: [String]?

    enum CodingKeys: String, CodingKey {
        case generator, format, version, seed, cells, genes, entries, states, blocks, downstream, threads, shard
        case designName = "design_name"
        case designHash = "design_hash"
        case totalCells = "total_cells"
        case modelledGenes = "modelled_genes"
        case stateEntries = "state_entries"
        case blockSize = "block_size"
        case totalBlocks = "total_blocks"
        case timings = "timings_s"
        case mergedFrom = "merged_from"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        generator = try c.decode(String.self, forKey: .generator)
        format = try c.decode(String.self, forKey: .format)
        version = try c.decode(String.self, forKey: .version)
        seed = try c.decode(UInt64.self, forKey: .seed)
        designName = try c.decode(String.self, forKey: .designName)
        designHash = try c.decode(String.self, forKey: .designHash)
        cells = try c.decode(Int.self, forKey: .cells)
        totalCells = try c.decode(Int.self, forKey: .totalCells)
        genes = try c.decode(Int.self, forKey: .genes)
        modelledGenes = try c.decode(Int.self, forKey: .modelledGenes)
        entries = try c.decode(Int.self, forKey: .entries)
        stateEntries = try c.decode(Int.self, forKey: .stateEntries)
        states = try c.decode(Bool.self, forKey: .states)
        blockSize = try c.decode(Int.self, forKey: .blockSize)
        blocks = try c.decode([Int].self, forKey: .blocks)
        totalBlocks = try c.decode(Int.self, forKey: .totalBlocks)
        downstream = try c.decode(String.self, forKey: .downstream)
        threads = try c.decode(Int.self, forKey: .threads)
        timings = try c.decode(Timings.self, forKey: .timings)
        shard = try c.decodeIfPresent(Shard.self, forKey: .shard)
        mergedFrom = try c.decodeIfPresent([String].self, forKey: .mergedFrom)
    }

    init(
        format: String, seed: UInt64, design: Design, cells: Int, totalCells: Int, genes: Int,
        modelledGenes: Int, entries: Int, stateEntries: Int, states: Bool, blockSize: Int,
        blocks: [Int], totalBlocks: Int, downstream: String, threads: Int, timings: Timings, shard: Shard?
    ) {
        generator = OutputSafety.generator
        self.format = format
        version = ScreenplanVersion.string
        self.seed = seed
        designName = design.name
        designHash = TenXWriter.designHash(design)
        self.cells = cells
        self.totalCells = totalCells
        self.genes = genes
        self.modelledGenes = modelledGenes
        self.entries = entries
        self.stateEntries = stateEntries
        self.states = states
        self.blockSize = blockSize
        self.blocks = blocks
        self.totalBlocks = totalBlocks
        self.downstream = downstream
        self.threads = threads
        self.timings = timings
        self.shard = shard
        mergedFrom = nil
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(generator, forKey: .generator)
        try c.encode(format, forKey: .format)
        try c.encode(version, forKey: .version)
        try c.encode(seed, forKey: .seed)
        try c.encode(designName, forKey: .designName)
        try c.encode(designHash, forKey: .designHash)
        try c.encode(cells, forKey: .cells)
        try c.encode(totalCells, forKey: .totalCells)
        try c.encode(genes, forKey: .genes)
        try c.encode(modelledGenes, forKey: .modelledGenes)
        try c.encode(entries, forKey: .entries)
        try c.encode(stateEntries, forKey: .stateEntries)
        try c.encode(states, forKey: .states)
        try c.encode(blockSize, forKey: .blockSize)
        try c.encode(blocks, forKey: .blocks)
        try c.encode(totalBlocks, forKey: .totalBlocks)
        try c.encode(downstream, forKey: .downstream)
        try c.encode(threads, forKey: .threads)
        try c.encode(timings, forKey: .timings)
        // A complete run says so with `null`, as run.json always has.
        if let shard { try c.encode(shard, forKey: .shard) } else { try c.encodeNil(forKey: .shard) }
        try c.encodeIfPresent(mergedFrom, forKey: .mergedFrom)
    }

    /// Reads `dir/run.json`.
    static func read(from dir: URL) throws -> RunRecord {
        try JSONDecoder().decode(RunRecord.self, from: Data(contentsOf: dir.appendingPathComponent("run.json")))
    }

    /// Writes `dir/run.json` (sorted keys, pretty printed, a final newline).
    func write(to dir: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(self)
        try (data + Data("\n".utf8)).write(to: dir.appendingPathComponent("run.json"))
    }
}

extension TenXWriter {
    /// A stable 64-bit FNV-1a hash of the design (canonical JSON), as 16 hex digits.
    public static func designHash(_ design: Design) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(design)) ?? Data()
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return String(h, radix: 16).leftPadded(to: 16)
    }

    /// Writes run.json for a simulated run (or shard) in `dir`.
    static func writeRunJSON(
        model: SimulationModel, shard: ShardSpec?, options: SimulationOptions,
        stateEntries: Int, info: SimulationRunInfo, to dir: URL, format: String = "10x-mtx"
    ) throws {
        let summary = info.summary
        let record = RunRecord(
            format: format, seed: summary.seed, design: model.design, cells: summary.cells,
            totalCells: summary.totalCells, genes: summary.genes, modelledGenes: model.geneCount,
            entries: summary.entries, stateEntries: stateEntries, states: options.keepStates,
            blockSize: model.blockSize, blocks: [summary.firstBlock, summary.firstBlock + summary.blocks],
            totalBlocks: model.blockCount, downstream: options.downstream.rawValue, threads: options.threads,
            timings: RunRecord.Timings(
                setup: model.setupSeconds, dynamics: info.stats.dynamicsSeconds,
                measurementAndEncoding: info.stats.measurementSeconds, writing: info.writeSeconds,
                total: info.totalSeconds),
            shard: shard.map { RunRecord.Shard(index: $0.index + 1, count: $0.count) })
        try record.write(to: dir)
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
