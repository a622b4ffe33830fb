import Foundation

// MARK: - Generating a realistic signed regulatory network from a design

/// Builds a network from `system.network` with its seed: sparse, signed, weighted, with cycles,
/// expression spanning decades, and (for differentiating dynamics) a branching program.
///
/// Gene order: regulators first (G0001 … G_r), so "the first N targets" are regulators. In
/// differentiating systems gene 0 is the progenitor factor and genes 1…L the lineage regulators.
public enum NetworkGenerator {
    public static func generate(_ system: SystemSpec) -> Network {
        let spec = system.network
        let g = system.genes
        let gr = min(spec.regulators, g)
        var rng = RandomStream(seed: spec.seed, domain: .network, 0)
        let names = (0..<g).map { Design.generatedGeneName($0, of: g) }
        // Basal production spans decades (log-normal), so expression does too.
        var basal = (0..<g).map { _ in spec.basal * Foundation.exp(spec.basalLogSd * rng.normal()) }
        let decay = [Double](repeating: spec.decayPerH, count: g)
        var edges: [Edge] = []
        // Half-response at a multiple of the regulator's basal steady state, so regulators work
        // in the sensitive part of their Hill curve.
        func half(_ j: Int) -> Double { spec.halfResponse * basal[j] / decay[j] }

        let lineageCount =
            system.dynamics == .differentiating ? min(system.differentiation.lineages, max(0, gr - 1)) : 0
        var program = lineageCount > 0 ? Set(0...lineageCount) : Set<Int>()
        let bistable = bistableModule(system)
        if let module = bistable {
            program.insert(module.target)
            program.formUnion(module.switches)
        }

        for target in 0..<g {
            let degree = poissonDegree(spec.meanInDegree, &rng)
            var chosen = Set<Int>()
            var attempts = 0
            while chosen.count < min(degree, gr - 1) && attempts < degree * 20 {
                attempts += 1
                let j = Int(rng.next() % UInt64(gr))
                // The differentiation program's regulators are wired below; keep them out of the
                // random wiring so the branching behaves as designed.
                if j == target || program.contains(j) || program.contains(target) { continue }
                chosen.insert(j)
            }
            for j in chosen.sorted() {
                let sign: Double = rng.uniform() < spec.activationFraction ? 1 : -1
                let magnitude = spec.weightMean * basal[target] * Foundation.exp(0.5 * rng.normal())
                edges.append(
                    Edge(
                        regulator: j, target: target, weight: sign * magnitude,
                        hillN: spec.hillN, halfResponse: half(j)))
            }
        }

        if lineageCount > 0 {
            edges += differentiationProgram(
                system, lineages: lineageCount, genes: g, regulators: gr,
                basal: &basal, decay: decay, rng: &rng)
        }
        if let module = bistable {
            edges += bistableProgram(system, module: module, genes: g, basal: &basal, decay: decay, rng: &rng)
        }
        return Network(genes: names, basal: basal, decay: decay, edges: edges)
    }

    /// The bistable module of `assumptions.bistable_perturbation`: a gene T with constant input
    /// (its level is exactly basal/decay) gates a pair of mutually exclusive, self-activating
    /// switch genes A and B, wired like a two-lineage differentiation program with T in the role
    /// of the progenitor factor. While T is at its level, A and B are held off (one attractor);
    /// knocking T down (efficiency ≳ 0.35) releases them and noise makes each cell pick A or B:
    /// one perturbation, two attractors, drawn per cell, about half the cells each. T is the
    /// first regulator after the differentiation program (gene 0 in non-differentiating systems),
    /// so it is also the first perturbation when targets are taken from the regulators.
    public static func bistableModule(_ system: SystemSpec) -> (target: Int, switches: [Int], threshold: Double)? {
        guard system.assumptions.bistablePerturbation, system.network.file == nil else { return nil }
        let gr = min(system.network.regulators, system.genes)
        let lineageCount =
            system.dynamics == .differentiating ? min(system.differentiation.lineages, max(0, gr - 1)) : 0
        let first = lineageCount > 0 ? lineageCount + 1 : 0
        guard first + 2 < gr else { return nil }
        return (first, [first + 1, first + 2], system.network.basal / system.network.decayPerH)
    }

