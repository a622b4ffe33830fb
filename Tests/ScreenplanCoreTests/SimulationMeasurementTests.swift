import Foundation
import Testing

@testable import ScreenplanCore

// The measurement operator, the plan, and the regime and assumption switches.

@Test func batchEffectsShowAsBatchWiseShifts() throws {
    let text = smallDesign().replacingOccurrences(
        of: "batching: {batches: 2}",
        with: "batching: {batches: 2, batch_effect_sd: 0.5}"
    )
    .replacingOccurrences(of: "control_cells: 60", with: "control_cells: 300")
    let run = try simulate(try loadDesign(text), states: false)
    let counts = run.counts
    let m = run.model
    // Pseudo-bulk of normalised control counts per batch.
    func bulk(_ b: Int) -> [Double] {
        let rows = zip(run.cells, counts).filter { $0.0.batch == b && $0.0.perturbation == -1 }.map(\.1)
        var sum = [Double](repeating: 0, count: m.measuredGeneCount)
        for r in rows {
            let total = Double(r.reduce(0, +))
            for g in 0..<r.count { sum[g] += Double(r[g]) / total }
        }
        return sum.map { $0 / Double(rows.count) }
    }
    let b0 = bulk(0)
    let b1 = bulk(1)
    var observed: [Double] = []
    var truth: [Double] = []
    for g in 0..<m.measuredGeneCount where b0[g] > 2e-3 && b1[g] > 2e-3 {
        observed.append(Foundation.log(b1[g] / b0[g]))
        truth.append(Foundation.log(m.batchFactor[1][g] / m.batchFactor[0][g]))
    }
    // β differences have sd 0.5·√2 ≈ 0.7 across genes; the pseudo-bulk log ratio of 300 cells
    // per batch has sampling sd ≲ 0.15 for these genes, so the correlation must be high.
    #expect(observed.count > 20)
    #expect(correlation(observed, truth) > 0.8, "correlation \(correlation(observed, truth))")
}

@Test func dropoutRisesAsCaptureFalls() throws {
    func zeroFraction(_ capture: Double) throws -> Double {
        let text = smallDesign().replacingOccurrences(
            of: "measurement: {measured_genes: 100,",
            with: "measurement: {measured_genes: 100, capture_efficiency: \(capture),")
        let run = try simulate(try loadDesign(text), states: false)
        let entries = run.blocks.reduce(0) { $0 + $1.entryCount }
        return 1 - Double(entries) / Double(run.cells.count * run.model.measuredGeneCount)
    }
    let high = try zeroFraction(0.2)
    let mid = try zeroFraction(0.05)
    let low = try zeroFraction(0.01)
    // NB zeros: P(0) = (θ/(θ+λ))^θ grows as λ ∝ capture falls; thousands of entries per run make
    // the fractions precise to ~0.01.
    #expect(high < mid - 0.03 && mid < low - 0.03, "zero fractions \(high), \(mid), \(low)")
    // Extra zero-inflation adds zeros on top of the NB.
    let zi = smallDesign().replacingOccurrences(
        of: "measurement: {measured_genes: 100,",
        with:
            "measurement: {measured_genes: 100, capture_efficiency: 0.05, dropout: zero-inflation, dropout_rate: 0.5, dropout_midpoint: 5,"
    )
    let run = try simulate(try loadDesign(zi), states: false)
    let ziZeros =
        1 - Double(run.blocks.reduce(0) { $0 + $1.entryCount }) / Double(run.cells.count * run.model.measuredGeneCount)
    #expect(ziZeros > mid + 0.03, "zero-inflation \(ziZeros) vs NB alone \(mid)")
}

@Test func libraryAndGuideCaptureFollowTheDesign() throws {
    let text = smallDesign().replacingOccurrences(
        of: "measurement: {measured_genes: 100,",
        with: "measurement: {measured_genes: 100, guide_capture: 0.7,")
    let run = try simulate(try loadDesign(text), states: false)
    let sizes = run.cells.map { Double($0.librarySize) }.sorted()
    let median = sizes[sizes.count / 2]
    let expected = run.model.design.expectedUMIsPerCell
    // Median UMIs: batch medians vary by e^{±0.1}, two batches: within 25%.
    #expect(abs(median / expected - 1) < 0.25, "median \(median) vs \(expected)")
    let perturbed = run.cells.filter { $0.perturbation >= 0 }
    let detected = Double(perturbed.filter { !$0.detectedGuides.isEmpty }.count) / Double(perturbed.count)
    // Binomial(360, 0.7): sd 0.024.
    #expect(abs(detected - 0.7) < 0.08)
    // A perturbed cell whose guides all went undetected is unassigned (pipelines drop it), not a control.
    #expect(
        perturbed.filter { $0.detectedGuides.isEmpty }.allSatisfy { $0.observedPerturbation == CellRecord.unassigned })
}

