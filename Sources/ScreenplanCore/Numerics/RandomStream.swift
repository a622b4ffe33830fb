import Foundation

// MARK: - Seedable random streams addressed by purpose
//
// A stream is derived by hashing (seed, domain, unit indices…), never `seed + i` and never a
// global generator drawn in call order, so a cell's randomness depends only on its address:
// results are the same whatever the thread count, block size or shard.

/// SplitMix64 finaliser: a strong 64-bit mixer used to derive stream keys.
@inline(__always)
func mix64(_ value: UInt64) -> UInt64 {
    var z = value &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// Named purposes of randomness; each gets its own family of streams.
public enum RandomDomain: UInt64, Sendable {
    case network = 1
    case guides, cellAssignment, dynamics, measurement, batchEffects, libraryLayout,
        animals, doublets, learning, montecarlo, layout, fates, cellTypes
}

/// xoshiro256** seeded from a hashed address. Not thread-safe: one stream per unit of work.
public struct RandomStream: RandomNumberGenerator, Sendable {
    /// The xoshiro256** state (internal: RandomStream+Batched.swift hands it to the batched ziggurat).
    var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    private var spareNormal: Double? = nil

    /// The stream for (seed, domain, indices…).
    public init(seed: UInt64, domain: RandomDomain, _ indices: UInt64...) {
        self.init(seed: seed, domain: domain, indices: indices)
    }

    public init(seed: UInt64, domain: RandomDomain, indices: [UInt64]) {
        var key = mix64(seed ^ mix64(domain.rawValue &* 0xD1B5_4A32_D192_ED03))
        for index in indices { key = mix64(key ^ mix64(index &+ 0x632B_E59B_D9B4_E019)) }
        s0 = mix64(key)
        s1 = mix64(s0 ^ 0xA076_1D64_78BD_642F)
        s2 = mix64(s1 ^ 0xE703_7ED1_A0B4_28DB)
        s3 = mix64(s2 ^ 0x8EBC_6AF0_9C88_C6E3)
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    @inline(__always)
    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in (0, 1): never exactly 0, so logs are safe.
    @inline(__always)
    public mutating func uniform() -> Double {
        (Double(next() >> 11) + 0.5) * 0x1.0p-53
    }

    /// Standard normal (polar Box–Muller, second value cached).
    @inline(__always)
    public mutating func normal() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        while true {
            let u = 2 * uniform() - 1
            let v = 2 * uniform() - 1
            let s = u * u + v * v
            if s < 1 && s > 0 {
                let factor = (-2 * Foundation.log(s) / s).squareRoot()
                spareNormal = v * factor
                return u * factor
            }
        }
    }

    /// Fills `buffer` with standard normals (two per polar draw, no caching between calls).
    public mutating func fillNormals(_ buffer: UnsafeMutableBufferPointer<Double>) {
        var i = 0
        let n = buffer.count
        while i < n {
            let u = 2 * uniform() - 1
            let v = 2 * uniform() - 1
            let s = u * u + v * v
            if s >= 1 || s == 0 { continue }
            let factor = (-2 * Foundation.log(s) / s).squareRoot()
            buffer[i] = u * factor
            if i + 1 < n { buffer[i + 1] = v * factor }
            i += 2
        }
    }

    /// Gamma(shape, scale 1): Marsaglia–Tsang (2000) on ziggurat normals; shape < 1 by the boost
    /// u^(1/shape). The one gamma sampler of the project (knockdown efficiencies, onsets, cell
    /// types, the negative-binomial counts): exact in law, and the normals it rejects from come
    /// from the ziggurat, one 64-bit draw each, instead of the polar method's two uniforms and a
    /// log (RandomStreamTests compares its distribution with the exact Gamma CDF).
    @inline(__always)
    public mutating func gamma(shape: Double) -> Double {
        if shape < 1 {
            return gamma(shape: shape + 1) * Foundation.pow(uniform(), 1 / shape)
        }
        let d = shape - 1.0 / 3.0
        let c = 1 / (9 * d).squareRoot()
        while true {
            var z: Double
            var v: Double
            repeat {
                z = zigguratNormal()
                v = 1 + c * z
            } while v <= 0
            v = v * v * v
            let u = uniform()
            let z2 = z * z
            if u < 1 - 0.0331 * z2 * z2 { return d * v }
            if Foundation.log(u) < 0.5 * z2 + d * (1 - v + Foundation.log(v)) { return d * v }
        }
    }

    /// Beta(a, b) from two gammas.
    public mutating func beta(_ a: Double, _ b: Double) -> Double {
        let x = gamma(shape: a)
        let y = gamma(shape: b)
        return x / (x + y)
    }

    /// Poisson(λ): inversion for small λ, PTRS (Hörmann 1993) otherwise.
    public mutating func poisson(_ lambda: Double) -> Int {
        if lambda <= 0 { return 0 }
        if lambda < 12 {
            let limit = Foundation.exp(-lambda)
            var k = 0
            var p = uniform()
            while p > limit {
                k += 1
                p *= uniform()
            }
            return k
        }
        let slam = lambda.squareRoot()
        let loglam = Foundation.log(lambda)
        let b = 0.931 + 2.53 * slam
        let a = -0.059 + 0.02483 * b
        let invalpha = 1.1239 + 1.1328 / (b - 3.4)
        let vr = 0.9277 - 3.6224 / (b - 2)
        while true {
            let u = uniform() - 0.5
            let v = uniform()
            let us = 0.5 - abs(u)
            let k = Foundation.floor((2 * a / us + b) * u + lambda + 0.43)
            if us >= 0.07 && v <= vr { return Int(k) }
            if k < 0 || (us < 0.013 && v > us) { continue }
            let lhs = Foundation.log(v) + Foundation.log(invalpha) - Foundation.log(a / (us * us) + b)
            let rhs = -lambda + k * loglam - Foundation.lgamma(k + 1)
            if lhs <= rhs { return Int(k) }
        }
    }

    /// Negative binomial with the given mean and size θ (Gamma–Poisson); θ = ∞ is Poisson.
    public mutating func negativeBinomial(mean: Double, size: Double) -> Int {
        if mean <= 0 { return 0 }
        if !size.isFinite { return poisson(mean) }
        return poisson(gamma(shape: size) * mean / size)
    }

    /// Binomial(n, p) by inversion for small means, normal-free exact sum otherwise.
    public mutating func binomial(_ n: Int, _ p: Double) -> Int {
        if n <= 0 || p <= 0 { return 0 }
        if p >= 1 { return n }
        if Double(n) * p < 30 || n < 64 {
            var count = 0
            for _ in 0..<n where uniform() < p { count += 1 }
            return count
        }
        // Large n: Poisson approximation is poor when p is large, so use the BTPE-free route of
        // splitting into gammas: X ~ Beta-binomial recursion (Devroye's median split).
        let i = (n + 1) / 2
        let y = beta(Double(i), Double(n - i + 1))
        if y >= p { return binomial(i - 1, p / y) }
        return i + binomial(n - i, (p - y) / (1 - y))
    }

    /// An index drawn with probability proportional to `weights` (linear scan).
    public mutating func categorical(_ cumulative: [Double]) -> Int {
        let u = uniform() * (cumulative.last ?? 0)
        var lo = 0
        var hi = cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] < u { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
