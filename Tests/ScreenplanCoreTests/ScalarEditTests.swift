import Foundation
import TestSupport
import Testing

@testable import ScreenplanCore

// An edit of one scalar field reads the field without writing the design (Design+ScalarEdit.swift)
// and must give exactly what writing the design, replacing the value and reading it back gives:
// the same design when accepted, the same refusal when not.

/// Fields a recommendation or the solvers' recommendations change, with values they write, and a
/// few values the reader or the validator refuses.
private let recommendationEdits: [(String, [String])] = [
    ("batching.batches", ["325", "2", "1", "0", "12.5", "1e3"]),
    ("batching.controls_in_fraction", ["1", "0.5", "0", "2"]),
    ("batching.layout", ["pooled", "per-animal", "per-time-point", "balanced-incomplete", "sub-libraries", "bogus"]),
    ("batching.replicates", ["2", "3", "0"]),
    ("sampling.control_cells", ["500", "2400", "null", "-4"]),
    ("sampling.controls_fraction", ["null", "0.1", "1"]),
    ("sampling.cells_per_perturbation", ["120", "1_000", "37", "0", "many"]),
    ("measurement.reads_per_cell", ["12000", "1e4", "45000", "0", ".inf"]),
]

/// Other scalar fields a user edits in the TUI (text, choice, seed, optional, nested section).
private let otherEdits: [(String, [String])] = [
    ("name", ["renamed screen", "'quoted: name'"]),
    ("analysis.test", ["wilcoxon", "pseudobulk", "anova"]),
    ("analysis.alpha", ["0.01", "2"]),
    ("analysis.cell_type", ["null"]),
    ("system.network.seed", ["7", "18446744073709551615"]),
    ("system.in_vivo.niche_sd", ["0.3"]),
    ("batching.delivery_unit", ["null", "animal"]),
    ("measurement.expression_profile", ["null"]),
    ("cost.per_cell", ["0.12"]),
]

@Test(arguments: allSampleScreens())
func scalarEditsGiveTheDesignTheFileReaderGives(_ file: String) throws {
    let design = try DesignLoader.load(path: file).design
    var fast = 0
    for (path, values) in recommendationEdits + otherEdits {
        for value in values {
            let reference: Result<Design, Error> = Result { try design.settingThroughYAML(path, to: value) }
            let scalar = design.settingScalar(path, to: value)
            switch reference {
            case .success(let expected):
                if let scalar {
                    fast += 1
                    #expect(scalar == expected, "\(file): \(path) = \(value)")
                } else {
                    // Only fields outside the scalar path may miss it.
                    #expect(
                        !recommendationEdits.contains { $0.0 == path },
                        "\(file): \(path) = \(value) missed the fast path")
                }
                #expect(try design.setting(path, to: value) == expected, "\(file): \(path) = \(value)")
            case .failure(let refusal):
                #expect(scalar == nil, "\(file): \(path) = \(value) accepted, the file reader refuses it")
                #expect(throws: Error.self) { try design.setting(path, to: value) }
                do {
                    _ = try design.setting(path, to: value)
                } catch {
                    #expect("\(error)" == "\(refusal)", "\(file): \(path) = \(value)")
                }
            }
        }
    }
    #expect(fast > 20)
}

@Test func aDesignNotReadFromAFileIsEditedThroughTheFile() throws {
    // A design built in code with a value the reader refuses: an edit of another field is refused
    // for it, as reading the edited file would be, rather than accepted by reading one field.
    var design = Design()
    design.measurement.readsPerCell = 0
    #expect(design.settingScalar("batching.batches", to: "4") == nil)
    #expect(throws: DesignValidationError.self) { try design.setting("batching.batches", to: "4") }
    // Once read back, its edits take the scalar path, and chained edits stay on it.
    design.measurement.readsPerCell = 20000
    let read = try design.settingThroughYAML("batching.batches", to: "4")
    let edited = try read.setting("sampling.cells_per_perturbation", to: "90")
    #expect(read.settingScalar("sampling.cells_per_perturbation", to: "90") == edited)
    #expect(
        edited.settingScalar("batching.batches", to: "6")
            == (try edited.settingThroughYAML("batching.batches", to: "6")))
}
