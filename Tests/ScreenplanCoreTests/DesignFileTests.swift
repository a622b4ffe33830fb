import Foundation
import TestSupport
import Testing

@testable import ScreenplanCore

// MARK: - Helpers

/// Writes `text` (and any side files) into a fresh folder and loads it as a file would be.
/// Returns the issues (empty when valid) and the folder, so tests can name exact paths.
private func problems(_ text: String, name: String = "design.yaml", files: [String: String] = [:])
    -> (issues: [DesignIssue], folder: String)
{
    let folder = temporaryDirectory("screenplan-design")
    for (file, body) in files {
        try? body.write(toFile: folder + "/" + file, atomically: true, encoding: .utf8)
    }
    let path = folder + "/" + name
    try? text.write(toFile: path, atomically: true, encoding: .utf8)
    do {
        _ = try DesignLoader.load(path: path)
        return ([], folder)
    } catch let error as DesignValidationError {
        return (error.issues, folder)
    } catch {
        Issue.record("unexpected error \(error)")
        return ([], folder)
    }
}

/// The single issue a design has; records a test failure when there is not exactly one.
private func onlyProblem(_ text: String, files: [String: String] = [:]) -> (DesignIssue?, String) {
    let (issues, folder) = problems(text, files: files)
    #expect(issues.count == 1, "expected one issue, got: \(issues.map(\.description))")
    return (issues.first, folder)
}

private func expectIssue(
    _ text: String, line: Int, column: Int, path: String, contains fragment: String,
    sourceLocation: Testing.SourceLocation = #_sourceLocation
) {
    let (issue, folder) = onlyProblem(text)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    guard let issue else { return }
    #expect(issue.location.file == folder + "/design.yaml", sourceLocation: sourceLocation)
    #expect(issue.location.line == line, "\(issue)", sourceLocation: sourceLocation)
    #expect(issue.location.column == column, "\(issue)", sourceLocation: sourceLocation)
    #expect(issue.path == path, "\(issue)", sourceLocation: sourceLocation)
    #expect(issue.message.contains(fragment), "\(issue)", sourceLocation: sourceLocation)
}

// MARK: - Field-level errors, each with its exact place

@Suite struct FieldErrors {
    @Test func unknownKeySuggestsTheClosestField() {
        expectIssue(
            "name: x\nmeasurement:\n  capture_efficency: 0.2\n", line: 3, column: 3,
            path: "measurement.capture_efficency", contains: "did you mean `capture_efficiency`?")
    }

    @Test func unknownTopLevelKeyListsValidKeysWhenNothingIsClose() {
        expectIssue(
            "name: x\nzzzzzzzz: 1\n", line: 2, column: 1, path: "zzzzzzzz",
            contains: "valid keys here: name, description, system")
    }

    @Test func wrongTypeNumberGivenAsText() {
        expectIssue(
            "batching:\n  batches: ten\n", line: 2, column: 12, path: "batching.batches",
            contains: "must be a number, not `ten`")
    }

    @Test func wrongTypeSectionGivenAsScalar() {
        expectIssue(
            "name: x\nmeasurement: 5\n", line: 2, column: 14, path: "measurement",
            contains: "must be a mapping")
    }

    @Test func wholeNumberRequired() {
        expectIssue(
            "batching:\n  batches: 2.5\n", line: 2, column: 12, path: "batching.batches",
            contains: "must be a whole number")
    }

    @Test func enumerationSuggestsTheClosestValue() {
        expectIssue(
            "batching:\n  unit: lanes\n", line: 2, column: 9, path: "batching.unit",
            contains: "did you mean `lane`?")
    }

    @Test(arguments: ["0", "1.5", "-0.1"])
    func captureEfficiencyOutsideOpenUnitInterval(value: String) {
        expectIssue(
            "measurement:\n  capture_efficiency: \(value)\n", line: 2, column: 23,
            path: "measurement.capture_efficiency", contains: "must be in (0, 1] (got \(value))")
    }

    @Test func captureEfficiencyOfOneIsValid() {
        #expect(problems("measurement:\n  capture_efficiency: 1\n").issues.isEmpty)
    }

    @Test func zeroBatches() {
        expectIssue(
            "batching:\n  batches: 0\n", line: 2, column: 12, path: "batching.batches",
            contains: "must be in [1, 10000] (got 0)")
    }