    static func bistableProgram(
        _ system: SystemSpec, module: (target: Int, switches: [Int], threshold: Double), genes g: Int,
        basal: inout [Double], decay: [Double], rng: inout RandomStream
    ) -> [Edge] {
        let unit = system.network.basal
        let t = module.target
        basal[t] = unit
        let hT = 0.5 * basal[t] / decay[t]
        // The two-lineage program's constants at strength 4 (see `differentiationProgram`).
        let a = 0.5 * unit
        let r = 1.2 * unit
        let delta = 0.1 * unit
        let margin = 0.3 * unit
        let theta = r + margin
        let q = theta - delta
        var edges: [Edge] = []
        let gr = min(system.network.regulators, g)
        for s in module.switches {
            basal[s] = -theta
            let half = unit / decay[s]
            edges.append(Edge(regulator: s, target: s, weight: a, hillN: 4, halfResponse: half))
            edges.append(Edge(regulator: t, target: s, weight: -q, hillN: 4, halfResponse: hT))
            for other in module.switches where other != s {
                edges.append(Edge(regulator: other, target: s, weight: -r, hillN: 4, halfResponse: half))
            }
            var chosen = Set<Int>()
            let markers = min(10, max(0, g - gr))
            while chosen.count < markers { chosen.insert(gr + Int(rng.next() % UInt64(g - gr))) }
            for target in chosen.sorted() {
                edges.append(
                    Edge(regulator: s, target: target, weight: 3 * basal[target], hillN: 2, halfResponse: half))
            }
        }
        return edges
    }

    /// The branching program: a progenitor factor (gene 0) holds L lineage regulators (genes
    /// 1…L) off; each lineage regulator activates itself and "represses" the others; a lineage
    /// activates its own marker genes. The trigger medium switches the progenitor factor off (see
    /// `Kinetics.mediumInput`), releasing a noise-driven, winner-take-all choice of lineage.
    ///
    /// In the additive production law, repression by j is a bonus r(1 − H_j) that a gene receives
    /// while j is low, so exclusion is built with a production threshold (a negative basal −θ,
    /// clipped by max(0, ·)). In units u = basal (γh = u with h = basal/γ): self-activation
    /// a = 0.125·s·u, mutual bonus r = 0.3·s·u (s = lineage_strength), progenitor bonus q and
    /// θ = (L − 1)r + 0.3u chosen so that (i) with the progenitor factor on every lineage gene is
    /// below threshold (P = 0); (ii) once it is off, all lineage genes rise together; (iii) a
    /// single winner keeps production a + r − 0.1u > 1.5u (high) while each loser gets −0.1u
    /// (off); (iv) the all-high state gets a − 0.1u − (L − 2)r < 0.5u (unstable). (iii) needs
    /// s ≳ 3.8: the default s = 4 gives distinct terminal states for 2 to 6 lineages.
    static func differentiationProgram(
        _ system: SystemSpec, lineages: Int, genes g: Int, regulators gr: Int,
        basal: inout [Double], decay: [Double], rng: inout RandomStream
    ) -> [Edge] {
        let s = system.differentiation.lineageStrength
        let unit = system.network.basal
        var edges: [Edge] = []
        let progenitor = 0
        basal[progenitor] = 2 * unit
        let progenitorHalf = basal[progenitor] / decay[progenitor] * 0.5
        let a = 0.125 * s * unit
        let r = 0.3 * s * unit
        let delta = 0.1 * unit
        let margin = 0.3 * unit
        let theta = Double(lineages - 1) * r + margin
        let q = theta - delta - Double(lineages - 2) * r
        for k in 1...lineages {
            basal[k] = -theta
            let half = unit / decay[k]
            // Self-activation makes each lineage regulator bistable.
            edges.append(Edge(regulator: k, target: k, weight: a, hillN: 4, halfResponse: half))
            // The progenitor factor holds lineage regulators off (their bonus q needs it low).
            edges.append(Edge(regulator: progenitor, target: k, weight: -q, hillN: 4, halfResponse: progenitorHalf))
            for m in 1...lineages where m != k {
                // Mutual repression: k gets the bonus r only while m is low.
                edges.append(Edge(regulator: m, target: k, weight: -r, hillN: 4, halfResponse: half))
            }
            // Lineage markers: non-program genes that a lineage switches on.
            let markers = max(5, (g - gr) / (lineages * 10))
            var chosen = Set<Int>()
            while chosen.count < min(markers, g - lineages - 1) {
                let target = lineages + 1 + Int(rng.next() % UInt64(g - lineages - 1))
                chosen.insert(target)
            }
            for target in chosen.sorted() {
                edges.append(
                    Edge(regulator: k, target: target, weight: 3 * basal[target], hillN: 2, halfResponse: half))
            }
        }
        return edges
    }

    static func poissonDegree(_ mean: Double, _ rng: inout RandomStream) -> Int {
        rng.poisson(mean)
    }
}
