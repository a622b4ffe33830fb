import Foundation
import Testing

@testable import ScreenplanCore

// The guide spread through a test's curvature (docs/batching.md, section 2.6): the power of a
// statistic whose mean is linear in the fold F − 1 (the GLM score) when the library's effect
// spreads on the log2 scale, checked against brute-force draws of that statistic.

@Test func curvedPowerMatchesDrawsOfAStatisticLinearInTheFold() {
    let delta = -1.6
    let spread = 0.5
    let sd = 0.45
    let z = Normal.quantile(1 - 0.01 / 2)
    // The statistic in log2-equivalent units: T = δ·(2^{δ+u} − 1)/(2^δ − 1) + ε.
    var rng = RandomStream(seed: 11, domain: .montecarlo, 3)
    let draws = 400_000
    var rejected = 0
    for _ in 0..<draws {
        let u = spread * rng.normal()
        let e = sd * rng.normal()
        let t = delta * (Foundation.exp2(delta + u) - 1) / (Foundation.exp2(delta) - 1) + e
        if abs(t) > z * sd { rejected += 1 }
    }
    let brute = Double(rejected) / Double(draws)
    let curved = Normal.power(
        effect: delta, sd: sd, critical: z, spread: spread, nullSD: nil, nullSkewness: 0, curvature: 1)
    let linear = Normal.power(effect: delta, sd: sd, critical: z, spread: spread)
    #expect(abs(curved - brute) < 0.01, "curved \(curved) vs draws \(brute)")
    // The secant through 0 under-states it by several points here (what the engines showed).
    #expect(brute - linear > 0.02, "linear \(linear) vs draws \(brute)")
    // The library's own draws replace the normal ones: a symmetric set gives the same answer.
    let offsets = Normal.spreadNodes.map { $0 * spread }
    let viaOffsets = Normal.power(
        effect: delta, sd: sd, critical: z, spread: 0, nullSD: nil, nullSkewness: 0,
        curvature: 1, offsets: offsets)
    #expect(abs(viaOffsets - curved) < 1e-12)
}

@Test func curvatureFromTwoPointsRecoversTheFoldScale() {
    // z ∝ F − 1: z(δ/2)/z(δ) = (2^{δ/2} − 1)/(2^δ − 1).
    for delta in [-2.0, -0.7, 0.8] {
        let r = (Foundation.exp2(delta / 2) - 1) / (Foundation.exp2(delta) - 1)
        #expect(abs(Normal.curvature(effect: delta, halfRatio: r) - 1) < 1e-9)
    }
    #expect(Normal.curvature(effect: -1, halfRatio: 0.5) == 0)
}

@Test func studentQuantileRatioMatchesTables() {
    let z = Normal.quantile(0.995)
    // t quantiles (0.995): ν = 5 → 4.0321, 10 → 3.1693, 30 → 2.7500.
    #expect(abs(Normal.studentQuantileRatio(z: z, df: 5) * z - 4.0321) < 0.03)
    #expect(abs(Normal.studentQuantileRatio(z: z, df: 10) * z - 3.1693) < 0.002)
    #expect(abs(Normal.studentQuantileRatio(z: z, df: 30) * z - 2.7500) < 0.001)
    #expect(Normal.studentQuantileRatio(z: z, df: .infinity) == 1)
}
