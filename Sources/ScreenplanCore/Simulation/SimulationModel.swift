import Foundation

// MARK: - Everything a run needs before the first cell: the compiled model
//
// Stage `(design, network, seed) -> SimulationModel`: the network compiled for blocks, the guide
// library with per-guide efficiencies, media inputs, the protocol timeline, attractors (per animal
// in vivo), batch effects, library medians, background genes and the plan. Every random quantity
// is drawn from a stream addressed by (seed, domain, unit…), so it is the same in every shard.

/// One guide of the library.
public struct GuideInfo: Equatable, Sendable {
    public var name: String
    /// Perturbation index, -1 for a non-targeting control guide.
    public var perturbation: Int
    /// Knockdown efficiency per target of the perturbation (CRISPRi; scales CRISPRa).
    public var efficiency: [Double]
}

/// The constants of the simulated biology and measurement that the design file does not set:
/// part of the model, not of the numerics, so they are compiled into `SimulationModel` and a run's
/// model and its `SimulationOptions` cannot disagree. The defaults are the published figures and
/// choices docs/simulate.md and docs/model.md name; the analysis uses the same defaults
/// (`GuideVariation`, `ResponseTiming`, `FateLandscape`).
public struct SimulationParameters: Sendable, Equatable {
    /// Stochastic burn-in (hours) before the protocol starts, from the deterministic attractor.
    public var burnInHours: Double = 12
    /// Concentration of the per-cell knockdown efficiency around its guide's (Beta); cells with
    /// the same guide differ in how strongly it acts (users ask for per-cell efficiency).
    public var cellEfficiencyConcentration: Double = 30
    /// Oldest cell age in vivo, in units of 1/influx (the age distribution is truncated).
    public var maxAgeInfluxTimes: Double = 3
    /// Oldest cell age simulated in vivo (hours): older cells have long reached their state.
    public var maxAgeHours: Double = 120
    /// Log-fold-change magnitude below which truth.tsv leaves a gene out (log2 units).
    public var truthThreshold: Double = 0.01
    /// Above this many regulators truth.tsv uses the linear response (one LU for all
    /// perturbations) instead of one Newton solve per perturbation.
    public var truthNewtonLimit: Int = 400
    /// Ratio of a multiplet's reads to a singlet's (10x figure: about 1.8).
    public var doubletLibraryRatio: Double = 1.8

    public init() {}

    /// The oldest age (hours) of a cell in vivo with influx `influx` (per hour): the truncation of
    /// the exponential age distribution that the simulator, the fate mixtures and the response
    /// timing share.
    public func ageCap(influxPerHour influx: Double) -> Double {
        min(maxAgeInfluxTimes / influx, maxAgeHours)
    }
}

