import Foundation

// MARK: - Expected effects and baseline expression
//
// What the error model needs from the biology, per time point: the baseline expression share of
// every measured gene (which sets its UMI count and so its counting noise), the biological
// cell-to-cell variation (intrinsic noise and, in differentiating systems, the spread over
// lineage states), how fast the baseline drifts (time-mismatch bias), and the expected log2 fold
// change of every gene under every perturbation (network linear response, or the user's fixed
// size). It depends only on the system, perturbation and protocol fields, so `Analyzer` caches it.

/// Expected effects and baseline expression at one sampling time.
public struct EffectSlice: Sendable {
    /// Sampling time (hours from protocol start).
    public var timeH: Double
    /// Baseline expression share π_g of every measured gene in control cells (sums to 1).
    public var share: [Double]
    /// Biological squared coefficient of variation of each gene between control cells (intrinsic
    /// noise and spread over cell states), on top of the NB counting noise.
    public var biologicalCV2: [Double]
    /// Drift of each gene's control mean (log2 units per hour): the time-mismatch bias rate.
    public var driftLog2PerH: [Double]
    /// Per perturbation: indices of the genes it changes (|Δ| ≥ `EffectSlice.threshold`), the
    /// targeted genes first.
    public var genes: [[Int32]]
    /// Per perturbation: the expected log2 fold changes of `genes`.
    public var effects: [[Double]]
    /// Per perturbation: the expected log2 fold change of its (first) targeted gene.
    public var targetEffect: [Double]
    /// Per perturbation: 2^effect of `genes` (the fold changes), precomputed for the error model.
    public var folds: [[Double]] = []
    /// Per perturbation: mean and variance over cells of the fraction r of the full response a
    /// cell has reached when sampled (delivery delay, ramp, cell age in vivo; 1 when guides have
    /// acted long enough). A cell's fold change is 1 + (2^Δ − 1)·r.
    public var responseMean: [Double] = []
    public var responseVariance: [Double] = []
    /// NB size θ of every measured gene when the design has an expression profile (nil: the
    /// scalar `measurement.dispersion` for all).
    public var dispersion: [Double]? = nil

    /// Smallest |log2 fold change| kept in the sparse effect lists (0.5% change): smaller effects
    /// cannot reach power above the test level at any realistic cell count.
    public static let threshold = 0.007
}

/// Expected effects at every sampling time of a design.
public struct ExpectedEffects: Sendable {
    /// Perturbation names (targets, or `A+B` for combinations), in report order.
    public var names: [String]
    /// Targeted gene names per perturbation.
    public var targetNames: [[String]]
    /// Targeted gene indices per perturbation.
    public var targets: [[Int]]
    /// Names of the measured genes.
    public var geneNames: [String]
    /// One slice per time point of `Design.timePoints`.
    public var slices: [EffectSlice]
}

