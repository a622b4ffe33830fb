import Foundation

// MARK: - Lineage fates of a generated differentiating network
//
// A generated network's differentiation program (`NetworkGenerator.differentiationProgram`) is a
// closed module: the progenitor factor (gene 0) and the L lineage regulators (genes 1…L) are kept
// out of the random wiring, so their production depends only on each other and on the medium.
// The fate choice is a noise-driven race inside that module, and a knockdown of a lineage
// regulator loses the race for its lineage (its level falls about 16-fold, not by κ). Because the
// module is closed, its stochastic dynamics can be run on its L + 1 genes alone, exactly in
// distribution: the simulator's chemical Langevin step with exponential decay, from the
// progenitor before the protocol, through the protocol's media, with each perturbed cell's own
// guide efficiency (guide Beta, then the cell's Beta around it, as `CellSetup` draws them). The
// cells are labelled by the simulator's rule for generated networks (`progenitor`, `lineage_k`,
// `intermediate`), so the fractions are those cells.tsv reports.
//
// The run uses a fixed set of cells (seeds shared by every perturbation: common random numbers),
// so it is deterministic, and enough of them (`cells`) that the fractions' sampling error is about
// one percentage point; only perturbations that touch the module need a run of their own (the
// rest leave it untouched, exactly), so the cost does not grow with the number of regulators.
// docs/batching.md, section 3, says how the analysis uses it and section 8 what it measured.

/// The lineage module of a generated differentiating network and its stochastic fate runs.
struct LineageFates {
    /// Module genes: the progenitor factor, then the lineage regulators (gene indices 0…L).
    let module: [Int]
    /// Channels of module regulators that module genes read (all the module's production reads).
    let channels: [Int]
    /// Per module gene, its weight on each of `channels`.
    let moduleWeights: [[Double]]
    /// The progenitor factor's level in the progenitor state (the simulator's label threshold).
    let progenitorLevel: Double
    /// A lineage regulator counts as on above half of this (basal unit / decay, as the simulator).
    let lineageThreshold: Double
    /// The progenitor (complete state, starting input) and one fixed point per lineage under the
    /// trigger medium (complete states; module genes are replaced by the run's levels).
    let progenitor: [Double]
    let attractors: [[Double]]
    let startInput: [Double]
    let triggerInput: [Double]

    /// Cells per run: a fraction's sampling error is at most 0.5/√2048 ≈ 1.1 percentage points
    /// (screenplan's choice; docs/batching.md, section 8, measures the effects' spread over run
    /// seeds). A run of the module's L + 1 genes costs milliseconds in a release build.
    static let cells = 2048
    /// Seed of the run's cells, fixed so every analysis of a design sees the same cells.
    static let runSeed: UInt64 = 0x11E4_A6E5

    /// Labels in fraction order: progenitor, lineage_1…L, intermediate.
    var labelCount: Int { module.count + 1 }