/// A compiled simulation: immutable, shared by all workers.
public struct SimulationModel: Sendable {
    public let design: Design
    public let seed: UInt64
    /// The model's constants that the design does not set (burn-in, per-cell efficiency, ages,
    /// truth, multiplets).
    public let parameters: SimulationParameters
    public let kinetics: Kinetics
    public let perturbations: [Perturbation]
    public let plan: SimulationPlan
    /// guides[p] for perturbation p; `controlGuides` for non-targeting controls.
    public let guides: [[GuideInfo]]
    public let controlGuides: [GuideInfo]
    public let mediumNames: [String]
    /// u_m per medium (G).
    let mediumInputs: [[Double]]
    /// Protocol steps as (start, end, medium index, perturb).
    let steps: [(start: Double, end: Double, medium: Int, perturb: Bool)]
    /// Medium of the initial population (before the protocol) and the input it uses.
    let startMedium: Int
    let startInput: [Double]
    public let animalCount: Int
    let animalOfBatch: [Int]
    /// Niche offset per animal (G); empty in vitro.
    let niche: [[Double]]
    /// Initial regulator levels per animal (or one entry in vitro): the baseline attractor, or the
    /// progenitor state in differentiating systems; and the complete initial state (G).
    let initialRegulators: [[Double]]
    let initialState: [[Double]]
    /// Measured genes: modelled genes first, then background genes with fixed levels.
    public let measuredGeneNames: [String]
    let backgroundLevels: [Double]
    /// NB size θ per measured gene: the expression profile's, else `measurement.dispersion`.
    let measuredDispersion: [Double]
    /// Cell types: fractions per animal (or batch), each cell's type, per-type expression.
    public let cellTypes: CellTypeAssignment
    /// exp(β_bg) per batch, per measured gene.
    let batchFactor: [[Double]]
    /// Median library size (molecules before capture, times saturation) per batch.
    let batchLibrary: [Double]
    /// Multiplet probability per batch.
    let doubletProbability: [Double]
    /// First global cell index of each batch (batches are contiguous).
    let batchStart: [Int]
    // Compiled network pieces.
    let downstreamGenes: [Int]
    let downstreamPosition: [Int]
    let downstreamWeights: Matrix
    let channelsOfRegulator: [[Int]]
    // State labels.
    let lineageGenes: [Int]
    let lineageThreshold: Double
    let progenitorLevel: Double
    let switchGenes: [Int]
    let switchThreshold: Double
    /// With a network file and differentiating dynamics: the network's own attractors under the
    /// trigger medium, which label the cells (nil otherwise).
    public let landscape: FateLandscape?
    /// Per perturbation: the landscape's reference states continued under its mean action
    /// (`FateLandscape.continued`), against which its cells are labelled.
    let perturbedReferences: [[[Double]?]]

    public var geneCount: Int { kinetics.geneCount }
    public var measuredGeneCount: Int { measuredGeneNames.count }
    public var totalCells: Int { plan.totalCells }
    public var blockCount: Int { (plan.totalCells + blockSize - 1) / max(1, blockSize) }
    public let blockSize: Int
    /// Seconds spent compiling the model (network, attractors, batch effects, plan).
    public let setupSeconds: Double
    /// Slowest relaxation rate of the regulators at the initial attractors (per hour; nil when
    /// no stable attractor): how long a cell takes to forget its start (StationaryStart.swift).
    public let slowestRelaxationRatePerH: Double?

