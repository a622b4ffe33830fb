import COpenBLAS
import Foundation

// MARK: - Fates from a network's own attractors
//
// With a network file and differentiating dynamics nothing is added to the network: the trigger
// medium's inputs release whatever branching the file's wiring has (mutually repressing,
// self-activating lineage regulators). The fates are the stable fixed points of the regulator
// subsystem under the trigger medium. They are found by Newton (LAPACK dgetrf/dgetrs) from many
// seeded starts, each first relaxed along the deterministic flow so that Newton lands in an
// attractor's basin; duplicates are merged in log space, and each fixed point's stability comes
// from the eigenvalues of its Jacobian (LAPACK dgeev): stable when every real part is negative.
// A cell is labelled by the reference state (the progenitor, or an attractor) it is clearly
// nearest in log space, and `intermediate` when it is not yet clearly near any.

/// One fixed point of the regulator subsystem.
public struct FixedPoint: Sendable, Equatable {
    /// Name used in cells.tsv `state` and truth.tsv: `<regulator>-high` after the self-activating
    /// regulator (else any regulator) most above every other attractor (by more than 0.5 in
    /// natural log; a lone attractor is compared with the progenitor), or `attractor_k` when none stands out.
    public var name: String
    /// Regulator levels (in `Kinetics.regulators` order).
    public var regulators: [Double]
    /// Complete state of every modelled gene (downstream genes at P/γ).
    public var state: [Double]
    /// Largest real part of the Jacobian's eigenvalues (per hour): < 0 is stable.
    public var leadingEigenvalue: Double
    public var isStable: Bool { leadingEigenvalue < 0 }
}

/// The attractors of a network under one medium and the state cells start from.
public struct FateLandscape: Sendable {
    /// The starting (progenitor) state: the steady state before the trigger medium.
    public var progenitor: [Double]
    /// Stable fixed points under the trigger medium, ordered by name. An attractor that coincides
    /// with the progenitor state is not listed (cells there are `progenitor`).
    public var attractors: [FixedPoint]
    /// Unstable fixed points found on the way (saddles between fates), for reports and tests.
    public var saddles: [FixedPoint]
    /// Regulators (gene indices) whose log levels define distances between states.
    public let regulatorGenes: [Int]
    /// Per regulator: the floor ε added before taking logs (1% of the highest level any reference
    /// state reaches), so distances are not dominated by genes near zero.
    public let floor: [Double]

    /// A cell is at a reference state when its log distance to it is at most this fraction of its
    /// distance to the second-nearest reference state; otherwise it is `intermediate`. Screenplan's
    /// choice: "clearly nearer" as in twice as near.
    public static let labelRatio = 0.5
    /// Two fixed points closer than this (max |Δ log| over regulators) are the same.
    public static let sameState = 0.05
    /// Seeded random starts for the search, on top of the progenitor and one start per regulator.
    public static let randomStarts = 32
    /// At most this many regulators get a start of their own (the self-activating ones first).
    public static let regulatorStarts = 48

    /// Networks with more regulators than this get no landscape (the search costs O(starts ·
    /// steps · G_r · C)): their cells are labelled `baseline` and the analysis uses the steady
    /// state, as without differentiation. Same limit as the truth's Newton solves.
    public static let regulatorLimit = SimulationParameters().truthNewtonLimit

    /// Label names of the reference states, progenitor first.
    public var labels: [String] { ["progenitor"] + attractors.map(\.name) }