    /// The lineage module of `design`'s generated network, or nil when the design is not a
    /// differentiating generated network with at least two lineages, never uses the trigger
    /// medium, or the module is not closed (then the nudged `baselineStates` stay).
    init?(_ design: Design, _ k: Kinetics) throws {
        let system = design.system
        guard system.dynamics == .differentiating, system.network.file == nil,
            let trigger = system.media.firstIndex(where: { $0.name == system.differentiation.triggerMedium }),
            design.protocolSteps.contains(where: { $0.medium == system.differentiation.triggerMedium })
        else { return nil }
        let lineages = min(system.differentiation.lineages, max(0, min(system.network.regulators, system.genes) - 1))
        guard lineages >= 2 else { return nil }
        let module = Array(0...lineages)
        guard module.allSatisfy({ k.regulatorPosition[$0] >= 0 }) else { return nil }
        let inModule = Set(module.map { k.regulatorPosition[$0] })
        // The module's own channels: a module regulator's, read by a module gene (the markers'
        // channels do not feed back).
        let channels = (0..<k.channelCount).filter { ch in
            inModule.contains(k.channelRegulator[ch]) && module.contains { k.weights[$0, ch] != 0 }
        }
        // Closed: no module gene reads a channel of a regulator outside the module.
        for gene in module {
            for ch in 0..<k.channelCount where !inModule.contains(k.channelRegulator[ch]) {
                if k.weights[gene, ch] != 0 { return nil }
            }
        }
        self.module = module
        self.channels = channels
        moduleWeights = module.map { gene in channels.map { k.weights[gene, $0] } }
        let first = ExpectedEffects.medium(of: design, at: 0)
        startInput =
            first.spec.name == system.differentiation.triggerMedium
            ? [Double](repeating: 0, count: k.geneCount)
            : k.mediumInput(first.spec, index: first.index, system: system)
        triggerInput = k.mediumInput(system.media[trigger], index: trigger, system: system)
        let none = PerturbationAction.none(genes: k.geneCount)
        let progenitorState = try k.steadyState(input: startInput, action: none, relaxHours: 200)
        progenitor = progenitorState
        progenitorLevel = progenitorState[0]
        lineageThreshold = system.network.basal / system.network.decayPerH
        // Lineage ℓ's fixed point: the progenitor factor off, ℓ at its ceiling, the other lineage
        // regulators off, the rest of the network at the progenitor's levels; relaxed, then Newton.
        var states: [[Double]] = []
        for lineage in 1...lineages {
            var start = k.regulators.map { progenitorState[$0] }
            start[k.regulatorPosition[0]] = 0
            for m in 1...lineages { start[k.regulatorPosition[m]] = 0 }
            start[k.regulatorPosition[lineage]] = 4 * lineageThreshold
            let u = triggerInput
            let x =
                (try? k.steadyState(input: u, action: none, start: start, relaxHours: 150))
                ?? k.completeState(
                    regulatorLevels: k.relax(regulatorLevels: start, input: u, action: none, hours: 150),
                    input: u, action: none)
            states.append(x)
        }
        attractors = states
    }

    /// One sampling time of a run: the fraction of cells with each label (progenitor,
    /// lineage_1…L, intermediate), the mean module levels of each label's cells (nil when no cell
    /// has it), and the mean and mean square of each module gene over all cells.
    struct Snapshot: Sendable {
        var fractions: [Double]
        var levels: [[Double]?]
        var mean: [Double]
        var meanSquare: [Double]
    }

    /// The simulator's label of a module state (index into the fraction order).
    func label(_ x: [Double]) -> Int {
        switch SimulationModel.lineageState(
            progenitor: x[0], lineages: module.count - 1, progenitorLevel: progenitorLevel,
            lineageThreshold: lineageThreshold, level: { x[$0 + 1] })
        {
        case .progenitor: return 0
        case .lineage(let i): return i + 1
        case .intermediate: return module.count
        }
    }

