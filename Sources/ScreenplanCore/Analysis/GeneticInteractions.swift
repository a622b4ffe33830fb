import Foundation

// MARK: - Genetic interactions of combinations (Norman 2019 style)
//
// For a combination A+B whose components are also in the library, the quantity labs test is the
// genetic interaction on each gene g, I_g = Δ_{AB,g} − Δ_{A,g} − Δ_{B,g} (log2; more components:
// minus each). Its expected value comes from the network's steady states under each action (the
// linear response is additive, so it would say 0): Newton (LAPACK) from every baseline state of
// the time point, mixed with that state's weight as the expected effects mix them. Its estimate
// with the pseudo-bulk estimator of docs/batching.md §1 is
//   Î = Σ_b [a_{AB,b} L_{AB,b} − Σ_i a_{i,b} L_{i,b}] − Σ_b c_b L_{0,b},   c_b = a_{AB,b} − Σ_i a_{i,b},
// with L the log pseudo-bulks and a_{p,b} = [b ∈ B_p]/|B_p|. The three contrasts share their
// controls, so the control pseudo-bulk of a batch enters once with coefficient c_b (not three
// times): in a pooled layout the controls cancel to one +L_0 term per batch. The variance is
//   Σ_b (a²_{AB,b} V_{AB,b} + Σ_i a²_{i,b} V_{i,b} + c_b² V_{0,b}) + ω² Σ_p Σ_b a²_{p,b},
// with V = CV²/n + CV⁴/(2n²) (docs/batching.md §2.1–2.2; n = assignable cells, n·guide_capture).
// Batch effects cancel because every batch of A, B and A+B holds controls (required: otherwise
// the interaction is reported without an error). The guide-to-guide spread of the three libraries
// and multiplets are not included (knockouts in the simulator have no guide spread).

/// One gene's interaction in one combination.
public struct InteractionGene: Codable, Equatable, Sendable {
    public var gene: String
    /// Expected interaction I_g (log2).
    public var interaction: Double
    /// Expected log2 fold changes of the combination and of each component on this gene.
    public var combinationEffect: Double
    public var componentEffects: [Double]
    /// Standard error of the interaction estimate (log2); nil with `note` when not estimable.
    public var sd: Double?
    /// Power of the two-sided z-test at α/m (Bonferroni over the combination's reported genes).
    public var power: Double?

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case gene
        case interaction
        case combinationEffect = "combination_effect"
        case componentEffects = "component_effects"
        case sd
        case power
    }
}

/// The interactions of one combination at one sampling time.
public struct InteractionResult: Codable, Equatable, Sendable {
    public var combination: String
    public var components: [String]
    public var timeH: Double
    /// Genes the network moves (|Δ| ≥ 0.007 log2 in the combination or a component, and
    /// |I| ≥ 0.007 log2), largest |I| first, the combination's targets always included.
    public var genes: [InteractionGene]
    /// Why `sd`/`power` are missing, when they are.
    public var note: String?

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case combination
        case components
        case timeH = "time_h"
        case genes
        case note
    }
}

