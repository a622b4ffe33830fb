import Foundation
import Testing

@testable import ScreenplanCore

// The differential tests montecarlo runs: p-values uniform under the null (Kolmogorov–Smirnov on
// simulated null data: NB counts with library-size spread and batch effects, no perturbation
// effect), power against a real effect, and the GLM score statistic against a brute-force IRLS
// fit of the full null model with a dense LAPACK solve.

/// Kolmogorov–Smirnov p-value of `p` against U(0, 1) (asymptotic Kolmogorov distribution with
/// Stephens' small-sample correction).
func ksUniformP(_ p: [Double]) -> Double {
    let s = p.sorted()
    let n = Double(s.count)
    var d = 0.0
    for (i, x) in s.enumerated() { d = max(d, Double(i + 1) / n - x, x - Double(i) / n) }
    let lambda = (n.squareRoot() + 0.12 + 0.11 / n.squareRoot()) * d
    var sum = 0.0
    for j in 1...100 {
        let jd = Double(j)
        sum += (j % 2 == 1 ? 2 : -2) * Foundation.exp(-2 * jd * jd * lambda * lambda)
    }
    return min(1, max(0, sum))
}

/// One synthetic comparison: `np` perturbed and `n0` reference cells over `units` batches, NB
/// counts with size `theta`, mean L·π·e^{β_b}·fold for perturbed cells.
private func synthetic(
    _ rng: inout RandomStream, np: Int, n0: Int, units: Int, share: Double, theta: Double,
    fold: Double = 1
) -> (GeneCells, GeneCells) {
    let batch = (0..<units).map { _ in 0.3 * rng.normal() }
    func cells(_ n: Int, _ f: Double) -> GeneCells {
        var g = GeneCells()
        for c in 0..<n {
            let u = c % units
            let lib = (5000 * Foundation.exp(0.5 * rng.normal())).rounded()
            g.counts.append(Double(rng.negativeBinomial(mean: lib * share * Foundation.exp(batch[u]) * f, size: theta)))
            g.library.append(lib)
            g.unit.append(u)
        }
        return g
    }
    return (cells(np, fold), cells(n0, 1))
}

private func nullPValues(_ test: (GeneCells, GeneCells) -> TestOutcome, share: Double = 1e-3, np: Int = 40) -> [Double]
{
    var rng = RandomStream(seed: 11, domain: .montecarlo, 7)
    return (0..<1500).map { _ in
        let (p, r) = synthetic(&rng, np: np, n0: 400, units: 4, share: share, theta: 2)
        return test(p, r).p
    }
}

@Test func glmScoreTestIsUniformUnderTheNull() {
    for share in [1e-4, 1e-3] {
        let p = nullPValues(
            { p, r in
                DifferentialTests.nbScore(
                    perturbed: p, reference: r, theta: DifferentialTests.momentTheta(r, units: 4), units: 4)
            }, share: share)
        #expect(ksUniformP(p) > 0.01, "share \(share): KS p \(ksUniformP(p))")
    }
}

@Test func glmScorePValueIsTheSkewNormalTailThePowerModelRejectsBeyond() {
    // montecarlo's glm p-value and the power model must refer to one test: at the model's
    // skew-normal critical values (SkewNormal.criticalValues) the p-value is the level. A one-term
    // Edgeworth or plain normal tail misses it by 5-30% at these skews.
    for gamma in [0.1, 0.3, 0.6, -0.3] {
        for level in [0.01, 1e-3, 1e-4] {
            let z = Normal.quantile(1 - level / 2)
            let (lower, upper) = SkewNormal.criticalValues(z: z, skewness: gamma)
            let below = DifferentialTests.skewNormalP(-lower, skewness: gamma)
            let above = DifferentialTests.skewNormalP(upper, skewness: gamma)
            #expect(abs(below / level - 1) < 0.02, "γ \(gamma), level \(level): p at −lower \(below)")
            #expect(abs(above / level - 1) < 0.02, "γ \(gamma), level \(level): p at upper \(above)")
        }
    }
    #expect(DifferentialTests.skewNormalP(1.2, skewness: 0) == DifferentialTests.normalP(1.2))
    #expect(DifferentialTests.skewNormalP(0.0, skewness: 0.4) <= 1)
}

