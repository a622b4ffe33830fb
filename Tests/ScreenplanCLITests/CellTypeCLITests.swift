import Foundation
import TestSupport
import Testing

// Cell types through the real binary: analyze shows per-type power, bad cell types exit 2 with
// file:line, and optimize honours --min-batches.

private func typedYAML(types: String, extra: String = "") -> String {
    """
    name: typed screen
    system:
      regime: in-vivo
      genes: 200
      network: {seed: 3, regulators: 40}
      cell_types:
        concentration: 40
        types: \(types)
    perturbations: {targets: 12}
    sampling: {cells_per_perturbation: 150}
    measurement: {measured_genes: 400}
    batching: {unit: animal, batches: 6, layout: sub-libraries, replicates: 2, max_cells_per_batch: 100000}
    \(extra)
    """
}

private func write(_ text: String, _ dir: String) throws -> String {
    let path = dir + "/typed.yaml"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

@Test func analyzeShowsPowerPerCellType() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = try write(typedYAML(types: "[{name: hepatocyte, fraction: 0.7}, {name: kupffer, fraction: 0.3}]"), dir)
    let r = try runScreenplan(["analyze", path, "--json", "--no-solve"])
    #expect(r.status == 0, "\(r.stderr)")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let types = try #require(object["cell_types"] as? [[String: Any]])
    #expect(types.compactMap { $0["name"] as? String } == ["hepatocyte", "kupffer"])
    let hep = try #require(types[0]["median_power"] as? Double)
    let kup = try #require(types[1]["median_power"] as? Double)
    #expect(hep >= kup)
    let rows = try #require(types[1]["perturbations"] as? [[String: Any]])
    #expect(rows.count == 12 && rows.allSatisfy { ($0["units"] as? Int) == 2 })
    let text = try runScreenplan(["analyze", path, "--no-solve"])
    #expect(
        text.status == 0 && text.stdout.contains("Power per cell type") && text.stdout.contains("kupffer"),
        "\(text.stdout)")
}

@Test func badCellTypesExitTwoNamingFileFieldAndLine() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = try write(
        typedYAML(types: "[{name: a, fraction: 0.7}, {name: a, fraction: 0.2, profile: missing.tsv}]"), dir)
    let r = try runScreenplan(["validate", path])
    #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
    let out = r.stdout + r.stderr
    #expect(
        out.contains("typed.yaml:8:") && out.contains("system.cell_types.types") && out.contains("sum to 0.9"), "\(out)"
    )
    #expect(out.contains("system.cell_types.types[1].name") && out.contains("twice"), "\(out)")
    #expect(out.contains("system.cell_types.types[1].profile") && out.contains("missing.tsv"), "\(out)")
}

@Test func optimizeHonoursMinBatches() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = try write(typedYAML(types: "[{name: a, fraction: 1}]"), dir)
    let r = try runScreenplan(["optimize", path, "--power", "0.6", "--min-batches", "4", "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    #expect(object["min_batches"] as? Int == 4)
    let best = try #require(object["best"] as? [String: Any])
    let change = try #require(best["change"] as? [[String: String]])
    #expect(change.contains { $0["path"] == "batching.replicates" && Int($0["value"] ?? "") ?? 0 >= 4 }, "\(change)")
    let bad = try runScreenplan(["optimize", path, "--power", "0.6", "--min-batches", "0"])
    #expect(bad.status == 2 || bad.status == 64, "\(bad.status) \(bad.stderr)")
}