    @Test func negativeCells() {
        expectIssue(
            "sampling:\n  cells_per_perturbation: -5\n", line: 2, column: 27,
            path: "sampling.cells_per_perturbation", contains: "must be in [1, 1000000] (got -5)")
    }

    @Test func negativeControlCells() {
        expectIssue(
            "sampling:\n  control_cells: -1\n", line: 2, column: 18,
            path: "sampling.control_cells", contains: "must be in [0, 100000000] (got -1)")
    }

    /// Counts so large that cell arithmetic would overflow are refused, never a crash.
    @Test func absurdCountsAreRefusedWithoutOverflow() {
        let text =
            "sampling:\n  cells_per_perturbation: 900000000000000\n  controls_fraction: 0.9999999999999999\n"
            + "batching:\n  batches: 900000000000000\n"
        let (issues, _) = problems(text)
        #expect(issues.map(\.path) == ["sampling.cells_per_perturbation", "batching.batches"])
        var design = Design()
        design.sampling.cellsPerPerturbation = Int.max / 2
        design.sampling.controlsFraction = 0.9999999999999999
        #expect(design.cellsLoaded > design.batchCapacity)
    }

    @Test(arguments: [".nan", ".NaN", ".inf", "-.inf", ".Inf"])
    func notFinite(value: String) {
        expectIssue(
            "measurement:\n  mrna_per_cell: \(value)\n", line: 2, column: 18,
            path: "measurement.mrna_per_cell", contains: "must be a finite number, not `\(value)`")
    }

    @Test func overflowingNumberIsNotFinite() {
        expectIssue(
            "measurement:\n  reads_per_cell: 1e400\n", line: 2, column: 19,
            path: "measurement.reads_per_cell", contains: "finite")
    }

    @Test(arguments: ["1", "1.5"])
    func controlsFractionOfOneOrMore(value: String) {
        expectIssue(
            "sampling:\n  controls_fraction: \(value)\n", line: 2, column: 22,
            path: "sampling.controls_fraction", contains: "must be in [0, 1)")
    }

    @Test func optionalFieldsAcceptNullTildeNothingAndAuto() throws {
        let text =
            "system:\n  network:\n    file:\n    genes_file: ~\nsampling:\n  control_cells: auto\n  controls_fraction: null\n"
        let design = try DesignLoader.load(text: text, file: "nulls.yaml").design
        #expect(design.system.network.file == nil && design.system.network.genesFile == nil)
        #expect(design.sampling.controlCells == nil && design.sampling.controlsFraction == nil)
    }

    @Test func keyGivenTwiceIsLocatedAtTheRepeat() {
        expectIssue(
            "name: a\nbatching:\n  batches: 4\n  unit: lane\n  batches: 5\n", line: 5, column: 3,
            path: "(syntax)", contains: "key `batches` is given twice in the same mapping (first on line 3)")
    }

    @Test func listItemErrorsNameTheItem() {
        expectIssue(
            "sampling:\n  time_points_h: [24, -3]\n", line: 2, column: 23,
            path: "sampling.time_points_h[1]", contains: "must be ≥ 0")
    }

    @Test func everyProblemIsReportedInOnePass() {
        let (issues, _) = problems("batching:\n  batches: 0\nmeasurement:\n  dispersion: abc\n  nope: 1\n")
        #expect(issues.map(\.path) == ["batching.batches", "measurement.dispersion", "measurement.nope"])
    }

    @Test func yamlSyntaxErrorIsLocated() {
        expectIssue("name: [x\nfoo: 1\n", line: 2, column: 4, path: "(syntax)", contains: "expected")
    }

    @Test func emptyFileSaysWhatIsNeeded() {
        let (issue, _) = onlyProblem("")
        #expect(issue?.message.contains("empty") == true)
    }

    @Test func missingDesignFile() {
        #expect(throws: DesignValidationError.self) { try DesignLoader.load(path: "/nonexistent/design.yaml") }
    }
}

// MARK: - Design-level errors

@Suite struct DesignErrors {
    @Test func morePerturbationsThanCellsCanHold() {
        expectIssue(
            "name: x\nbatching:\n  batches: 1\n", line: 3, column: 12, path: "batching.batches",
            contains: "hold only 20000; use at least 2 batches")
    }

