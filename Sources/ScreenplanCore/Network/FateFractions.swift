import Foundation

// MARK: - Fate fractions: how the control population spreads over a network's attractors
//
// The analysis needs the control population of a differentiating network file as a mixture of
// the states the simulator labels: which share of control cells is a progenitor, intermediate, or
// in each attractor at a sampling time. The choice of fate is noise-driven, so the fractions come
// from a small seeded stochastic run of the regulator subsystem (the simulator's chemical Langevin
// step with exponential decay, on regulators only), with the simulator's timing: cells start as
// progenitors before the protocol (in vitro), or at their entry into the tissue with the
// simulator's truncated exponential ages (in vivo, differentiating), and follow the protocol's
// media. Each cell is then labelled by `FateLandscape.label`, exactly as cells.tsv labels it.

/// A population mixture over the landscape's reference states at one time.
public struct FateMixture: Sendable, Equatable {
    /// `FateLandscape.labels` (progenitor first, then the attractors), then `intermediate`.
    public var labels: [String]
    /// Fraction of cells with each label (sums to 1).
    public var fractions: [Double]
}

extension FateLandscape {
    /// Number of cells of the seeded run that estimates fractions (sampling error of a fraction
    /// ≤ 0.5/√384 ≈ 2.6 percentage points): screenplan's choice, a fraction of a second for
    /// networks of tens of regulators.
    public static let mixtureCells = 384

    /// The fractions of control cells (or cells under `action`, guides acting from the first
    /// `perturb: true` step) over the reference states at time `t` (hours from protocol start).
    public func mixture(
        _ design: Design, kinetics k: Kinetics, at t: Double,
        action: PerturbationAction? = nil, references: [[Double]?]? = nil,
        cells: Int = FateLandscape.mixtureCells
    ) -> FateMixture {
        let system = design.system
        let parameters = SimulationParameters()
        let none = PerturbationAction.none(genes: k.geneCount)
        // Media over time: the protocol's steps, the first medium before it.
        var steps: [(start: Double, end: Double, input: [Double], perturb: Bool)] = []
        var elapsed = 0.0
        for step in design.protocolSteps {
            let index = system.media.firstIndex { $0.name == step.medium } ?? 0
            let spec = system.media.isEmpty ? MediumSpec() : system.media[index]
            steps.append(
                (elapsed, elapsed + step.durationH, k.mediumInput(spec, index: index, system: system), step.perturb))
            elapsed += step.durationH
        }
        let firstOn = steps.first(where: \.perturb)?.start ?? .infinity
        let triggerFirst = design.protocolSteps.first?.medium == system.differentiation.triggerMedium
        let before =
            triggerFirst
            ? [Double](repeating: 0, count: k.geneCount)
            : (steps.first?.input ?? [Double](repeating: 0, count: k.geneCount))
        func input(at time: Double) -> (u: [Double], perturb: Bool) {
            if time < 0 || steps.isEmpty { return (before, false) }
            for s in steps where time < s.end { return (s.input, s.perturb) }
            return (steps[steps.count - 1].input, steps[steps.count - 1].perturb)
        }
        let dt = max(1e-3, system.timeStepH)
        let noise = system.intrinsicNoise
        let gr = k.regulatorCount
        let c = k.channelCount
        var counts = [Double](repeating: 0, count: labels.count + 1)
        var x = [Double](repeating: 0, count: k.geneCount)
        var h = [Double](repeating: 0, count: c)
        for cell in 0..<max(1, cells) {
            var rng = RandomStream(seed: system.network.seed, domain: .fates, 1, UInt64(cell))
            var tStart = -parameters.burnInHours
            if system.regime == .inVivo && system.inVivo.influxPerH > 0 {
                let influx = system.inVivo.influxPerH
                let cap = parameters.ageCap(influxPerHour: influx)
                let age = -Foundation.log(1 - rng.uniform() * (1 - Foundation.exp(-influx * cap))) / influx
                tStart = max(tStart, t - age)
            }
            x = progenitor
            var time = tStart
            while time < t - 1e-9 {
                let (u, perturb) = input(at: time)
                let act = (action != nil && perturb && time >= firstOn) ? action! : none
                for ch in 0..<c {
                    let gene = k.regulators[k.channelRegulator[ch]]
                    h[ch] = Kinetics.hill(x[gene] * act.activity[gene], n: k.channelHill[ch], h: k.channelHalf[ch])
                }
                let step = min(dt, t - time)
                for p in 0..<gr {
                    let gene = k.regulators[p]
                    var s = k.basal[gene] + u[gene] + k.repressionOffset[gene]
                    for ch in 0..<c { s += k.regulatorWeights[p, ch] * h[ch] }
                    let prod = act.kappa[gene] * max(0, s)
                    let gamma = k.decay[gene]
                    let e = Foundation.exp(-gamma * step)
                    let sd = noise * ((prod + gamma * x[gene]) * (1 - e * e) / (2 * gamma)).squareRoot()
                    x[gene] = max(0, x[gene] * e + prod / gamma * (1 - e) + sd * rng.normal())
                }
                time += step
            }
            let r = x.withUnsafeBufferPointer { nearest($0.baseAddress!, references: references) }
            counts[r ?? labels.count] += 1
        }
        let total = counts.reduce(0, +)
        return FateMixture(labels: labels + ["intermediate"], fractions: counts.map { $0 / max(1, total) })
    }
}