    /// Finds the attractors of `kinetics` under input `u` (the trigger medium), starting from the
    /// progenitor state `progenitor` (complete state). Deterministic for a given `seed`.
    public static func find(_ k: Kinetics, input u: [Double], progenitor: [Double], seed: UInt64) -> FateLandscape {
        let none = PerturbationAction.none(genes: k.geneCount)
        let gr = k.regulatorCount
        // Upper bound of each regulator's level: all activators on, all repressors off.
        var ceiling = [Double](repeating: 0, count: gr)
        for (p, gene) in k.regulators.enumerated() {
            var s = k.basal[gene] + u[gene] + k.repressionOffset[gene]
            for ch in 0..<k.channelCount where k.regulatorWeights[p, ch] > 0 { s += k.regulatorWeights[p, ch] }
            ceiling[p] = max(0, s) / k.decay[gene]
        }
        let start0 = k.regulators.map { progenitor[$0] }
        var starts: [[Double]] = [start0]
        // One start per regulator: that regulator at its ceiling, the others at the progenitor's
        // levels. Self-activating regulators (the usual lineage switches) come first.
        let selfActivating = Set(
            (0..<k.channelCount).compactMap { ch -> Int? in
                let r = k.channelRegulator[ch]
                return k.regulatorWeights[r, ch] > 0 ? r : nil
            })
        let order = (0..<gr).sorted {
            (selfActivating.contains($0) ? 0 : 1, $0) < (selfActivating.contains($1) ? 0 : 1, $1)
        }
        for p in order.prefix(regulatorStarts) {
            var s = start0
            s[p] = max(s[p], ceiling[p])
            starts.append(s)
        }
        var rng = RandomStream(seed: seed, domain: .fates, 0)
        for _ in 0..<randomStarts {
            starts.append((0..<gr).map { p in ceiling[p] * Foundation.exp(-4.6 * rng.uniform()) })
        }
        var found: [[Double]] = []
        for s in starts {
            if let x = try? k.steadyState(input: u, action: none, start: s, relaxHours: 150) {
                found.append(k.regulators.map { x[$0] })
            }
        }
        // Newton alone from the progenitor finds the saddle the progenitor sits on, if any.
        if let x = try? k.steadyState(input: u, action: none, start: start0, relaxHours: 0) {
            found.append(k.regulators.map { x[$0] })
        }
        var floor = [Double](repeating: 1e-9, count: gr)
        for p in 0..<gr {
            let top = max(start0[p], found.map { $0[p] }.max() ?? 0)
            floor[p] = max(1e-9, 0.01 * top)
        }
        func logs(_ xr: [Double]) -> [Double] {
            (0..<gr).map { Foundation.log(max(0, $0 < xr.count ? xr[$0] : 0) + floor[$0]) }
        }
        func distanceMax(_ a: [Double], _ b: [Double]) -> Double {
            zip(logs(a), logs(b)).map { abs($0 - $1) }.max() ?? 0
        }
        var unique: [[Double]] = []
        for x in found where !unique.contains(where: { distanceMax($0, x) < sameState }) { unique.append(x) }

        var points: [FixedPoint] = []
        for xr in unique {
            let (_, jacobian) = k.regulatorField(xr, input: u, action: none)
            let lead = (try? leadingRealEigenvalue(jacobian)) ?? .infinity
            points.append(
                FixedPoint(
                    name: "", regulators: xr,
                    state: k.completeState(regulatorLevels: xr, input: u, action: none),
                    leadingEigenvalue: lead))
        }
        var stable = points.filter { $0.isStable && distanceMax($0.regulators, start0) >= sameState }
        var saddles = points.filter { !$0.isStable }
        // Names: the regulator most above every other reference state (progenitor included).
        let names = k.network.genes
        func name(_ i: Int, among list: [FixedPoint], prefix: String) -> String {
            let own = logs(list[i].regulators)
            // Self-activating regulators (the fate switches themselves) are preferred to the
            // genes they drive, which can stand out more in log terms from a lower floor.
            var best = -1
            var bestScore = 0.5
            var bestSelf = false
            for p in 0..<gr {
                // Against the other fates; a lone attractor against the progenitor.
                var other = list.count > 1 ? -Double.infinity : logs(start0)[p]
                for (j, q) in list.enumerated() where j != i { other = max(other, logs(q.regulators)[p]) }
                let score = own[p] - other
                let isSelf = selfActivating.contains(p)
                guard score > 0.5 else { continue }
                if (isSelf && !bestSelf) || (isSelf == bestSelf && score > bestScore) {
                    bestScore = score
                    best = p
                    bestSelf = isSelf
                }
            }
            return best >= 0 ? names[k.regulators[best]] + "-high" : "\(prefix)_\(i + 1)"
        }
        for i in stable.indices { stable[i].name = name(i, among: stable, prefix: "attractor") }
        stable.sort { $0.name < $1.name }
        var seen: [String: Int] = [:]
        for i in stable.indices {
            let n = (seen[stable[i].name] ?? 0) + 1
            seen[stable[i].name] = n
            if n > 1 { stable[i].name += "_\(n)" }
        }
        for i in saddles.indices { saddles[i].name = "saddle_\(i + 1)" }
        return FateLandscape(
            progenitor: progenitor, attractors: stable, saddles: saddles,
            regulatorGenes: k.regulators, floor: floor)
    }

    /// Index into `labels` of the reference state a cell (complete state `x`, gene-indexed) is
    /// clearly nearest in log space, or nil for an intermediate cell. `references` replaces the
    /// progenitor and attractor states (same order as `labels`), e.g. by their continuation under
    /// the cell's own perturbation; a nil entry is a state that perturbation cannot reach.
    public func nearest(_ x: UnsafePointer<Double>, references: [[Double]?]? = nil) -> Int? {
        var d1 = Double.infinity
        var d2 = Double.infinity
        var best = -1
        for r in 0...attractors.count {
            let ref: [Double]
            if let references {
                guard let given = references[r] else { continue }
                ref = given
            } else {
                ref = r == 0 ? progenitor : attractors[r - 1].state
            }
            var d = 0.0
            for (p, gene) in regulatorGenes.enumerated() {
                let e = Foundation.log(max(0, x[gene]) + floor[p]) - Foundation.log(max(0, ref[gene]) + floor[p])
                d += e * e
            }
            if d < d1 {
                d2 = d1
                d1 = d
                best = r
            } else if d < d2 {
                d2 = d
            }
        }
        guard best >= 0 else { return nil }
        // Squared distances: the ratio criterion on distances is ratio² on squares.
        if attractors.isEmpty || d1 <= FateLandscape.labelRatio * FateLandscape.labelRatio * d2 { return best }
        return nil
    }

