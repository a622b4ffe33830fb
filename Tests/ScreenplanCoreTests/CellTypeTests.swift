import Foundation
import TestSupport
import Testing

@testable import ScreenplanCore

// Cell types (system.cell_types): per-type power uses the type's cells and expression, the
// simulator labels cells with the design's fractions and the Dirichlet spread between animals,
// a per-type profile changes the type's expressed means, and validation names file:field:line.

/// A small in vivo design with cell types; `types` is the YAML list of types.
private func typedDesign(
    types: String, concentration: Double = 1e6, cells: Int = 200, animals: Int = 6,
    test: String = "glm", extraSystem: String = "", extra: String = "",
    network: String = "network: {seed: 5, regulators: 15, mean_in_degree: 2}"
) -> String {
    """
    name: typed screen
    system:
      regime: in-vivo
      genes: 80
      \(network)
      time_step_h: 1.0
      in_vivo: {delivery_delay_h: 0, influx_per_h: 0.0001}
      cell_types:
        concentration: \(concentration)
        types: \(types)
    \(extraSystem)
    perturbations: {targets: 6, moi: 0.2}
    protocol:
      - {medium: growth, perturb: false, duration_h: 12}
      - {medium: growth, perturb: true, duration_h: 48}
    sampling: {cells_per_perturbation: \(cells)}
    measurement: {measured_genes: 100, mrna_per_cell: 20000, reads_per_cell: 50000, doublet_rate_per_cell: 0}
    batching: {unit: animal, batches: \(animals)}
    analysis: {test: \(test)}
    \(extra)
    """
}

private func typePower(_ text: String, _ name: String) throws -> CellTypeResult {
    let d = try DesignLoader.load(text: text, file: "typed.yaml").design
    let results = try #require(try CellTypePower.compute(d))
    return try #require(results.first { $0.name == name })
}

@Test func halvingATypesFractionLowersItsPowerAsHalvingItsCellsDoes() throws {
    // No spread (c → ∞): the type's effective cells are fraction × cells, whatever splits them.
    let base = try typePower(typedDesign(types: "[{name: a, fraction: 0.4}, {name: b, fraction: 0.6}]"), "a")
    let halfFraction = try typePower(typedDesign(types: "[{name: a, fraction: 0.2}, {name: b, fraction: 0.8}]"), "a")
    let halfCells = try typePower(
        typedDesign(types: "[{name: a, fraction: 0.4}, {name: b, fraction: 0.6}]", cells: 100), "a")
    #expect(halfFraction.medianPower < base.medianPower - 0.02, "\(halfFraction.medianPower) vs \(base.medianPower)")
    for (x, y) in zip(halfFraction.perturbations, halfCells.perturbations) {
        #expect(abs(x.power - y.power) < 0.01, "\(x.perturbation): fraction halved \(x.power), cells halved \(y.power)")
        #expect(abs(x.effectiveCells - y.effectiveCells) < 0.5)
    }
    // All cells pooled is the sum: a type never has more power than all cells together.
    let d = try DesignLoader.load(
        text: typedDesign(types: "[{name: a, fraction: 0.4}, {name: b, fraction: 0.6}]"),
        file: "typed.yaml"
    ).design
    let pooled = try Analyzer.analyze(d).summary.medianPower
    #expect(base.medianPower <= pooled + 1e-9)
}

@Test func analysisCellTypePicksTheHeadlineFigures() throws {
    var text = typedDesign(types: "[{name: a, fraction: 0.4}, {name: b, fraction: 0.6}]", extra: "")
    text = text.replacingOccurrences(of: "analysis: {test: glm}", with: "analysis: {test: glm, cell_type: a}")
    let d = try DesignLoader.load(text: text, file: "typed.yaml").design
    let headline = try Analyzer.analyze(d)
    let a = try typePower(text, "a")
    #expect(abs(headline.summary.medianPower - a.medianPower) < 1e-9)
    for (row, typed) in zip(headline.perturbations, a.perturbations) { #expect(abs(row.power - typed.power) < 1e-9) }
}

@Test func spreadBetweenAnimalsLowersTheEffectiveFractionAsTheDirichletDoes() throws {
    // The delta-method effective fraction against a Monte Carlo of E[1/p̄] over Dirichlet draws.
    for (f, c, units, test) in [
        (0.3, 20.0, 4, DifferentialTest.glm), (0.1, 50.0, 1, .pseudobulk), (0.5, 10.0, 8, .glm),
    ] {
        var rng = RandomStream(seed: 9, domain: .cellTypes, 7, UInt64(units))
        var inverse = 0.0
        let draws = 40_000
        for _ in 0..<draws {
            var sum = 0.0
            var perBatchInverse = 0.0
            for _ in 0..<units {
                let x = rng.gamma(shape: c * f)
                let y = rng.gamma(shape: c * (1 - f))
                let p = x / (x + y)
                sum += p
                perBatchInverse += 1 / p
            }
            // Pooled tests see the units' mean fraction; pseudo-bulk averages per-unit variances.
            inverse += test == .pseudobulk ? perBatchInverse / Double(units) : Double(units) / sum
        }
        let exact = 1 / (inverse / Double(draws))
        let shortcut = CellTypePower.effectiveFraction(f, concentration: c, units: units, test: test)
        #expect(
            abs(shortcut - exact) / exact < 0.03, "f \(f) c \(c) B \(units): delta \(shortcut), Monte Carlo \(exact)")
        #expect(shortcut < f)
    }
    let tight = try typePower(
        typedDesign(types: "[{name: a, fraction: 0.2}, {name: b, fraction: 0.8}]", test: "pseudobulk"), "a")
    let loose = try typePower(
        typedDesign(
            types: "[{name: a, fraction: 0.2}, {name: b, fraction: 0.8}]", concentration: 5,
            test: "pseudobulk"), "a")
    #expect(loose.effectiveFraction < tight.effectiveFraction - 0.02)
    #expect(loose.medianPower < tight.medianPower)
}