@Test func doubletsGrowWithCellsPerLaneAndCarryBothGuides() throws {
    func doublets(_ cellsPerPerturbation: Int) throws -> (Double, SimRun) {
        let text = smallDesign()
            .replacingOccurrences(of: "doublet_rate_per_cell: 0", with: "doublet_rate_per_cell: 2e-4")
            .replacingOccurrences(
                of: "cells_per_perturbation: 60", with: "cells_per_perturbation: \(cellsPerPerturbation)"
            )
            .replacingOccurrences(
                of: "perturbations: {targets: 6, moi: 0.2}", with: "perturbations: {targets: 20, moi: 0.2}")
        let run = try simulate(try loadDesign(text), states: false)
        return (Double(run.cells.filter(\.doublet).count) / Double(run.cells.count), run)
    }
    let (few, _) = try doublets(10)
    let (many, run) = try doublets(60)
    // Rate = 2e-4 × cells loaded per lane: ~0.05 vs ~0.29 (QC 0.8); binomial sd ≤ 0.02.
    #expect(many > few + 0.1, "doublet fractions \(few) vs \(many)")
    let loaded = Double(run.model.plan.cellsPerBatch[0]) / 0.8
    #expect(abs(many - 2e-4 * loaded) < 0.06)
    // A multiplet carries the guides of both cells and about 1.8× the reads.
    #expect(run.cells.filter(\.doublet).allSatisfy { $0.guides.count >= 2 })
    let singles = mean(run.cells.filter { !$0.doublet }.map { Double($0.librarySize) })
    let multis = mean(run.cells.filter(\.doublet).map { Double($0.librarySize) })
    #expect(abs(multis / singles - 1.8) < 0.3)
}

@Test func highMOIAndCombinationsActOnEveryTarget() throws {
    let probe = try loadDesign(smallDesign())
    let network = try NetworkLoader.network(for: probe)
    let k = Kinetics(network)
    let leaves = (0..<k.geneCount).filter { k.regulatorPosition[$0] < 0 && k.basal[$0] > 0.5 }.prefix(2).map {
        network.genes[$0]
    }
    let text = smallDesign().replacingOccurrences(
        of: "perturbations: {targets: 6, moi: 0.2}",
        with:
            "perturbations: {target_genes: [\(leaves[0]), \(leaves[1])], combinations: [[\(leaves[0]), \(leaves[1])]], moi: 3}"
    )
    let run = try simulate(try loadDesign(text))
    // MOI 3: perturbed cells carry 1 + Poisson(2) guides.
    let perturbed = run.cells.filter { $0.perturbation >= 0 }
    let meanGuides = mean(perturbed.map { Double($0.guides.count) })
    #expect(abs(meanGuides - 3) < 0.3, "mean guides \(meanGuides)")
    // The combination knocks both targets down.
    let g0 = network.index[leaves[0]]!
    let g1 = network.index[leaves[1]]!
    for g in [g0, g1] {
        let ratio = meanState(run, gene: g) { $0.perturbation == 2 } / meanState(run, gene: g) { $0.perturbation == -1 }
        #expect(ratio < 0.6, "combination target \(g): ratio \(ratio)")
    }
}

@Test func planFollowsTheLayout() throws {
    var d = try loadDesign(smallDesign()).design
    d.batching.batches = 4
    let pooled = SimulationPlan.cellCounts(d)
    #expect(pooled.count == d.perturbationCount + 1)
    #expect(
        pooled.dropLast().allSatisfy { $0.reduce(0, +) == d.sampling.cellsPerPerturbation && $0.allSatisfy { $0 > 0 } })
    #expect(pooled.last! == [60, 60, 60, 60])
    d.batching.layout = .confounded
    #expect(SimulationPlan.cellCounts(d).dropLast().allSatisfy { $0.filter { $0 > 0 }.count == 1 })
    d.batching.layout = .balancedIncomplete
    d.batching.replicates = 2
    #expect(SimulationPlan.cellCounts(d).dropLast().allSatisfy { $0.filter { $0 > 0 }.count == 2 })
    d.batching.layout = .perTimePoint
    d.sampling.timePointsH = [30, 60]
    // Batches split over time points in contiguous blocks (Layout.make): batches 2 and 3 sample
    // the second time point, batches 0 and 1 hold none of its cells.
    let perTime = SimulationPlan.cellCounts(d, timePoint: 1)
    #expect(perTime.allSatisfy { $0[0] == 0 && $0[1] == 0 })
    #expect(perTime.dropLast().allSatisfy { $0[2] + $0[3] == d.sampling.cellsPerPerturbation })
    let plan = SimulationPlan(design: d)
    #expect(plan.totalCells == SimulationPlan.cellCounts(d).flatMap { $0 }.reduce(0, +))
}