extension ExpectedEffects {
    /// The expected effects of `design` (network linear response or fixed size).
    ///
    /// Complexity: one steady state (Newton, LAPACK) per time point and state, and one LU
    /// factorisation with all K perturbations as right-hand sides, in chunks of 1,024 columns
    /// so memory stays O(G·1024).
    /// - Parameter fateShift: include the change of fate fractions a fate regulator's perturbation
    ///   causes (FateShift.swift); false keeps the control weights (the within-state response).
    public static func compute(_ design: Design, network given: Network? = nil, fateShift: Bool = true) throws
        -> ExpectedEffects
    {
        let network = try given ?? NetworkLoader.network(for: design)
        let kinetics = Kinetics(network)
        let perturbations = design.perturbations(in: network)
        let gModel = network.geneCount
        let gMeasured = max(design.measurement.measuredGenes, gModel)
        let backgroundGenes = BackgroundGenes(design, modelled: gModel)
        let background = backgroundGenes.levels
        let geneNames = network.genes + backgroundGenes.names

        var slices: [EffectSlice] = []
        // A differentiating network file: the network's own attractors (as the simulator finds
        // them) and the fate fractions of control cells.
        let landscape = try fateLandscape(design, kinetics)
        // A generated network's lineage module: fates from its own stochastic run (LineageFates.swift).
        let lineage = landscape == nil ? try LineageFates(design, kinetics) : nil
        let lineageRuns = lineage.map { LineageRuns($0, design, kinetics, library: perturbations.map(\.targets)) }
        let profileDispersion = try ExpressionProfile.dispersions(design, genes: geneNames)
        for t in design.timePoints {
            let u = kinetics.mediumInput(
                medium(of: design, at: t).spec, index: medium(of: design, at: t).index,
                system: design.system)
            var states: [[Double]]
            var statesLater: [[Double]]
            var inputs: [[Double]]
            var weights: [Double]
            // Share of control cells labelled intermediate (inside the progenitor's weight, or
            // spread over the lineages for a generated network's lineage module).
            var intermediate = 0.0
            var laterWeights: [Double]? = nil
            if let lineageRuns {
                let now = lineageRuns.controls(at: t)
                (states, inputs, weights, intermediate) = lineageRuns.fates.mixture(kinetics, now)
                let next = lineageRuns.fates.mixture(kinetics, lineageRuns.controls(at: t + 1), controls: now)
                statesLater = next.states
                laterWeights = next.weights
            } else if let (landscape, startInput) = landscape {
                (states, inputs, weights, intermediate) = fateMixtureParts(
                    design, kinetics, landscape, startInput: startInput, triggerInput: u, at: t)
                statesLater =
                    fateMixture(design, kinetics, landscape, startInput: startInput, triggerInput: u, at: t + 1).states
            } else {
                states = try baselineStates(design, kinetics, at: t)
                statesLater =
                    design.system.dynamics == .differentiating
                    ? try baselineStates(design, kinetics, at: t + 1) : states
                inputs = states.map { _ in u }
                weights = states.map { _ in 1 / Double(states.count) }
            }
            // Mixture mean and between-state spread of every modelled gene.
            var mean = [Double](repeating: 0, count: gMeasured)
            var meanSq = [Double](repeating: 0, count: gMeasured)
            var later = [Double](repeating: 0, count: gMeasured)
            for (s, x) in states.enumerated() {
                let w = weights[s]
                for i in 0..<gModel {
                    mean[i] += w * x[i]
                    meanSq[i] += w * x[i] * x[i]
                    later[i] += (laterWeights?[s] ?? w) * statesLater[s][i]
                }
            }
            // The lineage module's genes: the run's own means (intermediate cells where they are).
            if let lineageRuns {
                let now = lineageRuns.controls(at: t)
                let next = lineageRuns.controls(at: t + 1)
                for (i, gene) in lineageRuns.fates.module.enumerated() {
                    mean[gene] = now.mean[i]
                    later[gene] = next.mean[i]
                }
            }
            for i in gModel..<gMeasured {
                mean[i] = background[i - gModel]
                meanSq[i] = mean[i] * mean[i]
                later[i] = mean[i]
            }
            let total = mean.reduce(0, +)
            let share = mean.map { total > 0 ? $0 / total : 1 / Double(gMeasured) }
            let s = design.system.intrinsicNoise
            var bio = [Double](repeating: 0, count: gMeasured)
            var drift = [Double](repeating: 0, count: gMeasured)
            // Between-state spread: intermediate cells sit between the progenitor and the
            // attractors, at about the attractors' mean level (measured on the haematopoiesis
            // sample's simulated controls: GATA1 1.67 UMIs in intermediate cells against 1.30 at
            // the attractors' mean and 0.00 at the progenitor), so the spread counts them there.
            // Counting them at the progenitor (as the mixture's weights do for the mean) overstated
            // the spread of lineage genes 2–3-fold (docs/batching.md, section 8).
            var spreadMean = mean
            var spreadMeanSq = meanSq
            if intermediate > 0 && states.count > 1 && lineageRuns != nil {
                // Spread over the lineages in the weights: their second moment is replaced by
                // the lineages' mean squared.
                let first = states[0] == lineageRuns?.fates.progenitor ? 1 : 0
                let attractorWeight = weights[first...].reduce(0, +)
                if attractorWeight > 0 {
                    for i in 0..<gModel {
                        var a = 0.0
                        var a2 = 0.0
                        for s in first..<states.count {
                            a += weights[s] * states[s][i]
                            a2 += weights[s] * states[s][i] * states[s][i]
                        }
                        a /= attractorWeight
                        a2 /= attractorWeight
                        spreadMeanSq[i] += intermediate * (a * a - a2)
                    }
                }
            } else if intermediate > 0 && states.count > 1 {
                let attractorWeight = weights.dropFirst().reduce(0, +)
                if attractorWeight > 0 {
                    for i in 0..<gModel {
                        var a = 0.0
                        for s in 1..<states.count { a += weights[s] * states[s][i] }
                        a /= attractorWeight
                        let x0 = states[0][i]
                        spreadMean[i] += intermediate * (a - x0)
                        spreadMeanSq[i] += intermediate * (a * a - x0 * x0)
                    }
                }
            }
            for i in 0..<gMeasured where mean[i] > 0 {
                let sm = spreadMean[i] > 0 ? spreadMean[i] : mean[i]
                let state = max(0, (spreadMean[i] > 0 ? spreadMeanSq[i] : meanSq[i]) / (sm * sm) - 1)
                // Chemical Langevin noise at a steady state: Var(c) ≈ s²·c, so CV² = s²/c.
                let intrinsic = i < gModel ? s * s / mean[i] : 0
                bio[i] = (1 + state) * (1 + intrinsic) - 1
                if later[i] > 0 { drift[i] = Foundation.log2(later[i] / mean[i]) }
            }

            var genes = [[Int32]](repeating: [], count: perturbations.count)
            var effects = [[Double]](repeating: [], count: perturbations.count)
            var targetEffect = [Double](repeating: 0, count: perturbations.count)
            switch design.analysis.effect {
            case .fixed:
                for (p, pert) in perturbations.enumerated() {
                    genes[p] = pert.targets.map { Int32($0) }
                    effects[p] = pert.targets.map { _ in design.analysis.effectSizeLog2 }
                    targetEffect[p] = design.analysis.effectSizeLog2
                }
            case .network:
                // Actions that touch no regulator (CRISPRi/a or knockout of genes without
                // outgoing edges) change only their targets, by exactly log2 κ (the linear
                // response's own answer, clamped as it clamps): no solve needed.
                var regulatorColumns: [Int] = []
                for (p, pert) in perturbations.enumerated() {
                    if pert.targets.contains(where: { kinetics.regulatorPosition[$0] >= 0 }) {
                        regulatorColumns.append(p)
                        continue
                    }
                    let action = design.meanAction(pert, genes: 0, sparse: true)
                    genes[p] = pert.targets.map { Int32($0) }
                    effects[p] = action.map { Foundation.log2(max($0, 0.01)) }
                    targetEffect[p] = effects[p].first ?? 0
                }
                let chunk = 1024
                var start = 0
                while start < regulatorColumns.count {
                    let end = min(regulatorColumns.count, start + chunk)
                    let columns = Array(regulatorColumns[start..<end])
                    let actions = columns.map { design.meanAction(perturbations[$0], genes: gModel) }
                    // Effect on the mixture mean: log2 Σ_s w x_s 2^Δ_s − log2 Σ_s w x_s; with one
                    // state that is the state's own log2 fold change.
                    var lfcs: [Matrix] = []
                    for (s, x) in states.enumerated() {
                        lfcs.append(
                            try LinearResponse.log2FoldChanges(
                                kinetics, baseline: x, input: inputs[s], actions: actions))
                    }
                    // A fate regulator's perturbation moves the fate weights too (FateShift.swift).
                    // A generated lineage module: the perturbation's own run, and the run's means
                    // for the module's genes.
                    let moduleRuns = fateShift ? lineageRuns?.perturbed(columns.map { perturbations[$0] }, at: t) : nil
                    let shifted =
                        !fateShift
                        ? nil
                        : moduleRuns.map { $0.map { $0?.weights ?? nil } }
                            ?? landscape.map { land in
                                fateShiftedWeights(
                                    design, kinetics, land.0, startInput: land.1, triggerInput: u, at: t,
                                    states: states, weights: weights, actions: actions)
                            }
                    func effect(_ i: Int, _ q: Int) -> Double {
                        if let run = moduleRuns?[q], let slot = run.slot(i) { return run.log2Ratio[slot] }
                        if states.count == 1 { return lfcs[0][i, q] }
                        guard mean[i] > 0 else { return 0 }
                        let w = shifted?[q] ?? weights
                        var sum = 0.0
                        for (s, x) in states.enumerated() where x[i] > 0 {
                            sum += w[s] * x[i] * Foundation.exp2(lfcs[s][i, q])
                        }
                        return Foundation.log2(max(sum, 1e-300) / mean[i])
                    }
                    for (q, p) in columns.enumerated() {
                        let targets = perturbations[p].targets
                        var gs: [Int32] = targets.map { Int32($0) }
                        var es: [Double] = targets.map { effect($0, q) }
                        for i in 0..<gModel where !targets.contains(i) {
                            let e = effect(i, q)
                            if abs(e) >= EffectSlice.threshold {
                                gs.append(Int32(i))
                                es.append(e)
                            }
                        }
                        genes[p] = gs
                        effects[p] = es
                        targetEffect[p] = es.first ?? 0
                    }
                    start = end
                }
            }
            // Response reached at sampling, per perturbation (by the decay of its first target).
            var byDecay: [Double: (mean: Double, variance: Double)] = [:]
            // A perturbation of the lineage module: its run already has the guides' timing (the
            // delivery delay, the ramp and the relaxation), so its effects are not scaled again.
            let moduleSize = design.analysis.effect == .network && fateShift ? lineageRuns?.fates.module.count ?? 0 : 0
            let response = perturbations.map { pert -> (mean: Double, variance: Double) in
                if pert.targets.contains(where: { $0 < moduleSize }) { return (1, 0) }
                let gamma = pert.targets.first.map { kinetics.decay[$0] } ?? design.system.network.decayPerH
                if let known = byDecay[gamma] { return known }
                let r = ResponseTiming.moments(design, at: t, decay: gamma)
                byDecay[gamma] = r
                return r
            }
            slices.append(
                EffectSlice(
                    timeH: t, share: share, biologicalCV2: bio, driftLog2PerH: drift,
                    genes: genes, effects: effects, targetEffect: targetEffect,
                    folds: effects.map { $0.map { Foundation.exp2($0) } },
                    responseMean: response.map(\.mean), responseVariance: response.map(\.variance),
                    dispersion: profileDispersion))
        }
        return ExpectedEffects(
            names: perturbations.map(\.name),
            targetNames: perturbations.map { $0.targets.map { network.genes[$0] } },
            targets: perturbations.map(\.targets), geneNames: geneNames, slices: slices)
    }

