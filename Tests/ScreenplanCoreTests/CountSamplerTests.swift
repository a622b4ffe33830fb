import Foundation
import Testing

@testable import ScreenplanCore

// The measurement's count sampler (`countNegativeBinomial`: inversion below a mean of 40) against
// the exact Gamma–Poisson mixture it replaced (`fastNegativeBinomial`), over the means and
// dispersions measurements meet: below and above the inversion limit, the default θ = 1.5
// (x·√x), other half-integer θ (products), θ without that form (exp·log), nearly Poisson.

/// Means, variances and a two-sample chi-square test on the pmf; empty when they agree.
/// Means and variances within 4.5 standard errors (the variance's through the fourth central
/// moment, heavy tails included); chi-square over bins holding at least 20 pooled draws (the
/// rest pooled into one tail bin) at α ≈ 10⁻⁴.
private func countDifferences(_ a: [Int], _ b: [Int], _ what: String) -> [String] {
    func moments(_ x: [Int]) -> (mean: Double, variance: Double, m4: Double) {
        let n = Double(x.count)
        let m = x.reduce(0.0) { $0 + Double($1) } / n
        var v = 0.0
        var m4 = 0.0
        for y in x {
            let d = Double(y) - m
            v += d * d
            m4 += d * d * d * d
        }
        return (m, v / (n - 1), m4 / n)
    }
    var problems: [String] = []
    let na = Double(a.count)
    let nb = Double(b.count)
    let (ma, va, m4a) = moments(a)
    let (mb, vb, m4b) = moments(b)
    let z = abs(ma - mb) / (va / na + vb / nb).squareRoot()
    if z > 4.5 { problems.append("\(what): means \(ma) and \(mb) (z = \(z))") }
    if va > 0 && vb > 0 {
        // Var(s²) ≈ (μ₄ − σ⁴)/n.
        let se = ((m4a - va * va) / na + (m4b - vb * vb) / nb).squareRoot()
        let zv = abs(va - vb) / se
        if zv > 4.5 { problems.append("\(what): variances \(va) and \(vb) (z = \(zv))") }
    }
    let top = max(a.max() ?? 0, b.max() ?? 0)
    var ha = [Double](repeating: 0, count: top + 1)
    var hb = ha
    for y in a { ha[y] += 1 }
    for y in b { hb[y] += 1 }
    var chi2 = 0.0
    var bins = 0
    var tailA = 0.0
    var tailB = 0.0
    for k in 0...top {
        if ha[k] + hb[k] >= 20 {
            chi2 += (ha[k] - hb[k]) * (ha[k] - hb[k]) / (ha[k] + hb[k])
            bins += 1
        } else {
            tailA += ha[k]
            tailB += hb[k]
        }
    }
    if tailA + tailB > 0 {
        chi2 += (tailA - tailB) * (tailA - tailB) / (tailA + tailB)
        bins += 1
    }
    let df = Double(max(1, bins - 1))
    // Wilson–Hilferty quantile of χ²(df) at 1 − 10⁻⁴ (z = 3.72).
    let h = 2 / (9 * df)
    let critical = df * Foundation.pow(1 - h + 3.72 * h.squareRoot(), 3)
    if chi2 > critical { problems.append("\(what): chi² = \(chi2) > \(critical) (df \(Int(df)))") }
    return problems
}

private func draws(_ n: Int, stream: UInt64, _ draw: (inout RandomStream) -> Int) -> [Int] {
    var rng = RandomStream(seed: 31, domain: .measurement, stream)
    return (0..<n).map { _ in draw(&rng) }
}

@Test func countSamplerHasTheGammaPoissonLaw() {
    let n = 100_000
    let cases: [(mean: Double, theta: Double)] = [
        (0.05, 1.5), (0.8, 1.5), (6, 1.5), (25, 1.5), (39.5, 1.5), (45, 1.5), (3, 0.37), (15, 4), (10, 2.5),
        (30, 0.5), (20, 300), (8, .infinity),
    ]
    var problems: [String] = []
    for (i, c) in cases.enumerated() {
        let fast = draws(n, stream: UInt64(2 * i)) { $0.countNegativeBinomial(mean: c.mean, size: c.theta) }
        let exact = draws(n, stream: UInt64(2 * i + 1)) { $0.fastNegativeBinomial(mean: c.mean, size: c.theta) }
        problems += countDifferences(fast, exact, "NB(\(c.mean), \(c.theta))")
    }
    #expect(problems.isEmpty, "\(problems)")
}

@Test func countComparisonSeesAnOverdispersionTenPercentOff() {
    // The same comparison flags the sampler against the exact law of a θ 10% off, inside the
    // inversion's range (mean 6) and with the exp·log power (θ = 0.37 against 0.407).
    let n = 100_000
    for (mean, theta) in [(6.0, 1.5), (3.0, 0.37)] {
        let fast = draws(n, stream: 100) { $0.countNegativeBinomial(mean: mean, size: theta) }
        let off = draws(n, stream: 101) { $0.fastNegativeBinomial(mean: mean, size: theta * 1.1) }
        #expect(!countDifferences(fast, off, "NB(\(mean), \(theta)) against θ × 1.1").isEmpty)
    }
}

