import Foundation

// MARK: - The network compiled for fast evaluation
//
// Production P_i(c) = κ_i · max(0, b_i + u_i + Σ_j K⁺_ij H_j + Σ_j K⁻_ij (1 − H_j)). Writing
// K⁻(1 − H) = rowsum(K⁻) − K⁻H turns the sum into one matrix W = K⁺ − K⁻ times H plus a constant,
// so a block of cells needs one GEMM. H is evaluated per *channel*: a regulator with its Hill
// parameters (edges of one regulator usually share them; edge-specific kinetics from a file
// get a channel of their own). Only regulators feed back, so the closed subsystem is the
// regulator rows of W.

/// A network ready for simulation and analysis.
public struct Kinetics: Sendable {
    public let network: Network
    public var geneCount: Int { network.geneCount }
    /// Gene indices of the regulators, ascending.
    public let regulators: [Int]
    /// For each gene, its position among the regulators, or -1.
    public let regulatorPosition: [Int]
    /// For each channel: the regulator's position, Hill coefficient and half-response.
    public let channelRegulator: [Int]
    public let channelHill: [Double]
    public let channelHalf: [Double]
    /// W = K⁺ − K⁻ over all genes (G × C).
    public let weights: Matrix
    /// W restricted to regulator rows (G_r × C): the closed subsystem.
    public let regulatorWeights: Matrix
    /// Σ_j K⁻_ij per gene: production a gene gets when all its repressors are absent.
    public let repressionOffset: [Double]
    public let basal: [Double]
    public let decay: [Double]

    public var channelCount: Int { channelRegulator.count }
    public var regulatorCount: Int { regulators.count }

    public init(_ network: Network) {
        self.network = network
        let g = network.geneCount
        regulators = network.regulators
        var position = [Int](repeating: -1, count: g)
        for (p, gene) in regulators.enumerated() { position[gene] = p }
        regulatorPosition = position

        // Channels are ordered by Hill coefficient, then regulator, then half-response, whatever
        // the edge order: channels with one exponent form a contiguous run, which the simulator's
        // channel pass evaluates as one branch-free, vectorisable loop.
        struct ChannelKey: Hashable {
            let regulator: Int
            let hill: Double
            let half: Double
        }
        var keys = Array(
            Set(
                network.edges.map {
                    ChannelKey(regulator: position[$0.regulator], hill: $0.hillN, half: $0.halfResponse)
                }))
        keys.sort { ($0.hill, $0.regulator, $0.half) < ($1.hill, $1.regulator, $1.half) }
        var channelIndex: [ChannelKey: Int] = [:]
        for (c, key) in keys.enumerated() { channelIndex[key] = c }
        let edgeChannel = network.edges.map {
            channelIndex[ChannelKey(regulator: position[$0.regulator], hill: $0.hillN, half: $0.halfResponse)]!
        }
        let chRegulator = keys.map(\.regulator)
        channelRegulator = chRegulator
        channelHill = keys.map(\.hill)
        channelHalf = keys.map(\.half)
        var w = Matrix(rows: g, cols: chRegulator.count)
        var offset = [Double](repeating: 0, count: g)
        for (e, edge) in network.edges.enumerated() {
            w[edge.target, edgeChannel[e]] += edge.weight
            if edge.weight < 0 { offset[edge.target] += -edge.weight }
        }
        weights = w
        var wr = Matrix(rows: regulators.count, cols: chRegulator.count)
        for (p, gene) in regulators.enumerated() {
            for c in 0..<chRegulator.count { wr[p, c] = w[gene, c] }
        }
        regulatorWeights = wr
        repressionOffset = offset
        basal = network.basal
        decay = network.decay
    }

    /// Hill activation H(c) = cⁿ / (hⁿ + cⁿ); integer n uses multiplications, not pow.
    @inline(__always)
    public static func hill(_ c: Double, n: Double, h: Double) -> Double {
        guard c > 0 else { return 0 }
        let r = c / h
        let rn: Double
        switch n {
        case 1: rn = r
        case 2: rn = r * r
        case 3: rn = r * r * r
        case 4:
            let r2 = r * r
            rn = r2 * r2
        default: rn = Foundation.pow(r, n)
        }
        return rn / (1 + rn)
    }

    /// dH/dc.
    @inline(__always)
    public static func hillDerivative(_ c: Double, n: Double, h: Double) -> Double {
        guard c > 0 else { return n == 1 ? 1 / h : 0 }
        let rn = Foundation.pow(c / h, n)
        return n * rn / (c * (1 + rn) * (1 + rn))
    }

    /// The input vector u_m of a medium: explicit inputs, seeded random inputs, and for the
    /// differentiation trigger the switch that turns the progenitor factor (gene 0) off.
    public func mediumInput(_ medium: MediumSpec, index: Int, system: SystemSpec) -> [Double] {
        var u = [Double](repeating: 0, count: geneCount)
        let names = network.index
        for (gene, value) in medium.inputs { if let i = names[gene] { u[i] += value } }
        if medium.randomInputs > 0 {
            var rng = RandomStream(seed: system.network.seed, domain: .network, 1000 + UInt64(index))
            for _ in 0..<medium.randomInputs {
                let i = Int(rng.next() % UInt64(geneCount))
                let sign: Double = rng.uniform() < 0.5 ? -1 : 1
                u[i] += sign * medium.inputStrength * basal[i]
            }
        }
        if system.dynamics == .differentiating && system.network.file == nil
            && medium.name == system.differentiation.triggerMedium && geneCount > 0
        {
            u[0] -= basal[0] + repressionOffset[0] + 10 * abs(basal[0])
        }
        return u
    }

    /// Production of every gene for one cell state (used by steady-state solves and tests; the
    /// simulator uses the blocked GEMM form).
    public func production(_ c: [Double], input u: [Double], kappa: [Double], activity: [Double]? = nil) -> [Double] {
        let h = channels(c, activity: activity)
        var p = [Double](repeating: 0, count: geneCount)
        for i in 0..<geneCount {
            var s = basal[i] + u[i] + repressionOffset[i]
            for ch in 0..<channelCount { s += weights[i, ch] * h[ch] }
            p[i] = kappa[i] * max(0, s)
        }
        return p
    }

    /// H of every channel for one cell; `activity` scales a regulator's effective level
    /// (0 for a knocked-out product).
    public func channels(_ c: [Double], activity: [Double]? = nil) -> [Double] {
        (0..<channelCount).map { ch in
            let gene = regulators[channelRegulator[ch]]
            let level = c[gene] * (activity?[gene] ?? 1)
            return Kinetics.hill(level, n: channelHill[ch], h: channelHalf[ch])
        }
    }
}
