import Foundation
import ScreenplanCore

// MARK: - Benchmark of the analysis targets
//
// Genome-scale: 10,000 perturbations over 2,000 modelled and measured genes in 48 lanes, analysed
// in ≤ 1 s; re-analysis after one parameter change in ≤ 50 ms. A generated network has at most
// one single-gene perturbation per gene, so the 10,000 perturbations are the 2,000 genes plus
// 8,000 gene pairs (combinations), which the linear response treats like any other action.

public enum AnalysisBenchmark {
    /// The genome-scale benchmark design.
    public static func genomeScaleDesign() -> Design {
        var d = Design()
        d.name = "genome-scale analysis benchmark"
        d.system.genes = 2000
        d.system.network.regulators = 200
        d.measurement.measuredGenes = 2000
        d.perturbations.targets = 2000
        var pairs: [[String]] = []
        var rng = RandomStream(seed: 42, domain: .layout, 99)
        while pairs.count < 8000 {
            let a = Int(rng.next() % 2000)
            let b = Int(rng.next() % 2000)
            if a != b { pairs.append([Design.generatedGeneName(a, of: 2000), Design.generatedGeneName(b, of: 2000)]) }
        }
        d.perturbations.combinations = pairs
        d.sampling.cellsPerPerturbation = 100
        d.batching.batches = 48
        d.batching.maxCellsPerBatch = 100_000
        return d
    }

    /// Timings (seconds) and sizes: `full_analysis_s` (network, steady state, linear response,
    /// layout, error model, power, recommendations), and re-analyses as a TUI keystroke does
    /// them: one scalar field edited through `Design.setting` (the file's validation), then the
    /// analysis with its recommendations and their measured effects (`reanalysis`):
    /// `reanalysis_cells_s` (cells per perturbation: layout and error model again),
    /// `reanalysis_interaction_s` (ω: error model only), `reanalysis_reads_s`, and
    /// `reanalysis_headline_s` (the cells edit up to the headline evaluation, before the
    /// recommendations); plus `perturbations`, `genes`, `batches` and `median_power`. Re-analyses
    /// report the median of `repeats` runs, each on a value not analysed before.
    public static func run(repeats: Int = 5) throws -> [String: Double] {
        // As a user's file: read once, then edited field by field.
        let d = try DesignLoader.load(text: genomeScaleDesign().yamlText(), file: "(benchmark)").design
        func time(_ work: () throws -> Void) rethrows -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            try work()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        let analyzer = Analyzer()
        var result: AnalysisResult?
        let full = try time { result = try analyzer.analyze(d) }
        var out: [String: Double] = [
            "full_analysis_s": full, "perturbations": Double(d.perturbationCount),
            "genes": Double(d.measurement.measuredGenes), "batches": Double(d.batching.batches),
            "median_power": result?.summary.medianPower ?? 0,
        ]
        func medianTime(_ path: String, headlineOnly: Bool = false, _ value: (Int) -> String) throws -> Double {
            var times: [Double] = []
            for i in 0..<max(1, repeats) {
                times.append(
                    try time {
                        let edited = try d.setting(path, to: value(i))
                        if headlineOnly {
                            _ = try analyzer.evaluate(edited)
                        } else {
                            _ = try reanalysis(edited, analyzer: analyzer)
                        }
                    })
            }
            return median(times)
        }
        out["reanalysis_cells_s"] = try medianTime("sampling.cells_per_perturbation") { String(120 + $0) }
        out["reanalysis_interaction_s"] = try medianTime("batching.interaction_sd") { String(0.05 + 0.01 * Double($0)) }
        out["reanalysis_reads_s"] = try medianTime("measurement.reads_per_cell") { String(30000 + 1000 * $0) }
        out["reanalysis_headline_s"] = try medianTime("sampling.cells_per_perturbation", headlineOnly: true) {
            String(140 + $0)
        }
        return out
    }

    /// What the TUI computes for an edited design before it shows the Analysis screen: the
    /// evaluation, its recommendations with their measured effects, and the power per cell type.
    static func reanalysis(_ design: Design, analyzer: Analyzer) throws -> AnalysisResult {
        var result = try analyzer.analyze(design)
        result.cellTypes = try CellTypePower.compute(design, analyzer: analyzer)
        return result
    }
}