@Test func countSamplerPowersAreThoseOfPow() {
    for theta in [0.5, 1, 1.5, 2, 2.5, 3.5, 8, 0.37, 1.7, 20] {
        for x in [1e-6, 0.013, 0.5, 0.97, 1] {
            let p = RandomStream.power(x, theta)
            #expect(abs(p - Foundation.pow(x, theta)) <= 1e-13 * Foundation.pow(x, theta), "\(x)^\(theta)")
        }
    }
}

@Test func batchedCountsAreTheOneAtATimeCountsBitForBit() {
    // A measured cell's genes: zero and tiny means, the default θ and others (exp·log power),
    // Poisson genes, genes above the inversion limit (gamma and PTRS draws between the searched
    // ones), and means near the limit with θ ≪ 1, whose searches run past the 1,023-entry table.
    // The batched draws must give every count the one-at-a-time loop gives it, and leave the
    // stream where that loop leaves it (the next gene's or cell's draws unchanged).
    var setup = RandomStream(seed: 5, domain: .measurement, 999)
    let n = 6_003  // not a multiple of four: the last lanes run alone
    var means = [Double](repeating: 0, count: n)
    var sizes = [Double](repeating: 1.5, count: n)
    for i in 0..<n {
        let kind = setup.uniform()
        means[i] = kind < 0.05 ? 0 : Foundation.exp(7 * setup.uniform() - 3.5)  // 0.03 … 33
        if kind > 0.9 { means[i] = 40 + 200 * setup.uniform() }
        let t = setup.uniform()
        sizes[i] = t < 0.6 ? 1.5 : (t < 0.75 ? 0.37 : (t < 0.85 ? 4 : (t < 0.92 ? .infinity : 0.02)))
        if i % 97 == 0 {
            means[i] = 39
            sizes[i] = 0.02
        }
    }
    let batch = CountBatch(capacity: n)
    var tableExceeded = 0
    for cell in 0..<40 {
        var one = RandomStream(seed: 5, domain: .measurement, UInt64(cell))
        var many = one
        let expected = (0..<n).map { one.countNegativeBinomial(mean: means[$0], size: sizes[$0]) }
        var got = [Int](repeating: -1, count: n)
        means.withUnsafeBufferPointer { m in
            sizes.withUnsafeBufferPointer { s in
                got.withUnsafeMutableBufferPointer { g in
                    many.countNegativeBinomials(
                        means: m.baseAddress!, sizes: s.baseAddress!, count: n, into: g.baseAddress!, batch: batch)
                }
            }
        }
        #expect(got == expected, "cell \(cell): \(zip(got, expected).filter { $0 != $1 }.prefix(5))")
        #expect(one.next() == many.next(), "cell \(cell): the streams part")
        tableExceeded += expected.filter { $0 > CountTables.fastSteps }.count
    }
    // The continuation beyond the table was exercised.
    #expect(tableExceeded > 0)
}

@Test func batchedMeasurementWritesTheOneAtATimeCounts() throws {
    // The measurement operator with its count batch (what `simulateBlock` uses) writes the entries,
    // library sizes and stream state of its one-at-a-time loop, with all genes counted and with
    // only some (the rest's library share drawn as one count).
    let loaded = try loadDesign(smallDesign("", genes: 80, regulators: 15))
    let network = try NetworkLoader.network(for: loaded)
    let model = try Simulator.prepare(design: loaded.design, network: network, seed: 7, options: SimulationOptions())
    let g = model.geneCount
    let gm = model.measuredGeneCount
    let n = 60
    var fill = RandomStream(seed: 7, domain: .dynamics, 1)
    // States spanning the counts' regimes: near zero to several hundred molecules.
    let state = Matrix(rows: g, cols: n, data: (0..<(g * n)).map { _ in Foundation.exp(9 * fill.uniform() - 4) })
    let batch = CountBatch(capacity: gm)
    let mask = (0..<gm).map { $0 % 3 != 0 }
    var compared = 0
    for masked in [false, true] {
        for j in 0..<n {
            let cell = model.setupCell(j)
            var results: [([Int32], [Int32], Int, UInt64)] = []
            for useBatch in [false, true] {
                var rng = RandomStream(seed: 7, domain: .measurement, UInt64(j))
                var weights = [Double](repeating: 0, count: gm)
                var genes: [Int32] = []
                var counts: [Int32] = []
                let size = mask.withUnsafeBufferPointer { m in
                    model.measure(
                        cell: cell, state: state, column: j, partnerColumn: nil, options: SimulationOptions(),
                        rng: &rng, weights: &weights, geneIndices: &genes, counts: &counts,
                        counted: masked ? m.baseAddress : nil, batch: useBatch ? batch : nil)
                }
                results.append((genes, counts, size, rng.next()))
            }
            #expect(results[0].0 == results[1].0 && results[0].1 == results[1].1, "cell \(j) masked \(masked)")
            #expect(results[0].2 == results[1].2 && results[0].3 == results[1].3, "cell \(j) masked \(masked)")
            compared += results[0].1.count
        }
    }
    #expect(compared > 1000)
}
