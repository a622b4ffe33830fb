import ArgumentParser
import Foundation
import ScreenplanBenchmarks
import ScreenplanCommands
import ScreenplanCore
import ScreenplanTUI

/// `screenplan bench [--json] [--workload NAME] [--cells N]`: the fixed benchmark workloads, end
/// to end (simulate and write the 10x output), with the dgemm rate of the same shapes measured in
/// the same run, peak memory, and the speed-up over a straightforward NumPy Langevin loop.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run the benchmark workloads (one per regime) and report cells/s, GFLOP/s, peak memory.",
        discussion: """
            Without --workload each workload runs in its own process, so peak memory is per workload. \
            The NumPy comparison runs bench/numpy_langevin.py (found from the current directory or \
            $SCREENPLAN_NUMPY_SCRIPT) on a subset of cells and scales it to the steps the workload's \
            cells are alive, in two forms: \
            "vs NumPy" with the production term over regulator columns (G × regulators), "vs dense" \
            over the network's G × G adjacency matrix. JSON (--json): one object per workload in an array.
            """)

    @OptionGroup var jsonOption: JSONOption
    /// `--json` (`JSONOption`).
    var json: Bool { jsonOption.json }

    @Option(
        name: .long, help: "Run one workload: \(BenchmarkWorkload.allCases.map(\.rawValue).joined(separator: ", ")).",
        transform: optionValue(BenchmarkWorkload.refusal))
    var workload: BenchmarkWorkload?

    @Option(name: .long, help: "Cells per workload.")
    var cells: Int = 100_000

    @OptionGroup var threadsOption: ThreadsOption
    /// Worker threads (`ThreadsOption`).
    var threads: Int? { threadsOption.threads }

    @Flag(name: .long, help: "Skip the NumPy comparison.")
    var noNumpy = false

    @Option(name: .long, help: "Cells the NumPy loop simulates (scaled per cell-step).")
    var numpyCells: Int = 4

    @Flag(
        name: .long,
        help: """
            Run the design workloads instead: genome-scale analysis and re-analysis, TUI first frame and \
            keystroke, and `fit` on the K562 sample screen.
            """)
    var design = false

    @Flag(
        name: .long,
        help: """
            Run the peer benchmark instead: screenplan, sergio-rs and SERGIO on SERGIO's E. coli network \
            and a 2,000-gene generated network (bench/peers.py, run with --python).
            """)
    var peers = false

    @Option(
        name: .long,
        help: """
            Python of the peer benchmark (with sergio-rs and sergio-scSim); default $SCREENPLAN_PYTHON, \
            then .venv/bin/python, then python3.
            """)
    var python: String?

    @Option(name: .long, help: "Cells per network in the peer benchmark.")
    var peerCells: Int = 21_000

    @Option(name: .long, help: "Peer networks: ecoli, generated or both (comma-separated).")
    var peerNetworks: String = "ecoli,generated"

    @Option(name: .long, help: "With --design: the design `montecarlo` is timed on (the liver sample by default).")
    var montecarloDesign = "sample-screens/liver-invivo-crispr.yaml"

    @Option(name: .long, help: "With --design: montecarlo replicates (0 skips the workload).")
    var montecarloReps = 30

    @Option(name: .long, help: "With --design: montecarlo runs; the median is reported.")
    var montecarloRepeats = 3

    func run() throws {
        if cells < 1 { throw CommandFailure.input("--cells must be at least 1") }
        if design { return try runDesignWorkloads() }
        if peers { return try runPeers() }
        if let w = workload {
            let result = try runWorkload(w)
            if json { print(try Self.encode([result])) } else { Self.printTable([result]) }
            return
        }
        // One process per workload, so that peak memory is that workload's.
        var results: [[String: Any]] = []
        for w in BenchmarkWorkload.allCases {
            var args = [
                "bench", "--json", "--workload", w.rawValue, "--cells", String(cells), "--numpy-cells",
                String(numpyCells),
            ]
            if let threads { args += ["--threads", String(threads)] }
            if noNumpy { args.append("--no-numpy") }
            if !json { FileHandle.standardError.write(Data("bench: \(w.rawValue)…\n".utf8)) }
            let output = try Self.runSelf(args)
            guard let data = output.data(using: .utf8),
                let array = try JSONSerialization.jsonObject(with: data) as? [[String: Any]], let first = array.first
            else {
                throw CommandFailure.runtime("bench: workload \(w.rawValue) printed no result")
            }
            results.append(first)
        }
        if json { print(try Self.encode(results)) } else { Self.printTable(results) }
    }

    func runWorkload(_ w: BenchmarkWorkload) throws -> [String: Any] {
        var options = SimulationOptions()
        if let threads { options.threads = threads }
        let design = w.design(cells: cells)
        let t0 = Date()
        let network = NetworkGenerator.generate(design.system)
        let model = try Simulator.prepare(design: design, network: network, seed: 1, options: options)
        let k = model.kinetics
        // dgemm of the dynamics step's shapes, on the same workers, single-threaded BLAS each.
        let peakBefore = Self.dgemmRate(
            m: k.regulatorCount, n: options.blockSize, k: k.channelCount, workers: options.threads)
        let dir = NSTemporaryDirectory() + "screenplan-bench-\(getpid())-\(w.rawValue)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let info = try TenXWriter.write(model: model, to: dir, shard: nil, options: options, force: true)
        let seconds = Date().timeIntervalSince(t0)
        let s = info.summary
        let stats = info.stats
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let rssMB = Double(usage.ru_maxrss) / 1024
        // The dynamics step (channels, regulator GEMM, update) on `threads` workers, each with
        // single-threaded BLAS: its GEMM flops per CPU-second of the step loop, times the workers,
        // next to dgemm of the same shapes per CPU-second on the same workers. CPU time (not wall
        // time) keeps the ratio honest when other processes share the cores.
        let dynamicsGflops =
            stats.stepCPUSeconds > 0
            ? stats.stepFlops / stats.stepCPUSeconds * Double(options.threads) / 1e9 : 0
        let peakAfter = Self.dgemmRate(
            m: k.regulatorCount, n: options.blockSize, k: k.channelCount, workers: options.threads)
        let peak = max(peakBefore, peakAfter)
        var ownUsage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &ownUsage)
        let cpuSeconds =
            Double(ownUsage.ru_utime.tv_sec) + Double(ownUsage.ru_utime.tv_usec) * 1e-6
            + Double(ownUsage.ru_stime.tv_sec) + Double(ownUsage.ru_stime.tv_usec) * 1e-6
        var result: [String: Any] = [
            "name": w.rawValue,
            "cells": s.cells,
            "genes": s.genes,
            "regulators": k.regulatorCount,
            "channels": k.channelCount,
            "threads": options.threads,
            "seconds": seconds,
            "cpu_seconds": cpuSeconds,
            "simulate_seconds": info.totalSeconds,
            "dynamics_seconds": stats.dynamicsSeconds,
            "step_cpu_seconds": stats.stepCPUSeconds,
            "cells_per_second": Double(s.cells) / seconds,
            "count_entries": s.entries,
            "count_entries_per_second": Double(s.entries) / seconds,
            "mean_umis_per_cell": design.expectedUMIsPerCell,
            "dynamics_gflops": dynamicsGflops,
            "dgemm_gflops": peak,
            "dynamics_fraction_of_dgemm": peak > 0 ? dynamicsGflops / peak : 0,
            "cell_steps": stats.cellSteps,
            "active_cell_steps": stats.activeCellSteps,
            "peak_rss_mb": rssMB,
        ]
        if !noNumpy, let numpy = try? Self.numpyRates(network: network, design: design, cells: numpyCells) {
            result["numpy_seconds_per_cell_step"] = numpy.regulators
            // The cell-by-cell NumPy loop steps each cell only while it is alive.
            result["numpy_estimated_seconds"] = numpy.regulators * stats.activeCellSteps
            result["speedup_vs_numpy"] = numpy.regulators * stats.activeCellSteps / seconds
            result["numpy_dense_seconds_per_cell_step"] = numpy.dense
            result["speedup_vs_numpy_dense"] = numpy.dense * stats.activeCellSteps / seconds
        }
        return result
    }

    /// The peer benchmark: bench/peers.py (an independent client) builds each network from the
    /// peers' own code, runs sergio-rs, `screenplan simulate --states` (this executable) and SERGIO
    /// on it, and compares their clean expression per gene.
    func runPeers() throws {
        if peerCells < 2 { throw CommandFailure.input("--peer-cells must be at least 2") }
        let env = ProcessInfo.processInfo.environment
        let fm = FileManager.default
        let interpreter =
            python ?? env["SCREENPLAN_PYTHON"]
            ?? (fm.isExecutableFile(atPath: ".venv/bin/python") ? ".venv/bin/python" : "python3")
        let script = env["SCREENPLAN_PEERS_SCRIPT"] ?? "bench/peers.py"
        guard fm.fileExists(atPath: script) else {
            throw CommandFailure.runtime(
                "bench --peers: no \(script) (run from the repository or set SCREENPLAN_PEERS_SCRIPT)")
        }
        let me =
            CommandLine.arguments[0].hasPrefix("/")
            ? CommandLine.arguments[0]
            : fm.currentDirectoryPath + "/" + CommandLine.arguments[0]
        var args = [interpreter, script, "--screenplan", me, "--cells", String(peerCells), "--networks", peerNetworks]
        if let threads { args += ["--threads", String(threads)] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = args
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let results = try JSONSerialization.jsonObject(with: data) as? [[String: Any]]
        else {
            throw CommandFailure.runtime(
                "bench --peers: \(script) failed (status \(process.terminationStatus)); it needs sergio-rs and sergio-scSim in \(interpreter) (make python-deps)"
            )
        }
        if json {
            print(try Self.encode(results))
            return
        }
        func num(_ d: [String: Any]?, _ k: String, _ f: String) -> String {
            guard let v = d?[k] as? Double ?? (d?[k] as? Int).map(Double.init) else { return "n/a" }
            return String(format: f, v)
        }
        print(
            "network     genes   simulator    cells   seconds  gene·cells/s  × this/peer  mean diff (median)  variance ratio (median)"
        )
        for r in results {
            let name = (r["network"] as? String ?? "").padding(toLength: 10, withPad: " ", startingAt: 0)
            let genes = num(r, "genes", "%6.0f")
            for (key, label, speedup, agreement) in [
                ("screenplan", "screenplan", nil, nil),
                ("sergio_rs", "sergio-rs", "speedup_vs_sergio_rs", "screenplan_vs_sergio_rs"),
                ("sergio", "SERGIO", "speedup_vs_sergio", "screenplan_vs_sergio"),
            ] {
                let d = r[key] as? [String: Any]
                let agree = agreement.flatMap { r[$0] as? [String: Any] }
                print(
                    "\(name) \(genes)   \(label.padding(toLength: 10, withPad: " ", startingAt: 0)) \(num(d, "cells", "%7.0f")) \(num(d, "seconds", "%9.2f")) \(num(d, "gene_cells_per_second", "%13.3g")) \(speedup.map { num(r, $0, "%11.1f") + "×" } ?? "           -") \(agree.map { num($0, "mean_relative_difference_median", "%18.3f") } ?? "                 -") \(agree.map { num($0, "variance_ratio_median", "%24.3f") } ?? "                       -")"
                )
            }
        }
        print(
            "(mean diff and variance ratio: screenplan against that peer, per gene; × this/peer: screenplan's gene·cells/s over the peer's)"
        )
        fflush(nil)
    }

    /// GFLOP/s of `workers` threads each running single-threaded dgemm of m × k × n: flops per
    /// CPU-second of each worker, summed over workers; the best of three rounds.
    static func dgemmRate(m: Int, n: Int, k: Int, workers: Int) -> Double {
        BLAS.setThreads(1)
        let a = Matrix(rows: m, cols: k, repeating: 0.5)
        let b = Matrix(rows: k, cols: n, repeating: 0.25)
        let flops = 2.0 * Double(m) * Double(n) * Double(k)
        let reps = max(1, Int(2e9 / max(1, flops)))  // ~2 GFLOP per worker and round
        var best = 0.0
        for _ in 0..<3 {
            let rates = Locked([Double](repeating: 0, count: workers))
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                var c = Matrix(rows: m, cols: n)
                let t0 = threadCPUSeconds()
                for _ in 0..<reps { BLAS.gemm(a, b, into: &c) }
                let rate = flops * Double(reps) / max(1e-9, threadCPUSeconds() - t0) / 1e9
                rates.withLock { $0[w] = rate }
            }
            best = max(best, rates.current.reduce(0, +))
        }
        return best
    }

    /// Seconds per cell-step of bench/numpy_langevin.py on the same network, with its production
    /// term over regulator columns (`regulators`) and over the G × G adjacency matrix (`dense`).
    static func numpyRates(network: Network, design: Design, cells: Int) throws -> (regulators: Double, dense: Double) {
        let script = ProcessInfo.processInfo.environment["SCREENPLAN_NUMPY_SCRIPT"] ?? "bench/numpy_langevin.py"
        guard FileManager.default.fileExists(atPath: script) else { throw CommandFailure.runtime("no \(script)") }
        let dir = NSTemporaryDirectory() + "screenplan-numpy-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try NetworkFile.write(network, edgesPath: dir + "/edges.tsv", genesPath: dir + "/genes.tsv")
        func rate(form: String) throws -> Double {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "python3", script, "--edges", dir + "/edges.tsv", "--genes", dir + "/genes.tsv",
                "--cells", String(cells), "--steps", "50", "--dt", String(design.system.timeStepH),
                "--noise", String(design.system.intrinsicNoise), "--form", form,
            ]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0,
                let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                let rate = obj["seconds_per_cell_step"] as? Double
            else {
                throw CommandFailure.runtime("numpy benchmark failed (\(form))")
            }
            return rate
        }
        return (try rate(form: "regulators"), try rate(form: "dense"))
    }

    static func runSelf(_ args: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(
            fileURLWithPath: CommandLine.arguments[0].hasPrefix("/")
                ? CommandLine.arguments[0] : FileManager.default.currentDirectoryPath + "/" + CommandLine.arguments[0])
        process.arguments = args
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CommandFailure.runtime("bench child failed (\(process.terminationStatus))")
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func encode(_ results: [[String: Any]]) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: results, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    static func printTable(_ results: [[String: Any]]) {
        func num(_ r: [String: Any], _ k: String, _ f: String) -> String {
            (r[k] as? Double).map { String(format: f, $0) } ?? (r[k] as? Int).map { String(format: f, Double($0)) }
                ?? "-"
        }
        print(
            "workload                         cells   seconds  cells/s  entries/s  dyn GF/s  dgemm GF/s  dyn/dgemm  RSS MB  vs NumPy  vs dense"
        )
        for r in results {
            let name = (r["name"] as? String ?? "").padding(toLength: 30, withPad: " ", startingAt: 0)
            print(
                "\(name) \(num(r, "cells", "%7.0f")) \(num(r, "seconds", "%9.1f")) \(num(r, "cells_per_second", "%8.0f")) \(num(r, "count_entries_per_second", "%10.3g")) \(num(r, "dynamics_gflops", "%9.1f")) \(num(r, "dgemm_gflops", "%11.1f")) \(num(r, "dynamics_fraction_of_dgemm", "%10.2f")) \(num(r, "peak_rss_mb", "%7.0f")) \(num(r, "speedup_vs_numpy", "%8.0f"))× \(num(r, "speedup_vs_numpy_dense", "%8.0f"))×"
            )
        }
        fflush(nil)
    }

    /// The targets of the analysis (≤ 1 s genome-scale, ≤ 50 ms re-analysis), the TUI (≤ 300 ms
    /// first frame, ≤ 16 ms keystroke) and learnability (`fit` ≤ 2 min on a sample screen).
    func runDesignWorkloads() throws {
        let analysis = try AnalysisBenchmark.run()
        let document = try DesignDocument.embeddedDefault()
        let tui = [(80, 24), (160, 48)].map { w, h -> [String: Any] in
            let r = benchmarkRender(document: document, engine: tuiEngine(), width: w, height: h)
            return [
                "size": "\(w)x\(h)", "first_frame_ms": r.firstFrameMs, "keystroke_mean_ms": r.keystrokeMs,
                "keystroke_p95_ms": r.keystrokeP95Ms, "keystroke_max_ms": r.keystrokeMaxMs,
                "nudge_to_analysed_frame_ms": r.nudgeToAnalysedFrameMs,
                "nudge_to_headline_frame_ms": r.nudgeToHeadlineFrameMs,
            ]
        }
        let fit = try LearnabilityBenchmark.run(design: document.design)
        var montecarlo: [String: Double] = [:]
        if montecarloReps > 0 {
            montecarlo = try MonteCarloBenchmark.run(
                design: try loadDesign(montecarloDesign), replicates: max(2, montecarloReps),
                repeats: montecarloRepeats)
        }
        // A figure the fit could not estimate is null, never a sentinel.
        let fitJSON = fit.mapValues { $0.isFinite ? $0 as Any : NSNull() }
        var result: [String: Any] = ["analysis": analysis, "tui": tui, "fit": fitJSON]
        if !montecarlo.isEmpty { result["montecarlo"] = montecarlo }
        if json {
            let data = try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        for (key, value) in analysis.sorted(by: { $0.key < $1.key }) {
            print("analysis \(key): \(String(format: "%.4g", value))")
        }
        for row in tui {
            print(
                "tui \(row["size"]!): first frame \(String(format: "%.1f", row["first_frame_ms"] as! Double)) ms, keystroke mean \(String(format: "%.2f", row["keystroke_mean_ms"] as! Double)) ms, p95 \(String(format: "%.2f", row["keystroke_p95_ms"] as! Double)) ms, nudge to analysed frame \(String(format: "%.1f", row["nudge_to_analysed_frame_ms"] as! Double)) ms, to headline frame \(String(format: "%.1f", row["nudge_to_headline_frame_ms"] as! Double)) ms"
            )
        }
        for (key, value) in fit.sorted(by: { $0.key < $1.key }) {
            print("fit \(key): \(value.isFinite ? String(format: "%.4g", value) : "n/a (not finite)")")
        }
        for (key, value) in montecarlo.sorted(by: { $0.key < $1.key }) {
            print("montecarlo \(key): \(String(format: "%.4g", value))\(key.hasSuffix("_s") ? " s" : "")")
        }
    }
}
