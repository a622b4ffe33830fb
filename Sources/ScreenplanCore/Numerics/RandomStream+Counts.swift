import Foundation

// MARK: - The count sampler of the measurement operator
//
// Measuring a cell draws one negative binomial NB(λ, θ) per measured gene (2 × 10⁸ draws for
// 100,000 cells × 2,000 genes). The Gamma–Poisson mixture (`fastNegativeBinomial`) spends a
// gamma variate (a normal, a uniform, a cube and a rejection test), an exp(−μ) and a search of
// about λ steps per draw. Below `countInversionLimit` the draw here is the negative binomial's own
// inversion instead: one uniform, P(0) = (θ/(θ+λ))^θ, and the same search over the recurrence
// P(k+1) = P(k) · λ/(θ+λ) · (k+θ)/(k+1). It is exact in law (no approximation); the Gamma–Poisson
// mixture stays above the limit, where the search would be long and PTRS is cheaper.
// CountSamplerTests compares both paths' distributions.

/// Means from which the count sampler uses the Gamma–Poisson mixture instead of inversion.
/// The search costs about one multiply-add per unit of the mean; the mixture costs about as much
/// as 30–50 steps of it (micro-benchmark of the two on the 100,000-cell benchmark's per-gene means,
/// docs/simulate.md).
let countInversionLimit = 40.0

/// 1/k for k = 0…`fastSteps` (entry 0 unused), for the count sampler's search: computed once,
/// immutable, never freed.
enum CountTables {
    static let fastSteps = 1023
    nonisolated(unsafe) static let inverseIntegers: UnsafeMutablePointer<Double> = {
        let p = UnsafeMutablePointer<Double>.allocate(capacity: fastSteps + 1)
        p[0] = 0
        for k in 1...fastSteps { p[k] = 1 / Double(k) }
        return p
    }()
}

extension RandomStream {
    /// NB(mean, θ) (variance mean + mean²/θ), exact in law; θ = ∞ is Poisson. Inversion for means
    /// below `countInversionLimit`, the Gamma–Poisson mixture above. Draws a different number of
    /// uniforms than `fastNegativeBinomial`, so the same stream gives other (equally distributed)
    /// values.
    @inline(__always)
    public mutating func countNegativeBinomial(mean: Double, size theta: Double) -> Int {
        if mean <= 0 { return 0 }
        if !theta.isFinite { return fastPoisson(mean) }
        if mean >= countInversionLimit { return fastPoisson(gamma(shape: theta) * mean / theta) }
        let total = 1 / (theta + mean)
        let x = theta * total
        let r = mean * total
        // P(0) = x^θ ≥ e^(−mean) > 4 × 10⁻¹⁸ below the limit: no underflow.
        var p = Self.power(x, theta)
        var cdf = p
        let u = uniform()
        var k = 0
        var kd = 0.0  // Double(k), kept beside k (no conversion in the loop)
        // 1/(k+1) from a table keeps the division off the dependent chain; the loop's only tests
        // are the search's and an integer bound.
        let inverse = CountTables.inverseIntegers
        while u > cdf && k < CountTables.fastSteps {
            p *= r * (kd + theta) * inverse[k + 1]
            k += 1
            kd += 1
            cdf += p
        }
        while u > cdf {
            // Beyond the table (means near the limit with θ ≪ 1 only).
            p *= r * (kd + theta) / (kd + 1)
            k += 1
            kd += 1
            cdf += p
            // Rounding guard: when the terms can no longer move the sum, stop (the rest of the
            // tail has probability below 10⁻¹⁵).
            if p < 1e-18 * cdf { break }
        }
        return k
    }

    /// x^θ for 0 < x ≤ 1: products and one square root when 2θ is an integer up to 16 (θ = 1.5,
    /// the default dispersion, is x·√x), exp(θ·log x) otherwise.
    @inline(__always)
    static func power(_ x: Double, _ theta: Double) -> Double {
        if theta == 1.5 { return x * x.squareRoot() }
        let twice = 2 * theta
        if twice <= 16 && twice == twice.rounded() {
            var n = Int(twice)
            var result = 1.0
            if n & 1 == 1 {
                result = x.squareRoot()
                n -= 1
            }
            var base = x
            n >>= 1
            while n > 0 {
                if n & 1 == 1 { result *= base }
                base *= base
                n >>= 1
            }
            return result
        }
        return Foundation.exp(theta * Foundation.log(x))
    }
}
