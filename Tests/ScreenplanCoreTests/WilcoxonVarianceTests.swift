import Foundation
import TestSupport
import Testing

@_spi(Testing) @testable import ScreenplanCore

// The rank sum's spread under the alternative (docs/batching.md, section 2.6), against brute force.

/// A strong knockdown against many controls, as at high MOI (25 perturbed cells against 1,200
/// complement cells): 1,000 simulated experiments' tie-corrected Wilcoxon z. Their sd is the
/// model's √(Var₁ U/Var₀ U) (`TestModels.wilcoxonVarianceRatio`); Noether's approximation, which
/// the model used before, takes it as 1 and under-predicted the upper power bins at high MOI.
/// The sd of 1,000 z's has a relative standard error of about 2.2%.
@Test func wilcoxonSpreadUnderTheAlternativeMatchesSimulatedScreens() throws {
    let s = 0.4
    let control = CellGroup(mean: 2.0, mixing: 0.5)
    let perturbed = CellGroup(mean: 2.0 * 0.3, mixing: 0.5)
    let np = 25
    let n0 = 1200
    let reps = 1000
    var rng = RandomStream(seed: 2028, domain: .measurement, 97)
    func cells(_ g: CellGroup, _ count: Int) -> [Double] {
        (0..<count).map { _ in
            let l = Foundation.exp(s * rng.normal())
            return Double(rng.negativeBinomial(mean: g.mean * l, size: 1 / g.mixing)) / l
        }
    }
    var zs: [Double] = []
    for _ in 0..<reps {
        let a = cells(perturbed, np)
        let b = cells(control, n0)
        let (u, tieFactor) = rankSum(a, b)
        let n = Double(np + n0)
        let v0 = Double(np * n0) * (n + 1) / 12 * tieFactor
        zs.append((u - Double(np * n0) / 2) / v0.squareRoot())
    }
    let mean = zs.reduce(0, +) / Double(reps)
    let sd = (zs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(reps - 1)).squareRoot()
    let ratio = TestModels.wilcoxonVarianceRatio(
        perturbed: perturbed, control: control, np: Double(np), n0: Double(n0), librarySD: s)
    #expect(abs(ratio.squareRoot() - sd) < 0.08 * sd, "sd of z simulated \(sd), model \(ratio.squareRoot())")
    #expect(sd < 0.85, "the alternative's z is less spread than the null's (sd \(sd))")
    // Under the null the ratio is 1 (ties included).
    let null = TestModels.wilcoxonVarianceRatio(
        perturbed: control, control: control, np: Double(np), n0: Double(n0), librarySD: s)
    #expect(abs(null - 1) < 0.02, "null ratio \(null)")
}
