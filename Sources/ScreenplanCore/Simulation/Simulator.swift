import Foundation

// MARK: - Running a simulation: blocks in parallel, delivered in order
//
// Cells are cut into fixed, globally aligned blocks (`SimulationOptions.blockSize`). A block's
// result depends only on the seed and the block's cells (every random draw is addressed by cell),
// and BLAS runs single-threaded inside a block, so the output is the same whatever the number of
// workers, and a shard (a range of blocks) is exactly the corresponding part of a full run.
// Blocks are computed in waves of a few per worker with `DispatchQueue.concurrentPerform` and
// handed to the sink in order, so memory is bounded by the wave, not by the number of cells.

/// Results of one wave of parallel blocks. Each worker writes only its own slots, through raw
/// storage allocated up front (no shared array buffer is mutated concurrently).
final class WaveSlots<V>: @unchecked Sendable {
    let values: UnsafeMutableBufferPointer<V?>
    let errors: UnsafeMutableBufferPointer<Error?>
    init(_ n: Int) {
        values = .allocate(capacity: n)
        values.initialize(repeating: nil)
        errors = .allocate(capacity: n)
        errors.initialize(repeating: nil)
    }
    deinit {
        _ = values.deinitialize()
        values.deallocate()
        _ = errors.deinitialize()
        errors.deallocate()
    }
}

public enum Simulator {
    /// Compiles a design for simulation (network, guides, attractors, batch effects, plan).
    public static func prepare(
        design: Design, network: Network, seed: UInt64, parameters: SimulationParameters = SimulationParameters(),
        options: SimulationOptions = SimulationOptions()
    ) throws -> SimulationModel {
        try SimulationModel(design: design, network: network, seed: seed, parameters: parameters, options: options)
    }

    /// Simulates the design and hands each block of cells to `sink`, in block order.
    ///
    /// - Parameters:
    ///   - shard: the part of the run to simulate (nil = all of it).
    ///   - progress: reports blocks done; cancelling stops the run with `CancelledError`.
    /// - Returns: the totals, and the timings and counters beside them.
    @discardableResult
    public static func run(
        design: Design, network: Network, seed: UInt64, shard: ShardSpec? = nil,
        options: SimulationOptions = SimulationOptions(), progress: ProgressReporter? = nil,
        sink: (SimulatedBlock) throws -> Void
    ) throws -> (summary: SimulationSummary, stats: SimulationStats) {
        let start = monotonicSeconds()
        let model = try prepare(design: design, network: network, seed: seed, options: options)
        let setup = monotonicSeconds() - start
        var result = try run(
            model: model, shard: shard, options: options, progress: progress,
            transform: { $0 }, sink: sink)
        result.stats.setupSeconds = setup
        result.stats.seconds = monotonicSeconds() - start
        return result
    }

