import CVectorMath
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

// MARK: - Many counts from one stream, their searches side by side
//
// A cell's counts come from one stream, gene after gene. The inversion search of a count draws
// nothing after its uniform, so the uniforms (and every draw of the genes above the limit) can be
// taken first, in gene order, exactly as the one-at-a-time loop takes them, and the searches run
// afterwards four at a time (CVectorMath/ScreenplanCounts.c): the same counts, bit for bit, and
// the stream left in the same state. What changes is the cost: four dependent chains in one
// register and one misprediction per four counts.

/// Scratch of `countNegativeBinomials`, for up to `capacity` counts (one per measured gene),
/// allocated once per block of cells.
final class CountBatch {
    let capacity: Int
    /// The searched counts' positions in the caller's arrays, uniforms, P(0), λ/(θ+λ), θ.
    let index: UnsafeMutablePointer<Int>
    let u, p0, r, theta: UnsafeMutablePointer<Double>
    /// The searches' results: counts, last term and CDF (to continue beyond the table).
    let k: UnsafeMutablePointer<Int>
    let p, cdf: UnsafeMutablePointer<Double>
    /// The caller's side: the means, sizes and genes of the counts to draw, and the counts drawn.
    let means, sizes: UnsafeMutablePointer<Double>
    let genes: UnsafeMutablePointer<Int32>
    let counts: UnsafeMutablePointer<Int>

    init(capacity: Int) {
        let c = max(1, capacity)
        self.capacity = c
        index = .allocate(capacity: c)
        u = .allocate(capacity: c)
        p0 = .allocate(capacity: c)
        r = .allocate(capacity: c)
        theta = .allocate(capacity: c)
        k = .allocate(capacity: c)
        p = .allocate(capacity: c)
        cdf = .allocate(capacity: c)
        means = .allocate(capacity: c)
        sizes = .allocate(capacity: c)
        genes = .allocate(capacity: c)
        counts = .allocate(capacity: c)
    }

    deinit {
        index.deallocate()
        u.deallocate()
        p0.deallocate()
        r.deallocate()
        theta.deallocate()
        k.deallocate()
        p.deallocate()
        cdf.deallocate()
        means.deallocate()
        sizes.deallocate()
        genes.deallocate()
        counts.deallocate()
    }
}

extension RandomStream {
    /// `out[i]` = NB(`means[i]`, `sizes[i]`) for i < `count`: the same numbers as `count` calls of
    /// `countNegativeBinomial` in order on this stream, which is left as those calls leave it.
    /// The inversion searches run four at a time (`screenplan_count_search`).
    mutating func countNegativeBinomials(
        means: UnsafePointer<Double>, sizes: UnsafePointer<Double>, count: Int, into out: UnsafeMutablePointer<Int>,
        batch: CountBatch
    ) {
        precondition(count <= batch.capacity)
        var searched = 0
        for i in 0..<count {
            let mean = means[i]
            let theta = sizes[i]
            if mean <= 0 {
                out[i] = 0
            } else if !theta.isFinite {
                out[i] = fastPoisson(mean)
            } else if mean >= countInversionLimit {
                out[i] = fastPoisson(gamma(shape: theta) * mean / theta)
            } else {
                // `countNegativeBinomial`'s set-up, then its uniform (the search draws nothing).
                let total = 1 / (theta + mean)
                batch.index[searched] = i
                batch.p0[searched] = Self.power(theta * total, theta)
                batch.r[searched] = mean * total
                batch.theta[searched] = theta
                batch.u[searched] = uniform()
                searched += 1
            }
        }
        guard searched > 0 else { return }
        screenplan_count_search(
            searched, batch.u, batch.p0, batch.r, batch.theta, CountTables.inverseIntegers, CountTables.fastSteps,
            batch.k, batch.p, batch.cdf)
        for s in 0..<searched {
            var k = batch.k[s]
            let u = batch.u[s]
            var cdf = batch.cdf[s]
            if u > cdf {
                // Beyond the table: `countNegativeBinomial`'s second loop, from where the search stopped.
                var p = batch.p[s]
                let theta = batch.theta[s]
                let r = batch.r[s]
                var kd = Double(k)
                while u > cdf {
                    p *= r * (kd + theta) / (kd + 1)
                    k += 1
                    kd += 1
                    cdf += p
                    if p < 1e-18 * cdf { break }
                }
            }
            out[batch.index[s]] = k
        }
    }
}