    @Test func absurdMemoryNeedSaysWhatItWouldNeed() {
        expectIssue(
            "system:\n  genes: 200000\nmeasurement:\n  measured_genes: 200000\n", line: 2, column: 10,
            path: "system.genes", contains: "would need about 633.7 GiB of memory")
    }

    @Test func hugeGeneCountIsRefusedBeforeAnythingIsAllocated() {
        expectIssue(
            "system:\n  genes: 100000000000\n", line: 2, column: 10, path: "system.genes",
            contains: "would need about")
    }

    @Test func mediaCannotBeEmpty() {
        expectIssue(
            "system:\n  media: []\n", line: 2, column: 10, path: "system.media",
            contains: "needs at least one medium")
    }

    @Test func protocolMediumMustBeDefined() {
        expectIssue(
            "protocol:\n  - {medium: grwth, perturb: true, duration_h: 24}\n", line: 2, column: 14,
            path: "protocol[0].medium", contains: "did you mean `growth`?")
    }

    @Test func timePointAfterTheProtocolEnds() {
        expectIssue(
            "sampling:\n  time_points_h: [24, 500]\n", line: 2, column: 23,
            path: "sampling.time_points_h[1]", contains: "after the protocol ends (120 h)")
    }

    @Test func inVivoNeedsAnimals() {
        expectIssue(
            "system:\n  regime: in-vivo\n", line: 1, column: 1, path: "batching.unit",
            contains: "needs animals as batches")
    }

    @Test func differentiationTriggerMustBeAMedium() {
        // Located at the enclosing section that was written (`system`, whose mapping starts at 2:3).
        expectIssue(
            "system:\n  dynamics: differentiating\n", line: 2, column: 3,
            path: "system.differentiation.trigger_medium", contains: "not defined in system.media")
    }
}

// MARK: - Network files

@Suite struct NetworkFileErrors {
    static let design = """
        name: net
        system:
          network:
            file: edges.tsv
            genes_file: genes.tsv
        perturbations:
          target_genes: [GATA1]

        """
    static let genes = "gene\tbasal\tdecay\nGATA1\t0.5\t0.3\nSPI1\t0.5\t0.3\nKLF1\t0.5\t0.3\n"

    @Test func validNetworkFileLoadsNamedGenes() throws {
        let edges = "regulator\ttarget\tweight\thill_n\thalf_response\nGATA1\tKLF1\t2\t3\t0.5\nSPI1\tGATA1\t-1.5\n"
        let (issues, folder) = problems(Self.design, files: ["edges.tsv": edges, "genes.tsv": Self.genes])
        #expect(issues.isEmpty, "\(issues)")
        let loaded = try DesignLoader.load(path: folder + "/design.yaml")
        let network = try NetworkLoader.network(for: loaded)
        #expect(network.genes == ["GATA1", "SPI1", "KLF1"])
        #expect(network.edges.count == 2)
        #expect(network.edges[0].hillN == 3 && network.edges[0].halfResponse == 0.5)
        #expect(network.edges[1].weight == -1.5 && network.edges[1].hillN == 2)
    }

    @Test func missingFileIsReportedAtTheDesignField() {
        let (issue, folder) = onlyProblem("name: x\nsystem:\n  network:\n    file: nope.tsv\n")
        #expect(issue?.location == ScreenplanCore.SourceLocation(file: folder + "/design.yaml", line: 4, column: 11))
        #expect(issue?.path == "system.network.file")
        #expect(issue?.message.contains("does not exist") == true)
    }

    @Test(arguments: ["", "# only a comment\n\n"])
    func emptyFileIsReportedAtTheDesignField(body: String) {
        let (issue, folder) = onlyProblem(Self.design, files: ["edges.tsv": body, "genes.tsv": Self.genes])
        #expect(issue?.location == ScreenplanCore.SourceLocation(file: folder + "/design.yaml", line: 4, column: 11))
        #expect(issue?.message.contains("is empty") == true)
    }

    @Test func headerOnlyFileHasNoEdges() {
        let (issue, folder) = onlyProblem(
            Self.design, files: ["edges.tsv": "regulator\ttarget\tweight\n", "genes.tsv": Self.genes])
        #expect(issue?.location == ScreenplanCore.SourceLocation(file: folder + "/edges.tsv", line: 1, column: 1))
        #expect(issue?.message.contains("no edges") == true)
    }