    /// Compiles a design and its network for simulation with `seed`; `options` gives the block size.
    public init(
        design: Design, network: Network, seed: UInt64, parameters: SimulationParameters = SimulationParameters(),
        options: SimulationOptions = SimulationOptions()
    ) throws {
        let started = monotonicSeconds()
        self.design = design
        self.seed = seed
        self.parameters = parameters
        blockSize = max(1, options.blockSize)
        let k = Kinetics(network)
        kinetics = k
        let g = k.geneCount
        perturbations = design.perturbations(in: network)
        plan = SimulationPlan(design: design)
        guard plan.totalCells > 0 else {
            throw SimulationError.emptyPlan
        }
        guard plan.perturbationCount == perturbations.count else {
            throw SimulationError.perturbationCount(plan: plan.perturbationCount, network: perturbations.count)
        }

        // Guide library: per-guide efficiency ~ Beta(mean·c, (1 − mean)·c) per target.
        let pspec = design.perturbations
        let alpha = pspec.knockdownMean * pspec.knockdownConcentration
        let betaB = (1 - pspec.knockdownMean) * pspec.knockdownConcentration
        let perGuide = max(1, pspec.guidesPerTarget)
        guides = perturbations.enumerated().map { p, pert in
            (0..<perGuide).map { gi in
                let eff = pert.targets.indices.map { t -> Double in
                    var rng = RandomStream(seed: seed, domain: .guides, UInt64(p), UInt64(gi), UInt64(t))
                    return alpha > 0 && betaB > 0 ? rng.beta(alpha, betaB) : pspec.knockdownMean
                }
                return GuideInfo(name: "\(pert.name)_g\(gi + 1)", perturbation: p, efficiency: eff)
            }
        }
        controlGuides = (0..<perGuide).map {
            GuideInfo(name: "non-targeting_g\($0 + 1)", perturbation: -1, efficiency: [])
        }

        // Media and protocol.
        let system = design.system
        mediumNames = system.media.map(\.name)
        mediumInputs = system.media.enumerated().map { i, m in k.mediumInput(m, index: i, system: system) }
        var t = 0.0
        var steps: [(start: Double, end: Double, medium: Int, perturb: Bool)] = []
        for step in design.protocolSteps {
            guard let m = mediumNames.firstIndex(of: step.medium) else {
                throw SimulationError.unknownMedium(step.medium)
            }
            steps.append((t, t + step.durationH, m, step.perturb))
            t += step.durationH
        }
        if steps.isEmpty { steps = [(0, 0, 0, false)] }
        self.steps = steps
        startMedium = steps[0].medium
        let differentiating = system.dynamics == .differentiating
        let triggerIndex = mediumNames.firstIndex(of: system.differentiation.triggerMedium)
        // Progenitors are made outside the trigger: if the protocol starts in it (in vivo niches),
        // the initial state is computed without medium input.
        if differentiating && startMedium == triggerIndex {
            startInput = [Double](repeating: 0, count: g)
        } else {
            startInput = mediumInputs[startMedium]
        }

        // Animals (in vivo): the batch's index at the `animal` level, or the batch itself.
        let batches = plan.batchCount
        if system.regime == .inVivo {
            var ofBatch = Array(0..<batches)
            if let level = design.batching.nested.first(where: { $0.unit == .animal }) {
                ofBatch = (0..<batches).map { $0 * max(1, level.count) / batches }
            }
            animalOfBatch = ofBatch
            animalCount = (ofBatch.max() ?? 0) + 1
            niche = (0..<animalCount).map { a in
                var rng = RandomStream(seed: seed, domain: .animals, UInt64(a))
                // Relative to each gene's basal production; genes with a threshold (negative)
                // basal, the lineage regulators, get none, so the niche cannot pick a lineage.
                return (0..<g).map { i in system.inVivo.nicheSd * max(0, k.basal[i]) * rng.normal() }
            }
        } else {
            animalOfBatch = [Int](repeating: 0, count: batches)
            animalCount = 1
            niche = []
        }

        // Initial attractors.
        let none = PerturbationAction.none(genes: g)
        var initR: [[Double]] = []
        var initS: [[Double]] = []
        for a in 0..<animalCount {
            var u = startInput
            if !niche.isEmpty { for i in 0..<g { u[i] += niche[a][i] } }
            let x = try k.steadyState(input: u, action: none, relaxHours: 200)
            initR.append(k.regulators.map { x[$0] })
            initS.append(x)
        }
        initialRegulators = initR
        initialState = initS
        var attractorInputs: [[Double]] = []
        for a in 0..<animalCount {
            var u = startInput
            if !niche.isEmpty { for i in 0..<g { u[i] += niche[a][i] } }
            attractorInputs.append(u)
        }
        slowestRelaxationRatePerH = Self.slowestRelaxationRate(
            kinetics: k, attractors: initR, inputs: attractorInputs)

        // Measured genes: modelled first, then background genes at fixed levels.
        let background = BackgroundGenes(design, modelled: g)
        let names = Array(network.genes.prefix(design.measurement.measuredGenes)) + background.names
        measuredGeneNames = names
        backgroundLevels = background.levels
        measuredDispersion =
            try ExpressionProfile.dispersions(design, genes: names)
            ?? [Double](repeating: design.measurement.dispersion, count: names.count)
        cellTypes = try CellTypeAssignment(
            design: design, seed: seed,
            unitOfBatch: system.regime == .inVivo ? animalOfBatch : Array(0..<batches),
            genes: names, pooledDispersion: measuredDispersion)
        let gm = names.count

        // Gene-wise batch effects: the innermost level (τ = batch_effect_sd) plus nested levels.
        var beta = [[Double]](repeating: [Double](repeating: 0, count: gm), count: batches)
        for b in 0..<batches {
            var rng = RandomStream(seed: seed, domain: .batchEffects, 0, UInt64(b))
            let sd = design.batching.batchEffectSd
            for i in 0..<gm { beta[b][i] += sd * rng.normal() }
        }
        for (l, level) in design.batching.nested.enumerated() where level.effectSd > 0 {
            let count = max(1, level.count)
            var effects: [[Double]] = []
            for index in 0..<count {
                var rng = RandomStream(seed: seed, domain: .batchEffects, UInt64(1 + l), UInt64(index))
                effects.append((0..<gm).map { _ in level.effectSd * rng.normal() })
            }
            for b in 0..<batches {
                let idx = min(count - 1, b * count / batches)
                for i in 0..<gm { beta[b][i] += effects[idx][i] }
            }
        }
        batchFactor = beta.map { $0.map { Foundation.exp($0) } }
        let medianLibrary = design.measurement.mrnaPerCell * design.sequencingSaturation
        batchLibrary = (0..<batches).map { b in
            var rng = RandomStream(seed: seed, domain: .batchEffects, 999, UInt64(b))
            return medianLibrary * Foundation.exp(design.measurement.batchLibrarySd * rng.normal())
        }
        let loaded = plan.cellsPerBatch.map { Double($0) / max(0.01, design.sampling.qcPassFraction) }
        var starts: [Int] = []
        var running = 0
        for n in plan.cellsPerBatch {
            starts.append(running)
            running += n
        }
        batchStart = starts
        doubletProbability = loaded.map { min(0.5, design.measurement.doubletRatePerCell * $0) }

        // Downstream genes: modelled genes that regulate nothing.
        var down: [Int] = []
        var downPos = [Int](repeating: -1, count: g)
        for i in 0..<g where k.regulatorPosition[i] < 0 {
            downPos[i] = down.count
            down.append(i)
        }
        downstreamGenes = down
        downstreamPosition = downPos
        var wd = Matrix(rows: down.count, cols: k.channelCount)
        for (p, gene) in down.enumerated() {
            for c in 0..<k.channelCount { wd[p, c] = k.weights[gene, c] }
        }
        downstreamWeights = wd
        var chOf = [[Int]](repeating: [], count: k.regulatorCount)
        for c in 0..<k.channelCount { chOf[k.channelRegulator[c]].append(c) }
        channelsOfRegulator = chOf

        // State labels.
        if differentiating && system.network.file == nil {
            let lineages = min(system.differentiation.lineages, max(0, min(system.network.regulators, g) - 1))
            lineageGenes = Array(1..<(lineages + 1))
            lineageThreshold = system.network.basal / system.network.decayPerH
            progenitorLevel = initialState[0][0]
        } else {
            lineageGenes = []
            lineageThreshold = 0
            progenitorLevel = 0
        }
        if system.assumptions.bistablePerturbation && system.network.file == nil,
            let module = NetworkGenerator.bistableModule(system)
        {
            switchGenes = module.switches
            switchThreshold = module.threshold
        } else {
            switchGenes = []
            switchThreshold = 0
        }
        if differentiating && system.network.file != nil, let trigger = triggerIndex,
            k.regulatorCount <= FateLandscape.regulatorLimit
        {
            let triggerInput = mediumInputs[trigger]
            let found = try FateLandscape.compute(
                kinetics: k, startInput: startInput, triggerInput: triggerInput,
                seed: system.network.seed)
            landscape = found
            let pert = perturbations
            let start = startInput
            let spec = design
            // One Newton solve per perturbation and reference state; beyond a budget of about
            // 2·10¹⁰ flops (seconds), cells are labelled against the control states instead.
            let work =
                Foundation.pow(Double(k.regulatorCount), 3) * Double(pert.count) * Double(found.attractors.count + 1)
                * 10
            perturbedReferences =
                work > 2e10
                ? []
                : pert.map { p in
                    p.targets.contains(where: { k.regulatorPosition[$0] >= 0 })
                        ? found.continued(
                            k, startInput: start, triggerInput: triggerInput,
                            action: spec.meanAction(p, genes: g))
                        : []
                }
        } else {
            landscape = nil
            perturbedReferences = []
        }
        setupSeconds = monotonicSeconds() - started
    }

