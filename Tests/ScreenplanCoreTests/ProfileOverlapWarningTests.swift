import Foundation
import TestSupport
import Testing

@testable import ScreenplanCore

// A cell type's profile that names none of the measured genes changes nothing: validate warns at
// the profile's field (the design stays valid), and says nothing when the genes are shared.

@Test func aProfileSharingNoMeasuredGeneIsAWarning() throws {
    let dir = temporaryDirectory("profile-overlap")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    func profile(_ genes: [String], _ file: String) throws {
        var text = "gene\tmean_umis_per_cell\tdispersion_theta\tmean_umis_per_cell:liver\tdispersion_theta:liver\n"
        for (i, g) in genes.enumerated() { text += "\(g)\t2\t5\t\(i == 1 ? 16 : 2)\t5\n" }
        try text.write(toFile: dir + "/" + file, atomically: true, encoding: .utf8)
    }
    try profile(["ALB", "APOA1", "TTR", "SERPINA1"], "real.tsv")
    try profile((0..<20).map { Design.generatedGeneName($0, of: 20) }, "generated.tsv")
    func design(_ file: String) -> String {
        """
        name: profiled
        system:
          genes: 20
          network: {regulators: 4}
          cell_types:
            types: [{name: liver, fraction: 0.5, profile: \(file)}, {name: other, fraction: 0.5}]
        perturbations: {targets: 4}
        measurement: {measured_genes: 20}
        batching: {batches: 1}
        """
    }
    try design("real.tsv").write(toFile: dir + "/real.yaml", atomically: true, encoding: .utf8)
    try design("generated.tsv").write(toFile: dir + "/generated.yaml", atomically: true, encoding: .utf8)
    let disjoint = DesignValidator.warnings(try DesignLoader.load(path: dir + "/real.yaml"))
        .filter { $0.path == "system.cell_types.types[0].profile" }
    #expect(disjoint.count == 1, "\(disjoint)")
    let w = try #require(disjoint.first)
    #expect(w.message.hasPrefix("warning: `real.tsv` shares no gene with the 20 measured genes (G0001, G0002, …"))
    #expect(w.message.contains("ALB") && w.message.contains("`liver`"), "\(w.message)")
    #expect(w.location.line == 6)
    // Shared genes: no warning.
    let shared = DesignValidator.warnings(try DesignLoader.load(path: dir + "/generated.yaml"))
    #expect(!shared.contains { $0.path.hasPrefix("system.cell_types") }, "\(shared)")
}