    @Test func nonNumericWeightIsLocatedInTheNetworkFile() {
        let edges = "# comment\nregulator\ttarget\tweight\nGATA1\tKLF1\tstrong\n"
        let (issue, folder) = onlyProblem(Self.design, files: ["edges.tsv": edges, "genes.tsv": Self.genes])
        #expect(issue?.location == ScreenplanCore.SourceLocation(file: folder + "/edges.tsv", line: 3, column: 12))
        #expect(issue?.path == "system.network.file")
        #expect(issue?.message == "weight must be a finite number, not `strong`")
    }

    @Test func unknownGeneIsLocatedInTheNetworkFile() {
        let edges = "GATA1\tKLF1\t1\nSPI1\tGATA\t-1\n"
        let (issue, folder) = onlyProblem(Self.design, files: ["edges.tsv": edges, "genes.tsv": Self.genes])
        #expect(issue?.location == ScreenplanCore.SourceLocation(file: folder + "/edges.tsv", line: 2, column: 6))
        #expect(issue?.message.contains("unknown gene `GATA`: not in the genes table; did you mean `GATA1`?") == true)
    }

    @Test func duplicateEdgeIsLocatedInTheNetworkFile() {
        let edges = "GATA1\tKLF1\t1\nSPI1\tGATA1\t-1\nGATA1\tKLF1\t2\n"
        let (issue, folder) = onlyProblem(Self.design, files: ["edges.tsv": edges, "genes.tsv": Self.genes])
        #expect(issue?.location == ScreenplanCore.SourceLocation(file: folder + "/edges.tsv", line: 3, column: 1))
        #expect(issue?.message == "duplicate edge GATA1 → KLF1 (first on line 1)")
    }

    @Test func targetGeneMustBeInTheNetwork() {
        let edges = "GATA1\tKLF1\t1\n"
        let text = Self.design.replacingOccurrences(of: "[GATA1]", with: "[GATA1, SPl1]")
        let (issue, folder) = onlyProblem(text, files: ["edges.tsv": edges, "genes.tsv": Self.genes])
        #expect(issue?.location == ScreenplanCore.SourceLocation(file: folder + "/design.yaml", line: 7, column: 25))
        #expect(issue?.path == "perturbations.target_genes[1]")
        #expect(issue?.message.contains("did you mean `SPI1`?") == true)
    }
}

// MARK: - Sample screens, round trips, JSON, the embedded design

