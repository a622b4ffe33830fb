import Foundation
import TestSupport
import Testing

@_spi(Testing) @testable import ScreenplanCore

// The skew-normal critical values of the GLM score's power (docs/batching.md, section 2.6): the
// threshold SCEPTRE's resampling applies, against brute force.

/// The interpolation table against directly solved quantiles (with 16 times finer quadrature),
/// and the directly solved quantiles against the distribution's defining properties.
@Test func skewNormalCriticalValuesMatchTheExactQuantiles() throws {
    for gamma in [0.05, 0.17, 0.31, 0.5, 0.73, 0.97] {
        for z in [1.0, 1.96, 2.576, 3.29, 4.4, 5.9] {
            let tail = Normal.cdf(-z)
            let exactLower = -SkewNormal.standardisedQuantile(tail, skewness: gamma, intervals: 2048)
            let exactUpper = SkewNormal.standardisedQuantile(1 - tail, skewness: gamma, intervals: 2048)
            let table = SkewNormal.criticalValues(z: z, skewness: gamma)
            let tolerance = gamma <= 0.75 && z <= 4.5 ? 2e-3 : 0.05
            #expect(
                abs(table.lower - exactLower) < tolerance, "γ \(gamma) z \(z): lower \(table.lower) vs \(exactLower)")
            #expect(
                abs(table.upper - exactUpper) < tolerance, "γ \(gamma) z \(z): upper \(table.upper) vs \(exactUpper)")
            // A right-skewed null at a test's levels: the short lower tail, the long upper one.
            if z > 1.5 { #expect(table.lower < z && table.upper > z) }
            let mirrored = SkewNormal.criticalValues(z: z, skewness: -gamma)
            #expect(abs(mirrored.lower - table.upper) < 1e-12 && abs(mirrored.upper - table.lower) < 1e-12)
        }
    }
    #expect(SkewNormal.criticalValues(z: 2.576, skewness: 0) == (2.576, 2.576))
    // The standardised distribution: mean 0, variance 1, skewness γ (midpoint quantiles).
    let gamma = 0.4
    let n = 20_000
    var m1 = 0.0
    var m2 = 0.0
    var m3 = 0.0
    for i in 0..<n {
        let x = SkewNormal.standardisedQuantile((Double(i) + 0.5) / Double(n), skewness: gamma)
        m1 += x
        m2 += x * x
        m3 += x * x * x
    }
    m1 /= Double(n)
    m2 /= Double(n)
    m3 /= Double(n)
    #expect(abs(m1) < 1e-3 && abs(m2 - 1) < 5e-3, "mean \(m1), variance \(m2)")
    #expect(abs(m3 - gamma) < 0.02, "skewness \(m3)")
}

/// The threshold a lab's pysceptre run applies to a low-count knockdown: the α/2 quantile of a
/// skew-normal moment-matched to the resampled null scores (`fit_and_evaluate_skew_normal`, which
/// decides every rejection at α = 0.01). Here 40,000 null screens of the union-fit score (20
/// perturbed and 150 control cells, 0.5 UMIs per cell) stand in for the resampled statistics; the
/// model's lower critical value must be that fitted curve's quantile. The one-term Cornish–Fisher
/// value −z + γ(z² − 1)/6 the model used before lies 0.04 inside it, which over-predicted
/// low-count targets against pysceptre (in vitro bins at predicted 0.15–0.35).
@Test func glmLowerCriticalValueIsTheSkewNormalSCEPTREFits() throws {
    let s = 0.4
    let np = 20
    let n0 = 150
    let mean = 0.5
    let mixing = 0.3
    let nodes = LibraryNodes(sd: s, count: TestModels.smoothNodes)
    let g0 = CellGroup(mean: mean, mixing: mixing)
    let model = TestModels.glmScore(
        [(n: Double(np), n0: Double(n0), count: 1)], perturbed: g0, control: g0, perturbedAssigned: 1,
        controlAssigned: 1, nodes: nodes, nullInfo: TestModels.glmWeight(g0, nodes: nodes),
        nullThird: TestModels.glmThirdCumulant(g0, nodes: nodes))
    var rng = RandomStream(seed: 2027, domain: .measurement, 96)
    var zs: [Double] = []
    let replicates = 40_000
    zs.reserveCapacity(replicates)
    var y = [Double](repeating: 0, count: np + n0)
    var l = [Double](repeating: 0, count: np + n0)
    for _ in 0..<replicates {
        for c in 0..<(np + n0) {
            l[c] = Foundation.exp(s * rng.normal())
            y[c] = Double(rng.negativeBinomial(mean: mean * l[c], size: 1 / mixing))
        }
        let (u, ip, total) = unionFitScore(y, l, perturbed: np, mixing: mixing)
        if ip > 0 && total > ip { zs.append(u / (ip - ip * ip / total).squareRoot()) }
    }
    let n = Double(zs.count)
    let m = zs.reduce(0, +) / n
    let v = zs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / n
    let sampleSkew = zs.reduce(0) { $0 + Foundation.pow($1 - m, 3) } / n / Foundation.pow(v, 1.5)
    let z = Normal.quantile(1 - 0.01 / 2)
    // The curve pysceptre fits to these statistics, in their standardised units.
    let fitted = -SkewNormal.standardisedQuantile(0.005, skewness: sampleSkew)
    let modelled = SkewNormal.criticalValues(z: z, skewness: model.skewness).lower
    let cornishFisher = z - model.skewness * (z * z - 1) / 6
    // The sample skewness has a standard error of √(6/n) ≈ 0.012, i.e. 0.01 in the quantile.
    #expect(abs(model.skewness - sampleSkew) < 0.05, "skewness model \(model.skewness), simulated \(sampleSkew)")
    #expect(abs(modelled - fitted) < 0.025, "model \(modelled), fitted skew-normal \(fitted)")
    #expect(fitted - cornishFisher > 0.03, "Cornish–Fisher \(cornishFisher), fitted skew-normal \(fitted)")
}