    /// The `state` label of a cell: `progenitor`, an attractor's name, or `intermediate`.
    public func label(_ x: UnsafePointer<Double>, references: [[Double]?]? = nil) -> String {
        guard let r = nearest(x, references: references) else { return "intermediate" }
        return labels[r]
    }

    /// The label of a complete state given as an array.
    public func label(_ x: [Double], references: [[Double]?]? = nil) -> String {
        x.withUnsafeBufferPointer { label($0.baseAddress!, references: references) }
    }

    /// The reference states (progenitor, then each attractor) continued under a perturbation:
    /// Newton (no relaxation) from each control state with the perturbation's action, the
    /// progenitor in the starting input and the attractors in the trigger input. A state whose
    /// continuation fails or is unstable (dgeev) is nil: the perturbation
    /// removes that fate, so its cells cannot be labelled by it. A continuation that ends nearer
    /// another reference state than its own fate is nil too. Cells of a perturbation are
    /// labelled against these, so a knockout's cells sitting at its own version of a fate (a
    /// CEBPA knockout's myeloid state lacks CEBPA and its targets) are named after that fate.
    public func continued(
        _ k: Kinetics, startInput: [Double], triggerInput: [Double],
        action: PerturbationAction
    ) -> [[Double]?] {
        var out: [[Double]?] = []
        /// Index of the control reference state nearest to x (no ratio test).
        func closest(_ x: [Double]) -> Int {
            var best = 0
            var bestD = Double.infinity
            for r in 0...attractors.count {
                let ref = r == 0 ? progenitor : attractors[r - 1].state
                var d = 0.0
                for (p, gene) in regulatorGenes.enumerated() {
                    let e = Foundation.log(max(0, x[gene]) + floor[p]) - Foundation.log(max(0, ref[gene]) + floor[p])
                    d += e * e
                }
                if d < bestD {
                    bestD = d
                    best = r
                }
            }
            return best
        }
        let progenitorState =
            (try? k.steadyState(
                input: startInput, action: action,
                start: k.regulators.map { progenitor[$0] }, relaxHours: 0))
            ?? (try? k.steadyState(
                input: startInput, action: action, start: k.regulators.map { progenitor[$0] }, relaxHours: 200))
        out.append(progenitorState ?? progenitor)
        for a in attractors {
            guard let x = try? k.steadyState(input: triggerInput, action: action, start: a.regulators, relaxHours: 0)
            else {
                out.append(nil)
                continue
            }
            let xr = k.regulators.map { x[$0] }
            let (_, jacobian) = k.regulatorField(xr, input: triggerInput, action: action)
            let stable = ((try? leadingRealEigenvalue(jacobian)) ?? .infinity) < 0
            // The continuation must still be that fate: nearer its own control attractor than any
            // other reference state (else the perturbation moved it into another fate's basin).
            out.append(stable && closest(x) == out.count ? x : nil)
        }
        return out
    }
}

/// The largest real part of the eigenvalues of a square matrix (LAPACKE_dgeev, no eigenvectors).
public func leadingRealEigenvalue(_ a: Matrix) throws -> Double {
    precondition(a.rows == a.cols)
    let n = a.rows
    guard n > 0 else { return -.infinity }
    var work = a.data
    var wr = [Double](repeating: 0, count: n)
    var wi = [Double](repeating: 0, count: n)
    var vl = [Double](repeating: 0, count: 1)
    var vr = [Double](repeating: 0, count: 1)
    let info = work.withUnsafeMutableBufferPointer { pa in
        wr.withUnsafeMutableBufferPointer { pr in
            wi.withUnsafeMutableBufferPointer { pi in
                vl.withUnsafeMutableBufferPointer { pl in
                    vr.withUnsafeMutableBufferPointer { pv in
                        LAPACKE_dgeev(
                            LAPACK_COL_MAJOR, Int8(UInt8(ascii: "N")), Int8(UInt8(ascii: "N")),
                            sp_lapack_int(n), pa.baseAddress, sp_lapack_int(n), pr.baseAddress, pi.baseAddress,
                            pl.baseAddress, 1, pv.baseAddress, 1)
                    }
                }
            }
        }
    }
    if info != 0 { throw LAPACKError(routine: "dgeev", info: Int(info)) }
    return wr.max() ?? -.infinity
}

extension FateLandscape {
    /// The landscape of a design's network: the progenitor is the steady state of the starting
    /// input (no niche), the attractors those of the trigger medium's input. The simulator and
    /// the analysis both call this, so they label and mix the same states.
    public static func compute(
        kinetics k: Kinetics, startInput: [Double], triggerInput: [Double],
        seed: UInt64
    ) throws -> FateLandscape {
        let none = PerturbationAction.none(genes: k.geneCount)
        let progenitor = try k.steadyState(input: startInput, action: none, relaxHours: 200)
        return find(k, input: triggerInput, progenitor: progenitor, seed: seed)
    }
}