public enum GeneticInteractions {
    /// The interactions of every combination of `design` whose components are single
    /// perturbations of the library, per time point, on `layout` (the design's when nil).
    public static func compute(_ design: Design, layout given: Layout? = nil, network: Network? = nil) throws
        -> [InteractionResult]
    {
        let network = try network ?? NetworkLoader.network(for: design)
        let perturbations = design.perturbations(in: network)
        var single: [Int: Int] = [:]
        for (p, pert) in perturbations.enumerated() where pert.targets.count == 1 { single[pert.targets[0]] = p }
        let combos = perturbations.indices.filter { p in
            perturbations[p].targets.count >= 2 && perturbations[p].targets.allSatisfy { single[$0] != nil }
        }
        guard !combos.isEmpty else { return [] }
        let k = Kinetics(network)
        let layout = given ?? Layout.make(design)
        let g = k.geneCount
        let none = PerturbationAction.none(genes: g)
        let landscape = try ExpectedEffects.fateLandscape(design, k)
        var out: [InteractionResult] = []
        for (ti, t) in design.timePoints.enumerated() {
            let current = ExpectedEffects.medium(of: design, at: t)
            let u = k.mediumInput(current.spec, index: current.index, system: design.system)
            // Baseline states of the time point and their weights, as the expected effects mix them.
            var states: [[Double]]
            var inputs: [[Double]]
            var weights: [Double]
            if let (landscape, startInput) = landscape {
                (states, inputs, weights) = ExpectedEffects.fateMixture(
                    design, k, landscape, startInput: startInput,
                    triggerInput: u, at: t)
            } else {
                states = try ExpectedEffects.baselineStates(design, k, at: t)
                inputs = states.map { _ in u }
                weights = states.map { _ in 1 / Double(states.count) }
            }
            func mixture(_ action: PerturbationAction) -> [Double] {
                var m = [Double](repeating: 0, count: g)
                for (s, x) in states.enumerated() {
                    let xr = k.regulators.map { x[$0] }
                    let y =
                        (try? k.steadyState(input: inputs[s], action: action, start: xr, relaxHours: 0))
                        ?? (try? k.steadyState(input: inputs[s], action: action, start: xr, relaxHours: 100))
                        ?? x
                    for i in 0..<g { m[i] += weights[s] * y[i] }
                }
                return m
            }
            let control = mixture(none)
            var meanSq = [Double](repeating: 0, count: g)
            for (s, x) in states.enumerated() { for i in 0..<g { meanSq[i] += weights[s] * x[i] * x[i] } }
            let stateSpread = (0..<g).map { control[$0] > 0 ? max(0, meanSq[$0] / (control[$0] * control[$0]) - 1) : 0 }
            var cache: [Int: [Double]] = [:]
            func levels(_ p: Int) -> [Double] {
                if let c = cache[p] { return c }
                let m = mixture(design.meanAction(perturbations[p], genes: g))
                cache[p] = m
                return m
            }
            let slice = try ExpectedEffects.shares(design, network: network, control: control)
            for c in combos {
                let parts = perturbations[c].targets.map { single[$0]! }
                let xc = levels(c)
                let xs = parts.map(levels)
                func lfc(_ x: [Double], _ i: Int) -> Double {
                    Foundation.log2(max(x[i], 1e-12) / max(control[i], 1e-12))
                }
                var rows: [(gene: Int, i: Double, dc: Double, ds: [Double])] = []
                for i in 0..<min(g, design.measurement.measuredGenes) where control[i] > 0 {
                    let dc = lfc(xc, i)
                    let ds = xs.map { lfc($0, i) }
                    let moved = abs(dc) >= EffectSlice.threshold || ds.contains { abs($0) >= EffectSlice.threshold }
                    let inter = dc - ds.reduce(0, +)
                    if perturbations[c].targets.contains(i) || (moved && abs(inter) >= EffectSlice.threshold) {
                        rows.append((i, inter, dc, ds))
                    }
                }
                rows.sort {
                    (perturbations[c].targets.contains($0.gene) ? 0 : 1, -abs($0.i)) < (
                        perturbations[c].targets.contains($1.gene) ? 0 : 1, -abs($1.i)
                    )
                }
                // Error of the estimate.
                let members = [c] + parts
                var note: String? = nil
                let batches = (0..<layout.batchCount).filter { layout.batchTime[$0] == ti }
                if design.perturbations.moi > 1 {
                    note = "interaction errors are computed for MOI ≤ 1 (one guide per cell)"
                } else if members.contains(where: { p in
                    batches.contains { layout.cells(p, $0) > 0 && layout.controls[$0] == 0 }
                }) {
                    note =
                        "some batch of \(members.map { perturbations[$0].name }.joined(separator: ", ")) holds no controls; the interaction error needs controls in every such batch"
                } else if members.contains(where: { p in !batches.contains { layout.cells(p, $0) > 0 } }) {
                    note = "a component is in no batch of this time point"
                }
                let q = design.measurement.guideCapture
                let umis = design.expectedUMIsPerCell
                let sLib = design.measurement.librarySizeSd
                let theta = design.measurement.dispersion
                let noise = design.system.intrinsicNoise
                let omega2 = design.batching.interactionSd * design.batching.interactionSd
                func cv2(_ i: Int, level: Double, fold: Double) -> Double {
                    let m = umis * slice[i] * fold
                    let v = (1 + stateSpread[i]) * (1 + (level > 0 ? noise * noise / level : 0)) - 1
                    return Foundation.exp(sLib * sLib / 2) / max(m, 1e-12) + (1 + v) / theta + v
                }
                func meanVar(_ c2: Double, _ n: Double) -> Double { n > 0 ? c2 / n + c2 * c2 / (2 * n * n) : .infinity }
                let m = max(1, rows.count)
                let z = Normal.quantile(1 - design.analysis.alpha / Double(2 * m))
                var genes: [InteractionGene] = []
                for row in rows {
                    var sd: Double? = nil
                    var power: Double? = nil
                    if note == nil {
                        var variance = 0.0
                        let sets = members.map { p in batches.filter { layout.cells(p, $0) > 0 } }
                        for b in batches {
                            var cb = 0.0
                            for (j, p) in members.enumerated() where sets[j].contains(b) {
                                let a = (j == 0 ? 1.0 : -1.0) / Double(sets[j].count)
                                let x = j == 0 ? xc : xs[j - 1]
                                let fold = control[row.gene] > 0 ? x[row.gene] / control[row.gene] : 1
                                variance +=
                                    a * a
                                    * (meanVar(
                                        cv2(row.gene, level: x[row.gene], fold: fold), Double(layout.cells(p, b)) * q)
                                        + omega2)
                                cb += a
                            }
                            if cb != 0 {
                                variance +=
                                    cb * cb
                                    * meanVar(
                                        cv2(row.gene, level: control[row.gene], fold: 1), Double(layout.controls[b]) * q
                                    )
                            }
                        }
                        let s = variance.squareRoot() / M_LN2
                        if s.isFinite {
                            sd = s
                            power = Normal.power(effect: row.i, sd: s, critical: z)
                        }
                    }
                    genes.append(
                        InteractionGene(
                            gene: network.genes[row.gene], interaction: row.i, combinationEffect: row.dc,
                            componentEffects: row.ds, sd: sd, power: power))
                }
                out.append(
                    InteractionResult(
                        combination: perturbations[c].name, components: parts.map { perturbations[$0].name },
                        timeH: t, genes: genes, note: note))
            }
        }
        return out
    }

