import Foundation

// MARK: - The truth table: what each perturbation really does
//
// The true effect of perturbation p on gene g is the steady-state log2 fold change
// log2(x*_g(p) / x*_g(∅)) in the medium of the last sampling time, with every guide of p at its
// drawn efficiency (averaged over p's guides), starting from the control attractor. Differentiating
// systems have one control attractor per lineage, so effects are given per terminal state.
// Perturbations that touch no regulator change only their targets (log2 κ), with no Newton solve.

extension SimulationModel {
    /// Control attractors used for the truth: (label, regulator levels).
    func truthAttractors(input u: [Double]) throws -> [(String, [Double], [Double])] {
        let k = kinetics
        let none = PerturbationAction.none(genes: geneCount)
        // A network file's own fates: its attractors under the trigger medium (one row set each).
        if let landscape, !landscape.attractors.isEmpty {
            var result: [(String, [Double], [Double])] = []
            for a in landscape.attractors {
                guard let x = try? k.steadyState(input: u, action: none, start: a.regulators, relaxHours: 0) else {
                    continue
                }
                result.append((a.name, k.regulators.map { x[$0] }, x))
            }
            if !result.isEmpty { return result }
        }
        if !lineageGenes.isEmpty {
            var result: [(String, [Double], [Double])] = []
            for (i, gene) in lineageGenes.enumerated() {
                var start = k.regulators.map { k.basal[$0] / k.decay[$0] }
                for other in lineageGenes { start[k.regulatorPosition[other]] = 0 }
                start[k.regulatorPosition[0]] = 0
                start[k.regulatorPosition[gene]] = 3 * lineageThreshold
                guard let x = try? k.steadyState(input: u, action: none, start: start, relaxHours: 200) else {
                    continue
                }
                let label = x.withUnsafeBufferPointer { stateLabel($0.baseAddress!) }
                if label == "lineage_\(i + 1)" { result.append((label, k.regulators.map { x[$0] }, x)) }
            }
            if !result.isEmpty { return result }
        }
        let x = try k.steadyState(input: u, action: none, start: initialRegulators[0], relaxHours: 200)
        let label = x.withUnsafeBufferPointer { stateLabel($0.baseAddress!) }
        return [(label, k.regulators.map { x[$0] }, x)]
    }

    /// The truth table (sorted by perturbation, state, gene).
    func truthTable() throws -> [TruthEntry] {
        let k = kinetics
        let g = geneCount
        let lastTime = plan.timePoints.max() ?? 0
        let u = mediumInputs[medium(at: lastTime)]
        let attractors = try truthAttractors(input: u)
        let measured = min(g, measuredGeneCount)
        let threshold = parameters.truthThreshold
        let names = kinetics.network.genes
        // Large regulator sets (real networks): one Newton solve per perturbation would cost an
        // LU of G_r × G_r each; use the linear response instead (one LU for all perturbations).
        if k.regulatorCount > parameters.truthNewtonLimit {
            var rows: [TruthEntry] = []
            for (label, _, control) in attractors {
                let actions = perturbations.enumerated().map { p, pert in
                    design.action(
                        targets: pert.targets,
                        efficiency: pert.targets.indices.map { t in
                            guides[p].map { $0.efficiency[t] }.reduce(0, +) / Double(max(1, guides[p].count))
                        }, genes: g)
                }
                let lfc = try LinearResponse.log2FoldChanges(k, baseline: control, input: u, actions: actions)
                for (p, pert) in perturbations.enumerated() {
                    for i in 0..<measured where abs(lfc[i, p]) >= threshold || pert.targets.contains(i) {
                        rows.append(
                            TruthEntry(
                                perturbation: pert.name, perturbationIndex: p, gene: names[i], geneIndex: i,
                                state: label, controlLevel: control[i],
                                perturbedLevel: control[i] * Foundation.exp2(lfc[i, p]),
                                log2FoldChange: lfc[i, p]))
                    }
                }
            }
            return withInteractions(rows.sorted { ($0.perturbationIndex, $0.state) < ($1.perturbationIndex, $1.state) })
        }
        let results = WaveSlots<[TruthEntry]>(perturbations.count)
        let previous = BLAS.threads
        BLAS.setThreads(1)
        defer { BLAS.setThreads(previous) }
        DispatchQueue.concurrentPerform(iterations: perturbations.count) { p in
            let pert = perturbations[p]
            let eff = pert.targets.indices.map { t in
                guides[p].map { $0.efficiency[t] }.reduce(0, +) / Double(max(1, guides[p].count))
            }
            let action = design.action(targets: pert.targets, efficiency: eff, genes: g)
            let touchesRegulators = pert.targets.contains { k.regulatorPosition[$0] >= 0 }
            var rows: [TruthEntry] = []
            for (label, xr, control) in attractors {
                var perturbed = control
                if touchesRegulators {
                    // Newton from the control attractor; relax first only when Newton alone fails.
                    guard
                        let x = (try? k.steadyState(input: u, action: action, start: xr, relaxHours: 0))
                            ?? (try? k.steadyState(input: u, action: action, start: xr, relaxHours: 100))
                    else { continue }
                    perturbed = x
                } else {
                    for t in pert.targets { perturbed[t] = control[t] * action.kappa[t] }
                }
                for i in 0..<measured {
                    let a = control[i]
                    let b = perturbed[i]
                    let lfc = Foundation.log2((b + 1e-9) / (a + 1e-9))
                    if abs(lfc) >= threshold || pert.targets.contains(i) {
                        rows.append(
                            TruthEntry(
                                perturbation: pert.name, perturbationIndex: p, gene: names[i], geneIndex: i,
                                state: label, controlLevel: a, perturbedLevel: b, log2FoldChange: lfc))
                    }
                }
            }
            results.values[p] = rows
        }
        return withInteractions(results.values.flatMap { $0 ?? [] })
    }

    /// Adds the true interaction to the rows of combinations whose components are single
    /// perturbations: log2 fold change of the combination minus the components' on the same gene
    /// and state (a component without a row there changes the gene by less than the truth
    /// threshold, taken as its exact value from the rows' levels when present, else 0).
    func withInteractions(_ rows: [TruthEntry]) -> [TruthEntry] {
        var single: [Int: Int] = [:]
        for (p, pert) in perturbations.enumerated() where pert.targets.count == 1 { single[pert.targets[0]] = p }
        var lfc: [String: Double] = [:]
        func key(_ p: Int, _ state: String, _ gene: Int) -> String { "\(p)\u{1}\(state)\u{1}\(gene)" }
        for r in rows { lfc[key(r.perturbationIndex, r.state, r.geneIndex)] = r.log2FoldChange }
        return rows.map { r in
            var r = r
            let targets = perturbations[r.perturbationIndex].targets
            guard targets.count >= 2, targets.allSatisfy({ single[$0] != nil }) else { return r }
            r.interaction =
                r.log2FoldChange - targets.map { lfc[key(single[$0]!, r.state, r.geneIndex)] ?? 0 }.reduce(0, +)
            return r
        }
    }
}