    /// The name of a perturbation index as cells.tsv writes it (`control` for −1, `ambiguous`
    /// for −2, the observed value of a cell whose detected guides disagree).
    public func perturbationName(_ index: Int) -> String {
        index >= 0 && index < perturbations.count ? perturbations[index].name : (index == -1 ? "control" : "ambiguous")
    }

    /// The log gene-wise batch effect β_bg of batch b on measured gene g (all levels summed).
    public func batchEffect(batch b: Int, gene g: Int) -> Double { Foundation.log(batchFactor[b][g]) }

    // MARK: Protocol lookups

    /// Index of the protocol step at time t (the last step for t at or beyond the end).
    @inline(__always)
    func stepIndex(at t: Double) -> Int {
        if t < 0 { return 0 }
        for (i, s) in steps.enumerated() where t < s.end { return i }
        return steps.count - 1
    }

    /// Medium at time t (before the protocol: the starting medium).
    func medium(at t: Double) -> Int { t < 0 ? startMedium : steps[stepIndex(at: t)].medium }

    /// Start of the contiguous run of `perturb: true` steps containing t, or nil when guides are off.
    func perturbationRunStart(at t: Double) -> Double? {
        if t < 0 { return nil }
        var i = stepIndex(at: t)
        guard steps[i].perturb else { return nil }
        while i > 0 && steps[i - 1].perturb { i -= 1 }
        return steps[i].start
    }

