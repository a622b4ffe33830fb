import Foundation
import TestSupport
import Testing

// analyze, compare and optimize through the real binary: exit codes, JSON keys, units in text.

private func writeDesign(_ text: String, in dir: String, name: String = "small.yaml") throws -> String {
    let path = dir + "/" + name
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

private func json(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

@Test func analyzeJSONHasTheContractKeys() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = try writeDesign(smallScreen, in: dir)
    let r = try runScreenplan(["analyze", path, "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let object = try json(r.stdout)
    let perturbations = try #require(object["perturbations"] as? [[String: Any]])
    #expect(perturbations.count == 20)
    for key in ["name", "target", "cells", "batches", "target_effect", "target_sd", "power", "de_genes"] {
        #expect(perturbations[0][key] != nil, "missing perturbations[].\(key)")
    }
    let summary = try #require(object["summary"] as? [String: Any])
    #expect(summary["median_power"] is Double && summary["cost"] is Double)
    #expect(summary["currency"] as? String == "USD")
    #expect(object["error_budget"] is [[String: Any]])
    let recs = try #require(object["recommendations"] as? [[String: Any]])
    let controls = try #require(recs.first { $0["id"] as? String == "controls-in-every-batch" })
    let change = try #require(controls["change"] as? [[String: Any]])
    #expect(change.first?["path"] as? String == "batching.controls_in_fraction")
}

@Test func analyzeTextCarriesUnits() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = try writeDesign(smallScreen, in: dir)
    let r = try runScreenplan(["analyze", path, "--no-solve"])
    #expect(r.status == 0)
    #expect(r.stdout.contains("effect (log2)") && r.stdout.contains("sd (log2)"))
    #expect(r.stdout.contains("variance (log2²)"))
    #expect(r.stdout.contains(" USD"))
}

@Test func analysisCommandsExitTwoOnBadInput() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let good = try writeDesign(smallScreen, in: dir)
    let bad = try writeDesign("name: x\nbatching:\n  batches: -3\n", in: dir, name: "bad.yaml")
    let cases: [[String]] = [
        ["analyze", dir + "/missing.yaml"],
        ["analyze", bad],
        ["analyze", good, "--layout", "nonsense"],
        ["compare", good, "--layouts", "pooled,nonsense"],
        ["compare", good, bad],
        ["optimize", good],
        ["optimize", good, "--budget", "-5"],
        ["optimize", good, "--power", "1.5"],
    ]
    for args in cases {
        let r = try runScreenplan(args)
        #expect(r.status == 2, "\(args): status \(r.status), stderr \(r.stderr)")
        #expect(!r.stderr.isEmpty)
        #expect(!r.stderr.contains("Fatal error"))
    }
    // Errors in the design name the field.
    let r = try runScreenplan(["analyze", bad])
    #expect(r.stderr.contains("batching.batches"))
}

@Test func compareLayoutsAndDesigns() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let a = try writeDesign(smallScreen, in: dir)
    let b = try writeDesign(
        smallScreen.replacingOccurrences(of: "controls_in_fraction: 0.5", with: "controls_in_fraction: 1"),
        in: dir, name: "b.yaml")
    let layouts = try runScreenplan(["compare", a, "--layouts", "pooled,confounded", "--json"])
    #expect(layouts.status == 0, "\(layouts.stderr)")
    let entries = try #require(try json(layouts.stdout)["layouts"] as? [[String: Any]])
    #expect(entries.map { $0["layout"] as? String } == ["pooled", "confounded"])
    for e in entries { #expect((e["summary"] as? [String: Any])?["median_power"] != nil) }
    let designs = try runScreenplan(["compare", a, b, "--json"])
    #expect(designs.status == 0)
    let pair = try #require(try json(designs.stdout)["layouts"] as? [[String: Any]])
    #expect(pair.count == 2)
    // Controls in every batch remove the confounding: B has the lower median sd.
    let sdA = try #require(pair[0]["median_sd"] as? Double)
    let sdB = try #require(pair[1]["median_sd"] as? Double)
    #expect(sdB < sdA)
    let text = try runScreenplan(["compare", a, b])
    #expect(text.status == 0 && text.stdout.contains("Δ power"))
}

@Test func optimizeWithinBudgetAndForPower() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = try writeDesign(smallScreen, in: dir)
    let r = try runScreenplan(["optimize", path, "--budget", "8000", "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let best = try #require(try json(r.stdout)["best"] as? [String: Any])
    let cost = try #require((best["cost"] as? [String: Any])?["total"] as? Double)
    #expect(cost <= 8000)
    for key in [
        "cells_per_perturbation", "reads_per_cell", "batches", "control_cells_per_batch", "median_power", "change",
    ] {
        #expect(best[key] != nil, "missing best.\(key)")
    }
    let p = try runScreenplan(["optimize", path, "--power", "0.9", "--json"])
    #expect(p.status == 0, "\(p.stderr)")
    let cheapest = try #require(try json(p.stdout)["best"] as? [String: Any])
    #expect((cheapest["median_power"] as? Double ?? 0) >= 0.9)
}

@Test func montecarloReportsTheMedianVarianceRatio() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = try writeDesign(
        """
        name: tiny
        system:
          genes: 40
          network: {seed: 5, regulators: 10}
          time_step_h: 1.0
        perturbations: {targets: 8}
        protocol:
          - {medium: growth, perturb: false, duration_h: 6}
          - {medium: growth, perturb: true, duration_h: 24}
        sampling: {cells_per_perturbation: 20}
        measurement: {measured_genes: 60, mrna_per_cell: 50000}
        batching: {batches: 2}
        """, in: dir)
    let r = try runScreenplan(["montecarlo", path, "--reps", "3", "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let object = try json(r.stdout)
    #expect(object["median_variance_ratio"] is Double)
    let rows = try #require(object["perturbations"] as? [[String: Any]])
    for key in ["name", "analytical_variance", "empirical_variance", "ratio"] {
        #expect(rows.first?[key] != nil, "\(key)")
    }
    // The design's test ran on every replicate: calibration, Brier score, null rejections, bias.
    #expect(object["test"] as? String == "glm")
    #expect((object["power_calibration"] as? [[String: Any]])?.isEmpty == false)
    for key in ["brier", "null_rejection_rate", "bias_median", "variance_ratio_quantiles"] {
        #expect(object[key] != nil, "\(key)")
    }
    let text = try runScreenplan(["montecarlo", path, "--reps", "3"])
    #expect(text.status == 0)
    #expect(
        text.stdout.contains("Brier score") && text.stdout.contains("truth-null genes")
            && text.stdout.contains("predicted power bin"))
    #expect(try runScreenplan(["montecarlo", path, "--reps", "1"]).status == 2)
    #expect(try runScreenplan(["montecarlo", dir + "/missing.yaml"]).status == 2)
}
