import Foundation

// MARK: - Simulated cells as AnnData
//
// Connects the simulator's stream of blocks to the h5ad writer: each block is converted on the
// worker that simulated it and appended in block order, so memory holds one wave of blocks.

/// Writes simulations as .h5ad files.
public enum SimulationH5AD {
    /// Label of control cells in obs.perturbation (cells with no targeting guide).
    public static let controlLabel = "control"
    /// Label in obs.observed_perturbation of cells whose detected guides name several perturbations.
    public static let ambiguousLabel = "ambiguous"
    /// Label in obs.observed_perturbation of cells with no detected guide (pipelines drop them).
    public static let unassignedLabel = "unassigned"

    /// The obs columns written for every cell, in order.
    public static func columns(_ model: SimulationModel) -> [H5ADColumn] {
        let d = model.design
        let batches = (0..<d.batching.batches).map { batchLabel(d, $0) }
        let perturbations = [controlLabel] + model.perturbations.map(\.name)
        var columns: [H5ADColumn] = [
            .categorical("perturbation", categories: perturbations),
            .categorical("observed_perturbation", categories: perturbations + [ambiguousLabel, unassignedLabel]),
            .string("guides"),
            .string("detected_guides"),
            .categorical("batch", categories: batches),
        ]
        if hasAnimals(model) {
            columns.append(.categorical("animal", categories: (0..<model.animalCount).map { "animal \($0 + 1)" }))
        }
        columns += [
            .number("time_h"),
            .number("age_h"),
            .categorical("medium", categories: model.mediumNames),
            .categorical("state"),
            .categorical("cell_type", categories: model.cellTypes.names),
            .boolean("doublet"),
            .number("library_size"),
        ]
        return columns
    }

    /// Cells come from animals (in vivo); in vitro there is no animal column.
    public static func hasAnimals(_ model: SimulationModel) -> Bool { model.design.system.regime == .inVivo }

    /// "lane 3" for batch index 2 of a design batched in lanes.
    public static func batchLabel(_ d: Design, _ b: Int) -> String { "\(d.batching.unit.rawValue) \(b + 1)" }

    /// Converts one simulated block into writer rows.
    public static func block(_ b: SimulatedBlock, model: SimulationModel) -> H5ADBlock {
        let names = model.perturbations.map(\.name)
        func label(_ p: Int) -> String {
            p >= 0 && p < names.count
                ? names[p]
                : (p == -2 ? ambiguousLabel : (p == CellRecord.unassigned ? unassignedLabel : controlLabel))
        }
        let cells = b.cells
        var categorical: [String: [String]] = [
            "perturbation": cells.map { label($0.perturbation) },
            "observed_perturbation": cells.map { label($0.observedPerturbation) },
            "guides": cells.map { $0.guides.joined(separator: ";") },
            "detected_guides": cells.map { $0.detectedGuides.joined(separator: ";") },
            "batch": cells.map { batchLabel(model.design, $0.batch) },
            "medium": cells.map(\.medium),
            "state": cells.map(\.state),
            "cell_type": cells.map(\.cellType),
        ]
        if hasAnimals(model) { categorical["animal"] = cells.map { "animal \($0.animal + 1)" } }
        return H5ADBlock(
            obsNames: cells.map(\.barcode), categorical: categorical,
            numeric: [
                "time_h": cells.map(\.timeH), "age_h": cells.map(\.ageH),
                "library_size": cells.map { Double($0.librarySize) },
            ],
            boolean: ["doublet": cells.map(\.doublet)],
            indptr: b.offsets, indices: b.geneIndices, data: b.counts.map { Float($0) })
    }

    /// Whether each measured gene regulates others in the network (background genes never do).
    public static func isRegulator(_ model: SimulationModel) -> [Bool] {
        var flags = [Bool](repeating: false, count: model.measuredGeneCount)
        for g in model.kinetics.regulators where g < flags.count { flags[g] = true }
        return flags
    }

    /// Simulates `model` (or one shard of it) straight into an .h5ad at `path`.
    /// uns holds the design as YAML, the seed, the screenplan version, the shard and the block size.
    /// - Returns: the simulator's totals, and its timings and counters.
    @discardableResult
    public static func write(
        model: SimulationModel, to path: String, shard: ShardSpec? = nil,
        options: SimulationOptions = SimulationOptions(),
        progress: ProgressReporter? = nil
    ) throws -> (summary: SimulationSummary, stats: SimulationStats) {
        let writer = try H5ADWriter(
            path: path, genes: model.measuredGeneNames, isRegulator: isRegulator(model),
            columns: columns(model))
        let result = try Simulator.run(
            model: model, shard: shard, options: options, progress: progress,
            transform: { block($0, model: model) },
            sink: { try writer.append($0) })
        try writer.finish(uns: [
            ("design", .string(try model.design.yamlText())),
            ("seed", .unsigned(model.seed)),
            ("screenplan_version", .string(ScreenplanVersion.string)),
            ("shard", .string((shard ?? ShardSpec(index: 0, count: 1)).description)),
            ("block_size", .integer(Int64(model.blockSize))),
        ])
        return result
    }
}

// MARK: - A simulate run directory in h5ad format

extension SimulationH5AD {
    /// File name of the AnnData file in a run directory.
    public static let fileName = "simulation.h5ad"

    /// Simulates a run (or one shard of it) into `directory`: `simulation.h5ad` (counts and
    /// per-cell metadata), `truth.tsv` and `run.json` (format "h5ad"), as `simulate --format h5ad`
    /// writes them. Like the 10x writer, it works in a temporary sibling directory renamed at the
    /// end, and throws `OutputExistsError` when `directory` exists and `force` is false.
    public static func writeRun(
        model: SimulationModel, to directory: String, shard: ShardSpec?,
        options: SimulationOptions, force: Bool,
        progress: ProgressReporter? = nil
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

        let (summary, stats) = try write(
            model: model, to: temp.appendingPathComponent(fileName).path, shard: shard,
            options: options, progress: progress)
        let w0 = monotonicSeconds()
        try TenXWriter.writeTruth(model, to: temp)
        var info = SimulationRunInfo(
            directory: target.path, summary: summary, stats: stats, writeSeconds: stats.sinkSeconds,
            totalSeconds: 0)
        info.writeSeconds += monotonicSeconds() - w0
        info.totalSeconds = monotonicSeconds() - started
        try TenXWriter.writeRunJSON(
            model: model, shard: shard, options: options, stateEntries: 0, info: info, to: temp, format: "h5ad")
        try TemporaryDirectory.replace(target, with: temp, force: force)
        success = true
        return info
    }
}
