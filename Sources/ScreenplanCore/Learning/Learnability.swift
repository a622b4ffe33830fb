import Foundation

// MARK: - The learnability fit: data → folds → models and baselines → held-out errors

/// Fits the neural ODE with the standard and the steady-state loss on simulated training
/// perturbations of a design and predicts the held-out ones (model reference, section 5).
public enum Learnability {
    /// Produces the pseudo-bulk data of `perturbations` under a design.
    public typealias DataSource =
        @Sendable (Design, Kinetics, [Perturbation], UInt64, ProgressReporter?) throws
        -> PseudoBulk

    /// The deterministic model plus the measurement operator.
    public static let kineticsSource: DataSource = { design, kinetics, perturbations, seed, progress in
        try PseudoBulk.fromKinetics(
            design: design, kinetics: kinetics, perturbations: perturbations, seed: seed,
            progress: progress)
    }

    /// The stochastic simulator.
    public static let simulatorSource: DataSource = { design, kinetics, perturbations, seed, progress in
        try PseudoBulk.fromSimulator(
            design: design, network: kinetics.network, perturbations: perturbations,
            seed: seed, progress: progress)
    }

    /// The source an option names.
    public static func source(_ kind: LearnabilityData) -> DataSource {
        kind == .simulator ? simulatorSource : kineticsSource
    }

    /// The perturbations fitted: those that target a modelled gene, then others at random.
    public static func subsample(_ all: [Perturbation], kinetics: Kinetics, options: LearnabilityOptions)
        -> [Perturbation]
    {
        let regulatorTargeting = all.filter { $0.targets.contains { kinetics.regulatorPosition[$0] >= 0 } }
        var others = all.filter { !$0.targets.contains { kinetics.regulatorPosition[$0] >= 0 } }
        let nOthers = min(others.count, options.otherPerturbations, options.maxPerturbations)
        let nRegulators = min(regulatorTargeting.count, options.maxPerturbations - nOthers)
        var rng = RandomStream(seed: options.seed, domain: .learning, 3)
        others.shuffle(using: &rng)
        var regs = regulatorTargeting
        if nRegulators < regs.count { regs.shuffle(using: &rng) }
        let chosen = Set((regs.prefix(nRegulators) + others.prefix(nOthers)).map(\.name))
        return all.filter { chosen.contains($0.name) }
    }

    /// Runs the whole fit. `progress` gets the data simulation and then one unit per epoch.
    public static func fit(
        design: Design, network: Network? = nil, options: LearnabilityOptions = LearnabilityOptions(),
        source: DataSource? = nil, progress: ProgressReporter? = nil
    ) throws -> FitResult {
        let start = Date()
        let network = try network ?? NetworkLoader.network(for: design)
        let kinetics = Kinetics(network)
        let all = design.perturbations(in: network)
        let chosen = subsample(all, kinetics: kinetics, options: options)
        let bulk = try (source ?? Learnability.source(options.data))(design, kinetics, chosen, options.seed, progress)
        let data = LearningData(bulk)
        let dataSeconds = Date().timeIntervalSince(start)
        var result = try fit(data: data, design: design, options: options, progress: progress)
        result.perturbationsInDesign = all.count
        result.secondsData = dataSeconds
        return result
    }

    /// The media of the protocol as (start in hours since onset, medium index) entries.
    public static func mediumSchedule(_ design: Design, onset: Double) -> [(start: Double, medium: Int)] {
        var t = 0.0
        var schedule: [(start: Double, medium: Int)] = []
        for step in design.protocolSteps {
            let m = design.system.media.firstIndex { $0.name == step.medium } ?? 0
            schedule.append((t - onset, m))
            t += step.durationH
        }
        return schedule
    }