    /// Runs `cells` module cells to each time of `times` (hours from protocol start), controls
    /// (`targets` empty) or cells of the perturbation of `targets` (each cell with its own guide
    /// and cell efficiency; only the module genes among the targets act). Cell c uses the stream
    /// (seed, fates, 2, c) whatever the perturbation, so runs share their noise; another `seed`
    /// measures the run's own sampling error (LineageFatesTests).
    ///
    /// As in the simulator, in vivo each cell's progenitor factor gets a niche input
    /// N(0, (niche_sd·basal)²) (`SimulationModel.niche`; one per animal there, one per cell here, so
    /// the run averages over the animals a screen may draw), and at MOI > 1 a perturbed cell
    /// carries Poisson(moi − 1) extra guides, each of a perturbation drawn uniformly from
    /// `library` (the module genes each of the design's perturbations targets), with their own
    /// efficiencies (`CellSetup`). Both draw from streams of their own, (seed, fates, 3, c) and
    /// (seed, fates, 4, c), so a design without them runs exactly the cells it ran before.
    func run(
        _ design: Design, _ k: Kinetics, targets: [Int], times: [Double], cells: Int = LineageFates.cells,
        seed: UInt64 = LineageFates.runSeed, library: [[Int]] = []
    ) -> [Snapshot] {
        let system = design.system
        let parameters = SimulationParameters()
        let m = module.count
        var steps: [(start: Double, end: Double, input: [Double], perturb: Bool, runStart: Double)] = []
        var elapsed = 0.0
        for step in design.protocolSteps {
            let index = system.media.firstIndex { $0.name == step.medium } ?? 0
            let spec = system.media.isEmpty ? MediumSpec() : system.media[index]
            let u = k.mediumInput(spec, index: index, system: system)
            // The start of the run of consecutive `perturb: true` steps this step belongs to
            // (`SimulationModel.perturbationRunStart`): a ramp restarts after a pause.
            let runStart = step.perturb && steps.last?.perturb == true ? steps[steps.count - 1].runStart : elapsed
            steps.append((elapsed, elapsed + step.durationH, module.map { u[$0] }, step.perturb, runStart))
            elapsed += step.durationH
        }
        let before = module.map { startInput[$0] }
        let firstOn = steps.first(where: \.perturb)?.start ?? .infinity
        let dt = max(1e-3, system.timeStepH)
        let noise = system.intrinsicNoise
        let offset = module.map { k.basal[$0] + k.repressionOffset[$0] }
        let decay = module.map { k.decay[$0] }
        let chGene = channels.map { k.regulators[k.channelRegulator[$0]] }
        let chSlot = chGene.map { g in module.firstIndex(of: g)! }
        let chHill = channels.map { k.channelHill[$0] }
        let chHalf = channels.map { k.channelHalf[$0] }
        // Which module slots the perturbation targets (several guides on one gene multiply).
        let targetSlots = targets.compactMap { module.firstIndex(of: $0) }
        let pspec = design.perturbations
        let mu = pspec.knockdownMean
        let conc = pspec.knockdownConcentration
        let cellConc = parameters.cellEfficiencyConcentration
        let inVivo = system.regime == .inVivo
        // Guides' timing as `CellSetup` and `BlockStepper` apply it: in vivo each cell's guides
        // start after a delivery delay ~ Gamma(4, mean/4) (a cell that entered the tissue after
        // delivery descends from a transduced progenitor: at once), and with
        // `delayed_perturbation` their strength ramps up linearly over `perturbation_ramp_h`.
        let meanDelay = inVivo ? system.inVivo.deliveryDelayH : 0
        let ramp = system.assumptions.delayedPerturbation ? max(1e-9, system.assumptions.perturbationRampH) : 0
        // The animal's niche on the progenitor factor (slot 0), relative to its basal production;
        // the lineage regulators' basal is a threshold (negative) and gets none, as in the simulator.
        let nicheSd = inVivo ? system.inVivo.nicheSd * max(0, k.basal[module[0]]) : 0
        // Extra guides at MOI > 1: their module slots per library perturbation.
        let extraMean = pspec.moi > 1 && !targetSlots.isEmpty ? pspec.moi - 1 : 0
        let librarySlots = library.map { $0.compactMap { module.firstIndex(of: $0) } }

        var sums = times.map { _ in [Double](repeating: 0, count: m) }
        var sumSq = sums
        var counts = times.map { _ in [Double](repeating: 0, count: labelCount) }
        var levelSums = times.map { _ in [[Double]](repeating: [Double](repeating: 0, count: m), count: labelCount) }
        // Cells that all start before the protocol (in vitro, or in vivo without influx) share one
        // trajectory through every time; cells entering the tissue start afresh for each time
        // (their age counts back from it).
        let entering = inVivo && system.inVivo.influxPerH > 0
        let order = times.indices.sorted { times[$0] < times[$1] }
        let groups: [[Int]] = entering ? order.map { [$0] } : [order]
        // The schedule of a trajectory from `from` through the group's times: per step its length,
        // medium, whether guides may act, and the time index it ends on (−1 if none).
        let inputs = steps.map(\.input) + [before]
        func schedule(from: Double, through group: [Int]) -> [Step] {
            var out: [Step] = []
            var time = from
            for ti in group {
                let t = times[ti]
                while time < t - 1e-9 {
                    var index = inputs.count - 1
                    var perturb = false
                    if time >= 0 && !steps.isEmpty {
                        index = steps.count - 1
                        for (i, s) in steps.enumerated() where time < s.end {
                            index = i
                            break
                        }
                        perturb = steps[index].perturb
                    }
                    let length = min(dt, t - time)
                    let runStart = perturb ? steps[index].runStart : .infinity
                    out.append(
                        Step(
                            length: length, input: index, perturb: perturb, after: time >= firstOn, snapshot: -1,
                            time: time, runStart: runStart))
                    time += length
                }
                if out.isEmpty || out[out.count - 1].snapshot >= 0 {
                    out.append(
                        Step(
                            length: 0, input: inputs.count - 1, perturb: false, after: false, snapshot: ti, time: t,
                            runStart: .infinity))
                } else {
                    out[out.count - 1].snapshot = ti
                }
            }
            return out
        }
        let shared = entering ? nil : schedule(from: -parameters.burnInHours, through: order)
        let kernel = ModuleKernel(
            m: m, nc: channels.count, dt: dt, noise: noise, offset: offset, decay: decay,
            weights: moduleWeights.flatMap { $0 }, slot: chSlot, hill: chHill, half: chHalf)
        var x = [Double](repeating: 0, count: m)
        var kappa = [Double](repeating: 1, count: m)
        var activity = [Double](repeating: 1, count: m)
        for cell in 0..<max(1, cells) {
            for group in groups {
                var rng = RandomStream(seed: seed, domain: .fates, 2, UInt64(cell))
                // In vivo cells enter the tissue as progenitors (truncated exponential ages): the
                // age is drawn first, so a perturbation's cells have the controls' ages.
                var born = -Double.infinity
                if shared == nil {
                    let influx = system.inVivo.influxPerH
                    let cap = parameters.ageCap(influxPerHour: influx)
                    let age = -Foundation.log(1 - rng.uniform() * (1 - Foundation.exp(-influx * cap))) / influx
                    born = times[group[0]] - age
                }
                // The guides' onset (`CellSetup`): the first `perturb: true` step, plus the
                // delivery delay in vivo; a cell born after it acts at once.
                var onset = firstOn
                if !targetSlots.isEmpty && meanDelay > 0 { onset += rng.gamma(shape: 4) * meanDelay / 4 }
                if born > onset { onset = -Double.infinity }
                // The cell's action: one guide's efficiency, then the cell's around it.
                for i in 0..<m {
                    kappa[i] = 1
                    activity[i] = 1
                }
                func act(_ slot: Int, _ rng: inout RandomStream) {
                    var e = mu
                    if conc > 0 && conc.isFinite && mu > 0 && mu < 1 { e = rng.beta(mu * conc, (1 - mu) * conc) }
                    if cellConc > 0 && e > 0 && e < 1 { e = rng.beta(e * cellConc, (1 - e) * cellConc) }
                    switch pspec.modality {
                    case .crispri: kappa[slot] *= 1 - e
                    case .crispra: kappa[slot] *= 1 + pspec.activation * e / max(1e-9, mu)
                    case .knockout:
                        kappa[slot] *= pspec.koTranscriptRetention
                        activity[slot] = 0
                    }
                }
                for slot in targetSlots { act(slot, &rng) }
                if extraMean > 0 && !librarySlots.isEmpty {
                    var extra = RandomStream(seed: seed, domain: .fates, 4, UInt64(cell))
                    for _ in 0..<extra.poisson(extraMean) {
                        let q = Int(extra.next() % UInt64(librarySlots.count))
                        for slot in librarySlots[q] { act(slot, &extra) }
                    }
                }
                var niche = 0.0
                if nicheSd > 0 {
                    var animal = RandomStream(seed: seed, domain: .fates, 3, UInt64(cell))
                    niche = nicheSd * animal.normal()
                }
                let plan = shared ?? schedule(from: born, through: group)
                for i in 0..<m { x[i] = progenitor[module[i]] }
                var from = 0
                for (index, step) in plan.enumerated() where step.snapshot >= 0 {
                    kernel.advance(
                        &x, plan[from...index], inputs: inputs, kappa: kappa, activity: activity,
                        acting: !targetSlots.isEmpty, onset: onset, ramp: ramp, niche: niche, rng: &rng)
                    from = index + 1
                    let ti = step.snapshot
                    let r = label(x)
                    counts[ti][r] += 1
                    for i in 0..<m {
                        sums[ti][i] += x[i]
                        sumSq[ti][i] += x[i] * x[i]
                        levelSums[ti][r][i] += x[i]
                    }
                }
            }
        }
        let n = Double(max(1, cells))
        return times.indices.map { ti in
            Snapshot(
                fractions: counts[ti].map { $0 / n },
                levels: (0..<labelCount).map { r in
                    counts[ti][r] > 0 ? levelSums[ti][r].map { $0 / counts[ti][r] } : nil
                },
                mean: sums[ti].map { $0 / n }, meanSquare: sumSq[ti].map { $0 / n })
        }
    }

