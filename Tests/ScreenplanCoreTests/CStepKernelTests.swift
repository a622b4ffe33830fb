import CVectorMath
import Foundation
import Testing

@testable import ScreenplanCore

// The regulator step runs its per-cell kernels in C, compiled for AVX2 when the CPU has it
// (CVectorMath/ScreenplanStepKernels.c). Seeded outputs rely on them giving exactly what the
// Swift kernels give (StepKernels, SparseRows), so they are compared bit for bit, on sizes that
// leave tails of the 4-wide loops, with zeros, negative productions and a non-integer exponent.

@Suite struct CStepKernelTests {
    @Test func cHillChannelsEqualTheSwiftKernel() {
        var rng = RandomStream(seed: 3, domain: .network, 0)
        let exponents: [Double] = [1, 2, 3, 4, 1.7, 2]
        var hill: [Double] = []
        var regulator: [Int] = []
        var invHalf: [Double] = []
        for (r, n) in exponents.enumerated() {
            for c in 0..<(3 * r + 5) {
                hill.append(n)
                regulator.append((r * 7 + c) % 9)
                invHalf.append(1 / (0.3 + rng.uniform() * 4))
            }
        }
        let x = (0..<9).map { $0 == 4 ? 0 : rng.uniform() * 8 }
        let runs = StepKernels.hillRuns(hill)
        var swift = [Double](repeating: .nan, count: hill.count)
        var c = [Double](repeating: .nan, count: hill.count)
        StepKernels.hillChannels(
            x: x, h: &swift, count: hill.count, regulator: regulator, invHalf: invHalf, runs: runs)
        screenplan_hill_channels(
            x, &c, hill.count, regulator, invHalf, runs.count, runs.map(\.start), runs.map(\.end),
            runs.map(\.exponent))
        #expect(c.map(\.bitPattern) == swift.map(\.bitPattern))
    }

    @Test func cEulerUpdateEqualsTheSwiftKernel() {
        var rng = RandomStream(seed: 5, domain: .network, 0)
        for count in [1, 3, 4, 7, 256, 259] {
            let s = (0..<count).map { _ in rng.uniform() * 6 - 2 }  // some productions below zero
            let input = (0..<count).map { _ in rng.uniform() * 2 - 1 }
            let xi = (0..<count).map { _ in rng.zigguratNormal() * 3 }  // some steps clip at 0
            let decay = (0..<count).map { _ in 0.1 + rng.uniform() }
            let dt = 0.25
            let e = decay.map { Foundation.exp(-$0 * dt) }
            let f = zip(decay, e).map { (1 - $1) / $0 }
            let sigma = decay.map { ((1 - Foundation.exp(-2 * $0 * dt)) / (2 * $0)).squareRoot() }
            let x0 = (0..<count).map { $0 % 5 == 0 ? 0 : rng.uniform() * 4 }
            for withInput in [true, false] {
                // Without an input the production must be non-negative (the caller clips it).
                let sv = withInput ? s : s.map { max(0, $0) }
                var swift = x0
                var c = x0
                StepKernels.exponentialEulerUpdate(
                    x: &swift, s: sv, input: withInput ? input : nil, xi: xi, count: count, decayFactor: e,
                    productionFactor: f, noiseFactor: sigma, decay: decay)
                if withInput {
                    screenplan_euler_update(&c, sv, input, xi, count, e, f, sigma, decay)
                } else {
                    screenplan_euler_update(&c, sv, nil, xi, count, e, f, sigma, decay)
                }
                #expect(c.map(\.bitPattern) == swift.map(\.bitPattern), "count \(count), input \(withInput)")
            }
        }
    }

    @Test func cSparseRowsEqualTheSwiftProduct() {
        var rng = RandomStream(seed: 9, domain: .network, 0)
        // Rows with 0…6 nonzeros (the kernel's unrolled lengths and its general loop), signs mixed.
        let rows = 40
        let cols = 30
        var w = Matrix(rows: rows, cols: cols)
        for r in 0..<rows {
            let nonzeros = (r * 5) % 7
            for t in 0..<nonzeros { w[r, (r + 3 * t) % cols] = rng.uniform() * 4 - 2 }
        }
        let sparse = SparseRows(w)
        let h = (0..<cols).map { _ in rng.uniform() }
        var swift = [Double](repeating: .nan, count: rows)
        SparseRows.product(
            rowStart: sparse.rowStart, column: sparse.column, value: sparse.value, rows: rows, h: h, s: &swift)
        // The grouping the stepper builds: rows by number of nonzeros, nonzeros in that order.
        let g = SparseRowGroups(sparse)
        #expect(g.length == Array(Set((0..<rows).map { (5 * $0) % 7 })).sorted())
        var c = [Double](repeating: .nan, count: rows)
        screenplan_sparse_rows(h, &c, g.rowOrder, g.length.count, g.length, g.begin, g.end, g.column, g.value)
        #expect(c.map(\.bitPattern) == swift.map(\.bitPattern))
    }
}