    /// The fit on given data (tests call this with small problems).
    public static func fit(
        data: LearningData, design: Design, options: LearnabilityOptions,
        progress: ProgressReporter? = nil
    ) throws -> FitResult {
        let start = Date()
        let d = data.dimension
        let lambda0 = options.lambdaControl ?? design.analysis.lambdaControl
        let lambda1 = options.lambdaPerturbed ?? design.analysis.lambdaPerturbed
        let gammaRef = design.system.network.decayPerH
        let differentiating = design.system.dynamics == .differentiating
        let modality = Modality.allCases.firstIndex(of: design.perturbations.modality) ?? 0
        let usable = (0..<data.perturbations.count).filter { p in
            data.effects.indices.contains { data.effects[$0][0, p].isFinite }
        }
        if data.timesSinceOnset.isEmpty {
            throw LearnabilityError.noSamplingAfterOnset
        }
        if usable.count < 2 * max(2, options.folds) {
            throw LearnabilityError.tooFewPerturbations(
                withCells: usable.count, folds: options.folds,
                needed: 2 * max(2, options.folds))
        }
        let split = PerturbationSplit(
            count: usable.count, folds: options.folds,
            validationFraction: options.validationFraction, seed: options.seed)
        let folds = split.folds.map { fold in
            PerturbationSplit.Fold(
                training: fold.training.map { usable[$0] }, validation: fold.validation.map { usable[$0] },
                heldOut: fold.heldOut.map { usable[$0] })
        }
        let schedule = Learnability.mediumSchedule(design, onset: data.onset)
        let mediaCount = max(1, design.system.media.count)
        let builder = ObjectiveBuilder(
            data: data, schedule: schedule, gammaRef: gammaRef, modality: modality,
            differentiating: differentiating, lambdaControl: lambda0,
            lambdaPerturbed: lambda1, lateRelaxationTimes: options.lateRelaxationTimes,
            maxStep: options.training.maxStepH)

        // One job per (fold, loss), run in parallel with single-threaded BLAS.
        struct Job: Sendable {
            let fold: Int
            let loss: LossKind
        }
        let jobs = folds.indices.flatMap { f in options.losses.map { Job(fold: f, loss: $0) } }
        let results = Locked((models: [Int: (NeuralODE, TrainingCurve)](), epochs: 0))
        let totalEpochs = Double(jobs.count * options.training.maxEpochs)
        let threads = BLAS.threads
        let parallel = max(1, min(jobs.count, options.parallelJobs ?? ProcessInfo.processInfo.activeProcessorCount))
        if parallel > 1 { BLAS.setThreads(1) }
        defer { BLAS.setThreads(threads) }
        let trainingOptions = options.training
        let seed = options.seed
        DispatchQueue.concurrentPerform(iterations: parallel) { worker in
            for (j, job) in jobs.enumerated() where j % parallel == worker {
                if progress?.isCancelled == true { return }
                let fold = folds[job.fold]
                let objective = builder.objective(for: fold.training, loss: job.loss)
                let validation = builder.objective(for: fold.validation, loss: .standard)
                var rng = RandomStream(seed: seed, domain: .learning, 4, UInt64(job.fold))
                let initial = NeuralODE(
                    dimension: d, hidden: trainingOptions.hidden, modalities: Modality.allCases.count,
                    media: mediaCount, decay: gammaRef, outputScale: trainingOptions.outputScale, rng: &rng)
                let trained = trainModel(
                    initial, objective: objective, validation: validation, options: trainingOptions,
                    decayReference: gammaRef
                ) { _ in
                    let done = results.withLock { r -> Int in
                        r.epochs += 1
                        return r.epochs
                    }
                    progress?.report(done: Double(done), total: totalEpochs, message: "training neural ODEs")
                    return progress?.isCancelled != true
                }
                results.withLock { $0.models[j] = (trained.model, trained.curve) }
            }
        }
        if progress?.isCancelled == true { throw CancelledError() }

        // Evaluation per fold.
        var perFold: [FoldResult] = []
        let models = results.current.models
        for (f, fold) in folds.enumerated() {
            var predictions: [String: [Matrix]] = [:]
            var curves: [String: TrainingCurve] = [:]
            var strengths: [String: Double] = [:]
            for (j, job) in jobs.enumerated() where job.fold == f {
                guard let (model, curve) = models[j] else { continue }
                predictions[job.loss.jsonKey] = builder.predictEffects(model, for: fold.heldOut)
                curves[job.loss.jsonKey] = curve
                strengths[job.loss.jsonKey] = model.strengths[modality]
            }
            let times = data.timesSinceOnset.count
            predictions["no_change"] = (0..<times).map { _ in
                Baselines.noChange(dimension: d, columns: fold.heldOut.count)
            }
            predictions["mean_effect"] = (0..<times).map {
                Baselines.meanEffect(data.effects[$0], training: fold.training, columns: fold.heldOut.count)
            }
            predictions["linear"] = try builder.linearBaseline(fold: fold, ridges: options.linearRidges)
            var mse: [String: Double] = [:]
            var downstream: [String: Double] = [:]
            var pearson: [String: Double] = [:]
            for (name, predicted) in predictions {
                let (all, off) = builder.compare(predicted, heldOut: fold.heldOut)
                mse[name] = FitMetrics.mse(all.predicted, all.truth)
                downstream[name] = FitMetrics.mse(off.predicted, off.truth)
                pearson[name] = FitMetrics.pearson(all.predicted, all.truth)
            }
            perFold.append(
                FoldResult(
                    fold: f, trainingPerturbations: fold.training.count,
                    validationPerturbations: fold.validation.count,
                    heldoutPerturbations: fold.heldOut.count, heldoutMse: mse,
                    heldoutMseDownstream: downstream, heldoutPearson: pearson, curves: curves,
                    strengths: strengths))
        }

        func summarise(_ key: KeyPath<FoldResult, [String: Double]>) -> ([String: Double], [String: Double]) {
            var mean: [String: Double] = [:]
            var sd: [String: Double] = [:]
            let names = Set(perFold.flatMap { $0[keyPath: key].keys })
            for name in names {
                let s = FitMetrics.meanAndSD(perFold.compactMap { $0[keyPath: key][name] })
                mean[name] = s.mean
                sd[name] = s.sd
            }
            return (mean, sd)
        }
        let (mseMean, mseSD) = summarise(\.heldoutMse)
        let (downstreamMean, _) = summarise(\.heldoutMseDownstream)
        let (pearsonMean, pearsonSD) = summarise(\.heldoutPearson)
        var ratio: FitResult.RatioSummary? = nil
        if options.losses.contains(.standard) && options.losses.contains(.steadyState) {
            let perFoldRatio = perFold.map {
                ($0.heldoutMse["steady_state"] ?? .nan) / ($0.heldoutMse["standard"] ?? .nan)
            }
            let s = FitMetrics.meanAndSD(perFoldRatio)
            ratio = FitResult.RatioSummary(mean: s.mean, sd: s.sd, perFold: perFoldRatio)
        }
        return FitResult(
            design: design.name, dataSource: data.source, regime: design.system.regime.rawValue,
            dynamics: design.system.dynamics.rawValue, perturbationsInDesign: data.perturbations.count,
            perturbationsFitted: usable.count, genes: d, folds: folds.count, seed: options.seed,
            lambdaControl: lambda0, lambdaPerturbed: lambda1,
            losses: options.losses.map(\.jsonKey), heldoutMse: mseMean, heldoutMseSd: mseSD,
            heldoutMseDownstream: downstreamMean, heldoutPearson: pearsonMean,
            heldoutPearsonSd: pearsonSD, mseRatioSteadyStateToStandard: ratio, perFold: perFold,
            secondsData: 0, secondsFit: Date().timeIntervalSince(start))
    }
}

