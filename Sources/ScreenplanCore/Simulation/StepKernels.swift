import CVectorMath
import Foundation

// MARK: - Element-wise kernels of the dynamics step
//
// Half of a step's time is element-wise work around the GEMM: the Hill channels before it and the
// exponential Euler–Maruyama update after it, per cell and regulator. Both are written so that the
// compiler emits packed SIMD instructions: the channels as a gather followed by branch-free loops
// over runs of channels that share a Hill exponent (Kinetics orders channels that way), the update
// on SIMD4 lanes with a packed square root from CVectorMath (Swift's own `squareRoot()`, scalar or
// SIMD, compiles to a libm call with an errno branch per element, which keeps the loop scalar).

/// A run of channels [start, end) with one Hill coefficient.
struct HillRun: Sendable {
    let start: Int
    let end: Int
    /// 1…4 for integer exponents (multiplications), 0 for any other (pow).
    let code: Int
    let exponent: Double
}

enum StepKernels {
    /// The runs of equal Hill coefficient in `hill` (contiguous when the channels come from Kinetics).
    static func hillRuns(_ hill: [Double]) -> [HillRun] {
        var runs: [HillRun] = []
        var start = 0
        while start < hill.count {
            var end = start + 1
            while end < hill.count && hill[end] == hill[start] { end += 1 }
            let n = hill[start]
            runs.append(
                HillRun(
                    start: start, end: end, code: n == 1 ? 1 : n == 2 ? 2 : n == 3 ? 3 : n == 4 ? 4 : 0,
                    exponent: n))
            start = end
        }
        return runs
    }

    /// H[ch] = qⁿ / (1 + qⁿ) with q = x[regulator(ch)] / half(ch), for every channel of one cell.
    @inline(__always)
    static func hillChannels(
        x: UnsafePointer<Double>, h: UnsafeMutablePointer<Double>, count: Int,
        regulator: UnsafePointer<Int>, invHalf: UnsafePointer<Double>, runs: [HillRun]
    ) {
        for ch in 0..<count { h[ch] = x[regulator[ch]] * invHalf[ch] }
        for run in runs {
            switch run.code {
            case 1:
                for ch in run.start..<run.end {
                    let q = h[ch]
                    h[ch] = q / (1 + q)
                }
            case 2:
                for ch in run.start..<run.end {
                    let q = h[ch]
                    let qn = q * q
                    h[ch] = qn / (1 + qn)
                }
            case 3:
                for ch in run.start..<run.end {
                    let q = h[ch]
                    let qn = q * q * q
                    h[ch] = qn / (1 + qn)
                }
            case 4:
                for ch in run.start..<run.end {
                    let q = h[ch]
                    let q2 = q * q
                    let qn = q2 * q2
                    h[ch] = qn / (1 + qn)
                }
            default:
                for ch in run.start..<run.end {
                    let q = h[ch]
                    let qn = q > 0 ? Foundation.pow(q, run.exponent) : 0
                    h[ch] = qn / (1 + qn)
                }
            }
        }
    }

    /// The exponential Euler–Maruyama update of one cell's regulators:
    /// x ← max(0, x·e + P·(1 − e)/γ + σ·√(P + γx)·ξ), with P = max(0, input + s) when `input` is
    /// given, or P = s (already the production) when it is nil.
    @inline(__always)
    static func exponentialEulerUpdate(
        x: UnsafeMutablePointer<Double>, s: UnsafePointer<Double>,
        input: UnsafePointer<Double>?, xi: UnsafePointer<Double>, count: Int,
        decayFactor: UnsafePointer<Double>, productionFactor: UnsafePointer<Double>,
        noiseFactor: UnsafePointer<Double>, decay: UnsafePointer<Double>
    ) {
        typealias V = SIMD4<Double>
        @inline(__always) func load(_ p: UnsafePointer<Double>, _ i: Int) -> V {
            UnsafeRawPointer(p + i).loadUnaligned(as: V.self)
        }
        var p = 0
        while p + 4 <= count {
            var prod = load(s, p)
            if let input {
                prod = prod + load(input, p)
                prod.replace(with: 0, where: .!(prod .> 0))
            }
            let xv = load(UnsafePointer(x), p)
            let sd = screenplan_sqrt4(prod + load(decay, p) * xv)
            var v =
                xv * load(decayFactor, p) + prod * load(productionFactor, p) + load(noiseFactor, p) * sd * load(xi, p)
            v.replace(with: 0, where: .!(v .> 0))
            UnsafeMutableRawPointer(x + p).storeBytes(of: v, as: V.self)
            p += 4
        }
        while p < count {
            var prod = s[p]
            if let input {
                prod += input[p]
                prod = prod > 0 ? prod : 0
            }
            let xv = x[p]
            let v =
                xv * decayFactor[p] + prod * productionFactor[p] + noiseFactor[p] * (prod + decay[p] * xv).squareRoot()
                * xi[p]
            x[p] = v > 0 ? v : 0
            p += 1
        }
    }
}

/// The regulator rows of W in compressed sparse rows. Networks of regulatory interactions are
/// sparse (a few regulators per gene: 1.5% of W_r in the benchmark networks, 0.9% in SERGIO's
/// E. coli network), so below `SparseRows.densityLimit` the production term S = W_r · H is
/// computed per cell over the nonzeros instead of by a dense GEMM that multiplies mostly zeros.
struct SparseRows: Sendable {
    /// Above this fraction of nonzeros the dense GEMM is faster (it runs at ~60 GFLOP/s per core
    /// against ~1 ns per gathered nonzero; measured crossover about 3%).
    static let densityLimit = 0.03
    let rowStart: [Int]
    let column: [Int]
    let value: [Double]

    init(_ w: Matrix) {
        var starts = [0]
        var cols: [Int] = []
        var vals: [Double] = []
        for r in 0..<w.rows {
            for c in 0..<w.cols where w[r, c] != 0 {
                cols.append(c)
                vals.append(w[r, c])
            }
            starts.append(cols.count)
        }
        rowStart = starts
        column = cols
        value = vals
    }

    var nonzeros: Int { value.count }

    /// s[r] = Σ_k value[k]·h[column[k]] over row r's nonzeros, for every row of one cell.
    @inline(__always)
    static func product(
        rowStart: UnsafePointer<Int>, column: UnsafePointer<Int>, value: UnsafePointer<Double>,
        rows: Int, h: UnsafePointer<Double>, s: UnsafeMutablePointer<Double>
    ) {
        for r in 0..<rows {
            var acc = 0.0
            var k = rowStart[r]
            let end = rowStart[r + 1]
            while k < end {
                acc += value[k] * h[column[k]]
                k += 1
            }
            s[r] = acc
        }
    }
}
