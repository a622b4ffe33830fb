import ArgumentParser
import ScreenplanBenchmarks
import ScreenplanCommands
import ScreenplanCore

// MARK: - The options several commands share
//
// Declared once as option groups so their names, defaults and help texts are the same in every
// command (docs/cli.md: one wording each; what the JSON of a command holds and what its seed
// seeds is in that command's discussion, shown above the options in `--help`).

/// The design file argument of every command that reads one design (analyze, fit, montecarlo,
/// optimize, report, simulate): declared once so its help text and name (`<design>`) are the
/// same everywhere. Commands that take several designs or an optional one keep their own.
struct DesignArgument: ParsableArguments {
    @Argument(help: "Design file (YAML or JSON).")
    var design: String
}

/// `--json`: machine-readable output on standard output instead of the text tables (analyze,
/// compare, optimize, montecarlo, fit, bench, calibrate).
struct JSONOption: ParsableArguments {
    @Flag(help: "Print JSON instead of text (what it holds: see OVERVIEW).")
    var json = false
}

/// `--seed`: the random seed of a command that simulates (simulate, montecarlo, fit); the same
/// seed gives the same bytes whatever `--threads`.
struct SeedOption: ParsableArguments {
    @Option(help: "Random seed; the same seed gives the same results (what it seeds: see OVERVIEW).")
    var seed: UInt64 = 1
}

/// `--threads`: worker threads of a command that simulates on all cores (simulate, bench),
/// refused outside [1, `maxThreads`] before any work.
struct ThreadsOption: ParsableArguments {
    @Option(help: "Worker threads (default: all cores). Results do not depend on it.")
    var threads: Int?

    func validate() throws {
        if let threads, !(1...maxThreads).contains(threads) {
            throw CommandFailure.input("--threads must be in [1, \(maxThreads)] (got \(threads))")
        }
    }
}

// MARK: - Enum-like option values

/// The option values parse through `ExpressibleByArgument` (one parser per type; the choosable
/// values feed completion). Options declare them with `transform: optionValue(Type.refusal)`
/// so a refused value is reported in screenplan's words with exit 2 (`screenplan: --format:
/// \`loom\` is not a format; valid: mtx, h5ad`), not argument-parser's generic message.
func optionValue<T: ExpressibleByArgument>(_ refusal: @escaping @Sendable (String) -> String)
    -> @Sendable (String)
    throws -> T
{
    { text in
        guard let value = T(argument: text) else { throw CommandFailure.input(refusal(text)) }
        return value
    }
}

/// `--layouts a,b,c`: comma-separated layout names, each parsed as `--layout` is.
func layoutList(_ text: String) throws -> [LayoutStrategy] {
    let parse: (String) throws -> LayoutStrategy = optionValue(LayoutStrategy.refusal)
    return try text.split(separator: ",").map { try parse($0.trimmingCharacters(in: .whitespaces)) }
}

/// Layouts chosen on the command line: every strategy but `explicit` (written in the design).
extension LayoutStrategy: ExpressibleByArgument {
    public init?(argument: String) {
        guard let strategy = LayoutStrategy(rawValue: argument), strategy != .explicit else { return nil }
        self = strategy
    }

    public static var allValueStrings: [String] { allCases.filter { $0 != .explicit }.map(\.rawValue) }
}

/// `--format mtx|h5ad` of `simulate`.
extension SimulationFormat: ExpressibleByArgument {}

/// `--workload NAME` of `bench`.
extension BenchmarkWorkload: ExpressibleByArgument {
    /// What a refused `--workload NAME` says.
    static func refusal(_ name: String) -> String {
        "--workload: `\(name)` is not a workload; valid: \(BenchmarkWorkload.allCases.map(\.rawValue).joined(separator: ", "))"
    }
}

/// `--modality` of `calibrate`.
extension Modality: ExpressibleByArgument {}

/// `--shard I/N` of `simulate` (1-based on the command line).
extension ShardSpec: ExpressibleByArgument {
    public init?(argument: String) {
        guard let shard = ShardSpec.parse(argument) else { return nil }
        self = shard
    }
}