@Test func assumptionSwitchesViolateTheirAssumption() throws {
    // A stimulus medium that raises two regulators; controls sampled after the switch.
    let stim = smallDesign()
        .replacingOccurrences(
            of: "  time_step_h: 1.0",
            with: "  time_step_h: 1.0\n  media: [{name: growth}, {name: stim, inputs: {G0003: 3, G0004: 3}}]"
        )
        .replacingOccurrences(
            of: "  - {medium: growth, perturb: true, duration_h: 48}",
            with:
                "  - {medium: growth, perturb: true, duration_h: 24}\n  - {medium: stim, perturb: true, duration_h: 36}"
        )
    func controlMean(_ respond: Bool) throws -> Double {
        let text = stim + "\n" + ""
        var loaded = try loadDesign(text)
        loaded.design.system.assumptions.controlsRespondToMedium = respond
        let run = try simulate(loaded)
        #expect(run.cells.filter { $0.perturbation == -1 }.allSatisfy { $0.medium == (respond ? "stim" : "growth") })
        return meanState(run, gene: 2) { $0.perturbation == -1 }
    }
    let responding = try controlMean(true)
    let frozen = try controlMean(false)
    #expect(responding > 1.3 * frozen, "controls: responding \(responding), held \(frozen)")

    // Delayed perturbation: sampled 12 h after guides start with a 24 h ramp, the knockdown is
    // about a quarter of the way; without the delay it is complete.
    func targetRatio(_ delayed: Bool) throws -> Double {
        var loaded = try loadDesign(smallDesign().replacingOccurrences(of: "duration_h: 48}", with: "duration_h: 12}"))
        loaded.design.system.assumptions.delayedPerturbation = delayed
        loaded.design.system.assumptions.perturbationRampH = 48
        let run = try simulate(loaded)
        let g = run.model.perturbations[0].targets[0]
        return meanState(run, gene: g) { $0.perturbation == 0 } / meanState(run, gene: g) { $0.perturbation == -1 }
    }
    let instant = try targetRatio(false)
    let delayed = try targetRatio(true)
    #expect(delayed > instant + 0.15, "target ratio instant \(instant), delayed \(delayed)")

    // Sampling before steady state: cells are taken a fraction of a relaxation time after the
    // last protocol change.
    var early = try loadDesign(smallDesign())
    early.design.system.assumptions.sampleBeforeSteadyState = true
    let run = try simulate(early, states: false)
    #expect(run.cells.allSatisfy { $0.timeH < 60 && $0.timeH >= 12 })

    // Bistable response: one perturbation splits its cells between two attractors.
    // (96 h of guides: the symmetric choice takes a day or two once T is down.)
    var bi = try loadDesign(smallDesign().replacingOccurrences(of: "duration_h: 48}", with: "duration_h: 96}"))
    bi.design.system.assumptions.bistablePerturbation = true
    // Strong guides (efficiency about 0.9 for both): the switch flips only under a deep enough
    // knockdown, and the two guides' efficiencies are shared by all 60 cells, so with the default
    // spread (Beta with concentration 9) whether most cells flip is the luck of two draws.
    bi.design.perturbations.knockdownMean = 0.9
    bi.design.perturbations.knockdownConcentration = 200
    let biRun = try simulate(bi, states: false)
    let target = biRun.cells.filter { $0.perturbation == 0 }
    let a = Double(target.filter { $0.state == "attractor_A" }.count) / Double(target.count)
    let b = Double(target.filter { $0.state == "attractor_B" }.count) / Double(target.count)
    #expect(biRun.cells.filter { $0.perturbation == -1 }.allSatisfy { $0.state == "baseline" })
    // Symmetric choice: each attractor takes about half of 60 cells (binomial sd 0.065).
    print("bistable: A \(a), B \(b)")
    #expect(a > 0.25 && b > 0.25 && a + b > 0.8, "attractor fractions A \(a), B \(b)")
}

