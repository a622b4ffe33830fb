import ArgumentParser
import Foundation
import ScreenplanBenchmarks
import ScreenplanCommands
import ScreenplanCore

/// `screenplan calibrate COUNTS -o DESIGN.yaml [--guides G --guide-targets TSV] [--cells TSV
/// --batch-column C --cell-type-column C] [--json]`: estimate a design's measurement and library
/// parameters from a pilot or reference dataset, write its expression profile and a design that
/// reproduces it.
struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Estimate a design (real genes, depth, dispersions, guides) from a pilot's counts.",
        discussion: """
            COUNTS is a 10x directory, an .h5ad file (raw counts in layers/counts, X or raw/X) or a
            Matrix Market file with its gene list (--gene-names, else genes.txt/features.tsv next to it).
            Writes DESIGN.yaml and its expression profile (--profile, default DESIGN.profile.tsv),
            every estimate commented with ± one standard error; method in docs/calibrate.md.
            JSON (--json): the estimates.
            """)

    @Argument(help: "Gene counts: 10x directory, .h5ad, or Matrix Market (.mtx[.gz]).")
    var counts: String?

    @Option(name: [.short, .customLong("output")], help: "Design file to write (YAML).")
    var output: String?

    @Flag(
        help:
            "Benchmark: time calibrate on synthetic pilots (20,000 × 300 and 100,000 × 20,000) and the real THP-1 data when found."
    )
    var bench = false

    @Option(help: .hidden)
    var benchLargeCells: Int = 100_000

    @Option(help: "Expression profile to write (default: the design's name with .profile.tsv).")
    var profile: String?

    @Option(help: "Gene list of a bare Matrix Market file (one a line, or a 10x features table).")
    var geneNames: String?

    @Option(help: "Cell barcodes of a bare Matrix Market file.")
    var barcodes: String?

    @Option(help: "gRNA counts (10x directory, .h5ad, Matrix Market gRNAs × cells) or a cell → gRNA table.")
    var guides: String?

    @Option(help: "gRNA list of a bare Matrix Market gRNA file.")
    var guideNames: String?

    @Option(help: "gRNA → target table (`gRNA<TAB>target`, target a gene or `non-targeting`).")
    var guideTargets: String?

    @Option(help: "Cell table (TSV with a header; first column the cell).")
    var cells: String?

    @Option(help: "Column of --cells holding the batch.")
    var batchColumn: String?

    @Option(help: "Column of --cells holding the cell type.")
    var cellTypeColumn: String?

    @Option(
        help: "Perturbation modality of the pilot: crispri, crispra, knockout. (default: crispri)",
        transform: optionValue(Modality.refusal))
    var modality: Modality = .crispri

    @Option(help: "UMIs a gRNA needs in a cell to count as detected.")
    var guideThreshold: Int = 5

    @Option(help: "Reads per cell of the pilot (sets mrna_per_cell through the saturation curve).")
    var readsPerCell: Double = 20000

    @Option(help: "Name written into the design.")
    var name: String?

    @OptionGroup var jsonOption: JSONOption
    /// `--json` (`JSONOption`).
    var json: Bool { jsonOption.json }

    func run() throws {
        if bench { return try runBench() }
        guard let counts else {
            throw CommandFailure.input("give the gene counts (10x directory, .h5ad or Matrix Market)")
        }
        guard let output else { throw CommandFailure.input("give the design to write with -o DESIGN.yaml") }
        let mod = modality
        guard guideThreshold >= 1 else { throw CommandFailure.input("--guide-threshold must be at least 1 UMI") }
        guard readsPerCell > 0 else { throw CommandFailure.input("--reads-per-cell must be > 0 reads") }
        if guides != nil && guideTargets == nil {
            throw CommandFailure.input("--guides needs --guide-targets (gRNA → target gene or non-targeting)")
        }
        if (batchColumn != nil || cellTypeColumn != nil) && cells == nil {
            throw CommandFailure.input("--batch-column and --cell-type-column need --cells")
        }
        var options = CalibrationOptions()
        options.modality = mod
        options.guideThreshold = guideThreshold
        options.readsPerCell = readsPerCell
        let stderr = FileHandle.standardError
        let calibration: Calibration
        do {
            let matrix = try CountMatrixReader.open(counts, features: geneNames, barcodes: barcodes)
            let table = try cells.map {
                try CellTable.read(
                    path: $0, batchColumn: batchColumn, typeColumn: cellTypeColumn,
                    countCells: matrix.cells, cellCount: matrix.cellCount)
            }
            let cellNames = matrix.cells ?? table?.names
            var assignment: GuideAssignment? = nil
            if let guides, let targetsPath = guideTargets {
                if CalibrateCommand.isTable(guides) {
                    guard let cellNames else {
                        throw CalibrationInputError(
                            file: guides, "a cell → gRNA table needs cell names: give --barcodes or --cells")
                    }
                    assignment = try GuideAssignment.fromTable(path: guides, cells: cellNames, targetsPath: targetsPath)
                } else {
                    let g = try CountMatrixReader.open(guides, features: guideNames, barcodes: nil, role: "guides")
                    let listPath =
                        guideNames
                        ?? (g is MatrixMarketCounts
                            ? (try? CountMatrixReader.siblingPath(of: guides)) ?? guides : guides)
                    let targets = try GuideAssignment.targets(
                        path: targetsPath, guides: g.features, guideListPath: listPath)
                    var order: [Int]? = nil
                    if let gc = g.cells, let mc = matrix.cells {
                        let index = Dictionary(mc.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
                        order = gc.map { index[$0] ?? -1 }
                    } else if g.cellCount != matrix.cellCount {
                        throw CalibrationInputError(
                            file: guides,
                            "shape mismatch: \(g.cellCount) cells in the gRNA counts, \(matrix.cellCount) in \(counts)")
                    }
                    assignment = try GuideAssignment.fromCounts(
                        g, targets: targets, cellCount: matrix.cellCount, cellOrder: order,
                        threshold: guideThreshold)
                }
            }
            calibration = try Calibration.estimate(
                genes: matrix, guides: assignment, cellTable: table, options: options,
                progress: json ? nil : { stderr.write(Data(("calibrate: " + $0 + "\n").utf8)) })
        } catch let error as CalibrationInputError {
            throw CommandFailure.input(error.description)
        }
        // Write the profile, then the design; remove both if anything fails.
        let designPath = output
        let dir = (designPath as NSString).deletingLastPathComponent
        var stem = (designPath as NSString).lastPathComponent
        for ext in [".yaml", ".yml", ".json"] where stem.hasSuffix(ext) { stem = String(stem.dropLast(ext.count)) }
        let profilePath = profile ?? (dir.isEmpty ? "" : dir + "/") + stem + ".profile.tsv"
        let relative = CalibrateCommand.relativePath(profilePath, from: dir)
        let fm = FileManager.default
        var done: [String] = []
        do {
            try ExpressionProfile.write(calibration, to: profilePath)
            done.append(profilePath)
            let yaml = calibration.designYAML(
                profilePath: relative, options: options,
                name: name ?? "Calibrated from \((counts as NSString).lastPathComponent)")
            let temporary = designPath + ".tmp-\(getpid())"
            try yaml.write(toFile: temporary, atomically: true, encoding: .utf8)
            done.append(temporary)
            // The written design must load and validate (profile path resolved from its folder).
            _ = try DesignLoader.load(path: temporary)
            if fm.fileExists(atPath: designPath) { try fm.removeItem(atPath: designPath) }
            try fm.moveItem(atPath: temporary, toPath: designPath)
        } catch {
            for p in done { try? fm.removeItem(atPath: p) }
            throw CommandFailure.runtime("the calibrated design could not be written: \(error)")
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(calibration), as: UTF8.self))
        } else {
            print(calibration.summaryText())
            print("Wrote \(designPath) and \(profilePath).")
        }
    }

    /// `--bench`: synthetic pilots written by the bench, timed end to end (read, estimate, write).
    func runBench() throws {
        let dir = NSTemporaryDirectory() + "screenplan-calibrate-bench-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rows: [[String: Any]] = []
        func peakMB() -> Double {
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            return Double(usage.ru_maxrss) / 1024
        }
        func time(
            _ name: String, cells: Int, genes: Int, entries: Int, target: Double, _ work: () throws -> Calibration
        ) throws {
            let start = Date()
            let c = try work()
            try ExpressionProfile.write(c, to: dir + "/bench.profile.tsv")
            try c.designYAML(profilePath: "bench.profile.tsv", options: CalibrationOptions(), name: name)
                .write(toFile: dir + "/bench.yaml", atomically: true, encoding: .utf8)
            let seconds = Date().timeIntervalSince(start)
            rows.append([
                "workload": name, "cells": cells, "genes": genes, "entries": entries, "seconds": seconds,
                "target_seconds": target, "peak_rss_mb": peakMB(), "one_pass": c.onePass,
            ])
            if !json {
                FileHandle.standardError.write(Data("bench: \(name) \(String(format: "%.2f", seconds)) s\n".utf8))
            }
        }
        let small = try CalibrationBenchmark.writePilot(dir: dir + "/small", cells: 20_000, genes: 300, medianUMIs: 200)
        try time("synthetic 20,000 × 300", cells: 20_000, genes: 300, entries: small.1, target: 5) {
            try Calibration.estimate(genes: try CountMatrixReader.open(small.0), guides: nil, cellTable: nil)
        }
        let real = "../shared/data/papalexi-thp1-lowmoi"
        if FileManager.default.fileExists(atPath: real + "/gene_counts.mtx.gz") {
            try time("Papalexi THP-1 with guides", cells: 20_729, genes: 299, entries: 1_390_126, target: 5) {
                let m = try CountMatrixReader.open(real + "/gene_counts.mtx.gz")
                let g = try CountMatrixReader.open(real + "/grna_counts.mtx.gz", role: "guides")
                let t = try GuideAssignment.targets(
                    path: real + "/grna_targets.tsv", guides: g.features, guideListPath: real + "/grnas.txt")
                let a = try GuideAssignment.fromCounts(g, targets: t, cellCount: m.cellCount, cellOrder: nil)
                let cells = try CellTable.read(
                    path: real + "/cells.tsv.gz", batchColumn: "bio_rep", typeColumn: nil, countCells: nil,
                    cellCount: m.cellCount)
                var o = CalibrationOptions()
                o.modality = .knockout
                return try Calibration.estimate(genes: m, guides: a, cellTable: cells, options: o)
            }
        }
        if benchLargeCells > 0 {
            if !json {
                FileHandle.standardError.write(
                    Data("bench: writing \(benchLargeCells) × 20,000 synthetic counts…\n".utf8))
            }
            let large = try CalibrationBenchmark.writePilot(
                dir: dir + "/large", cells: benchLargeCells, genes: 20_000, medianUMIs: 1500)
            try time(
                "synthetic \(benchLargeCells) × 20,000", cells: benchLargeCells, genes: 20_000, entries: large.1,
                target: 60
            ) {
                try Calibration.estimate(genes: try CountMatrixReader.open(large.0), guides: nil, cellTable: nil)
            }
        }
        if json {
            print(
                String(
                    decoding: try JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys]),
                    as: UTF8.self))
        } else {
            print("workload                         cells    genes      entries   seconds  target s  peak RSS MB")
            for r in rows {
                print(
                    (r["workload"] as! String).padding(toLength: 30, withPad: " ", startingAt: 0)
                        + String(
                            format: " %7d  %7d  %11d  %8.2f  %8.0f  %11.0f", r["cells"] as! Int, r["genes"] as! Int,
                            r["entries"] as! Int, r["seconds"] as! Double, r["target_seconds"] as! Double,
                            r["peak_rss_mb"] as! Double))
            }
        }
    }

    /// True for a cell → gRNA table (not a matrix).
    static func isTable(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return false
        }
        return
            !(path.hasSuffix(".mtx") || path.hasSuffix(".mtx.gz") || path.hasSuffix(".h5ad") || path.hasSuffix(".h5"))
    }

    /// `path` relative to `dir` when it lies inside it, else absolute.
    static func relativePath(_ path: String, from dir: String) -> String {
        let base = URL(fileURLWithPath: dir.isEmpty ? "." : dir).standardizedFileURL.path
        let full = URL(fileURLWithPath: path).standardizedFileURL.path
        if full.hasPrefix(base + "/") { return String(full.dropFirst(base.count + 1)) }
        return full
    }
}
