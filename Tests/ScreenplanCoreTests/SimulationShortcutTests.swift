import Foundation
import Testing

@testable import ScreenplanCore

// Each shortcut of the simulator against the path it replaces: the stationary start against
// integrating the whole protocol (same distribution of states), the sparse production against
// the dense GEMM (same numbers up to rounding).

/// A non-differentiating screen whose protocol (120 h) is long against the slowest relaxation
/// time, with enough noise that states have a visible distribution.
private func longProtocolDesign() -> String {
    """
    name: shortcut screen
    system:
      genes: 40
      network: {seed: 8, regulators: 10, mean_in_degree: 2}
      time_step_h: 1.0
      intrinsic_noise: 0.3
    perturbations: {targets: 3, moi: 0.2}
    protocol:
      - {medium: growth, perturb: false, duration_h: 24}
      - {medium: growth, perturb: true, duration_h: 96}
    sampling: {cells_per_perturbation: 200, control_cells: 500}
    measurement: {measured_genes: 40, mrna_per_cell: 20000, doublet_rate_per_cell: 0}
    batching: {batches: 2}
    """
}

/// Two-sample Kolmogorov–Smirnov statistic.
private func ksStatistic(_ a: [Double], _ b: [Double]) -> Double {
    let x = a.sorted()
    let y = b.sorted()
    var i = 0
    var j = 0
    var d = 0.0
    while i < x.count && j < y.count {
        let v = min(x[i], y[j])
        while i < x.count && x[i] <= v { i += 1 }
        while j < y.count && y[j] <= v { j += 1 }
        d = max(d, abs(Double(i) / Double(x.count) - Double(j) / Double(y.count)))
    }
    return d
}

/// Where two runs' state distributions differ, per group of cells (controls and each
/// perturbation): genes whose means differ by more than 4.5 standard errors, whose variances
/// differ by more than 4.5 standard errors of the log ratio, and KS tests at α ≈ 10⁻⁴ on the
/// three most variable genes. Empty when the distributions agree.
private func distributionDifferences(_ a: SimRun, _ b: SimRun) -> [String] {
    var problems: [String] = []
    let sa = a.states
    let sb = b.states
    let groups = Set(a.cells.map(\.perturbation)).sorted()
    for group in groups {
        let ca = zip(a.cells, sa).filter { $0.0.perturbation == group && !$0.0.doublet }.map(\.1)
        let cb = zip(b.cells, sb).filter { $0.0.perturbation == group && !$0.0.doublet }.map(\.1)
        let na = Double(ca.count)
        let nb = Double(cb.count)
        var spread: [(Double, Int)] = []
        for g in 0..<a.model.geneCount {
            let xa = ca.map { $0[g] }
            let xb = cb.map { $0[g] }
            let ma = mean(xa)
            let mb = mean(xb)
            let va = variance(xa)
            let vb = variance(xb)
            guard va > 0 && vb > 0 else { continue }
            let z = abs(ma - mb) / (va / na + vb / nb).squareRoot()
            if z > 4.5 { problems.append("group \(group) gene \(g): means \(ma) and \(mb) (z = \(z))") }
            let zv = abs(Foundation.log(va / vb)) / (2 / (na - 1) + 2 / (nb - 1)).squareRoot()
            if zv > 4.5 { problems.append("group \(group) gene \(g): variances \(va) and \(vb) (z = \(zv))") }
            spread.append((va / max(1e-12, ma * ma), g))
        }
        for (_, g) in spread.sorted(by: { $0.0 > $1.0 }).prefix(3) {
            let d = ksStatistic(ca.map { $0[g] }, cb.map { $0[g] })
            let critical = 2.15 * ((na + nb) / (na * nb)).squareRoot()  // α ≈ 10⁻⁴
            if d > critical { problems.append("group \(group) gene \(g): KS D = \(d) > \(critical)") }
        }
    }
    return problems
}

@Test func stationaryStartHasTheDistributionOfTheFullPath() throws {
    let loaded = try loadDesign(longProtocolDesign())
    var full = SimulationOptions()
    full.threads = 2
    full.stationaryStart = false
    var short = full
    short.stationaryStart = true
    let a = try simulate(loaded, options: full)
    let b = try simulate(loaded, options: short)
    let rate = try #require(b.model.slowestRelaxationRatePerH)
    let window = try #require(b.model.stationaryWindow(options: short))
    // The shortcut is in force: the window is shorter than burn-in plus protocol (132 h).
    #expect(window == 10 / rate && window < 132)
    #expect(b.stats.activeCellSteps < 0.9 * a.stats.activeCellSteps)
    let problems = distributionDifferences(a, b)
    #expect(problems.isEmpty, "\(problems.prefix(5))")

    // The comparison sees a window that is too short: cells started a fifth of a relaxation
    // time before sampling still carry the start's zero spread.
    var tooShort = short
    tooShort.stationaryWindowRelaxations = 0.2
    let c = try simulate(loaded, options: tooShort)
    #expect(!distributionDifferences(a, c).isEmpty)
}