/// The design cannot support a learnability fit (e.g. nothing is sampled after onset).
public enum LearnabilityError: Error, Equatable, CustomStringConvertible {
    /// Every sampling time precedes the perturbation onset, so there is no perturbed state to learn.
    case noSamplingAfterOnset
    /// Too few perturbations with cells to hold out each fold (at least two per fold, two folds).
    case tooFewPerturbations(withCells: Int, folds: Int, needed: Int)

    public var description: String {
        switch self {
        case .noSamplingAfterOnset:
            return "no sampling time lies after the perturbation onset (sampling.time_points_h)"
        case .tooFewPerturbations(let withCells, let folds, let needed):
            return "only \(withCells) perturbations have cells; \(folds) folds need at least \(needed)"
        }
    }
}

// MARK: - Building objectives and predictions from the data

/// Turns `LearningData` into objectives for sets of perturbations, and model outputs into
/// effects comparable with the truth.
struct ObjectiveBuilder: Sendable {
    let data: LearningData
    let schedule: [(start: Double, medium: Int)]
    let gammaRef: Double
    let modality: Int
    let differentiating: Bool
    let lambdaControl: Double
    let lambdaPerturbed: Double
    let lateRelaxationTimes: Double
    let maxStep: Double

    var d: Int { data.dimension }

