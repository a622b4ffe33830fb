import Foundation
import ScreenplanCore

// MARK: - Benchmark pilots for `screenplan calibrate --bench`
//
// The bench writes synthetic pilots as plain Matrix Market files (genes × cells, each cell's
// entries together, as 10x writes them) and times `Calibration.estimate` on them: 20,000 cells ×
// 300 genes (target ≤ 5 s) and 100,000 cells × 20,000 genes (target ≤ 60 s, ≤ 2 GB). Counts are
// a throughput workload, not a realism test: each cell's library ~ LogNormal(log median, 0.5)
// molecules drawn from gene shares ~ LogNormal(0, 1.5) (Walker's alias method), with a Gamma(θ=2)
// multiplier per cell on a tenth of the genes for overdispersion. Streams are addressed by cell.

public enum CalibrationBenchmark {
    /// Writes `cells` × `genes` synthetic counts with a median library of `medianUMIs` into
    /// `dir` (counts.mtx, genes.txt); returns the matrix path and the number of entries.
    public static func writePilot(dir: String, cells: Int, genes: Int, medianUMIs: Double, seed: UInt64 = 11) throws
        -> (String, Int)
    {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let width = max(5, String(genes).count)
        let names = (0..<genes).map { i -> String in
            let d = String(i + 1)
            return "GENE" + String(repeating: "0", count: max(0, width - d.count)) + d
        }
        try (names.joined(separator: "\n") + "\n").write(toFile: dir + "/genes.txt", atomically: true, encoding: .utf8)
        var rng = RandomStream(seed: seed, domain: .measurement, 9_000_000)
        var share = (0..<genes).map { _ in Foundation.exp(1.5 * rng.normal()) }
        let total = share.reduce(0, +)
        share = share.map { $0 / total }
        // Walker's alias table.
        var prob = share.map { $0 * Double(genes) }
        var alias = [Int32](repeating: 0, count: genes)
        var small: [Int] = []
        var large: [Int] = []
        for (i, p) in prob.enumerated() { if p < 1 { small.append(i) } else { large.append(i) } }
        while let s = small.popLast(), let l = large.last {
            alias[s] = Int32(l)
            prob[l] -= 1 - prob[s]
            if prob[l] < 1 {
                large.removeLast()
                small.append(l)
            }
        }
        for i in large { prob[i] = 1 }
        for i in small { prob[i] = 1 }
        // Pass 1 would be needed for the entry count; draw each cell twice instead (same stream).
        func drawCell(_ c: Int, _ counts: inout [Int32], _ touched: inout [Int32]) {
            var r = RandomStream(seed: seed, domain: .measurement, 9_000_001, UInt64(c))
            let library = Int((medianUMIs * Foundation.exp(0.5 * r.zigguratNormal())).rounded())
            let boostStart = Int(r.next() % UInt64(max(1, genes)))
            let boost = r.gamma(shape: 2) / 2
            for _ in 0..<max(1, library) {
                let u = r.uniform() * Double(genes)
                var g = min(genes - 1, Int(u))
                if u - Double(g) >= prob[g] { g = Int(alias[g]) }
                // Overdispersion: a tenth of the genes (a window from a random start) scaled by Gamma(2)/2.
                let inWindow = (g - boostStart + genes) % genes < genes / 10
                if inWindow && r.uniform() > min(1, boost) { continue }
                if counts[g] == 0 { touched.append(Int32(g)) }
                counts[g] += 1
            }
        }
        var counts = [Int32](repeating: 0, count: genes)
        var touched: [Int32] = []
        var entries = 0
        for c in 0..<cells {
            drawCell(c, &counts, &touched)
            entries += touched.count
            for g in touched { counts[Int(g)] = 0 }
            touched.removeAll(keepingCapacity: true)
        }
        let path = dir + "/counts.mtx"
        FileManager.default.createFile(atPath: path, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw CalibrationInputError(file: path, "cannot be written")
        }
        defer { try? handle.close() }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 23)
        buffer += Array("%%MatrixMarket matrix coordinate integer general\n\(genes) \(cells) \(entries)\n".utf8)
        var digits = [UInt8](repeating: 0, count: 24)
        func put(_ v: Int) {
            var x = v
            var n = 0
            repeat {
                digits[n] = UInt8(48 + x % 10)
                x /= 10
                n += 1
            } while x > 0
            while n > 0 {
                n -= 1
                buffer.append(digits[n])
            }
        }
        for c in 0..<cells {
            drawCell(c, &counts, &touched)
            touched.sort()
            for g in touched {
                put(Int(g) + 1)
                buffer.append(32)
                put(c + 1)
                buffer.append(32)
                put(Int(counts[Int(g)]))
                buffer.append(10)
                counts[Int(g)] = 0
            }
            touched.removeAll(keepingCapacity: true)
            if buffer.count > (1 << 23) - 4096 {
                try handle.write(contentsOf: buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try handle.write(contentsOf: buffer)
        return (path, entries)
    }
}
