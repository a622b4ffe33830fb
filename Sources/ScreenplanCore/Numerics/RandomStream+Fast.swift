import Foundation

// MARK: - Fast samplers for the inner loops of the simulator
//
// The Langevin step needs one normal per gene, cell and step, and the measurement operator one
// negative-binomial draw per measured gene and cell, so these samplers dominate the cost of a
// simulation after the GEMM. They are exact in law (no approximations): the ziggurat of Marsaglia
// and Tsang as formulated by Doornik (2005, "An improved ziggurat method", 128 layers), which the
// gamma sampler (RandomStream.gamma) also draws from, and a Poisson by sequential inversion for
// small means.

/// Ziggurat tables (Doornik's ZIGNOR, 128 layers): computed once, immutable, never freed, held
/// by raw pointer so the inner loops read them without reference counting.
enum ZigguratTables {
    static let layers = 128
    static let r = 3.442619855899
    static let v = 9.91256303526217e-3
    /// x[0…128] and ratio[0…127] = x[i+1]/x[i], in one allocation.
    nonisolated(unsafe) static let table: UnsafeMutablePointer<Double> = {
        let p = UnsafeMutablePointer<Double>.allocate(capacity: 2 * layers + 1)
        var f = Foundation.exp(-0.5 * r * r)
        p[0] = v / f
        p[1] = r
        p[layers] = 0
        for i in 2..<layers {
            p[i] = (-2 * Foundation.log(v / p[i - 1] + f)).squareRoot()
            f = Foundation.exp(-0.5 * p[i] * p[i])
        }
        for i in 0..<layers { p[layers + 1 + i] = p[i + 1] / p[i] }
        return p
    }()

    /// 1/k for k = 0…201 (entry 0 unused), for the Poisson search.
    nonisolated(unsafe) static let inverseIntegers: UnsafeMutablePointer<Double> = {
        let p = UnsafeMutablePointer<Double>.allocate(capacity: 202)
        p[0] = 0
        for k in 1..<202 { p[k] = 1 / Double(k) }
        return p
    }()
}

extension RandomStream {
    /// A standard normal by the ziggurat (one 64-bit draw per normal in about 98.8% of cases).
    @inline(__always)
    public mutating func zigguratNormal() -> Double {
        let x = ZigguratTables.table
        let ratio = x + ZigguratTables.layers + 1
        let bits = next()
        let u = 2 * ((Double(bits >> 11) + 0.5) * 0x1.0p-53) - 1
        let i = Int(bits & 0x7F)
        if abs(u) < ratio[i] { return u * x[i] }
        return zigguratSlow(u, i)
    }

    /// The rare branches of the ziggurat: the tail and the wedges (then a fresh draw).
    @inline(never)
    mutating func zigguratSlow(_ u0: Double, _ i0: Int) -> Double {
        let x = ZigguratTables.table
        let ratio = x + ZigguratTables.layers + 1
        var u = u0
        var i = i0
        while true {
            if abs(u) < ratio[i] { return u * x[i] }
            if i == 0 {
                // Tail beyond R (Marsaglia 1964).
                var xt: Double
                var yt: Double
                repeat {
                    xt = Foundation.log(uniform()) / ZigguratTables.r
                    yt = Foundation.log(uniform())
                } while -2 * yt < xt * xt
                return u < 0 ? xt - ZigguratTables.r : ZigguratTables.r - xt
            }
            let xx = u * x[i]
            let f0 = Foundation.exp(-0.5 * (x[i] * x[i] - xx * xx))
            let f1 = Foundation.exp(-0.5 * (x[i + 1] * x[i + 1] - xx * xx))
            if f1 + uniform() * (f0 - f1) < 1 { return xx }
            let bits = next()
            u = 2 * ((Double(bits >> 11) + 0.5) * 0x1.0p-53) - 1
            i = Int(bits & 0x7F)
        }
    }

    /// Fills a buffer with ziggurat normals.
    @inline(__always)
    public mutating func fillZigguratNormals(_ buffer: UnsafeMutablePointer<Double>, count: Int) {
        for i in 0..<count { buffer[i] = zigguratNormal() }
    }

    /// Poisson(λ): sequential inversion with one uniform for λ < 20, PTRS otherwise.
    @inline(__always)
    public mutating func fastPoisson(_ lambda: Double) -> Int {
        if lambda <= 0 { return 0 }
        if lambda >= 20 { return poisson(lambda) }
        var p = Foundation.exp(-lambda)
        var cdf = p
        let u = uniform()
        var k = 0
        // 1/k from a table keeps the division off the dependent chain of the search.
        let inverse = ZigguratTables.inverseIntegers
        while u > cdf {
            k += 1
            if k > 200 { break }  // rounding guard: the tail beyond 200 has probability < 1e-100
            p *= lambda * inverse[k]
            cdf += p
        }
        return k
    }

    /// Negative binomial (Gamma–Poisson) with mean and size θ; θ = ∞ is Poisson.
    @inline(__always)
    public mutating func fastNegativeBinomial(mean: Double, size: Double) -> Int {
        if mean <= 0 { return 0 }
        if !size.isFinite { return fastPoisson(mean) }
        return fastPoisson(gamma(shape: size) * mean / size)
    }
}