    /// The medium in force at time `t` (hours from protocol start) and its index in system.media.
    static func medium(of design: Design, at t: Double) -> (spec: MediumSpec, index: Int) {
        var elapsed = 0.0
        var name = design.protocolSteps.first?.medium ?? design.system.media.first?.name ?? "growth"
        for step in design.protocolSteps {
            name = step.medium
            elapsed += step.durationH
            if elapsed >= t { break }
        }
        let index = design.system.media.firstIndex { $0.name == name } ?? 0
        return (design.system.media.isEmpty ? MediumSpec() : design.system.media[index], index)
    }

    /// The fate landscape of a differentiating design with a network file (nil otherwise, or when
    /// the protocol never uses the trigger medium), with the progenitor's starting input, computed
    /// exactly as `SimulationModel` computes it.
    static func fateLandscape(_ design: Design, _ k: Kinetics) throws -> (FateLandscape, [Double])? {
        let system = design.system
        guard system.dynamics == .differentiating, system.network.file != nil,
            k.regulatorCount <= FateLandscape.regulatorLimit,
            let trigger = system.media.firstIndex(where: { $0.name == system.differentiation.triggerMedium })
        else { return nil }
        let first = medium(of: design, at: 0)
        let startInput =
            first.spec.name == system.differentiation.triggerMedium
            ? [Double](repeating: 0, count: k.geneCount)
            : k.mediumInput(first.spec, index: first.index, system: system)
        let triggerInput = k.mediumInput(system.media[trigger], index: trigger, system: system)
        return (
            try FateLandscape.compute(
                kinetics: k, startInput: startInput, triggerInput: triggerInput,
                seed: system.network.seed), startInput
        )
    }

