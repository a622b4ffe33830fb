import Foundation
import Testing

@testable import ScreenplanCore

// The one gamma sampler (Marsaglia–Tsang on ziggurat normals) against the exact Gamma law: the
// simulator draws knockdown efficiencies (Beta from two gammas), onset delays, cell-type shares
// and every negative-binomial count from it, so its law is the model's.

/// The regularised lower incomplete gamma P(a, x) (series below a + 1, Lentz's continued fraction
/// above; Numerical Recipes §6.2), to 1e-12.
private func regularizedGammaP(_ a: Double, _ x: Double) -> Double {
    if x <= 0 { return 0 }
    let logPrefix = -x + a * Foundation.log(x) - Foundation.lgamma(a)
    if x < a + 1 {
        var term = 1 / a
        var sum = term
        var n = a
        for _ in 0..<10_000 {
            n += 1
            term *= x / n
            sum += term
            if abs(term) < abs(sum) * 1e-15 { break }
        }
        return sum * Foundation.exp(logPrefix)
    }
    let tiny = 1e-300
    var b = x + 1 - a
    var c = 1 / tiny
    var d = 1 / b
    var h = d
    for i in 1..<10_000 {
        let an = -Double(i) * (Double(i) - a)
        b += 2
        d = an * d + b
        if abs(d) < tiny { d = tiny }
        c = b + an / c
        if abs(c) < tiny { c = tiny }
        d = 1 / d
        let delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15 { break }
    }
    return 1 - Foundation.exp(logPrefix) * h
}

/// One-sample Kolmogorov–Smirnov statistic of `sample` against `cdf`.
private func ksAgainst(_ sample: [Double], _ cdf: (Double) -> Double) -> Double {
    let x = sample.sorted()
    let n = Double(x.count)
    var d = 0.0
    for (i, v) in x.enumerated() {
        let f = cdf(v)
        d = max(d, abs(f - Double(i) / n), abs(Double(i + 1) / n - f))
    }
    return d
}

/// Where `sample` departs from Gamma(shape, 1): mean and variance beyond 4.5 standard errors,
/// KS beyond its α ≈ 10⁻⁴ critical value. Empty when it agrees.
private func gammaDepartures(_ sample: [Double], shape: Double) -> [String] {
    let n = Double(sample.count)
    let m = sample.reduce(0, +) / n
    let v = sample.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1)
    var problems: [String] = []
    // Gamma(a): mean a, variance a, fourth central moment 3a² + 6a.
    let zMean = abs(m - shape) / (shape / n).squareRoot()
    if zMean > 4.5 { problems.append("shape \(shape): mean \(m) (z = \(zMean))") }
    let zVar = abs(v - shape) / ((3 * shape * shape + 6 * shape - shape * shape) / n).squareRoot()
    if zVar > 4.5 { problems.append("shape \(shape): variance \(v) (z = \(zVar))") }
    let d = ksAgainst(sample, { regularizedGammaP(shape, $0) })
    let critical = 2.15 / n.squareRoot()
    if d > critical { problems.append("shape \(shape): KS D = \(d) > \(critical)") }
    return problems
}

@Test func incompleteGammaMatchesKnownValues() {
    // P(1, x) = 1 − e^{−x}; P(0.5, x) = erf(√x); P(3, 2) = 1 − 5e^{−2}.
    for x in [0.1, 1.0, 2.5, 7.0] {
        #expect(abs(regularizedGammaP(1, x) - (1 - Foundation.exp(-x))) < 1e-12)
        #expect(abs(regularizedGammaP(0.5, x) - Foundation.erf(x.squareRoot())) < 1e-12)
    }
    #expect(abs(regularizedGammaP(3, 2) - (1 - 5 * Foundation.exp(-2))) < 1e-12)
}

@Test func gammaSamplerHasTheExactGammaLaw() {
    // Shapes of the simulator's uses: θ of the counts (0.3–10), onsets (4), Beta halves of a
    // knockdown efficiency at concentration 30 (about 3–27), and the shape < 1 boost.
    for (index, shape) in [0.3, 1.5, 4.0, 27.0].enumerated() {
        var rng = RandomStream(seed: 7, domain: .measurement, UInt64(index))
        let sample = (0..<100_000).map { _ in rng.gamma(shape: shape) }
        let problems = gammaDepartures(sample, shape: shape)
        #expect(problems.isEmpty, "\(problems)")
    }
    // The comparison detects a sampler whose shape is off by 3%.
    var rng = RandomStream(seed: 7, domain: .measurement, 99)
    let off = (0..<100_000).map { _ in rng.gamma(shape: 4 * 1.03) }
    #expect(!gammaDepartures(off, shape: 4).isEmpty)
}