@Test func historyDependentSystemsKeepTheFullPath() throws {
    let base = try loadDesign(longProtocolDesign())
    let model = try Simulator.prepare(design: base.design, network: try NetworkLoader.network(for: base), seed: 1)
    let options = SimulationOptions()
    #expect(model.stationaryWindow(options: options) != nil)
    for change in ["bistable_perturbation", "sample_before_steady_state"] {
        var design = base.design
        if change == "bistable_perturbation" {
            design.system.assumptions.bistablePerturbation = true
        } else {
            design.system.assumptions.sampleBeforeSteadyState = true
        }
        let m = try Simulator.prepare(design: design, network: NetworkGenerator.generate(design.system), seed: 1)
        #expect(m.stationaryWindow(options: options) == nil, "\(change)")
    }
    var differentiating = base.design
    differentiating.system.dynamics = .differentiating
    let m = try Simulator.prepare(
        design: differentiating, network: NetworkGenerator.generate(differentiating.system), seed: 1)
    #expect(m.stationaryWindow(options: options) == nil)
}

@Test func sparseProductionGivesTheDenseGEMMsNumbers() throws {
    // 90 regulators with two regulators per gene: W_r is about 2% dense.
    let loaded = try loadDesign(smallDesign(genes: 100, regulators: 90))
    var dense = SimulationOptions()
    dense.threads = 1
    dense.sparseProduction = false
    var sparse = dense
    sparse.sparseProduction = true
    let k = try Simulator.prepare(design: loaded.design, network: try NetworkLoader.network(for: loaded), seed: 1)
        .kinetics
    let nonzeros = k.regulatorWeights.data.filter { $0 != 0 }.count
    #expect(Double(nonzeros) < SparseRows.densityLimit * Double(k.regulatorCount * k.channelCount))
    let a = try simulate(loaded, options: dense)
    let b = try simulate(loaded, options: sparse)
    #expect(a.stats.stepFlops > 10 * b.stats.stepFlops)  // the work the sparse form skips
    var worst = 0.0
    for (x, y) in zip(a.states, b.states) {
        for (u, v) in zip(x, y) { worst = max(worst, abs(u - v) / max(1e-6, abs(u))) }
    }
    #expect(worst < 1e-6, "largest relative difference \(worst)")
}

/// A screen with many background genes and no library-size spread, so that the library size's
/// variance is the counts' own (the part the counted-genes shortcut replaces by one draw).
private func countedGenesDesign(dispersion: Double = 1.5) -> String {
    """
    name: counted genes
    system:
      genes: 40
      network: {seed: 8, regulators: 10, mean_in_degree: 2}
      time_step_h: 1.0
      intrinsic_noise: 0.3
    perturbations: {targets: 3, moi: 0.2}
    protocol:
      - {medium: growth, perturb: false, duration_h: 12}
      - {medium: growth, perturb: true, duration_h: 36}
    sampling: {cells_per_perturbation: 300, control_cells: 600}
    measurement: {measured_genes: 400, mrna_per_cell: 30000, library_size_sd: 0, dispersion: \(dispersion),
                  doublet_rate_per_cell: 0.0008}
    batching: {batches: 2}
    """
}

/// Where two samples differ: means (z > 4.5), variances (z of the log ratio > 4.5) and a KS
/// test at α ≈ 10⁻⁴. Empty when they agree.
private func sampleDifferences(_ x: [Double], _ y: [Double], _ what: String) -> [String] {
    let nx = Double(x.count)
    let ny = Double(y.count)
    let mx = mean(x)
    let my = mean(y)
    let vx = variance(x)
    let vy = variance(y)
    var problems: [String] = []
    let z = abs(mx - my) / (vx / nx + vy / ny).squareRoot()
    if z > 4.5 { problems.append("\(what): means \(mx) and \(my) (z = \(z))") }
    if vx > 0 && vy > 0 {
        let zv = abs(Foundation.log(vx / vy)) / (2 / (nx - 1) + 2 / (ny - 1)).squareRoot()
        if zv > 4.5 { problems.append("\(what): variances \(vx) and \(vy) (z = \(zv))") }
    }
    let d = ksStatistic(x, y)
    let critical = 2.15 * ((nx + ny) / (nx * ny)).squareRoot()
    if d > critical { problems.append("\(what): KS D = \(d) > \(critical)") }
    return problems
}