    /// The mixture of a snapshot: states (the progenitor in the starting input, each lineage's
    /// fixed point in the trigger input, module genes at the mean of that label's cells, the rest
    /// completed), and weights with the intermediate cells spread over the lineages in proportion
    /// (they have left the progenitor and sit between the lineages: at 72 h every control cell of
    /// the engine validation's design has its progenitor marker at 0.001 of the progenitor's
    /// level). `intermediate` is that share. With no lineage reached, intermediate cells count
    /// as progenitors.
    func mixture(_ k: Kinetics, _ snap: Snapshot, controls: Snapshot? = nil)
        -> (states: [[Double]], inputs: [[Double]], weights: [Double], intermediate: Double)
    {
        let none = PerturbationAction.none(genes: k.geneCount)
        let m = module.count
        // The states are those the controls reach (`controls`; a perturbation's cells, or the
        // controls an hour later, are weighted over the same states), at the snapshot's levels.
        let reference = controls ?? snap
        var states: [[Double]] = []
        var inputs: [[Double]] = []
        var weights: [Double] = []
        let lineageShare = snap.fractions[1..<m].reduce(0, +)
        let intermediate = snap.fractions[m]
        for r in 0..<m {
            guard reference.fractions[r] > 0, let levels = snap.levels[r] ?? reference.levels[r] else { continue }
            var w = snap.fractions[r]
            if r == 0 && lineageShare == 0 { w += intermediate }
            if r > 0 && lineageShare > 0 { w *= 1 + intermediate / lineageShare }
            let base = r == 0 ? progenitor : attractors[r - 1]
            let u = r == 0 ? startInput : triggerInput
            var xr = k.regulators.map { base[$0] }
            for (i, gene) in module.enumerated() { xr[k.regulatorPosition[gene]] = levels[i] }
            states.append(k.completeState(regulatorLevels: xr, input: u, action: none))
            inputs.append(u)
            weights.append(w)
        }
        if states.isEmpty {
            states = [progenitor]
            inputs = [startInput]
            weights = [1]
        }
        let total = weights.reduce(0, +)
        if total > 0 { weights = weights.map { $0 / total } }
        return (states, inputs, weights, lineageShare > 0 ? intermediate : 0)
    }