    /// The general form: `transform` runs on the worker that made the block (encode, compress),
    /// `sink` receives the transformed blocks in order on the calling thread. `idle`, when given,
    /// runs once on the first worker that finds no block left to claim (the last blocks leave a
    /// core free: the writer computes the truth table there), and has run when `run` returns,
    /// unless the run stopped early (error or cancel) before any worker got there.
    @discardableResult
    public static func run<T>(
        model: SimulationModel, shard: ShardSpec? = nil,
        options: SimulationOptions = SimulationOptions(), progress: ProgressReporter? = nil,
        transform: @escaping @Sendable (SimulatedBlock) throws -> T,
        idle: (@Sendable () -> Void)? = nil,
        sink: (T) throws -> Void
    ) throws -> (summary: SimulationSummary, stats: SimulationStats) {
        let started = monotonicSeconds()
        let range = (shard ?? ShardSpec(index: 0, count: 1)).blockRange(of: model.blockCount)
        let workers = max(1, options.threads)
        let previousThreads = BLAS.threads
        BLAS.setThreads(1)
        defer { BLAS.setThreads(previousThreads) }
        // Progress in estimated work and cancellation inside blocks (SimulationProgress.swift).
        var options = options
        let blockSteps = progress == nil ? [] : model.estimatedCellSteps(blocks: range, options: options)
        if let progress {
            let monitor = SimulationMonitor(
                reporter: progress, totalSteps: blockSteps.reduce(0, +),
                totalCells: Double(model.cells(inBlocks: range)))
            options.monitor = monitor
            progress.report(done: 0, total: 1, message: "simulating")
            progress.beginWork()
        }
        let blockOptions = options
        var summary = SimulationSummary(
            seed: model.seed, cells: 0, totalCells: model.totalCells, genes: model.measuredGeneCount, entries: 0,
            blocks: range.count, firstBlock: range.lowerBound)
        var runStats = SimulationStats()
        // Workers take the next block as soon as they finish one (no wave barrier), at most
        // `window` blocks ahead of the sink, and the calling thread hands finished blocks to the
        // sink in order while the workers go on: writing overlaps simulating, and a run whose
        // block count is not a multiple of the wave no longer ends on a wave of one block.
        let first = range.lowerBound
        let pipeline = BlockPipeline<(T, BlockStats, Int, Int)>(count: range.count, window: workers * 2)
        let group = DispatchGroup()
        // Dedicated threads, not the dispatch pool: a worker may wait for the sink, and callers
        // (Monte Carlo replicates) run several of these loops from pool threads at once.
        for _ in 0..<min(workers, range.count) {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                while let i = pipeline.claim() {
                    do {
                        if blockOptions.monitor?.isCancelled == true {
                            pipeline.deliver(i, nil)
                            continue
                        }
                        let b0 = monotonicSeconds()
                        let (block, stats) = model.simulateBlock(first + i, options: blockOptions, stats: ())
                        if blockOptions.monitor?.isCancelled == true {
                            pipeline.deliver(i, nil)
                            continue
                        }
                        let value = try transform(block)
                        if let monitor = blockOptions.monitor {
                            monitor.finish(
                                estimatedSteps: blockSteps[i], countedSteps: stats.cellSteps, cells: block.cellCount,
                                blockSeconds: monotonicSeconds() - b0, stepSeconds: stats.stepSeconds)
                        }
                        pipeline.deliver(i, (value, stats, block.cellCount, block.entryCount))
                    } catch {
                        pipeline.fail(i, error)
                    }
                }
                if let idle { pipeline.runIdleWorkOnce(idle) }
            }
            thread.start()
        }
        defer {
            pipeline.stop()
            group.wait()
        }
        let wallStart = monotonicSeconds()
        var threadDynamics = 0.0
        var threadTotal = 0.0
        for i in 0..<range.count {
            let slot = try pipeline.take(i)
            // A cancel during the run: blocks may be incomplete, none more reaches the sink.
            if progress?.isCancelled == true { throw CancelledError() }
            guard let (value, stats, cells, entries) = slot else { continue }
            threadDynamics += stats.dynamicsSeconds
            threadTotal += stats.dynamicsSeconds + stats.measurementSeconds
            runStats.dynamicsThreadSeconds += stats.dynamicsSeconds
            runStats.gemmThreadSeconds += stats.gemmSeconds
            runStats.measurementThreadSeconds += stats.measurementSeconds
            runStats.dynamicsFlops += stats.flops
            runStats.cellSteps += stats.cellSteps
            runStats.activeCellSteps += stats.activeCellSteps
            runStats.stepThreadSeconds += stats.stepSeconds
            runStats.stepCPUSeconds += stats.stepCPUSeconds
            runStats.stepFlops += stats.stepFlops
            summary.cells += cells
            summary.entries += entries
            let s0 = monotonicSeconds()
            try sink(value)
            runStats.sinkSeconds += monotonicSeconds() - s0
        }
        // Wall time attributed to dynamics in proportion to its share of the workers' time.
        let wall = monotonicSeconds() - wallStart - runStats.sinkSeconds
        if threadTotal > 0 {
            runStats.dynamicsSeconds = wall * threadDynamics / threadTotal
            runStats.measurementSeconds = wall * (threadTotal - threadDynamics) / threadTotal
        }
        runStats.seconds = monotonicSeconds() - started
        return (summary, runStats)
    }

    /// True effects (truth.tsv): steady-state log2 fold changes against controls.
    public static func truth(_ model: SimulationModel) throws -> [TruthEntry] {
        try model.truthTable()
    }
}

extension SimulationModel {
    /// Simulates block `b` (cells b·blockSize ..< (b+1)·blockSize): setup, dynamics, measurement.
    /// The result is the same whoever calls it, in whatever order.
    public func simulateBlock(_ b: Int, options: SimulationOptions) -> SimulatedBlock {
        simulateBlock(b, options: options, stats: ()).0
    }

