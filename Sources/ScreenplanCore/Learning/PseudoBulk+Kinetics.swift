import Foundation

// MARK: - Pseudo-bulk data from the deterministic model plus the measurement operator
//
// A stand-in for the stochastic simulator (used when it is not available): every cell of a
// guide sits at that guide's deterministic state (relaxation from the baseline steady state for
// the time since onset, polished by Newton once the cells are past 5 relaxation times), and is
// observed through the measurement operator of the design (section 3 of the model reference):
// library size LogNormal around the batch median, gene-wise batch effects β_bg ~ N(0, τ²), a
// batch × perturbation interaction ~ N(0, ω²), and negative-binomial counts with the design's
// dispersion. Intrinsic (Langevin) noise between cells is not modelled here; the NB noise of
// ~10⁴-UMI cells dominates the per-cell variance of the regulators anyway.

extension PseudoBulk {
    /// Simulates the pseudo-bulk observations of `perturbations` under `design`.
    ///
    /// Randomness is addressed: guide efficiencies by (seed, .guides, perturbation, guide), batch
    /// effects by (seed, .batchEffects, batch), cells by (seed, .measurement, time, group, batch).
    /// - Complexity: one steady-state solve per guide; O(cells × d) draws.
    public static func fromKinetics(
        design: Design, kinetics k: Kinetics, perturbations: [Perturbation],
        seed: UInt64, progress: ProgressReporter? = nil
    ) throws -> PseudoBulk {
        let system = design.system
        let g = k.geneCount
        let genes = k.regulators
        let d = genes.count
        let onset = PseudoBulk.onset(of: design)
        let times = design.timePoints
        let b = max(1, design.batching.batches)
        var bulk = PseudoBulk(
            genes: genes, geneNames: genes.map { k.network.genes[$0] },
            perturbations: perturbations, times: times, onset: onset, batches: b,
            source: "deterministic kinetics + NB measurement (simulator stand-in)")
        let medium = design.system.media.first ?? MediumSpec()
        let u = k.mediumInput(medium, index: 0, system: system)
        let none = PerturbationAction.none(genes: g)
        let baseline = try k.steadyState(input: u, action: none)
        let baselineRegulators = genes.map { baseline[$0] }
        let gammaRef = design.system.network.decayPerH

        // State of every modelled gene for a guide's action, τ hours after onset.
        func state(_ action: PerturbationAction, hoursSinceOnset tau: Double) throws -> [Double] {
            if tau <= 0 { return baseline }
            if tau * gammaRef >= 5 {
                return try k.steadyState(input: u, action: action, start: baselineRegulators, relaxHours: tau)
            }
            let xr = k.relax(regulatorLevels: baselineRegulators, input: u, action: action, hours: tau)
            return k.completeState(regulatorLevels: xr, input: u, action: action)
        }

        // Measurement: the share of counts of each gene is c_g e^β / Z. Genes outside the model
        // (measured background) are taken to carry the modelled genes' mean expression each.
        let modelledTotal = baseline.reduce(0, +)
        let measured = max(design.measurement.measuredGenes, g)
        let total = modelledTotal * Double(measured) / Double(g)
        let tau = design.batching.batchEffectSd
        let omega = design.batching.interactionSd
        var batchEffect = Matrix(rows: d, cols: b)
        var batchLibrary = [Double](repeating: 0, count: b)
        for batch in 0..<b {
            var rng = RandomStream(seed: seed, domain: .batchEffects, UInt64(batch))
            batchLibrary[batch] =
                design.expectedUMIsPerCell * Foundation.exp(design.measurement.batchLibrarySd * rng.normal())
            for i in 0..<d { batchEffect[i, batch] = tau * rng.normal() }
        }
        let theta = design.measurement.dispersion
        let librarySD = design.measurement.librarySizeSd

        // Cells per group and batch.
        let perBatchControls = max(1, design.controlCells / max(1, times.count) / max(1, design.batchesWithControls))
        let controlBatches = max(1, design.batchesWithControls)
        let cellsPerPerturbation = design.sampling.cellsPerPerturbation
        let guides = max(1, design.perturbations.guidesPerTarget)
        let meanE = design.perturbations.knockdownMean
        let conc = design.perturbations.knockdownConcentration

        var done = 0.0
        let work = Double(times.count * (perturbations.count + 1))
        var values = [Double](repeating: 0, count: d)
        for (ti, t) in times.enumerated() {
            let sinceOnset = t - onset
            // Groups: perturbations, then controls.
            for group in 0...perturbations.count {
                if progress?.isCancelled == true { throw CancelledError() }
                var guideStates: [[Double]] = []
                if group < perturbations.count {
                    let pert = perturbations[group]
                    for guide in 0..<guides {
                        var rng = RandomStream(seed: seed, domain: .guides, UInt64(group), UInt64(guide))
                        let e = pert.targets.map { _ in rng.beta(meanE * conc, (1 - meanE) * conc) }
                        let action = design.action(targets: pert.targets, efficiency: e, genes: g)
                        guideStates.append(try state(action, hoursSinceOnset: sinceOnset).map { $0 })
                    }
                    // Truth: log2 fold change of the population mean over guides.
                    for (i, gene) in genes.enumerated() {
                        let mean = guideStates.reduce(0) { $0 + $1[gene] } / Double(guides)
                        bulk.truth[ti][i, group] = Foundation.log2(max(mean, 1e-300) / max(baseline[gene], 1e-300))
                    }
                } else {
                    guideStates = [baseline]
                }
                let cellBatches: [Int]
                let count: Int
                if group < perturbations.count {
                    cellBatches = PseudoBulk.batchesHolding(group, design: design, time: ti)
                    count = cellsPerPerturbation
                } else {
                    cellBatches = Array(0..<controlBatches)
                    count = perBatchControls * controlBatches
                }
                for c in 0..<count {
                    let batch = cellBatches[c % cellBatches.count]
                    var rng = RandomStream(seed: seed, domain: .measurement, UInt64(ti), UInt64(group), UInt64(c))
                    let x = guideStates[c % guideStates.count]
                    let library = batchLibrary[batch] * Foundation.exp(librarySD * rng.normal())
                    var interaction = RandomStream(
                        seed: seed, domain: .batchEffects, 1_000_000 + UInt64(batch),
                        UInt64(group))
                    for (i, gene) in genes.enumerated() {
                        let share =
                            x[gene] * Foundation.exp(batchEffect[i, batch] + omega * interaction.normal()) / total
                        let y = rng.negativeBinomial(mean: library * share, size: theta)
                        values[i] = Double(y) / library
                    }
                    values.withUnsafeBufferPointer { bulk.add(group: group, batch: batch, time: ti, values: $0) }
                }
                done += 1
                progress?.report(done: done, total: work, message: "simulating pseudo-bulk data")
            }
        }
        return bulk
    }

    /// Hours from protocol start at which guides start to act as the model sees it: the start
    /// of the first perturbing step. A delivery delay (in vivo) is not added: the fitted model
    /// assumes, as published methods do, that perturbations act at once; the data still carry
    /// the delay, so it shows up as error.
    public static func onset(of design: Design) -> Double {
        var t = 0.0
        for step in design.protocolSteps {
            if step.perturb { break }
            t += step.durationH
        }
        return t
    }

    /// Batches that hold perturbation `p` under the design's layout (round-robin placement).
    static func batchesHolding(_ p: Int, design: Design, time: Int) -> [Int] {
        let b = max(1, design.batching.batches)
        switch design.batching.layout {
        case .confounded:
            return [p % b]
        case .subLibraries, .balancedIncomplete:
            let r = min(b, max(1, design.batching.replicates))
            return (0..<r).map { (p * r + $0) % b }
        case .perTimePoint:
            return [time % b]
        case .pooled, .perAnimal, .explicit:
            return Array(0..<b)
        }
    }
}