    /// A perturbation's cells' weights over the controls' mixture states (`mixture(k, controls)`),
    /// from its own run's snapshot at the same time, with the intermediate cells spread as for
    /// the controls. Weight on a label no control cell has is left out (renormalised), as in
    /// FateShift.swift; nil when no weight is left.
    func shiftedWeights(_ perturbed: Snapshot, controls: Snapshot) -> [Double]? {
        let m = module.count
        let lineageShare = perturbed.fractions[1..<m].reduce(0, +)
        let intermediate = perturbed.fractions[m]
        var w: [Double] = []
        for r in 0..<m where controls.fractions[r] > 0 && controls.levels[r] != nil {
            var f = perturbed.fractions[r]
            if r == 0 && lineageShare == 0 { f += intermediate }
            if r > 0 && lineageShare > 0 { f *= 1 + intermediate / lineageShare }
            w.append(f)
        }
        let total = w.reduce(0, +)
        guard !w.isEmpty, total > 0 else { return nil }
        return w.map { $0 / total }
    }
}

/// The runs of one `ExpectedEffects.compute`: the controls' run to every sampling time and an
/// hour later (the drift), made once, and one run per set of module targets, made when a
/// perturbation first needs it (perturbations that touch the module share them).
final class LineageRuns {
    let fates: LineageFates
    let design: Design
    let kinetics: Kinetics
    /// Every sampling time, each followed by the time an hour later.
    let times: [Double]
    let controlRun: [LineageFates.Snapshot]
    private var cache: [[Int]: [LineageFates.Snapshot]] = [:]