    /// Control cells at time t as a mixture over a network file's own fates: each attractor with
    /// the fraction of control cells labelled by it (`FateLandscape.mixture`), and the progenitor
    /// state (linearised in its own starting input, where it is a steady state) with the share of
    /// progenitor and intermediate cells. Before the trigger medium, only the progenitor.
    static func fateMixture(
        _ design: Design, _ k: Kinetics, _ landscape: FateLandscape, startInput: [Double],
        triggerInput: [Double], at t: Double
    )
        -> (states: [[Double]], inputs: [[Double]], weights: [Double])
    {
        let parts = fateMixtureParts(design, k, landscape, startInput: startInput, triggerInput: triggerInput, at: t)
        return (parts.states, parts.inputs, parts.weights)
    }

    /// `fateMixture` and the share of intermediate cells inside its first (progenitor) weight:
    /// the between-state spread places those cells at the attractors' mean, not at the
    /// progenitor (docs/batching.md, section 2.1).
    static func fateMixtureParts(
        _ design: Design, _ k: Kinetics, _ landscape: FateLandscape, startInput: [Double],
        triggerInput: [Double], at t: Double
    )
        -> (states: [[Double]], inputs: [[Double]], weights: [Double], intermediate: Double)
    {
        let mix = landscape.mixture(design, kinetics: k, at: t)
        var states = [landscape.progenitor]
        var inputs = [startInput]
        var weights = [mix.fractions[0] + mix.fractions[mix.fractions.count - 1]]
        for (a, attractor) in landscape.attractors.enumerated() where mix.fractions[a + 1] > 0 {
            states.append(attractor.state)
            inputs.append(triggerInput)
            weights.append(mix.fractions[a + 1])
        }
        var intermediate = mix.fractions[mix.fractions.count - 1]
        if weights[0] == 0 && states.count > 1 {
            states.removeFirst()
            inputs.removeFirst()
            weights.removeFirst()
            intermediate = 0
        }
        // With no attractor reached, intermediate cells have nowhere else to sit.
        if states.count == 1 { intermediate = 0 }
        return (states, inputs, weights, intermediate)
    }

