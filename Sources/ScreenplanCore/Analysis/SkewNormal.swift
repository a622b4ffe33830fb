import Foundation

// MARK: - The skew-normal SCEPTRE refers its score statistic to
//
// pysceptre (and R sceptre) calibrate the GLM score z of a pair by resampling: 499 null draws
// first, and when those give p ≤ 0.02, 4,999 more to which it fits a skew-normal by the method of
// moments (mean, sd and sample skewness γ, Azzalini's closed form) and reads the p-value off the
// fitted curve (`fit_and_evaluate_skew_normal`). At α = 0.01 every rejection goes through that
// fit, so the threshold a lab's pysceptre run applies is the α/2 quantile of the moment-matched
// skew-normal, not the null's own quantile. For the right-skewed score of a low-count gene the
// skew-normal's lower tail is heavier than the score's (which is bounded below) and than the
// one-term Cornish–Fisher quantile −z + γ(z² − 1)/6: at γ = 0.31 the fitted curve's 0.5% quantile
// is −2.34, the resampled statistics' own −2.25 and Cornish–Fisher's −2.28 (docs/batching.md,
// section 2.6). The power model therefore rejects beyond the skew-normal's quantiles.

/// The standardised (mean 0, variance 1) skew-normal with a given skewness, as SCEPTRE fits it.
public enum SkewNormal {
    /// The skewness SCEPTRE uses for a sample skewness γ: above 0.995 (beyond what a skew-normal
    /// can have) it substitutes 0.9 × 0.995; the table stops at 0.99 (|γ| ≤ 0.99 otherwise).
    static func effectiveSkewness(_ gamma: Double) -> Double {
        let g = abs(gamma) > 0.995 ? 0.8955 : min(0.99, abs(gamma))
        return gamma < 0 ? -g : g
    }

    /// Shape α, and the mean and sd of the standard SN(0, 1, α), for skewness γ (Azzalini's
    /// moment inversion, pysceptre's `fit_skew_normal_funct`).
    static func shape(skewness gamma: Double) -> (alpha: Double, mean: Double, sd: Double) {
        let b = (2 / Double.pi).squareRoot()
        let magnitude = Foundation.pow(2 * abs(gamma) / (4 - Double.pi), 1.0 / 3.0)
        let r = gamma < 0 ? -magnitude : magnitude
        let delta = r / (b * (1 + r * r).squareRoot())
        let alpha = delta / max(1e-300, (1 - delta * delta)).squareRoot()
        let mean = b * delta
        return (alpha, mean, (1 - mean * mean).squareRoot())
    }

    /// Owen's T(h, a) = (1/2π)∫₀^a e^{−h²(1 + t²)/2}/(1 + t²) dt, as ∫₀^{atan a} e^{−h²/(2cos²θ)} dθ/2π
    /// (a smooth integrand on a finite range) by Simpson's rule on `intervals` intervals (even).
    static func owenT(_ h: Double, _ a: Double, intervals n: Int = 128) -> Double {
        guard a != 0 else { return 0 }
        if a < 0 { return -owenT(h, -a, intervals: n) }
        let top = Foundation.atan(a)
        let step = top / Double(n)
        var sum = 0.0
        for i in 0...n {
            let c = Foundation.cos(Double(i) * step)
            let f = Foundation.exp(-h * h / (2 * c * c))
            sum += f * (i == 0 || i == n ? 1 : (i % 2 == 1 ? 4 : 2))
        }
        return sum * step / 3 / (2 * Double.pi)
    }

    /// cdf of the standard SN(0, 1, α): Φ(x) − 2T(x, α).
    static func standardCDF(_ x: Double, alpha: Double, intervals: Int = 128) -> Double {
        min(1, max(0, Normal.cdf(x) - 2 * owenT(x, alpha, intervals: intervals)))
    }

    /// The p-quantile of the standardised skew-normal with skewness γ (`effectiveSkewness`
    /// applied), by safeguarded Newton steps on the SN cdf from the Cornish–Fisher value.
    public static func standardisedQuantile(
        _ p: Double, skewness gamma: Double, intervals: Int = 128, start: Double? = nil
    ) -> Double {
        let g = effectiveSkewness(gamma)
        let zp = Normal.quantile(p)
        guard abs(g) > 1e-9 else { return zp }
        let s = shape(skewness: g)
        var lo = -40.0
        var hi = 40.0
        var x = s.mean + s.sd * (start ?? (zp + g * (zp * zp - 1) / 6))
        let density = 1 / (2 * Double.pi).squareRoot()
        for _ in 0..<100 {
            let f = standardCDF(x, alpha: s.alpha, intervals: intervals) - p
            if abs(f) < 1e-13 * max(p, 1e-300) + 1e-16 { break }
            if f > 0 { hi = x } else { lo = x }
            let pdf = 2 * density * Foundation.exp(-x * x / 2) * Normal.cdf(s.alpha * x)
            var next = pdf > 0 ? x - f / pdf : .nan
            if !(next > lo && next < hi) { next = 0.5 * (lo + hi) }
            if abs(next - x) < 1e-12 {
                x = next
                break
            }
            x = next
        }
        return (x - s.mean) / s.sd
    }

