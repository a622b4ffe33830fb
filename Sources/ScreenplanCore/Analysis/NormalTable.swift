import Foundation

// MARK: - The normal cdf of the power formulas, tabulated
//
// `Normal.power` is called per affected gene and per draw of the target's guide library (64) at
// every multiple-testing iteration: a genome-scale evaluation makes tens of millions of normal
// tails, and `erfc` (with the `exp` inside it) was a quarter of a re-analysis's time
// (docs/batching.md §11). Power needs Φ to an absolute accuracy far below what any output shows,
// not erfc's full relative accuracy deep in the lower tail, so the power formulas read Φ from a
// table: Φ, φ and φ' = −xφ at steps of 1/32 on [−8.5, 8.5], joined by quintic Hermite
// interpolation (error h⁶/46080·|Φ⁽⁶⁾| ≤ 3·10⁻¹⁴ absolute; test `tabulatedNormalCDFMatchesErfc`
// bounds it at 10⁻¹³ on a dense grid). Above 8.5 Φ is 1 in double precision, as erfc gives;
// below −8.5 (Φ < 10⁻¹⁷) the exact formula is used. `Normal.cdf` itself (quantiles, p-values,
// everything that needs relative accuracy in the tails) stays erfc's.

extension Normal {
    /// Φ(x) from the table (power formulas only; absolute error below 10⁻¹³).
    @inline(__always)
    static func tabulatedCDF(_ x: Double) -> Double {
        let u = (x - NormalTable.low) * NormalTable.inverseStep
        guard u >= 0 else { return cdf(x) }
        guard u < Double(NormalTable.count - 1) else { return x.isNaN ? x : 1 }
        let i = Int(u)
        let t = u - Double(i)
        do {
            let v = NormalTable.values
            let p = 3 * i
            // Quintic Hermite basis on [0, 1] (first derivatives scaled by h, second by h²).
            let t2 = t * t
            let t3 = t2 * t
            let s = 1 - t
            let s2 = s * s
            let s3 = s2 * s
            let h = NormalTable.step
            // Values, slopes and curvatures at both ends.
            let f0 = v[p]
            let d0 = v[p + 1] * h
            let c0 = v[p + 2] * h * h
            let f1 = v[p + 3]
            let d1 = v[p + 4] * h
            let c1 = v[p + 5] * h * h
            let left = s3 * (f0 * (1 + 3 * t + 6 * t2) + d0 * t * (1 + 3 * t) + c0 * t2 / 2)
            let right = t3 * (f1 * (1 + 3 * s + 6 * s2) - d1 * s * (1 + 3 * s) + c1 * s2 / 2)
            // Interpolation may overshoot 1 by an ulp near the top; Φ is a probability.
            return min(1, max(0, left + right))
        }
    }
}

/// The grid of `Normal.tabulatedCDF`: per point Φ, φ and φ'.
enum NormalTable {
    static let low = -8.5
    static let step = 1.0 / 32
    static let inverseStep = 32.0
    static let count = 545  // −8.5 … 8.5
    /// The grid's values, made once and never freed or changed (a plain pointer: reading it costs
    /// no reference counting in the hot loop).
    nonisolated(unsafe) static let values: UnsafePointer<Double> = {
        let v = UnsafeMutablePointer<Double>.allocate(capacity: 3 * NormalTable.count)
        let density = 1 / (2 * Double.pi).squareRoot()
        for i in 0..<NormalTable.count {
            let x = NormalTable.low + Double(i) * NormalTable.step
            let pdf = density * Foundation.exp(-x * x / 2)
            v[3 * i] = Normal.cdf(x)
            v[3 * i + 1] = pdf
            v[3 * i + 2] = -x * pdf
        }
        return UnsafePointer(v)
    }()
}