    /// A perturbation's fates at one time: its weights over the controls' mixture states (nil:
    /// unchanged) and the log2 ratio of each module gene's mean to the controls'.
    struct Perturbed {
        var weights: [Double]?
        var log2Ratio: [Double]
        var moduleSize: Int
        /// The slot of gene `i` in the module (its genes are 0…L), nil outside it.
        func slot(_ i: Int) -> Int? { i < moduleSize ? i : nil }
    }

    /// Each of the design's perturbations' targets (the extra guides of MOI > 1 are drawn from them).
    let library: [[Int]]

    init(_ fates: LineageFates, _ design: Design, _ kinetics: Kinetics, library: [[Int]] = []) {
        self.fates = fates
        self.design = design
        self.kinetics = kinetics
        self.library = library
        times = design.timePoints.flatMap { [$0, $0 + 1] }
        controlRun = fates.run(design, kinetics, targets: [], times: times)
    }

    func index(_ t: Double) -> Int { times.firstIndex(of: t) ?? 0 }

    /// The controls' snapshot at `t` (a sampling time or an hour after one).
    func controls(at t: Double) -> LineageFates.Snapshot { controlRun[index(t)] }

    /// Per perturbation: its fates at sampling time `t`, nil when it touches no module gene (the
    /// module is closed, so it moves neither the fates nor the module's genes).
    func perturbed(_ perturbations: [Perturbation], at t: Double) -> [Perturbed?] {
        let ti = index(t)
        let control = controlRun[ti]
        return perturbations.map { p in
            let key = p.targets.filter { $0 < fates.module.count }
            guard !key.isEmpty else { return nil }
            let run: [LineageFates.Snapshot]
            if let known = cache[key] {
                run = known
            } else {
                run = fates.run(design, kinetics, targets: key, times: times, library: library)
                cache[key] = run
            }
            let own = run[ti]
            let ratio = fates.module.indices.map { i -> Double in
                guard control.mean[i] > 0 else { return 0 }
                return max(-10, Foundation.log2(max(own.mean[i], 1e-300) / control.mean[i]))
            }
            return Perturbed(
                weights: fates.shiftedWeights(own, controls: control), log2Ratio: ratio,
                moduleSize: fates.module.count)
        }
    }
}

