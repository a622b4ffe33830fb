import Foundation

// MARK: - The 10x output: simulate, encode each block (TenXEncoding.swift), write the run directory
//
// The file layout is described in TenXEncoding.swift; run.json is `RunRecord` (RunRecord.swift),
// the temporary sibling and the final swap are `TemporaryDirectory` (Support/), and `merge` joins
// shards (ShardMerge.swift).

/// Output formats of `simulate`.
public enum SimulationFormat: String, Sendable, CaseIterable {
    case mtx
    case h5ad
}

/// What a written run reports (also stored as run.json).
public struct SimulationRunInfo: Sendable {
    public var directory: String
    public var summary: SimulationSummary
    /// The simulator's timings and counters (`writeSeconds` and `totalSeconds` add the writer's).
    public var stats: SimulationStats
    public var writeSeconds: Double
    public var totalSeconds: Double
}

public enum TenXWriter {
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
        let temp = try TemporaryDirectory.sibling(of: target)
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
        let statesHeaderLength = try statesHeaderMember(rows: model.geneCount, cols: 0).count
        if options.keepStates {
            statesFile = try OutputFile(temp.appendingPathComponent("states.mtx.gz"))
            try statesFile!.write([UInt8](repeating: 0, count: statesHeaderLength))
        }
        var stateEntries = 0
        let geneTexts = DecimalTexts(count: g)
        // The truth table (serial steady-state solves) on the core the last blocks leave free.
        let truth = Locked<Result<[TruthEntry], Error>?>(nil)
        let (summary, stats) = try Simulator.run(
            model: model, shard: shard, options: options, progress: progress,
            transform: { try encode($0, model: model, genes: geneTexts) },
            idle: { truth.withLock { $0 = Result { try Simulator.truth(model) } } }
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
                try statesHeaderMember(rows: model.geneCount, cols: summary.cells), at: 0)
            try statesFile.close()
        }
        try writeFeatures(model, to: temp)
        try writeTruth(try (truth.current ?? Result { try Simulator.truth(model) }).get(), to: temp)
        var info = SimulationRunInfo(
            directory: target.path, summary: summary, stats: stats, writeSeconds: stats.sinkSeconds,
            totalSeconds: 0)
        info.writeSeconds += monotonicSeconds() - w0
        info.totalSeconds = monotonicSeconds() - started
        try writeRunJSON(
            model: model, shard: shard, options: options, stateEntries: stateEntries, info: info, to: temp)
        try TemporaryDirectory.replace(target, with: temp, force: force)
        success = true
        return info
    }

    static func writeFeatures(_ model: SimulationModel, to dir: URL) throws {
        let f = ByteBuffer()
        for name in model.measuredGeneNames {
            f.appendRow { row in
                row.field(name)
                row.field(name)
                row.field("Gene Expression")
            }
        }
        try Data(try Gzip.member(f, level: 6)).write(to: dir.appendingPathComponent("features.tsv.gz"))
    }

    static func writeTruth(_ model: SimulationModel, to dir: URL) throws {
        try writeTruth(try Simulator.truth(model), to: dir)
    }

    /// truth.tsv from the model's truth table.
    static func writeTruth(_ entries: [TruthEntry], to dir: URL) throws {
        let t = ByteBuffer()
        t.append(
            "perturbation\tperturbation_index\tgene\tgene_index\tstate\tcontrol_level\tperturbed_level\tlog2_fold_change\tinteraction_log2\n"
        )
        for e in entries {
            t.appendRow { row in
                row.field(e.perturbation)
                row.field(e.perturbationIndex)
                row.field(e.gene)
                row.field(e.geneIndex)
                row.field(e.state)
                row.field(real: e.controlLevel)
                row.field(real: e.perturbedLevel)
                row.field(real: e.log2FoldChange)
                // Combinations only: the true genetic interaction; other rows have none.
                if let i = e.interaction { row.field(real: i) } else { row.field("n/a") }
            }
        }
        try Data(t.bytes).write(to: dir.appendingPathComponent("truth.tsv"))
    }
}
