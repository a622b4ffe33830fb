import Foundation
import TestSupport
import Testing

@_spi(Testing) @testable import ScreenplanCore

// Welch's t-test at low counts (WelchPower.swift, docs/batching.md section 2.6): the model's
// rejection probability against an exact Monte Carlo of the test scanpy runs, Welch's t on
// log1p(10⁴·y/N) of simulated NB cells with library-size spread.

/// One simulated screen's Welch p-value: n_p perturbed and n_0 control cells, y | L ~ NB(mean·L,
/// θ = 1/mixing), L ~ LogNormal(0, s²), x = log1p(scale·y/L); p = 1 when both groups are
/// constant (scanpy's NaN → 1).
private func welchP(
    _ rng: inout RandomStream, control: CellGroup, fold: Double, np: Int, n0: Int, librarySD s: Double,
    scale: Double
) -> Double {
    func cells(_ mean: Double, _ n: Int) -> [Double] {
        (0..<n).map { _ in
            let l = Foundation.exp(s * rng.normal())
            let y = rng.negativeBinomial(mean: mean * l, size: 1 / control.mixing)
            return Foundation.log1p(scale * Double(y) / l)
        }
    }
    let p = cells(control.mean * fold, np)
    let c = cells(control.mean, n0)
    let outcome = DifferentialTests.welch(perturbed: p, reference: c)
    return outcome.p
}

/// (control UMIs per median cell, fold): a sparse null, a sparser null, low-count knockdowns and
/// a moderate one, at 25 perturbed cells against 350 controls, α = 0.01.
@Test(arguments: [(0.15, 1.0), (0.05, 1.0), (2.0, 1.0), (0.3, 0.3), (0.6, 0.4), (1.5, 0.6)])
func welchPowerMatchesSimulatedScreensAtLowCounts(_ setting: (mean: Double, fold: Double)) throws {
    let s = 0.4
    let mixing = 1 / 1.5
    let scale = 1e4 / 3000
    let alpha = 0.01
    let np = 25
    let n0 = 350
    let control = CellGroup(mean: setting.mean, mixing: mixing)
    let perturbed = CellGroup(mean: setting.mean * setting.fold, mixing: mixing)
    let reps = 3000
    var rng = RandomStream(seed: 2026, domain: .measurement, UInt64(400 + Int(setting.mean * 100 + setting.fold * 10)))
    var rejected = 0
    for _ in 0..<reps
    where welchP(&rng, control: control, fold: setting.fold, np: np, n0: n0, librarySD: s, scale: scale) < alpha {
        rejected += 1
    }
    let simulated = Double(rejected) / Double(reps)
    let mp = LogMoments.of(perturbed, librarySD: s, scale: scale)
    let m0 = LogMoments.of(control, librarySD: s, scale: scale)
    let model = WelchPower.rejection(perturbed: mp, control: m0, np: Double(np), n0: Double(n0), level: alpha)
    // The normal model the analysis used before (expected variances, t_df/z-widened threshold).
    let z = TestModels.standardisedStatistic(
        .tTest, perturbed: perturbed, control: control, np: Double(np), n0: Double(n0), librarySD: s, scale: scale)
    let se = (simulated * (1 - simulated) / Double(reps)).squareRoot()
    print(
        String(
            format: "welch mean %.2f fold %.2f: simulated %.4f ± %.4f, model %.4f, all-zero %.3f, normal z %.2f",
            setting.mean, setting.fold, simulated, se, model, WelchPower.allZero(mp, np: Double(np)), z.z))
    #expect(abs(model - simulated) < 0.02 + 3 * se, "model \(model) vs simulated \(simulated) ± \(se)")
}

/// scanpy tests every gene: with the t-test a target below the expression threshold keeps a
/// power (the screens whose perturbed cells all count zero reject), flagged, with target_sd not
/// estimable; the other tests still call it untestable (power 0).
@Test func tTestPredictsPowerForTargetsBelowTheExpressionThreshold() throws {
    // Every gene below the threshold (so no downstream gene is tested, which keeps this fast).
    let threshold = 1e6
    for test in [DifferentialTest.tTest, .wilcoxon] {
        let e = try Analyzer().evaluate(
            smallDesign {
                $0.analysis.test = test
                $0.analysis.expressionThreshold = threshold
            })
        let below = e.rows.filter { $0.targetUMIs > 0 && $0.targetUMIs < threshold && $0.batches > 0 }
        #expect(!below.isEmpty)
        for row in below {
            #expect(row.flags.contains("target below expression threshold"))
            if test == .tTest {
                #expect(row.power > 0.005 && row.power <= 1, "\(row.name) \(row.power)")
                #expect(row.flags.contains { $0.hasPrefix("scanpy's t-test still tests it") })
                #expect(row.samplingPower > 0)
            } else {
                #expect(row.power == 0, "\(row.name) \(row.power)")
            }
        }
    }
}
