import Foundation

// MARK: - The simulator's public contract
//
// The simulator is a streaming, in-memory core: it hands fixed, globally aligned blocks of cells
// to a sink in order, and writers (10x, h5ad), Monte Carlo, learnability and the TUI only consume
// them. Nothing here knows about files.

/// A part of a run: shard `index` of `count` (0-based), covering a contiguous range of blocks.
public struct ShardSpec: Equatable, Sendable, Codable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Parses `I/N` with I in 1…N (the command-line form is 1-based, as Slurm array indices are).
    public static func parse(_ text: String) -> ShardSpec? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 1, i <= n else {
            return nil
        }
        return ShardSpec(index: i - 1, count: n)
    }

    /// The blocks of `blockCount` this shard covers: an even split, in order.
    public func blockRange(of blockCount: Int) -> Range<Int> {
        // Full-width products: `--shard 9223372036854775807/9223372036854775807` must not overflow.
        func cut(_ i: Int) -> Int {
            let product = blockCount.multipliedFullWidth(by: i)
            return count.dividingFullWidth((high: product.high, low: product.low)).quotient
        }
        return cut(index)..<cut(index + 1)
    }

    public var description: String { "\(index + 1)/\(count)" }
}

/// How downstream genes (those that regulate nothing) are integrated.
public enum DownstreamIntegration: String, Sendable, Codable, CaseIterable {
    /// Exact exponential (Ornstein–Uhlenbeck) integration over the last relaxation times before
    /// sampling, on a coarse grid driven by the time-averaged channel activity (the default).
    case window
    /// Every gene every step with one full G × C GEMM per step (reference; slow).
    case fine
}

/// The numerics of a run: how it is computed, not what is modelled (the model's own constants are
/// `SimulationParameters`, compiled into `SimulationModel`). Every one changes results only in
/// the documented way; the defaults are what `screenplan simulate` uses.
public struct SimulationOptions: Sendable, Equatable {
    /// Cells per block: the unit of parallel work, of random-stream independence and of gzip
    /// members. Output bytes depend on it, so it is fixed for a given output format.
    public var blockSize: Int = 1024
    /// Worker threads (blocks run in parallel; BLAS uses one thread inside each).
    public var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    /// Keep the true states (G × n) in each block.
    public var keepStates: Bool = false
    /// Downstream-gene integration scheme.
    public var downstream: DownstreamIntegration = .window
    /// Length of the downstream window in relaxation times 1/γ of the slowest downstream gene.
    public var downstreamWindowRelaxations: Double = 5
    /// Coarse pieces of the downstream window (each gets its own time-averaged channel activity).
    public var downstreamPieces: Int = 4
    /// Drive the downstream window with the fine scheme's exact exponential weights (one weighted
    /// channel average for the mean and one for the variance, BlockStepper.swift) instead of
    /// `downstreamPieces` piecewise-constant averages, when the downstream genes have at most
    /// `BlockStepper.weightedGroupLimit` distinct decay rates. Same distribution as the fine path
    /// (SimulationShortcutTests); false keeps the pieces (reference of the earlier scheme).
    public var downstreamExponentialWeights: Bool = true
    /// Start a cell of a non-differentiating system (not bistable, sampled at steady state) from
    /// the attractor `stationaryWindowRelaxations` slowest relaxation times before its sampling
    /// time instead of before the burn-in (StationaryStart.swift). Same distribution of outputs
    /// (SimulationShortcutTests); false integrates the whole protocol (reference).
    public var stationaryStart: Bool = true
    /// Length of that window in slowest relaxation times 1/λ_min (the start's memory is e^{−10}).
    public var stationaryWindowRelaxations: Double = 10
    /// Compute the regulators' production over the nonzeros of W_r when it is sparser than
    /// `SparseRows.densityLimit` (false: always the dense GEMM; same numbers up to rounding).
    public var sparseProduction: Bool = true
    /// Progress and cancellation inside blocks (SimulationProgress.swift); set by `Simulator.run`
    /// when it is given a progress reporter. Not a setting: results never depend on it.
    public var monitor: SimulationMonitor? = nil
    /// Measured genes (indices into the measured genes) whose counts are drawn; nil draws all.
    /// The other genes' counts are not drawn one by one: their sum, which the library size needs,
    /// is one Gamma–Poisson draw with the same mean and variance as the sum of their negative
    /// binomials. For Monte Carlo, which tests a few genes of thousands (SimulationShortcutTests
    /// compares library sizes and the counted genes with the full path). A block then holds only
    /// these genes' counts. Ignored with zero inflation (which acts gene by gene).
    public var countedGenes: [Int]? = nil

    public init() {}
}

/// Metadata of one simulated cell.
public struct CellRecord: Equatable, Sendable {
    /// `observedPerturbation` of a cell with no detected guide (unassigned; dropped by pipelines).
    public static let unassigned = -3
    /// Index of the cell in the whole run (0-based), the column of the count matrix.
    public var index: Int
    public var barcode: String
    public var batch: Int
    /// Animal index (in vivo) or -1.
    public var animal: Int
    public var timePointIndex: Int
    /// Sampling time (hours from protocol start).
    public var timeH: Double
    /// Age of the cell at sampling (hours since it entered; protocol time plus burn-in in vitro).
    public var ageH: Double
    /// Medium at sampling.
    public var medium: String
    /// Perturbation index in `Design.perturbations(in:)`, or -1 for a control.
    public var perturbation: Int
    /// Guides the cell really carries (names).
    public var guides: [String]
    /// Guides detected by guide capture (what an analysis sees).
    public var detectedGuides: [String]
    /// Perturbation an analysis would assign from the detected guides (-1 = control: only
    /// non-targeting guides detected, -2 = ambiguous: guides of several perturbations,
    /// `CellRecord.unassigned` (-3): no guide detected, which pipelines drop).
    public var observedPerturbation: Int
    /// Multiplet: the cell's library holds a second cell (with its guides).
    public var doublet: Bool
    /// True cell state at sampling (e.g. `baseline`, `progenitor`, `lineage_2`, `switched`).
    public var state: String
    /// UMIs counted in the cell (library size).
    public var librarySize: Int
    /// Cell type (`system.cell_types`; `all` when the design has none).
    public var cellType: String = CellTypeAssignment.pooledName
}