@Test func glmScoreTestIsUniformUnderTheNullAtASkewingFewUMIsPerCell() {
    // 0.25 UMIs per cell on average: the score is right-skewed (γ ≈ 0.2-0.4), where the
    // skew-normal p-value matters. Uniform overall, and each tail holds about α/2 at α = 0.01.
    var rng = RandomStream(seed: 12, domain: .montecarlo, 8)
    var p: [Double] = []
    var low = 0
    var high = 0
    for _ in 0..<3000 {
        let (a, b) = synthetic(&rng, np: 40, n0: 400, units: 4, share: 5e-5, theta: 2)
        let o = DifferentialTests.nbScore(
            perturbed: a, reference: b, theta: DifferentialTests.momentTheta(b, units: 4), units: 4)
        guard o.p.isFinite else { continue }
        p.append(o.p)
        if o.p < 0.01 { if o.statistic < 0 { low += 1 } else { high += 1 } }
    }
    #expect(p.count > 2900)
    #expect(ksUniformP(p) > 0.01, "KS p \(ksUniformP(p))")
    // α/2 = 0.5% of ~3000 = 15 per tail; 3 binomial sd ≈ 11.6.
    #expect(abs(Double(low) - 0.005 * Double(p.count)) < 12, "lower tail \(low) of \(p.count)")
    #expect(abs(Double(high) - 0.005 * Double(p.count)) < 12, "upper tail \(high) of \(p.count)")
}

@Test func wilcoxonIsUniformUnderTheNull() {
    for share in [1e-4, 1e-3] {
        let p = nullPValues(
            { p, r in DifferentialTests.wilcoxon(perturbed: p.logNormalised, reference: r.logNormalised) },
            share: share)
        #expect(ksUniformP(p) > 0.01, "share \(share): KS p \(ksUniformP(p))")
    }
}

@Test func welchIsUniformUnderTheNull() {
    let p = nullPValues({ p, r in DifferentialTests.welch(perturbed: p.logNormalised, reference: r.logNormalised) })
    #expect(ksUniformP(p) > 0.01, "KS p \(ksUniformP(p))")
}

@Test func pseudobulkIsUniformUnderTheNull() {
    let p = nullPValues(
        { p, r in
            DifferentialTests.pseudobulk(
                perturbed: p, reference: r, units: [0, 1, 2, 3], own: [true, true, true, true],
                referenceUnits: [0, 1, 2, 3])
        }, np: 200)
    #expect(ksUniformP(p) > 0.01, "KS p \(ksUniformP(p))")
}

@Test func kolmogorovSmirnovRejectsNonUniformPValues() {
    // The check above can fail: p-values of a test with a real effect are far from uniform.
    var rng = RandomStream(seed: 3, domain: .montecarlo, 1)
    let p = (0..<300).map { _ -> Double in
        let (a, b) = synthetic(&rng, np: 40, n0: 400, units: 4, share: 1e-3, theta: 2, fold: 0.7)
        return DifferentialTests.wilcoxon(perturbed: a.logNormalised, reference: b.logNormalised).p
    }
    #expect(ksUniformP(p) < 1e-6)
}

@Test func studentTTailMatchesKnownValues() {
    // t(10) at 2.228: two-sided 0.05; t(3) at 3.182: 0.05; large df → normal.
    #expect(abs(StudentT.twoSidedP(2.228139, df: 10) - 0.05) < 1e-5)
    #expect(abs(StudentT.twoSidedP(3.182446, df: 3) - 0.05) < 1e-5)
    #expect(abs(StudentT.twoSidedP(1.959964, df: 1e9) - 0.05) < 1e-6)
}

