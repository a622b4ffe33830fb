// MARK: - The gene regulatory network

/// One signed, weighted regulatory edge j → i with its Hill kinetics.
public struct Edge: Equatable, Sendable {
    /// Index of the regulator gene j.
    public var regulator: Int
    /// Index of the target gene i.
    public var target: Int
    /// Signed weight: > 0 activates, < 0 represses (production units per hour).
    public var weight: Double
    /// Hill coefficient n.
    public var hillN: Double
    /// Half-response concentration h (concentration units).
    public var halfResponse: Double

    public init(regulator: Int, target: Int, weight: Double, hillN: Double, halfResponse: Double) {
        self.regulator = regulator
        self.target = target
        self.weight = weight
        self.hillN = hillN
        self.halfResponse = halfResponse
    }
}

/// A signed regulatory network over named genes, with per-gene basal production and decay.
///
/// Regulators are the genes with outgoing edges; the dynamics need a GEMM over regulator
/// columns only, so `regulators` lists them in a fixed order and `regulatorIndex` maps back.
public struct Network: Equatable, Sendable {
    public var genes: [String]
    /// Basal production b_i (concentration units per hour).
    public var basal: [Double]
    /// Decay rate γ_i (per hour).
    public var decay: [Double]
    public var edges: [Edge]

    public init(genes: [String], basal: [Double], decay: [Double], edges: [Edge]) {
        self.genes = genes
        self.basal = basal
        self.decay = decay
        self.edges = edges
    }

    public var geneCount: Int { genes.count }

    /// Gene indices that regulate at least one gene, ascending.
    public var regulators: [Int] {
        Array(Set(edges.map(\.regulator))).sorted()
    }

    /// Index of each gene name.
    public var index: [String: Int] {
        Dictionary(genes.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }
}