    /// Medium at a time since onset.
    func medium(at t: Double) -> Int {
        var m = schedule.first?.medium ?? 0
        for entry in schedule where entry.start <= t { m = entry.medium }
        return m
    }

    func inputs(_ set: [Int], withControl: Bool) -> PerturbationInputs {
        var targets = set.map { data.targetsInSpace[$0] }
        if withControl { targets.append([]) }
        return PerturbationInputs(
            dimension: d, targets: targets, modality: [Int](repeating: modality, count: targets.count))
    }

    /// The objective of `loss` on the perturbations `set`.
    func objective(for set: [Int], loss: LossKind) -> Objective {
        let times = data.timesSinceOnset
        let withControlTrajectory = loss == .steadyState && differentiating
        let columns = set.count + (withControlTrajectory ? 1 : 0)
        var states: [Matrix] = []
        var weights: [[Double]] = []
        var observed = 0
        for k in times.indices { for p in set where data.effects[k][0, p].isFinite { observed += 1 } }
        let w = observed > 0 ? 1 / (Double(observed) * Double(d)) : 0
        for k in times.indices {
            var m = Matrix(rows: d, cols: columns)
            var wk = [Double](repeating: 0, count: columns)
            for (j, p) in set.enumerated() where data.effects[k][0, p].isFinite {
                let z = data.observedState(p, time: k)
                for i in 0..<d { m[i, j] = z[i] }
                wk[j] = w
            }
            if withControlTrajectory {
                for i in 0..<d { m[i, set.count] = data.controlStates[k][i] }
                wk[set.count] = lambdaControl / (Double(times.count) * Double(d))
            }
            states.append(m)
            weights.append(wk)
        }
        let trajectories = TrajectoryTargets(
            times: times, inputs: inputs(set, withControl: withControlTrajectory),
            states: states, weights: weights)
        var steady = SteadyStateTargets.empty(dimension: d)
        if loss == .steadyState && !differentiating {
            // Residuals are measured per relaxation time: ‖f/γ_ref‖².
            let scale = 1 / (gammaRef * gammaRef * Double(d))
            var columnsStates: [[Double]] = []
            var targets: [[Int]] = []
            var ws: [Double] = []
            var media: [Int] = []
            for k in times.indices {
                columnsStates.append(data.controlStates[k])
                targets.append([])
                ws.append(lambdaControl * scale / Double(times.count))
                media.append(medium(at: times[k]))
            }
            var late: [(Int, Int)] = []
            for (k, t) in times.enumerated() where t * gammaRef >= lateRelaxationTimes {
                for p in set where data.effects[k][0, p].isFinite { late.append((p, k)) }
            }
            for (p, k) in late {
                columnsStates.append(data.observedState(p, time: k))
                targets.append(data.targetsInSpace[p])
                ws.append(lambdaPerturbed * scale / Double(late.count))
                media.append(medium(at: times[k]))
            }
            steady = SteadyStateTargets(
                states: Matrix(rows: d, cols: columnsStates.count, data: columnsStates.flatMap { $0 }),
                inputs: PerturbationInputs(
                    dimension: d, targets: targets,
                    modality: [Int](repeating: modality, count: targets.count)),
                weights: ws, media: media)
        }
        return Objective(
            trajectories: trajectories, steady: steady, initial: Matrix(rows: d, cols: columns),
            maxStep: maxStep, schedule: schedule)
    }