/// One block of simulated cells, as handed to a sink.
public struct SimulatedBlock: Sendable {
    /// Block index in the whole run.
    public var index: Int
    public var cells: [CellRecord]
    /// Counts in CSR form over the measured genes: cell j's entries are
    /// `geneIndices[offsets[j]..<offsets[j+1]]` (0-based, ascending) and `counts[...]`.
    public var offsets: [Int]
    public var geneIndices: [Int32]
    public var counts: [Int32]
    /// True states before measurement (modelled genes G × n, column-major), when requested.
    public var states: Matrix?

    public var cellCount: Int { cells.count }
    public var entryCount: Int { counts.count }
}

/// True effect of a perturbation on a gene: steady-state log2 fold change against controls in
/// the same medium (and, in differentiating systems, the same terminal state).
public struct TruthEntry: Equatable, Sendable, Codable {
    public var perturbation: String
    public var perturbationIndex: Int
    public var gene: String
    public var geneIndex: Int
    /// Attractor the comparison is made in (`baseline`, `lineage_1`, …).
    public var state: String
    public var controlLevel: Double
    public var perturbedLevel: Double
    public var log2FoldChange: Double
    /// For a combination whose components are single perturbations of the library: the true
    /// genetic interaction on this gene and state, log2(x_AB/x_0) − Σ_i log2(x_i/x_0) from the
    /// same steady states; nil for other rows.
    public var interaction: Double? = nil
}

/// What a run made: its totals, the same on every run of one model and shard (the answer; timings
/// and work counters are `SimulationStats`, returned alongside by `Simulator.run`).
public struct SimulationSummary: Sendable, Codable, Equatable {
    /// The seed the run was made with.
    public var seed: UInt64
    /// Cells simulated (this shard's).
    public var cells: Int
    /// Cells of the whole run.
    public var totalCells: Int
    /// Measured genes.
    public var genes: Int
    /// Nonzero counts.
    public var entries: Int
    /// Blocks simulated and the first of them.
    public var blocks: Int
    /// Index of the first block simulated (a shard's offset in the run).
    public var firstBlock: Int
}

/// How a run went: timings (seconds) and work counters. They differ from run to run and machine to
/// machine, so they are kept apart from the totals (`SimulationSummary`); run.json's `timings_s`
/// and `screenplan bench` report them.
public struct SimulationStats: Sendable, Codable, Equatable {
    /// Seconds compiling the model, when `Simulator.run(design:…)` compiled it (0 otherwise:
    /// `SimulationModel.setupSeconds` has it).
    public var setupSeconds: Double = 0
    /// Wall-clock seconds of dynamics and of measurement (each wave's wall time split by the
    /// workers' shares).
    public var dynamicsSeconds: Double = 0
    public var measurementSeconds: Double = 0
    /// Wall-clock seconds in the sink (writing), on the calling thread.
    public var sinkSeconds: Double = 0
    /// Wall-clock seconds of the whole run.
    public var seconds: Double = 0
    /// Floating-point operations of the dynamics GEMMs (2·m·n·k each).
    public var dynamicsFlops: Double = 0
    /// Thread-seconds spent in the dynamics step (summed over workers).
    public var dynamicsThreadSeconds: Double = 0
    /// Thread-seconds inside the dynamics GEMMs, and in measurement (summed over workers).
    public var gemmThreadSeconds: Double = 0
    public var measurementThreadSeconds: Double = 0
    /// Cell-steps the regulator GEMM covered (Σ over steps of the columns alive in its run), for
    /// per-step rates.
    public var cellSteps: Double = 0
    /// Cell-steps between each cell's start and its sampling time, summed over cells: the work of
    /// a cell-by-cell integrator. `cellSteps` exceeds it only where a step's GEMM run spans a
    /// column that has already been sampled while later-starting columns are still alive.
    public var activeCellSteps: Double = 0
    /// Thread-seconds and GEMM flops of the per-step loop alone (channels, regulator GEMM, update).
    public var stepThreadSeconds: Double = 0
    /// CPU-seconds (CLOCK_THREAD_CPUTIME_ID) of the per-step loop, summed over workers.
    public var stepCPUSeconds: Double = 0
    /// GEMM flops of the per-step loop (`screenplan bench` divides them by `stepCPUSeconds`).
    public var stepFlops: Double = 0

    /// All zero: `Simulator.run` adds each block's figures.
    public init() {}
}

/// A problem that stops a simulation: what in the design makes it impossible.
public enum SimulationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Sampling and batching give no cells.
    case emptyPlan
    /// The plan and the network disagree on the number of perturbations.
    case perturbationCount(plan: Int, network: Int)
    /// A protocol step names a medium that `system.media` does not define.
    case unknownMedium(String)

    /// The sentence a user reads (the command prints it; tests check its wording).
    public var message: String {
        switch self {
        case .emptyPlan: "the design's plan has no cells (check sampling and batching)"
        case .perturbationCount(let plan, let network):
            "the plan has \(plan) perturbations but the network yields \(network)"
        case .unknownMedium(let name): "protocol medium `\(name)` is not in system.media"
        }
    }

    /// The message, as `print` and string interpolation show the error.
    public var description: String { message }
}
