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
        var basal = (0..<g).map { _ in spec.basal * Foundation.exp(spec.basal_log_sd * rng.normal()) }
        let decay = [Double](repeating: spec.decay_per_h, count: g)
        var edges: [Edge] = []
        // Half-response at a multiple of the regulator's basal steady state, so regulators work
        // in the sensitive part of their Hill curve.
        func half(_ j: Int) -> Double { spec.half_response * basal[j] / decay[j] }

        let lineageCount = system.dynamics == .differentiating ? min(system.differentiation.lineages, max(0, gr - 1)) : 0
        var program = lineageCount > 0 ? Set(0...lineageCount) : Set<Int>()
        let bistable = bistableModule(system)
        if let module = bistable { program.insert(module.target); program.insert(module.toggle) }

        for target in 0..<g {
            let degree = poissonDegree(spec.mean_in_degree, &rng)
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
                let sign: Double = rng.uniform() < spec.activation_fraction ? 1 : -1
                let magnitude = spec.weight_mean * basal[target] * Foundation.exp(0.5 * rng.normal())
                edges.append(Edge(regulator: j, target: target, weight: sign * magnitude,
                                  hillN: spec.hill_n, halfResponse: half(j)))
            }
        }

        if lineageCount > 0 {
            edges += differentiationProgram(system, lineages: lineageCount, genes: g, regulators: gr,
                                            basal: &basal, decay: decay, rng: &rng)
        }
        if let module = bistable {
            edges += bistableProgram(system, module: module, genes: g, basal: &basal, decay: decay, rng: &rng)
        }
        return Network(genes: names, basal: basal, decay: decay, edges: edges)
    }

    /// The bistable module of `assumptions.bistable_perturbation`: a target gene T with constant
    /// input (its level is exactly basal/decay) represses a self-activating toggle B. At baseline
    /// the toggle sits in its low attractor; knocking T down past efficiency ≈ 0.67 removes the low
    /// attractor (a saddle-node), so cells with stronger knockdown switch to the high attractor and
    /// stay there (hysteresis) while cells with weaker knockdown stay low: one perturbation, two
    /// attractors, chosen per cell by its knockdown. T is the first regulator after the
    /// differentiation program (gene 0 in non-differentiating systems), so it is also the first
    /// perturbation when targets are taken from the regulators.
    public static func bistableModule(_ system: SystemSpec) -> (target: Int, toggle: Int, threshold: Double)? {
        guard system.assumptions.bistable_perturbation, system.network.file == nil else { return nil }
        let gr = min(system.network.regulators, system.genes)
        let lineageCount = system.dynamics == .differentiating ? min(system.differentiation.lineages, max(0, gr - 1)) : 0
        let first = lineageCount > 0 ? lineageCount + 1 : 0
        guard first + 1 < gr else { return nil }
        // The toggle's half-response is basal/decay; its unstable middle state lies just below.
        return (first, first + 1, system.network.basal / system.network.decay_per_h)
    }

    static func bistableProgram(
        _ system: SystemSpec, module: (target: Int, toggle: Int, threshold: Double), genes g: Int,
        basal: inout [Double], decay: [Double], rng: inout RandomStream
    ) -> [Edge] {
        let b = system.network.basal
        let t = module.target, s = module.toggle
        basal[t] = b
        basal[s] = 0.05 * b
        let hT = basal[t] / decay[t]
        let hS = b / decay[s]
        var edges: [Edge] = [
            // Saddle-node at a drive of ≈ 0.385·b: the relief of T's repression crosses it when
            // T falls below ≈ 0.335 of its level (knockdown ≈ 0.665).
            Edge(regulator: s, target: s, weight: 2 * b, hillN: 4, halfResponse: hS),
            Edge(regulator: t, target: s, weight: -0.3725 * b, hillN: 2, halfResponse: hT),
        ]
        let gr = min(system.network.regulators, g)
        var chosen = Set<Int>()
        let markers = min(20, max(0, g - gr))
        while chosen.count < markers {
            chosen.insert(gr + Int(rng.next() % UInt64(g - gr)))
        }
        for target in chosen.sorted() {
            edges.append(Edge(regulator: s, target: target, weight: 3 * basal[target], hillN: 2, halfResponse: hS))
        }
        return edges
    }

    /// The branching program: a progenitor factor (gene 0) represses L lineage regulators
    /// (genes 1…L); each lineage regulator activates itself, represses the others and activates
    /// a set of marker genes. The trigger medium switches the progenitor factor off (see
    /// `Kinetics.mediumInput`), releasing a noise-driven, winner-take-all choice of lineage.
    static func differentiationProgram(
        _ system: SystemSpec, lineages: Int, genes g: Int, regulators gr: Int,
        basal: inout [Double], decay: [Double], rng: inout RandomStream
    ) -> [Edge] {
        let s = system.differentiation.lineage_strength
        var edges: [Edge] = []
        let progenitor = 0
        basal[progenitor] = system.network.basal * 2
        let progenitorHalf = basal[progenitor] / decay[progenitor] * 0.5
        for k in 1...lineages {
            basal[k] = 0.05 * system.network.basal
            let half = system.network.basal / decay[k]
            // Self-activation makes each lineage regulator bistable.
            edges.append(Edge(regulator: k, target: k, weight: s * system.network.basal, hillN: 4, halfResponse: half))
            // The progenitor factor holds lineage regulators off (production only when it is low).
            edges.append(Edge(regulator: progenitor, target: k, weight: -0.3 * system.network.basal, hillN: 4,
                              halfResponse: progenitorHalf))
            for m in 1...lineages where m != k {
                // Mutual repression: k is produced only while m is low.
                edges.append(Edge(regulator: m, target: k, weight: -0.5 * s * system.network.basal, hillN: 4,
                                  halfResponse: half))
            }
            // Lineage markers: non-program genes that a lineage switches on.
            let markers = max(5, (g - gr) / (lineages * 10))
            var chosen = Set<Int>()
            while chosen.count < min(markers, g - lineages - 1) {
                let target = lineages + 1 + Int(rng.next() % UInt64(g - lineages - 1))
                chosen.insert(target)
            }
            for target in chosen.sorted() {
                edges.append(Edge(regulator: k, target: target, weight: 3 * basal[target], hillN: 2, halfResponse: half))
            }
        }
        return edges
    }

    static func poissonDegree(_ mean: Double, _ rng: inout RandomStream) -> Int {
        rng.poisson(mean)
    }
}