    /// Plain-text section for `analyze`: one line per combination and its strongest genes.
    public static func text(_ results: [InteractionResult], genes shown: Int = 5) -> [String] {
        guard !results.isEmpty else { return [] }
        var lines = ["", "Genetic interactions (I = Δ_AB − Δ_A − Δ_B, log2; sd and power of its estimate):"]
        for r in results {
            lines.append("  \(r.combination) @ \(Int(r.timeH)) h" + (r.note.map { " — \($0)" } ?? ""))
            for gene in r.genes.prefix(shown) {
                let sd = gene.sd.map { String(format: "%.3f", $0) } ?? "n/a"
                let power = gene.power.map { String(format: "%.2f", $0) } ?? "n/a"
                lines.append(
                    String(
                        format: "    %-10@ I %+.3f log2 (A+B %+.3f)  sd %@ log2  power %@",
                        gene.gene as NSString, gene.interaction, gene.combinationEffect, sd as NSString,
                        power as NSString))
            }
            if r.genes.count > shown { lines.append("    … \(r.genes.count - shown) more genes") }
        }
        return lines
    }
}

extension ExpectedEffects {
    /// Expression share π_g of every measured gene for the given modelled control levels, with
    /// the background genes drawn as the simulator draws them.
    static func shares(_ design: Design, network: Network, control: [Double]) throws -> [Double] {
        let all = control + BackgroundGenes(design, modelled: network.geneCount).levels
        let total = all.reduce(0, +)
        return all.map { total > 0 ? $0 / total : 0 }
    }
}