    /// Predicted effects (natural log, d × P per time) of the model for `set`: the predicted
    /// perturbed state minus the model's own control trajectory (the same integration with no
    /// perturbation), as an analysis would contrast a perturbation with time-matched controls.
    func predictEffects(_ model: NeuralODE, for set: [Int]) -> [Matrix] {
        let times = data.timesSinceOnset
        let columns = set.count + 1
        let zero = times.map { _ in Matrix(rows: d, cols: columns) }
        let weights = times.map { _ in [Double](repeating: 0, count: columns) }
        let o = Objective(
            trajectories: TrajectoryTargets(
                times: times, inputs: inputs(set, withControl: true),
                states: zero, weights: weights),
            steady: .empty(dimension: d), initial: Matrix(rows: d, cols: columns), maxStep: maxStep,
            schedule: schedule)
        return o.predictions(model).map { m in
            var e = Matrix(rows: d, cols: set.count)
            for j in 0..<set.count { for i in 0..<d { e[i, j] = m[i, j] - m[i, set.count] } }
            return e
        }
    }

    /// The linear steady-state baseline, ridge chosen on the validation perturbations.
    func linearBaseline(fold: PerturbationSplit.Fold, ridges: [Double]) throws -> [Matrix] {
        let k = data.timesSinceOnset.count - 1
        func matrices(_ set: [Int]) -> (Matrix, Matrix) {
            let usable = set.filter { data.effects[k][0, $0].isFinite }
            var z = Matrix(rows: d, cols: usable.count)
            for (j, p) in usable.enumerated() { for i in 0..<d { z[i, j] = data.effects[k][i, p] } }
            return (z, inputs(usable, withControl: false).indicator)
        }
        let (zt, et) = matrices(fold.training)
        let (zv, ev) = matrices(fold.validation)
        var best: (Double, Baselines.LinearModel)? = nil
        for ridge in ridges {
            guard let model = try? Baselines.fitLinear(states: zt, indicator: et, ridge: ridge) else { continue }
            let predicted = try model.predict(ev)
            let error = FitMetrics.mse(predicted.data, zv.data)
            if best == nil || error < best!.0 { best = (error, model) }
        }
        let heldOut = inputs(fold.heldOut, withControl: false).indicator
        guard let model = best?.1 else {
            return data.timesSinceOnset.map { _ in Matrix(rows: d, cols: fold.heldOut.count) }
        }
        let prediction = try model.predict(heldOut)
        // A steady-state model predicts the same effect at every time point.
        return data.timesSinceOnset.map { _ in prediction }
    }

    /// Flattened (predicted log2, true log2) pairs over held-out perturbations, genes and times;
    /// `all` and the downstream subset (genes the perturbation does not target).
    func compare(_ predicted: [Matrix], heldOut: [Int])
        -> (all: (predicted: [Double], truth: [Double]), downstream: (predicted: [Double], truth: [Double]))
    {
        var a: ([Double], [Double]) = ([], [])
        var o: ([Double], [Double]) = ([], [])
        let ln2 = Foundation.log(2.0)
        for k in data.timesSinceOnset.indices {
            for (j, p) in heldOut.enumerated() {
                let targets = Set(data.targetsInSpace[p])
                for i in 0..<d {
                    let x = predicted[k][i, j] / ln2
                    let y = data.truth[k][i, p]
                    a.0.append(x)
                    a.1.append(y)
                    if !targets.contains(i) {
                        o.0.append(x)
                        o.1.append(y)
                    }
                }
            }
        }
        return ((a.0, a.1), (o.0, o.1))
    }
}