    /// Control-cell states at time t. Non-differentiating: the steady state of the medium in
    /// force. Differentiating: one state per lineage, following the protocol's media in order from
    /// the progenitor steady state, with lineage ℓ nudged when the trigger medium starts (the
    /// deterministic counterpart of the noise-driven choice), equally weighted. Generated
    /// networks with two or more lineages use their lineage module's run instead
    /// (LineageFates.swift); this stays for a single lineage or a module that is not closed.
    static func baselineStates(_ design: Design, _ k: Kinetics, at t: Double) throws -> [[Double]] {
        let none = PerturbationAction.none(genes: k.geneCount)
        let current = medium(of: design, at: t)
        let uNow = k.mediumInput(current.spec, index: current.index, system: design.system)
        guard design.system.dynamics == .differentiating else {
            return [try k.steadyState(input: uNow, action: none)]
        }
        let first = medium(of: design, at: 0)
        let u0 = k.mediumInput(first.spec, index: first.index, system: design.system)
        let start = try k.steadyState(input: u0, action: none)
        let lineages = max(1, min(design.system.differentiation.lineages, k.regulatorCount - 1))
        var states: [[Double]] = []
        for lineage in 1...lineages {
            var xr = k.regulators.map { start[$0] }
            var elapsed = 0.0
            var nudged = false
            var u = u0
            for step in design.protocolSteps where elapsed < t {
                let hours = min(step.durationH, t - elapsed)
                let index = design.system.media.firstIndex { $0.name == step.medium } ?? 0
                let spec = design.system.media.isEmpty ? MediumSpec() : design.system.media[index]
                u = k.mediumInput(spec, index: index, system: design.system)
                if !nudged && step.medium == design.system.differentiation.triggerMedium {
                    let p = k.regulatorPosition[lineage]
                    if p >= 0 { xr[p] += k.basal[lineage] / k.decay[lineage] * 5 + 1 }
                    nudged = true
                }
                if hours > 0 { xr = k.relax(regulatorLevels: xr, input: u, action: none, hours: hours) }
                elapsed += step.durationH
            }
            states.append(k.completeState(regulatorLevels: xr, input: u, action: none))
        }
        return states
    }
}