/// One step of a module trajectory: its length (hours), the medium's index into the run's
/// inputs, whether guides may act (a `perturb: true` step, at or after the first), and the
/// sampling time it ends on (−1 if none).
struct Step {
    var length: Double
    var input: Int
    var perturb: Bool
    var after: Bool
    var snapshot: Int
    /// Hours from protocol start at the step's beginning.
    var time: Double = 0
    /// Start of the run of `perturb: true` steps it belongs to (∞ outside one).
    var runStart: Double = .infinity
}

/// The module's chemical Langevin step (exponential decay, as the simulator's), over raw
/// buffers: it runs cells × steps times per run, also in debug builds (the tests), where array
/// accessors and captured variables would dominate.
struct ModuleKernel {
    let m: Int
    let nc: Int
    let dt: Double
    let noise: Double
    let offset: [Double]
    let decay: [Double]
    let weights: [Double]
    let slot: [Int]
    let hill: [Double]
    let half: [Double]
    let fullDecay: [Double]
    let fullNoise: [Double]

    init(
        m: Int, nc: Int, dt: Double, noise: Double, offset: [Double], decay: [Double], weights: [Double],
        slot: [Int], hill: [Double], half: [Double]
    ) {
        self.m = m
        self.nc = nc
        self.dt = dt
        self.noise = noise
        self.offset = offset
        self.decay = decay
        self.weights = weights
        self.slot = slot
        self.hill = hill
        self.half = half
        fullDecay = decay.map { Foundation.exp(-$0 * dt) }
        fullNoise = decay.map { (1 - Foundation.exp(-2 * $0 * dt)) / (2 * $0) }
    }

    /// Advances module state `x` over `steps`. The guides' strength at a step is ρ as the
    /// simulator's `BlockStepper` sets it: 0 before max(run start, `onset`), then 1, or a linear
    /// ramp over `ramp` hours; κ acts as 1 + (κ − 1)ρ, a knockout's activity as 1 + (a − 1)ρ.
    /// `niche` adds to the production of slot 0 (the progenitor factor) at every step.
    func advance(
        _ x: inout [Double], _ steps: ArraySlice<Step>, inputs: [[Double]], kappa: [Double], activity: [Double],
        acting targeted: Bool, onset: Double = -.infinity, ramp: Double = 0, niche: Double = 0,
        rng: inout RandomStream
    ) {
        let m = m
        let nc = nc
        let dt = dt
        let noise = noise
        var h = [Double](repeating: 0, count: max(1, nc))
        x.withUnsafeMutableBufferPointer { xs in
            h.withUnsafeMutableBufferPointer { hs in
                weights.withUnsafeBufferPointer { w in
                    for step in steps where step.length > 0 {
                        var rho = 0.0
                        if targeted && step.perturb {
                            let on = max(step.runStart, onset)
                            if step.time >= on { rho = ramp > 0 ? min(1, (step.time - on) / ramp) : 1 }
                        }
                        let acting = rho > 0
                        let full = step.length == dt
                        for c in 0..<nc {
                            let q = slot[c]
                            hs[c] = Kinetics.hill(
                                acting ? xs[q] * (1 + (activity[q] - 1) * rho) : xs[q], n: hill[c], h: half[c])
                        }
                        let u = inputs[step.input]
                        for i in 0..<m {
                            var s = offset[i] + u[i] + (i == 0 ? niche : 0)
                            for c in 0..<nc { s += w[i * nc + c] * hs[c] }
                            let prod = (acting ? 1 + (kappa[i] - 1) * rho : 1) * max(0, s)
                            let gamma = decay[i]
                            let e = full ? fullDecay[i] : Foundation.exp(-gamma * step.length)
                            let v = full ? fullNoise[i] : (1 - e * e) / (2 * gamma)
                            let sd = noise * ((prod + gamma * xs[i]) * v).squareRoot()
                            xs[i] = max(0, xs[i] * e + prod / gamma * (1 - e) + sd * rng.zigguratNormal())
                        }
                    }
                }
            }
        }
    }
}