@Test func inVivoAnimalsAreBatchesWithNicheVariationAndMixedAges() throws {
    let text = """
        name: in vivo
        system:
          regime: in-vivo
          genes: 80
          network: {seed: 5, regulators: 15, mean_in_degree: 2}
          time_step_h: 1.0
          media: [{name: niche}]
          in_vivo: {niche_sd: 0.3, delivery_delay_h: 12, influx_per_h: 0.02}
        perturbations: {targets: 4}
        protocol: [{medium: niche, perturb: true, duration_h: 72}]
        sampling: {cells_per_perturbation: 40, control_cells: 80}
        measurement: {measured_genes: 80, mrna_per_cell: 20000, doublet_rate_per_cell: 0}
        batching: {unit: animal, batches: 3, layout: per-animal}
        """
    let run = try simulate(try loadDesign(text))
    #expect(Set(run.cells.map(\.animal)) == [0, 1, 2])
    // Exponential ages (mean 1/0.02 = 50 h, truncated; non-differentiating cells older than the
    // burn-in start at their attractor): spread from hours to days.
    let ages = run.cells.map(\.ageH)
    #expect(ages.min()! < 5 && ages.max()! > 40)
    // Niche: control means differ between animals far beyond their sampling error.
    let k = run.model.kinetics
    var differing = 0
    for g in 0..<k.geneCount where run.model.initialState[0][g] > 1 {
        let a = meanState(run, gene: g) { $0.animal == 0 && $0.perturbation == -1 }
        let b = meanState(run, gene: g) { $0.animal == 1 && $0.perturbation == -1 }
        if abs(a - b) > 0.05 * max(a, b) { differing += 1 }
    }
    #expect(differing > 5)
    // In vivo differentiating: influx of progenitors gives a mixture of states at one time.
    let diff = text.replacingOccurrences(
        of: "  time_step_h: 1.0",
        with: "  dynamics: differentiating\n  time_step_h: 1.0\n  differentiation: {trigger_medium: niche}")
    let dRun = try simulate(try loadDesign(diff), states: false)
    let states = Set(dRun.cells.filter { $0.perturbation == -1 }.map(\.state))
    #expect(states.contains("progenitor") || states.contains("intermediate"))
    #expect(states.filter { $0.hasPrefix("lineage_") }.count >= 2, "\(states)")
}

@Test func nestedBatchLevelsShareTheirEffects() throws {
    let text = smallDesign().replacingOccurrences(
        of: "batching: {batches: 2}",
        with: "batching: {batches: 4, batch_effect_sd: 0.05, nested: [{unit: animal, count: 2, effect_sd: 0.5}]}")
    let loaded = try loadDesign(text)
    let model = try Simulator.prepare(design: loaded.design, network: try NetworkLoader.network(for: loaded), seed: 3)
    let genes = 0..<model.measuredGeneCount
    func beta(_ b: Int) -> [Double] { genes.map { model.batchEffect(batch: b, gene: $0) } }
    // Lanes 0 and 1 share animal 1, lanes 2 and 3 animal 2: the shared level (sd 0.5) dominates
    // the lane level (sd 0.05), so within-animal correlation ≈ 0.25/0.2525 ≈ 0.99 and across
    // animals ≈ 0 (sd of a correlation over 100 genes ≈ 0.1).
    #expect(correlation(beta(0), beta(1)) > 0.9)
    #expect(correlation(beta(2), beta(3)) > 0.9)
    #expect(abs(correlation(beta(0), beta(2))) < 0.35)
}

@Test func aCellWithNoDetectedGuideIsUnassignedNotAControl() throws {
    // Guide capture 0.6: many cells lose their only guide. Pipelines drop those (unassigned);
    // only a detected non-targeting guide makes a control.
    let text = smallDesign().replacingOccurrences(
        of: "doublet_rate_per_cell: 0}",
        with: "doublet_rate_per_cell: 0, guide_capture: 0.6}")
    let run = try simulate(try loadDesign(text), states: false)
    var unassigned = 0
    var controls = 0
    for cell in run.cells {
        let targeting = cell.detectedGuides.filter { !$0.hasPrefix("non-targeting") }
        if cell.detectedGuides.isEmpty {
            #expect(cell.observedPerturbation == CellRecord.unassigned)
            unassigned += 1
        } else if targeting.isEmpty {
            #expect(cell.observedPerturbation == -1)
            controls += 1
        } else {
            #expect(cell.observedPerturbation >= 0 || cell.observedPerturbation == -2)
        }
    }
    #expect(unassigned > 0 && controls > 0)
    // The 10x writer and the h5ad obs name it.
    let h5 = SimulationH5AD.block(run.blocks[0], model: run.model)
    #expect(h5.categorical["observed_perturbation"]?.contains(SimulationH5AD.unassignedLabel) == true)
}