@Test func glmScoreMatchesBruteForceIRLS() throws {
    var rng = RandomStream(seed: 5, domain: .montecarlo, 2)
    let units = 3
    let (p, r) = synthetic(&rng, np: 30, n0: 90, units: units, share: 2e-3, theta: 1.5, fold: 0.8)
    let theta = 1.5
    let fast = DifferentialTests.nbScore(perturbed: p, reference: r, theta: theta, units: units)

    // Brute force: X = [batch dummies | x], IRLS for the null (batch dummies only, offset log L),
    // then U = X_xᵀ(y − μ)/(1 + μ/θ) and the efficient information I_xx − I_xa I_aa⁻¹ I_ax from
    // the dense Fisher information XᵀWX.
    let y = p.counts + r.counts
    let lib = p.library + r.library
    let unit = p.unit + r.unit
    let x = [Double](repeating: 1, count: p.count) + [Double](repeating: 0, count: r.count)
    let n = y.count
    var beta = [Double](repeating: 0, count: units)
    for _ in 0..<100 {
        var xtwx = Matrix(rows: units, cols: units)
        var xtwz = [Double](repeating: 0, count: units)
        for c in 0..<n {
            let mu = lib[c] * Foundation.exp(beta[unit[c]])
            let w = mu / (1 + mu / theta)
            let z = beta[unit[c]] + (y[c] - mu) / mu  // working response without the offset
            xtwx[unit[c], unit[c]] += w
            xtwz[unit[c]] += w * z
        }
        let next = try LUFactorization(xtwx).solve(xtwz)
        let change = zip(next, beta).map { abs($0 - $1) }.max() ?? 0
        beta = next
        if change < 1e-12 { break }
    }
    var info = Matrix(rows: units + 1, cols: units + 1)
    var score = 0.0
    for c in 0..<n {
        let mu = lib[c] * Foundation.exp(beta[unit[c]])
        let w = mu / (1 + mu / theta)
        let row = [Double]((0..<units).map { $0 == unit[c] ? 1 : 0 }) + [x[c]]
        for i in 0...units { for j in 0...units { info[i, j] += w * row[i] * row[j] } }
        score += x[c] * (y[c] - mu) / (1 + mu / theta)
    }
    let inverse = try LUFactorization(info).solve(Matrix.identity(units + 1))
    let z = score * inverse[units, units].squareRoot()  // U·√((I⁻¹)_ββ) = U/√(efficient information)
    #expect(abs(fast.statistic - z) < 1e-6 * max(1, abs(z)), "fast \(fast.statistic) brute force \(z)")
    #expect(abs(fast.statistic) > 1)  // the effect is visible, so the comparison is not at z ≈ 0
}

@Test func testsHavePowerAgainstARealEffect() {
    var rng = RandomStream(seed: 9, domain: .montecarlo, 3)
    var rejections = [0, 0, 0, 0]
    for _ in 0..<100 {
        let (p, r) = synthetic(&rng, np: 60, n0: 400, units: 4, share: 2e-3, theta: 2, fold: 0.5)
        let outcomes = [
            DifferentialTests.nbScore(
                perturbed: p, reference: r, theta: DifferentialTests.momentTheta(r, units: 4), units: 4),
            DifferentialTests.wilcoxon(perturbed: p.logNormalised, reference: r.logNormalised),
            DifferentialTests.welch(perturbed: p.logNormalised, reference: r.logNormalised),
            DifferentialTests.pseudobulk(
                perturbed: p, reference: r, units: [0, 1, 2, 3], own: [true, true, true, true],
                referenceUnits: [0, 1, 2, 3]),
        ]
        for (i, o) in outcomes.enumerated() where o.p < 0.01 { rejections[i] += 1 }
    }
    for (i, count) in rejections.enumerated() { #expect(count > 80, "test \(i): \(count) of 100") }
}

@Test func glmSkewCorrectionHoldsEachTailAtLowCounts() {
    // About one UMI per cell: the score is bounded below, so the normal tail is conservative for
    // knockdowns. The skew-normal p-value holds each tail near α/2 (6,000 null draws:
    // binomial se of one tail's rate at 0.01 is 0.0013).
    var rng = RandomStream(seed: 21, domain: .montecarlo, 9)
    var lower = 0
    var upper = 0
    var lowerNormal = 0
    let n = 6000
    for _ in 0..<n {
        let (p, r) = synthetic(&rng, np: 40, n0: 400, units: 4, share: 2e-4, theta: 2)
        let o = DifferentialTests.nbScore(
            perturbed: p, reference: r, theta: DifferentialTests.momentTheta(r, units: 4), units: 4)
        if o.p < 0.02 { if o.statistic < 0 { lower += 1 } else { upper += 1 } }
        if o.statistic < 0 && DifferentialTests.normalP(o.statistic) < 0.02 { lowerNormal += 1 }
    }
    let lo = Double(lower) / Double(n)
    let hi = Double(upper) / Double(n)
    #expect((0.006...0.015).contains(lo), "lower tail \(lo) (normal tail \(Double(lowerNormal) / Double(n)))")
    #expect((0.006...0.015).contains(hi), "upper tail \(hi)")
    // The correction matters here: the plain normal lower tail rejects less often.
    #expect(
        Double(lowerNormal) / Double(n) < lo - 0.001,
        "normal lower tail \(Double(lowerNormal) / Double(n)), corrected \(lo)")
}
