import ArgumentParser
import Foundation
import ScreenplanCommands
import ScreenplanCore

/// `screenplan simulate DESIGN --out DIR`: counts in the 10x layout with per-cell metadata,
/// true effects and run information; deterministic per seed, shardable.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract:
            "Simulate a screen: 10x counts (matrix.mtx.gz, barcodes.tsv.gz, features.tsv.gz), cells.tsv, truth.tsv, run.json; or simulation.h5ad with --format h5ad.",
        discussion: """
            The same seed gives the same bytes whatever the number of threads. With --shard I/N only \
            the I-th of N parts is simulated; `screenplan merge` joins the parts into exactly the \
            unsharded output. The output is written to a temporary sibling directory and renamed \
            at the end, so a failure leaves nothing half-written. --seed seeds every random draw of \
            the cells; the network is the design's (system.network.seed or its file).
            """)

    @OptionGroup var designArgument: DesignArgument
    /// The design file path (`DesignArgument`).
    var design: String { designArgument.design }

    @Option(name: .long, help: "Output directory (must not exist unless --force).")
    var out: String

    @OptionGroup var seedOption: SeedOption
    /// The random seed of the run (`SeedOption`).
    var seed: UInt64 { seedOption.seed }

    @Option(
        name: .long, help: "Simulate only part I of N (1-based), e.g. --shard 2/8.",
        transform: optionValue(ShardSpec.refusal))
    var shard: ShardSpec?

    @Flag(name: .long, help: "Also write the true states before measurement (states.mtx.gz).")
    var states = false

    @Flag(name: .long, help: "Replace an existing output directory.")
    var force = false

    @Option(
        name: .long,
        help:
            "Output format: mtx (10x layout) or h5ad (AnnData: simulation.h5ad, truth.tsv, run.json). (default: mtx)",
        transform: optionValue(SimulationFormat.refusal))
    var format: SimulationFormat = .mtx

    @OptionGroup var threadsOption: ThreadsOption
    /// Worker threads (`ThreadsOption`, validated there).
    var threads: Int? { threadsOption.threads }

    func run() throws {
        let bar = TerminalProgressBar(label: "simulate")
        SignalGuard.install("simulate", cancelling: bar.reporter)
        let fmt = format
        if fmt == .h5ad && states {
            throw CommandFailure.input(
                "--states is written with --format mtx (states.mtx.gz); h5ad holds the measured counts")
        }
        let shardSpec = shard
        // The output is checked before anything is simulated: an empty, protected, foreign,
        // dangling or read-only --out is refused at once (docs/reliability.md).
        try checkOutputFolder(out, force: force, inputs: [design])
        let loaded = try DesignLoader.load(path: design)
        try checkOutputFolder(out, force: force, inputs: runInputs(design, loaded))
        var options = SimulationOptions()
        options.keepStates = states
        if let threads { options.threads = threads }
        // SIGINT/SIGTERM cancel the run in any phase: the writer then removes its temporary
        // directory, so an interrupted run leaves nothing behind (SignalGuard).
        do {
            let network = try NetworkLoader.network(for: loaded)
            let model = try Simulator.prepare(design: loaded.design, network: network, seed: seed, options: options)
            bar.start()
            let info =
                fmt == .h5ad
                ? try SimulationH5AD.writeRun(
                    model: model, to: out, shard: shardSpec, options: options, force: force,
                    progress: bar.reporter)
                : try TenXWriter.write(
                    model: model, to: out, shard: shardSpec, options: options, force: force,
                    progress: bar.reporter)
            bar.finish()
            let s = info.summary
            let part = shardSpec.map { " (shard \($0))" } ?? ""
            print(
                "wrote \(s.cells) cells × \(s.genes) genes, \(s.entries) counts\(part) to \(out) in \(String(format: "%.1f", info.totalSeconds)) s"
            )
        } catch let error as OutputExistsError {
            bar.finish()
            throw CommandFailure.input(error.description)
        } catch let error as UnsafeOutputError {
            bar.finish()
            throw CommandFailure.input(error.description)
        } catch let error as DesignValidationError {
            bar.finish()
            throw error
        } catch is CancelledError {
            bar.finish()
            throw CommandFailure.runtime("simulate cancelled; nothing was written to \(out)")
        } catch {
            bar.finish()
            throw CommandFailure.runtime("simulate failed: \(modelFailureHint(error) ?? "\(error)")")
        }
    }
}
