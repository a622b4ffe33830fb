// MARK: - Perturbations: which genes, and what a guide does to them

/// One perturbation of the library: a single target or a combination.
public struct Perturbation: Equatable, Sendable {
    /// The target name, or the names joined with `+` for a combination.
    public var name: String
    /// Gene indices targeted.
    public var targets: [Int]

    public init(name: String, targets: [Int]) {
        self.name = name
        self.targets = targets
    }
}

/// How a perturbation changes production (κ) and a product's regulatory activity.
public struct PerturbationAction: Equatable, Sendable {
    /// Multiplier of production per gene (1 = untouched).
    public var kappa: [Double]
    /// Multiplier of a product's regulatory activity (0 for a knocked-out product).
    public var activity: [Double]

    public static func none(genes: Int) -> PerturbationAction {
        PerturbationAction(kappa: [Double](repeating: 1, count: genes), activity: [Double](repeating: 1, count: genes))
    }
}

extension Design {
    /// The perturbations of the library, in report order: single targets, then combinations.
    public func perturbations(in network: Network) -> [Perturbation] {
        let index = network.index
        var result: [Perturbation] = []
        if perturbations.targetGenes.isEmpty {
            let count = min(perturbations.targets, network.geneCount)
            result = (0..<count).map { Perturbation(name: network.genes[$0], targets: [$0]) }
        } else {
            result = perturbations.targetGenes.compactMap { name in
                index[name].map { Perturbation(name: name, targets: [$0]) }
            }
        }
        for combination in perturbations.combinations {
            let targets = combination.compactMap { index[$0] }
            result.append(Perturbation(name: combination.joined(separator: "+"), targets: targets))
        }
        return result
    }

    /// The action of guides on their targets. `efficiency` is the knockdown (CRISPRi) of each
    /// target's guide; guides in one cell multiply their κ (MOI > 1, combinations).
    public func action(targets: [Int], efficiency: [Double], genes: Int) -> PerturbationAction {
        var a = PerturbationAction.none(genes: genes)
        for (k, t) in targets.enumerated() {
            switch perturbations.modality {
            case .crispri:
                a.kappa[t] *= 1 - efficiency[k]
            case .crispra:
                // Activation strength scales with the guide's efficiency relative to the mean.
                a.kappa[t] *= 1 + perturbations.activation * efficiency[k] / perturbations.knockdownMean
            case .knockout:
                a.kappa[t] *= perturbations.koTranscriptRetention
                a.activity[t] = 0
            }
        }
        return a
    }

    /// The mean action of a perturbation (every guide at the mean efficiency).
    public func meanAction(_ p: Perturbation, genes: Int) -> PerturbationAction {
        action(
            targets: p.targets, efficiency: [Double](repeating: perturbations.knockdownMean, count: p.targets.count),
            genes: genes)
    }
}