@Test func countedGenesGiveTheFullPathsLibrarySizesAndCounts() throws {
    let loaded = try loadDesign(countedGenesDesign())
    var full = SimulationOptions()
    full.threads = 2
    var short = full
    // Modelled genes (regulators and downstream) and background genes.
    let counted = [0, 3, 12, 35, 41, 200, 399]
    short.countedGenes = counted
    let a = try simulate(loaded, options: full, states: false)
    // The same seed: the same cells and states, measured along the two paths.
    let b = try simulate(loaded, options: short, states: false)
    // Only the counted genes are in the shortcut's blocks.
    #expect(Set(b.blocks.flatMap(\.geneIndices).map(Int.init)).isSubset(of: Set(counted)))
    #expect(b.summary.entries < a.summary.entries / 20)
    var problems = sampleDifferences(
        a.cells.map { Double($0.librarySize) }, b.cells.map { Double($0.librarySize) },
        "library size")
    let ca = a.counts
    let cb = b.counts
    for g in counted {
        problems += sampleDifferences(ca.map { Double($0[g]) }, cb.map { Double($0[g]) }, "gene \(g)")
    }
    #expect(problems.isEmpty, "\(problems)")

    // The comparison sees a library size whose count noise is off by the overdispersion's share:
    // the full path with θ = 6 instead of 1.5.
    let c = try simulate(try loadDesign(countedGenesDesign(dispersion: 6)), options: full, states: false)
    #expect(
        !sampleDifferences(
            a.cells.map { Double($0.librarySize) }, c.cells.map { Double($0.librarySize) },
            "library size"
        ).isEmpty)
}

@Test func stationaryStartInVivoHasTheDistributionOfTheFullPath() throws {
    var text = longProtocolDesign()
    text = text.replacingOccurrences(of: "system:\n", with: "system:\n  regime: in-vivo\n")
    text = text.replacingOccurrences(
        of: "batching: {batches: 2}", with: "batching: {batches: 2, unit: animal, layout: per-animal}")
    let loaded = try loadDesign(text)
    var full = SimulationOptions()
    full.threads = 2
    full.stationaryStart = false
    var short = full
    short.stationaryStart = true
    let a = try simulate(loaded, options: full)
    let b = try simulate(loaded, options: short)
    #expect(b.model.stationaryWindow(options: short) != nil)
    #expect(b.stats.activeCellSteps < 0.9 * a.stats.activeCellSteps)
    let problems = distributionDifferences(a, b)
    #expect(problems.isEmpty, "\(problems.count): \(problems.prefix(8))")
}

@Test func exponentiallyWeightedWindowHasTheDistributionOfTheFinePath() throws {
    // The downstream window's exponential weights (one weighted average for the mean, one for
    // the variance) against integrating every downstream gene every step, in vitro and in vivo
    // (niche inputs, cells sampled at several ages), and with guides switched on 10 h before
    // sampling (production changes inside the window).
    var inVivo = longProtocolDesign()
    inVivo = inVivo.replacingOccurrences(of: "system:\n", with: "system:\n  regime: in-vivo\n")
    inVivo = inVivo.replacingOccurrences(
        of: "batching: {batches: 2}", with: "batching: {batches: 2, unit: animal, layout: per-animal}")
    let lateGuides = longProtocolDesign().replacingOccurrences(of: "duration_h: 24}", with: "duration_h: 110}")
        .replacingOccurrences(of: "duration_h: 96}", with: "duration_h: 10}")
    for text in [longProtocolDesign(), inVivo, lateGuides] {
        let loaded = try loadDesign(text)
        var fine = SimulationOptions()
        fine.threads = 2
        fine.downstream = .fine
        var weighted = fine
        weighted.downstream = .window
        weighted.downstreamExponentialWeights = true
        let a = try simulate(loaded, options: fine)
        let b = try simulate(loaded, options: weighted)
        let problems = distributionDifferences(a, b)
        #expect(problems.isEmpty, "\(problems.count): \(problems.prefix(8))")
    }
    // The comparison sees a window that is too short to forget its quasi-steady start.
    var tooShort = SimulationOptions()
    tooShort.threads = 2
    tooShort.downstreamWindowRelaxations = 0.3
    var fine = tooShort
    fine.downstream = .fine
    let loaded = try loadDesign(longProtocolDesign())
    #expect(
        !distributionDifferences(try simulate(loaded, options: fine), try simulate(loaded, options: tooShort)).isEmpty)
}