@Test func simulatedCellTypesFollowTheFractionsAndTheirSpreadBetweenAnimals() throws {
    // Dirichlet spread over many animals: mean and variance of each type's fraction.
    let d = try DesignLoader.load(
        text: typedDesign(
            types: "[{name: a, fraction: 0.5}, {name: b, fraction: 0.3}, {name: c, fraction: 0.2}]",
            concentration: 20), file: "typed.yaml"
    ).design
    let units = 2000
    let assignment = try CellTypeAssignment(
        design: d, seed: 3, unitOfBatch: Array(0..<units), genes: [], pooledDispersion: [])
    for (t, f) in [0.5, 0.3, 0.2].enumerated() {
        let xs = assignment.fractions.map { $0[t] }
        let mean = xs.reduce(0, +) / Double(units)
        let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(units - 1)
        let expected = f * (1 - f) / 21
        #expect(abs(mean - f) < 0.01, "type \(t): mean fraction \(mean), design \(f)")
        #expect(abs(variance / expected - 1) < 0.15, "type \(t): variance \(variance), Dirichlet \(expected)")
    }
    // Simulated cells carry the labels in those proportions, per animal.
    let loaded = try DesignLoader.load(
        text: typedDesign(
            types: "[{name: a, fraction: 0.7}, {name: b, fraction: 0.3}]",
            concentration: 1e6, cells: 40, animals: 2), file: "typed.yaml")
    let run = try simulate(loaded, states: false)
    let cells = run.cells
    #expect(Set(cells.map(\.cellType)) == ["a", "b"])
    let share = Double(cells.filter { $0.cellType == "a" }.count) / Double(cells.count)
    let sd = (0.7 * 0.3 / Double(cells.count)).squareRoot()
    #expect(abs(share - 0.7) < 4 * sd, "\(cells.count) cells: share of a \(share)")
}

@Test func aPerTypeProfileChangesTheTypesExpressedMeans() throws {
    // A profile with per-type columns (as `calibrate --cell-type-column` writes): gene G2 is 8×
    // more expressed in `liver` than in the pool, G3 4× less; the rest as pooled.
    let dir = temporaryDirectory("cell-type-profile")
    var profile = "gene\tmean_umis_per_cell\tdispersion_theta\tmean_umis_per_cell:liver\tdispersion_theta:liver\n"
    for g in 1...20 {
        let mean = 2.0
        let typed = g == 2 ? 16.0 : (g == 3 ? 0.5 : 2.0)
        profile += "G\(g)\t\(mean)\t5\t\(typed)\t5\n"
    }
    try profile.write(toFile: dir + "/p.tsv", atomically: true, encoding: .utf8)
    let text = """
        name: profiled
        system:
          genes: 20
          time_step_h: 1.0
          cell_types:
            types: [{name: liver, fraction: 0.5, profile: p.tsv}, {name: other, fraction: 0.5}]
        perturbations: {target_genes: [G10], moi: 0.2}
        protocol:
          - {medium: growth, perturb: true, duration_h: 24}
        sampling: {cells_per_perturbation: 300, control_cells: 600}
        measurement: {measured_genes: 20, expression_profile: p.tsv, doublet_rate_per_cell: 0, library_size_sd: 0.2}
        batching: {batches: 1}
        """
    try text.write(toFile: dir + "/d.yaml", atomically: true, encoding: .utf8)
    let loaded = try DesignLoader.load(path: dir + "/d.yaml")
    let run = try simulate(loaded, states: false)
    let counts = run.counts
    let cells = run.cells
    func mean(_ gene: Int, _ type: String) -> Double {
        let rows = cells.indices.filter { cells[$0].cellType == type }
        let libraries = rows.map { Double(cells[$0].librarySize) }
        let norm = libraries.reduce(0, +) / Double(rows.count)
        var sum = 0.0
        for r in rows {
            let y = Double(counts[r][gene])
            let size = Double(cells[r].librarySize)
            sum += y / size * norm
        }
        return sum / Double(rows.count)
    }
    let up = mean(1, "liver") / mean(1, "other")
    let down = mean(2, "liver") / mean(2, "other")
    let same = mean(5, "liver") / mean(5, "other")
    // Shares: liver's G2 share is 16/(16+0.5+18·2) over 2/40 → ×6.1, G3 ×0.19, the rest ×0.76.
    #expect(abs(up / 6.1 - 1) < 0.15, "G2 liver/other \(up)")
    #expect(abs(down / 0.19 - 1) < 0.35, "G3 liver/other \(down)")
    #expect(abs(same / 0.76 - 1) < 0.15, "G6 liver/other \(same)")
    // The analysis sees the same expression: the liver type's G2 share is ×6.1 the pooled one.
    let d = loaded.design
    let effects = try ExpectedEffects.compute(d)
    let expression = try CellTypeExpression.of(
        d, genes: effects.geneNames, pooledDispersion: [Double](repeating: 5, count: 20))
    let typed = CellTypePower.effects(effects, expression: expression[0])
    #expect(abs(typed.slices[0].share[1] / effects.slices[0].share[1] / 6.1 - 1) < 0.01)
}

