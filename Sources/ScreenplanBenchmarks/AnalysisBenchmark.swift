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
    /// layout, error model, power, recommendations), `reanalysis_cells_s` (after changing
    /// cells per perturbation: layout and error model again), `reanalysis_interaction_s`
    /// (after changing ω: error model only), `reanalysis_reads_s`, plus `perturbations`, `genes`,
    /// `batches` and `median_power`. The best of `repeats` runs is reported for re-analyses.
    public static func run(repeats: Int = 3) throws -> [String: Double] {
        let d = genomeScaleDesign()
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
        func best(_ edit: (inout Design, Int) -> Void) throws -> Double {
            var fastest = Double.infinity
            for i in 0..<max(1, repeats) {
                var e = d
                edit(&e, i)
                fastest = min(fastest, try time { _ = try analyzer.analyze(e) })
            }
            return fastest
        }
        out["reanalysis_cells_s"] = try best { e, i in e.sampling.cellsPerPerturbation = 120 + i }
        out["reanalysis_interaction_s"] = try best { e, i in e.batching.interactionSd = 0.05 + 0.01 * Double(i) }
        out["reanalysis_reads_s"] = try best { e, i in e.measurement.readsPerCell = 30000 + 1000 * Double(i) }
        return out
    }
}
