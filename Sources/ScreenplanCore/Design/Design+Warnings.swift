import Foundation

// MARK: - Warnings: fields written in a design that have no effect in it
//
// A valid design can still say something screenplan ignores: `differentiation.lineages` with a
// network file (the fates come from the file's own attractors), in vivo settings in vitro, the
// generated-network shape with a file. Each is a warning naming the field and its line; the
// design stays valid (exit 0). A differentiating network file whose trigger medium leaves a single
// attractor is also a warning: cells would not branch.

extension DesignValidator {
    /// Fields the design writes that have no effect in it, and fate landscapes that cannot branch.
    public static func warnings(_ loaded: LoadedDesign) -> [DesignIssue] {
        let d = loaded.design
        var out: [DesignIssue] = []
        func written(_ path: String) -> Bool { loaded.locations[path] != nil }
        func warn(_ path: String, _ message: String) {
            guard written(path) else { return }
            out.append(DesignIssue(location: loaded.location(of: path), path: path, message: "warning: " + message))
        }
        let file = d.system.network.file != nil
        if file {
            let reason = "has no effect with a network file"
            warn(
                "system.differentiation.lineages",
                "\(reason): the fates are the network's own attractors under the trigger medium")
            warn(
                "system.differentiation.lineage_strength",
                "\(reason): the fates are the network's own attractors under the trigger medium")
            for key in ["regulators", "mean_in_degree", "activation_fraction", "weight_mean"] {
                warn("system.network.\(key)", "\(reason) (it shapes generated networks only)")
            }
            if d.system.network.genesFile != nil {
                warn("system.genes", "has no effect: the genes table lists the modelled genes")
            }
            warn(
                "system.assumptions.bistable_perturbation",
                "\(reason): the bistable module is added to generated networks only")
        }
        if d.system.dynamics == .nonDifferentiating {
            for key in ["lineages", "lineage_strength", "trigger_medium"] {
                warn("system.differentiation.\(key)", "has no effect with `dynamics: non-differentiating`")
            }
        }
        if d.system.regime == .inVitro {
            for key in ["niche_sd", "delivery_delay_h", "delivery_sd", "influx_per_h"] {
                warn("system.in_vivo.\(key)", "has no effect in vitro (`regime: in-vitro`)")
            }
        }
        if d.perturbations.modality != .knockout {
            warn(
                "perturbations.guide_effect_sd",
                "has no effect with \(d.perturbations.modality.rawValue): the Beta spread of knockdown is the guide-to-guide spread"
            )
            warn("perturbations.ko_transcript_retention", "has no effect with \(d.perturbations.modality.rawValue)")
        }
        if ![.subLibraries, .balancedIncomplete].contains(d.batching.layout) {
            warn(
                "batching.replicates",
                "has no effect with `layout: \(d.batching.layout.rawValue)` (only sub-libraries and balanced-incomplete use it)"
            )
        }
        if d.cost.perAnimal > 0 && d.animalCount(batches: d.batching.batches) == 0 {
            warn(
                "cost.per_animal",
                "has no effect: the design has no animals (neither `batching.unit: animal` nor a nested animal level)")
        }
        if !d.assumptionsDelayed {
            warn("system.assumptions.perturbation_ramp_h", "has no effect unless `delayed_perturbation: true`")
        }

        out += profileOverlapWarnings(loaded)

        // A differentiating network file must branch under its trigger medium.
        if file && d.system.dynamics == .differentiating, let network = try? NetworkLoader.network(for: loaded) {
            let k = Kinetics(network)
            if let (landscape, _) = try? ExpectedEffects.fateLandscape(d, k), landscape.attractors.count < 2 {
                let path = "system.differentiation.trigger_medium"
                let names = landscape.attractors.map(\.name).joined(separator: ", ")
                out.append(
                    DesignIssue(
                        location: loaded.location(of: path), path: path,
                        message:
                            "warning: under `\(d.system.differentiation.triggerMedium)` the network has \(landscape.attractors.count) attractor\(landscape.attractors.count == 1 ? "" : "s") apart from the progenitor\(names.isEmpty ? "" : " (\(names))"), so cells cannot branch; fates need self-activating regulators that repress each other"
                    ))
            }
        }
        return out
    }
}

extension Design {
    fileprivate var assumptionsDelayed: Bool { system.assumptions.delayedPerturbation }
}

extension DesignValidator {
    /// A cell type's profile that names none of the measured genes changes nothing (every factor
    /// is 1, every θ the design's: CellTypeProfile.swift), typically a profile of real genes
    /// beside a generated network; the design stays valid, so it is a warning at the profile.
    static func profileOverlapWarnings(_ loaded: LoadedDesign) -> [DesignIssue] {
        let d = loaded.design
        let types = d.system.cellTypes.types
        guard types.contains(where: { $0.profile != nil }) else { return [] }
        // The measured genes are the modelled ones first (background genes have no names a
        // profile could use): the network file's, the expression profile's, or generated.
        let modelled: [String]
        if d.system.network.file != nil {
            guard let network = try? NetworkLoader.network(for: loaded) else { return [] }
            modelled = network.genes
        } else if d.measurement.expressionProfile != nil {
            guard let profile = try? ExpressionProfile.of(d) else { return [] }
            modelled = profile.genes
        } else {
            modelled = (0..<d.system.genes).map { Design.generatedGeneName($0, of: d.system.genes) }
        }
        let measured = Array(modelled.prefix(d.measurement.measuredGenes))
        let names = Set(measured)
        var out: [DesignIssue] = []
        for (i, t) in types.enumerated() {
            guard let file = t.profile else { continue }
            let path = "system.cell_types.types[\(i)].profile"
            guard loaded.locations[path] != nil,
                let (own, _) = try? CellTypeExpression.profiles(
                    path: resolve(file, against: d.baseDirectory), type: t.name, design: d),
                !own.genes.contains(where: names.contains)
            else { continue }
            let example = measured.prefix(2).joined(separator: ", ")
            let theirs = own.genes.prefix(2).joined(separator: ", ")
            out.append(
                DesignIssue(
                    location: loaded.location(of: path), path: path,
                    message:
                        "warning: `\(file)` shares no gene with the \(measured.count) measured genes (\(example), …; the profile names \(theirs), …), so cell type `\(t.name)` is expressed as the pool"
                ))
        }
        return out
    }
}