extension Design {
    /// The κ of each of a perturbation's targets under its mean action (guides at the mean
    /// efficiency), without building G-long vectors. Same rules as `action(targets:efficiency:genes:)`.
    func meanAction(_ p: Perturbation, genes: Int, sparse: Bool) -> [Double] {
        p.targets.map { t in
            // Several guides on one gene multiply their κ, as in `action`.
            let hits = p.targets.filter { $0 == t }.count
            let one: Double
            switch perturbations.modality {
            case .crispri: one = 1 - perturbations.knockdownMean
            case .crispra: one = 1 + perturbations.activation
            case .knockout: one = perturbations.koTranscriptRetention
            }
            return Foundation.pow(one, Double(hits))
        }
    }
}

// MARK: - How far each cell's response has come when it is sampled

/// The fraction r = 1 − e^{−γ·d} of the full response a cell shows after guides acted for d hours,
/// over the cells of a sample: d runs from the first `perturb: true` step (plus the delivery delay
/// ~ Gamma(4, mean/4) in vivo, or the ramp when `delayed_perturbation` is on) to the sampling
/// time; in vivo a cell that entered the tissue after delivery (age ~ Exponential(influx), truncated as the
/// simulator truncates it) descends from a transduced progenitor and has fully responded. Moments from a fixed, seeded sample of 4,096
/// cells (the same on every run).
public enum ResponseTiming {
    public static func moments(_ design: Design, at t: Double, decay gamma: Double) -> (mean: Double, variance: Double)
    {
        var elapsed = 0.0
        var firstOn: Double? = nil
        for step in design.protocolSteps {
            if step.perturb && firstOn == nil { firstOn = elapsed }
            elapsed += step.durationH
        }
        guard let on = firstOn, t > on else { return (0, 0) }
        let system = design.system
        let parameters = SimulationParameters()
        let ramp = system.assumptions.delayedPerturbation ? max(0, system.assumptions.perturbationRampH) : 0
        func reached(_ d: Double) -> Double {
            guard d > 0 else { return 0 }
            // A linear ramp of the guide's strength over `ramp` hours, then first-order relaxation.
            if ramp > 0 {
                let steps = 16
                var r = 0.0
                for i in 0..<steps {
                    let s = (Double(i) + 0.5) / Double(steps) * ramp
                    if s < d { r += (1 - Foundation.exp(-gamma * (d - s))) / Double(steps) }
                }
                return r
            }
            // Within 10⁻⁶ of complete counts as complete (keeps the fast path of the error model).
            let r = 1 - Foundation.exp(-gamma * d)
            return r > 1 - 1e-6 ? 1 : r
        }
        guard system.regime == .inVivo else {
            let r = reached(t - on)
            return (r, 0)
        }
        var rng = RandomStream(seed: 0x5EED_0DE1, domain: .animals, 424_242)
        let draws = 4096
        var sum = 0.0
        var sumSq = 0.0
        let meanDelay = system.inVivo.deliveryDelayH
        let influx = system.inVivo.influxPerH
        for _ in 0..<draws {
            var onset = on
            if meanDelay > 0 { onset += rng.gamma(shape: 4) * meanDelay / 4 }
            var r = reached(t - onset)
            if influx > 0 {
                let cap = parameters.ageCap(influxPerHour: influx)
                let age = -Foundation.log(1 - rng.uniform() * (1 - Foundation.exp(-influx * cap))) / influx
                // A cell that entered after delivery descends from a transduced progenitor: its
                // guides have acted since before it entered, so it has fully responded.
                if t - age > onset { r = 1 }
            }
            sum += r
            sumSq += r * r
        }
        let mean = sum / Double(draws)
        return (mean, max(0, sumSq / Double(draws) - mean * mean))
    }
}