    /// Magnitudes of the lower and upper critical values of a two-sided test at level 2Φ(−z) when
    /// the null is the standardised skew-normal with skewness γ: reject below −lower or above upper
    /// (lower = upper = z when γ = 0). Exact quantiles (`standardisedQuantile`) cost hundreds of
    /// exponentials, and the analysis asks for them per gene and perturbation, so this
    /// interpolates a table over γ ∈ [0, 0.99] (step 0.01) and z ∈ [0.5, 6] (step 0.125), built
    /// once (about 9,000 quantiles): within 2·10⁻³ of the exact value for γ ≤ 0.75 and z ≤ 4.5
    /// (levels down to 10⁻⁵), within 0.05 up to γ = 0.97 and z = 6, where the skew-normal's short
    /// tail bends sharply in γ (`SkewNormalTests`). Beyond the table (z > 6, levels below 2·10⁻⁹)
    /// the quantiles are solved directly.
    public static func criticalValues(z: Double, skewness gamma: Double) -> (lower: Double, upper: Double) {
        guard gamma.isFinite, gamma != 0, z.isFinite, z > 0 else { return (z, z) }
        let g = effectiveSkewness(gamma)
        let a = abs(g)
        var lower: Double
        var upper: Double
        if z < Table.zLow || z > Table.zHigh {
            let tail = Normal.cdf(-z)
            lower = -standardisedQuantile(tail, skewness: a)
            upper = standardisedQuantile(1 - tail, skewness: a)
        } else {
            let t = Table.shared
            let gi = min(Double(Table.gammaCount - 2), a / Table.gammaStep)
            let zi = min(Double(Table.zCount - 2), (z - Table.zLow) / Table.zStep)
            let i = Int(gi)
            let j = Int(zi)
            let u = gi - Double(i)
            let v = zi - Double(j)
            func at(_ values: [Double]) -> Double {
                let k = i * Table.zCount + j
                return (1 - u) * (1 - v) * values[k] + u * (1 - v) * values[k + Table.zCount]
                    + (1 - u) * v * values[k + 1] + u * v * values[k + Table.zCount + 1]
            }
            lower = z - at(t.lowerShift)
            upper = z + at(t.upperShift)
        }
        // A negative skew mirrors the distribution.
        return g < 0 ? (upper, lower) : (lower, upper)
    }

    /// The interpolation table of `criticalValues`: shifts z − lower and upper − z (smooth in γ
    /// and z) on the grid, for γ ≥ 0.
    struct Table: Sendable {
        static let gammaStep = 0.01
        static let gammaCount = 100  // 0 … 0.99
        static let zLow = 0.5
        static let zStep = 0.125
        static let zCount = 45  // 0.5 … 6
        static var zHigh: Double { zLow + zStep * Double(zCount - 1) }
        static let shared = Table()

        let lowerShift: [Double]
        let upperShift: [Double]

        init() {
            var lowerShift = [Double](repeating: 0, count: Self.gammaCount * Self.zCount)
            var upperShift = lowerShift
            // 96 Simpson intervals for the short tail (Φ − 2T cancels there, so T needs them), 32
            // for the long one; each quantile started from its neighbour at the previous z (two or
            // three Newton steps). About 0.1 s of CPU once per process (release build).
            for i in 1..<Self.gammaCount {
                let g = Double(i) * Self.gammaStep
                var lower: Double?
                var upper: Double?
                for j in 0..<Self.zCount {
                    let z = Self.zLow + Double(j) * Self.zStep
                    let tail = Normal.cdf(-z)
                    let ql = SkewNormal.standardisedQuantile(
                        tail, skewness: g, intervals: 96, start: lower.map { $0 - Self.zStep })
                    let qu = SkewNormal.standardisedQuantile(
                        1 - tail, skewness: g, intervals: 32, start: upper.map { $0 + Self.zStep })
                    lower = ql
                    upper = qu
                    lowerShift[i * Self.zCount + j] = z + ql
                    upperShift[i * Self.zCount + j] = qu - z
                }
            }
            self.lowerShift = lowerShift
            self.upperShift = upperShift
        }
    }
}