@Suite struct SampleScreens {
    @Test func thereIsOnePerRegime() throws {
        let designs = try allSampleScreens().map { try DesignLoader.load(path: $0).design }
        #expect(designs.count >= 4)
        for regime in Regime.allCases {
            for dynamics in DynamicsKind.allCases {
                #expect(
                    designs.contains { $0.system.regime == regime && $0.system.dynamics == dynamics },
                    "no sample screen is \(regime.rawValue), \(dynamics.rawValue)")
            }
        }
        #expect(designs.contains { $0.system.network.file != nil }, "no sample screen uses a network file")
    }

    @Test(arguments: allSampleScreens().map { ($0 as NSString).lastPathComponent })
    func validates(name: String) throws {
        let loaded = try DesignLoader.load(path: sampleScreen(name))
        #expect(loaded.design.perturbationCount > 0)
        if loaded.design.system.network.file != nil {
            let network = try NetworkLoader.network(for: loaded)
            #expect(network.edges.count >= 20)
        }
    }

    @Test(arguments: allSampleScreens().map { ($0 as NSString).lastPathComponent })
    func yamlRoundTrip(name: String) throws {
        let loaded = try DesignLoader.load(path: sampleScreen(name))
        let text = try loaded.design.yamlText()
        let again = try DesignLoader.load(
            text: text, file: "round-trip.yaml",
            baseDirectory: loaded.design.baseDirectory)
        #expect(again.design == loaded.design)
    }

    @Test(arguments: allSampleScreens().map { ($0 as NSString).lastPathComponent })
    func jsonRoundTrip(name: String) throws {
        let loaded = try DesignLoader.load(path: sampleScreen(name))
        let data = try JSONEncoder().encode(loaded.design)
        let again = try DesignLoader.load(
            text: String(decoding: data, as: UTF8.self), file: "design.json",
            baseDirectory: loaded.design.baseDirectory)
        #expect(again.design == loaded.design)
    }

    @Test func handWrittenJSONIsAccepted() throws {
        let json = """
            {"name": "json screen", "perturbations": {"modality": "crispra", "targets": 50},
             "batching": {"unit": "lane", "batches": 4}, "sampling": {"time_points_h": [120]}}
            """
        let loaded = try DesignLoader.load(text: json, file: "screen.json")
        #expect(loaded.design.name == "json screen")
        #expect(loaded.design.perturbations.modality == .crispra)
        #expect(loaded.design.perturbations.targets == 50)
        #expect(loaded.design.batching.batches == 4)
    }

    @Test func jsonErrorsAreLocatedToo() {
        let (issues, _) = problems("{\"name\": \"x\",\n \"batching\": {\"batches\": 0}}\n", name: "design.json")
        #expect(
            issues.map(\.description).first?.hasSuffix(
                "design.json:2:26: batching.batches: must be in [1, 10000] (got 0)") == true)
    }

    @Test func writtenNumbersReadAsNumbersElsewhereToo() throws {
        var design = Design()
        design.name = "1e5"  // text that looks like a number stays text
        design.sampling.timePointsH = [48, 120]
        let text = try design.yamlText()
        #expect(!text.contains("e+"), "exponent form that YAML 1.1 readers take for text:\n\(text)")
        #expect(text.contains("  capture_efficiency: 0.1\n"))
        #expect(text.contains("  doublet_rate_per_cell: 7.7e-06\n"))
        #expect(text.contains("  reads_per_flow_cell: 4100000000\n"))
        let again = try DesignLoader.load(text: text, file: "again.yaml")
        #expect(again.design == design)
    }

    @Test func largeSeedsAreReadExactly() throws {
        let loaded = try DesignLoader.load(
            text: "system:\n  network:\n    seed: 18446744073709551615\n", file: "seed.yaml")
        #expect(loaded.design.system.network.seed == UInt64.max)
        let again = try DesignLoader.load(text: try loaded.design.yamlText(), file: "again.yaml")
        #expect(again.design == loaded.design)
    }

    @Test func minimalFileGetsEveryDefault() throws {
        let loaded = try DesignLoader.load(text: "name: minimal\n", file: "minimal.yaml")
        var expected = Design()
        expected.name = "minimal"
        #expect(loaded.design == expected)
    }

    @Test func embeddedDesignIsByteIdenticalToTheSampleScreen() throws {
        let data = try #require(FileManager.default.contents(atPath: sampleScreen(EmbeddedDesign.name)))
        #expect(Data(EmbeddedDesign.text.utf8) == data, "run `make embed`")
        _ = try DesignDocument.embeddedDefault()
    }
}

// MARK: - Editing

@Suite struct Editing {
    @Test func acceptsAValidEdit() throws {
        let design = Design()
        let edited = try design.setting("batching.batches", to: "12")
        #expect(edited.batching.batches == 12)
        let listEdit = try design.setting("sampling.time_points_h", to: "[48, 96]")
        #expect(listEdit.sampling.timePointsH == [48, 96])
        let stepEdit = try design.setting("protocol[1].duration_h", to: "72")
        #expect(stepEdit.protocolSteps[1].durationH == 72)
    }

    @Test func refusesAnOutOfRangeEditWithTheReason() {
        #expect {
            _ = try Design().setting("measurement.capture_efficiency", to: "1.5")
        } throws: { error in
            let issues = (error as? DesignValidationError)?.issues ?? []
            return issues.count == 1 && issues[0].path == "measurement.capture_efficiency"
                && issues[0].message == "must be in (0, 1] (got 1.5)"
        }
    }

    @Test func refusesAnEditThatBreaksTheDesign() {
        #expect {
            _ = try Design().setting("batching.batches", to: "1")
        } throws: { error in
            (error as? DesignValidationError)?.issues.first?.message.contains("use at least 2 batches") == true
        }
    }

    @Test func refusesAnUnknownField() {
        #expect {
            _ = try Design().setting("batching.lanes", to: "3")
        } throws: { error in
            // Refused by the same reader as a file, with its path and the valid keys.
            let issue = (error as? DesignValidationError)?.issues.first
            return issue?.path == "batching.lanes" && issue?.message.hasPrefix("unknown key `lanes`") == true
        }
    }
}