    func simulateBlock(_ b: Int, options: SimulationOptions, stats _: Void = ()) -> (SimulatedBlock, BlockStats) {
        var stats = BlockStats()
        let lo = b * blockSize
        let hi = min(totalCells, lo + blockSize)
        var cells: [CellSetup] = []
        cells.reserveCapacity(hi - lo)
        for index in lo..<hi {
            // A cancelled run's block is discarded by `run`: stop as soon as possible.
            if options.monitor?.isCancelled == true { return (SimulatedBlock.cancelled(b), stats) }
            cells.append(setupCell(index))
        }
        let n = cells.count
        // Second cells of multiplets, as extra columns sampled with their owner.
        var partnerColumn = [Int?](repeating: nil, count: n)
        for j in 0..<n where cells[j].doublet {
            var other = setupCell(cells[j].partner)
            other.phantomOf = cells[j].index
            other.tSample = cells[j].tSample
            other.tStart = min(other.tStart, other.tSample)
            partnerColumn[j] = cells.count
            cells.append(other)
        }
        var streams = cells.map { $0.dynamicsStream(seed: seed, part: 0) }
        let state = integrate(cells, streams: &streams, options: options, stats: &stats)
        if options.monitor?.isCancelled == true { return (SimulatedBlock.cancelled(b), stats) }

        let m0 = monotonicSeconds()
        var records: [CellRecord] = []
        records.reserveCapacity(n)
        var offsets = [0]
        offsets.reserveCapacity(n + 1)
        var geneIndices: [Int32] = []
        var counts: [Int32] = []
        let countedGenes = options.countedGenes.map { min($0.count, measuredGeneCount) } ?? measuredGeneCount
        geneIndices.reserveCapacity(n * countedGenes / 2)
        counts.reserveCapacity(n * countedGenes / 2)
        var weights = [Double](repeating: 0, count: measuredGeneCount)
        let batch = CountBatch(capacity: measuredGeneCount)
        let q = design.measurement.guideCapture
        var countedMask: [Bool]? = nil
        if let genes = options.countedGenes {
            var mask = [Bool](repeating: false, count: measuredGeneCount)
            for g in genes where g >= 0 && g < measuredGeneCount { mask[g] = true }
            countedMask = mask
        }
        for j in 0..<n {
            if options.monitor?.isCancelled == true { break }
            let cell = cells[j]
            var rng = RandomStream(seed: seed, domain: .measurement, UInt64(cell.index))
            var allGuides = cell.guides
            if let pc = partnerColumn[j] { allGuides += cells[pc].guides }
            let detected = allGuides.filter { _ in rng.uniform() < q }
            let perts = Set(detected.map(\.perturbation).filter { $0 >= 0 })
            // No guide detected: unassigned (not a control); only non-targeting guides: control.
            let observed =
                perts.isEmpty ? (detected.isEmpty ? CellRecord.unassigned : -1) : (perts.count == 1 ? perts.first! : -2)
            let size = countedMask.withUnsafeBufferPointerOrNil { mask in
                measure(
                    cell: cell, state: state, column: j, partnerColumn: partnerColumn[j], options: options,
                    rng: &rng, weights: &weights, geneIndices: &geneIndices, counts: &counts, counted: mask,
                    batch: batch)
            }
            offsets.append(counts.count)
            let label = state.data.withUnsafeBufferPointer {
                stateLabel($0.baseAddress! + j * geneCount, perturbation: cell.perturbation)
            }
            let mediumName = mediumNames[cell.frozenMedium ? startMedium : medium(at: cell.tSample)]
            records.append(
                CellRecord(
                    index: cell.index, barcode: cellBarcode(cell.index, batch: cell.batch),
                    batch: cell.batch, animal: design.system.regime == .inVivo ? cell.animal : -1,
                    timePointIndex: cell.timePoint, timeH: cell.tSample, ageH: cell.age,
                    medium: mediumName, perturbation: cell.perturbation, guides: allGuides.map(\.name),
                    detectedGuides: detected.map(\.name), observedPerturbation: observed, doublet: cell.doublet,
                    state: label, librarySize: size,
                    cellType: cellTypes.names[cellTypes.type(ofCell: cell.index, batch: cell.batch, seed: seed)]))
        }
        stats.measurementSeconds += monotonicSeconds() - m0
        var states: Matrix? = nil
        if options.keepStates {
            states = Matrix(rows: geneCount, cols: n, data: Array(state.data.prefix(geneCount * n)))
        }
        return (
            SimulatedBlock(
                index: b, cells: records, offsets: offsets, geneIndices: geneIndices, counts: counts,
                states: states), stats
        )
    }
}

extension Optional where Wrapped == [Bool] {
    /// The array's base address, or nil for nil.
    func withUnsafeBufferPointerOrNil<R>(_ body: (UnsafePointer<Bool>?) throws -> R) rethrows -> R {
        switch self {
        case .some(let array): return try array.withUnsafeBufferPointer { try body($0.baseAddress) }
        case .none: return try body(nil)
        }
    }
}