@Test func cellTypeProblemsNameFileFieldAndLine() throws {
    func issues(_ types: String, concentration: Double = 50, extra: String = "") -> [DesignIssue] {
        do {
            _ = try DesignLoader.load(
                text: typedDesign(types: types, concentration: concentration, extra: extra), file: "bad.yaml")
            return []
        } catch let e as DesignValidationError { return e.issues } catch { return [] }
    }
    let sum = issues("[{name: a, fraction: 0.5}, {name: b, fraction: 0.3}]")
    #expect(
        sum.contains {
            $0.path == "system.cell_types.types" && $0.message.contains("sum to 0.8") && $0.location.line == 10
        },
        "\(sum)")
    let twice = issues("[{name: a, fraction: 0.5}, {name: a, fraction: 0.5}]")
    #expect(twice.contains { $0.path == "system.cell_types.types[1].name" && $0.message.contains("twice") }, "\(twice)")
    let conc = issues("[{name: a, fraction: 1}]", concentration: 0)
    #expect(conc.contains { $0.path == "system.cell_types.concentration" && $0.location.line == 9 }, "\(conc)")
    let missing = issues("[{name: a, fraction: 1, profile: nowhere.tsv}]")
    #expect(
        missing.contains { $0.path == "system.cell_types.types[0].profile" && $0.message.contains("nowhere.tsv") },
        "\(missing)")
    let unknown = issues("[{name: hepatocyte, fraction: 1}]", extra: "").isEmpty
    #expect(unknown)
    var text = typedDesign(types: "[{name: hepatocyte, fraction: 1}]")
    text = text.replacingOccurrences(of: "analysis: {test: glm}", with: "analysis: {test: glm, cell_type: hepatocyt}")
    do {
        _ = try DesignLoader.load(text: text, file: "bad.yaml")
        Issue.record("an unknown analysis.cell_type was accepted")
    } catch let e as DesignValidationError {
        #expect(
            e.issues.contains { $0.path == "analysis.cell_type" && $0.message.contains("did you mean `hepatocyte`") },
            "\(e.issues)")
    }
}

@Test func minBatchesIsHonouredByBothSolvers() throws {
    let text = typedDesign(types: "[{name: a, fraction: 1}]", cells: 60, animals: 4)
        .replacingOccurrences(
            of: "batching: {unit: animal, batches: 4}",
            with:
                "batching: {unit: animal, batches: 4, layout: sub-libraries, replicates: 2, max_cells_per_batch: 100000}"
        )
    let d = try DesignLoader.load(text: text, file: "typed.yaml").design
    #expect(Optimizer.fewestUnitsPerPerturbation(d) == 2)
    let analyzer = Analyzer()
    let budget = try analyzer.analyze(d).summary.cost * 1.5
    let best = try #require(try Optimizer.maximizePower(d, budget: budget, analyzer: analyzer, minBatches: 3))
    var applied = d
    for change in best.change { applied = try applied.setting(change.path, to: change.value) }
    #expect(Optimizer.fewestUnitsPerPerturbation(applied) >= 3, "\(best.change)")
    let cheapest = try #require(try Optimizer.cheapest(d, power: 0.5, analyzer: analyzer, coarse: true, minBatches: 3))
    var applied2 = d
    for change in cheapest.change { applied2 = try applied2.setting(change.path, to: change.value) }
    #expect(Optimizer.fewestUnitsPerPerturbation(applied2) >= 3, "\(cheapest.change)")
    #expect(cheapest.batches >= 3)
}
