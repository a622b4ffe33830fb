import Foundation
import ScreenplanCore
import TestSupport
import Testing

// MARK: - Recommendations say what they do to power and cost, and never hide leaving the target

@Suite struct RecommendationEffectTests {
    /// The embedded default at 250 cells per perturbation, with the lanes to hold them (the
    /// design the issue saw a "fewer cells per lane" advice lower power on).
    static func design250() throws -> Design {
        var d = try DesignDocument.embeddedDefault().design
        d = try d.setting("batching.batches", to: "48")
        return try d.setting("sampling.cells_per_perturbation", to: "250")
    }

    @Test func everyChangeStatesItsMeasuredEffectAndSaysWhenItLeavesTheTarget() throws {
        let analyzer = Analyzer()
        let design = try Self.design250()
        let result = try analyzer.analyze(design)
        let applicable = result.recommendations.filter { !$0.change.isEmpty }
        #expect(!applicable.isEmpty)
        for r in applicable {
            let x = try #require(r.effect, "\(r.id) has no effect")
            #expect(abs(x.medianPowerBefore - result.summary.medianPower) < 1e-12)
            #expect(x.targetPower == design.analysis.targetPower)
            // The stated effect is the edited design's analysis.
            var edited = design
            for c in r.change { edited = try edited.setting(c.path, to: c.value) }
            let after = try analyzer.analyze(edited).summary
            #expect(abs(after.medianPower - x.medianPowerAfter) < 1e-9, "\(r.id)")
            #expect(abs(after.cost - x.costAfter) < 1e-6, "\(r.id)")
            #expect(r.message.contains("median power"))
            if x.lowersPowerBelowTarget {
                #expect(r.message.contains("below the target"), "\(r.id) hides that it leaves the target: \(r.message)")
            }
            if !x.meetsTarget { #expect(!r.message.contains("meets")) }
        }
    }

    /// The default design's "Load fewer cells per lane" barely moves power (0.97 → 0.97) and costs
    /// more lanes: it states what it gains, the multiplet rate per lane of both designs.
    @Test func fewerCellsPerLaneStatesTheMultipletRateItGains() throws {
        let analyzer = Analyzer()
        let design = try DesignDocument.embeddedDefault().design
        let evaluation = try analyzer.evaluate(design)
        let result = evaluation.result(recommendations: Recommendations.make(evaluation, analyzer: analyzer))
        let r = try #require(result.recommendations.first { $0.id == "doublet-rate" })
        let gain = try #require(r.effect?.gain)
        #expect(gain.quantity == "multiplet rate per lane" && gain.unit == "%")
        #expect(abs(gain.before - 100 * CellBudget(design, layout: evaluation.layout).multipletRate(design)) < 1e-9)
        #expect(gain.before > 100 * Recommendations.Threshold.doubletRate)
        var edited = design
        for c in r.change { edited = try edited.setting(c.path, to: c.value) }
        let after = try analyzer.evaluate(edited)
        #expect(abs(gain.after - 100 * CellBudget(edited, layout: after.layout).multipletRate(edited)) < 1e-9)
        #expect(gain.after < 0.8 * gain.before)
        // Stated in the message (text output and TUI list) and in the JSON.
        let stated = String(
            format: "Applying it: multiplet rate per lane %.1f%% → %.1f%%, median power", gain.before, gain.after)
        #expect(r.message.contains(stated), "\(r.message)")
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(r)) as? [String: Any]
        let effect = try #require(json?["effect"] as? [String: Any])
        let encoded = try #require(effect["gain"] as? [String: Any])
        #expect(encoded["quantity"] as? String == "multiplet rate per lane" && encoded["unit"] as? String == "%")
        #expect((encoded["before"] as? Double).map { abs($0 - gain.before) < 1e-12 } == true)
        #expect((encoded["after"] as? Double).map { abs($0 - gain.after) < 1e-12 } == true)
        // A recommendation whose gain is its power has none.
        for other in result.recommendations where other.id != "doublet-rate" && other.id != "control-cells-sqrt-k" {
            #expect(other.effect?.gain == nil, "\(other.id)")
        }
    }

    @Test func theSolversDesignsReachTheTarget() throws {
        var d = try DesignDocument.embeddedDefault().design
        // A small screen, so the solver's searches stay quick.
        d.perturbations.targets = 40
        d.system.genes = 300
        d.system.network.regulators = 40
        d.measurement.measuredGenes = 300
        d.batching.batches = 4
        d = try d.setting("batching.batches", to: "4")
        let analyzer = Analyzer()
        let found = try Recommendations.reachTarget(d, analyzer: analyzer)
        #expect(found.contains { $0.id == "reach-target-fewest-cells" })
        for r in found {
            let x = try #require(r.effect)
            #expect(x.meetsTarget, "\(r.id): \(r.message)")
            var edited = d
            for c in r.change { edited = try edited.setting(c.path, to: c.value) }
            #expect(try analyzer.evaluate(edited).medianPower >= d.analysis.targetPower)
        }
    }
}