    /// Start of the last protocol event (medium change or guides switched on) at or before t.
    func lastChange(before t: Double) -> Double {
        var last = 0.0
        for i in 1..<max(1, steps.count) where steps[i].start <= t {
            if steps[i].medium != steps[i - 1].medium || steps[i].perturb != steps[i - 1].perturb {
                last = steps[i].start
            }
        }
        return last
    }

    /// A generated differentiating cell's true state: the progenitor while its progenitor factor is
    /// above half its level, else the lineage whose regulator leads (above half the threshold and
    /// twice the runner-up), else intermediate. The simulator's labels and the analysis' lineage
    /// run (LineageFates) both classify with this one rule.
    enum LineageState: Equatable {
        case progenitor
        case lineage(Int)
        case intermediate
    }

    /// `LineageState` of a cell whose lineage regulator i is at `level(i)`, i in 0..<lineages.
    @inline(__always)
    static func lineageState(
        progenitor: Double, lineages: Int, progenitorLevel: Double, lineageThreshold: Double,
        level: (Int) -> Double
    ) -> LineageState {
        if progenitor > 0.5 * progenitorLevel { return .progenitor }
        var best = -1
        var bestLevel = 0.0
        var second = 0.0
        for i in 0..<lineages {
            let v = level(i)
            if v > bestLevel {
                second = bestLevel
                bestLevel = v
                best = i
            } else if v > second {
                second = v
            }
        }
        if best >= 0 && bestLevel > 0.5 * lineageThreshold && bestLevel > 2 * second { return .lineage(best) }
        return .intermediate
    }

    /// Name of the true state of a cell from its complete state.
    func stateLabel(_ x: UnsafePointer<Double>, perturbation: Int = -1) -> String {
        if let landscape {
            let refs =
                perturbation >= 0 && perturbation < perturbedReferences.count ? perturbedReferences[perturbation] : []
            return landscape.label(x, references: refs.isEmpty ? nil : refs)
        }
        if !lineageGenes.isEmpty {
            switch Self.lineageState(
                progenitor: x[0], lineages: lineageGenes.count, progenitorLevel: progenitorLevel,
                lineageThreshold: lineageThreshold, level: { x[lineageGenes[$0]] })
            {
            case .progenitor: return "progenitor"
            case .lineage(let i): return "lineage_\(i + 1)"
            case .intermediate: return "intermediate"
            }
        }
        if switchGenes.count == 2 {
            let a = x[switchGenes[0]]
            let b = x[switchGenes[1]]
            if max(a, b) > 0.5 * switchThreshold && max(a, b) > 2 * min(a, b) {
                return a > b ? "attractor_A" : "attractor_B"
            }
        }
        return "baseline"
    }
}
