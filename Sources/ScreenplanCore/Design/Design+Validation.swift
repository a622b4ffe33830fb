import Foundation

// MARK: - Semantic validation: what each field alone cannot say

/// Checks that need several fields at once (capacity, names that must agree, network files,
/// memory need). Field-level type and range checks happen while reading.
public enum DesignValidator {
    public static func validate(_ loaded: LoadedDesign) -> [DesignIssue] {
        var issues: [DesignIssue] = []
        let d = loaded.design
        func issue(_ path: String, _ message: String) {
            issues.append(DesignIssue(location: loaded.location(of: path), path: path, message: message))
        }

        // Memory need first: an absurd size is refused before anything is allocated for it
        // (generating the names of 10¹¹ genes would itself exhaust memory).
        let need = d.memoryNeedBytes
        if need > Design.memoryLimitBytes {
            issue(
                d.system.network.file == nil ? "system.genes" : "system.network.file",
                "this design would need about \(formatBytes(need)) of memory (network Jacobian \(d.system.genes)² and \(d.perturbationCount) perturbations × \(max(d.system.genes, d.measurement.measuredGenes)) genes); the limit is \(formatBytes(Design.memoryLimitBytes))"
            )
            return issues
        }

        // Network: generated sizes, or the file and its genes.
        var geneNames: [String]
        if let file = d.system.network.file {
            do {
                let network = try NetworkLoader.network(for: loaded)
                geneNames = network.genes
                _ = file
                // A profile beside a network file supplies dispersions: it must read.
                if d.measurement.expressionProfile != nil {
                    do { _ = try ExpressionProfile.of(d) } catch {
                        issue("measurement.expression_profile", "cannot be used: \(error)")
                    }
                }
            } catch let error as DesignValidationError {
                return issues + error.issues
            } catch {
                issue("system.network.file", "cannot be read: \(error)")
                return issues
            }
        } else if d.measurement.expressionProfile != nil {
            // Real genes: the profile's rows are the network (no edges).
            do {
                geneNames = try ExpressionProfile.of(d)?.genes ?? []
            } catch {
                issue("measurement.expression_profile", "cannot be used: \(error)")
                return issues
            }
        } else {
            if d.system.network.genesFile != nil {
                issue("system.network.genes_file", "a genes table needs an edge list in `system.network.file`")
            }
            if d.system.network.regulators > d.system.genes {
                issue(
                    "system.network.regulators",
                    "\(d.system.network.regulators) regulators cannot exceed system.genes (\(d.system.genes))")
            }
            geneNames = (0..<d.system.genes).map { Design.generatedGeneName($0, of: d.system.genes) }
        }
        let known = Set(geneNames)

        // Perturbation targets.
        if d.perturbations.targetGenes.isEmpty {
            if d.perturbations.targets > geneNames.count {
                issue(
                    "perturbations.targets",
                    "\(d.perturbations.targets) targets but the network has only \(geneNames.count) genes")
            }
        } else {
            var seen = Set<String>()
            for (index, gene) in d.perturbations.targetGenes.enumerated() {
                let path = "perturbations.target_genes[\(index)]"
                if !known.contains(gene) {
                    var message = "unknown gene `\(gene)`: not in the network"
                    if let guess = suggestion(for: gene, among: geneNames) { message += "; did you mean `\(guess)`?" }
                    issue(path, message)
                }
                if !seen.insert(gene).inserted {
                    issue(path, "gene `\(gene)` is targeted twice")
                }
            }
        }
        for (index, combination) in d.perturbations.combinations.enumerated() {
            let path = "perturbations.combinations[\(index)]"
            if combination.count < 2 { issue(path, "a combination needs at least two genes") }
            for gene in combination where !known.contains(gene) {
                issue(path, "unknown gene `\(gene)`: not in the network")
            }
        }

        // Media and protocol.
        let mediumNames = d.system.media.map(\.name)
        if Set(mediumNames).count != mediumNames.count {
            issue("system.media", "medium names must be unique")
        }
        for (index, medium) in d.system.media.enumerated() {
            for gene in medium.inputs.keys.sorted() where !known.contains(gene) {
                issue("system.media[\(index)].inputs.\(gene)", "unknown gene `\(gene)`: not in the network")
            }
        }
        for (index, step) in d.protocolSteps.enumerated() where !mediumNames.contains(step.medium) {
            var message =
                "medium `\(step.medium)` is not defined in system.media (\(mediumNames.joined(separator: ", ")))"
            if let guess = suggestion(for: step.medium, among: mediumNames) { message += "; did you mean `\(guess)`?" }
            issue("protocol[\(index)].medium", message)
        }
        // Integration steps: the protocol's length over the time step, bounded so that a
        // simulation always ends (documented in docs/design-file.md and docs/reliability.md).
        let integrationSteps = d.protocolDurationH / d.system.timeStepH
        if integrationSteps > Design.maxIntegrationSteps {
            issue(
                "system.time_step_h",
                "the protocol's \(Check.format(d.protocolDurationH)) h at \(Check.format(d.system.timeStepH)) h per step are \(saturatingInt(integrationSteps)) steps; the limit is \(Int(Design.maxIntegrationSteps)): use a longer time step or a shorter protocol"
            )
        }
        if !d.protocolSteps.contains(where: \.perturb) {
            issue("protocol", "no step has `perturb: true`, so no guide ever acts")
        }
        let duration = d.protocolDurationH
        for (index, t) in d.sampling.timePointsH.enumerated() where t > duration {
            issue(
                "sampling.time_points_h[\(index)]",
                "time point \(Check.format(t)) h is after the protocol ends (\(Check.format(duration)) h)")
        }
        if d.system.dynamics == .differentiating {
            let trigger = d.system.differentiation.triggerMedium
            if !mediumNames.contains(trigger) {
                issue(
                    "system.differentiation.trigger_medium",
                    "medium `\(trigger)` is not defined in system.media")
            } else if !d.protocolSteps.contains(where: { $0.medium == trigger }) {
                issue(
                    "system.differentiation.trigger_medium",
                    "no protocol step uses `\(trigger)`, so cells never differentiate")
            }
            if d.system.differentiation.lineages * 2 > d.system.network.regulators && d.system.network.file == nil {
                issue(
                    "system.differentiation.lineages",
                    "\(d.system.differentiation.lineages) lineages need at least \(d.system.differentiation.lineages * 2) regulators"
                )
            }
        }

        // Controls.
        if d.sampling.controlCells != nil && d.sampling.controlsFraction != nil {
            issue(
                "sampling.controls_fraction",
                "give either sampling.control_cells or sampling.controls_fraction, not both")
        }
        if d.batchesWithControls == 0 {
            issue(
                "batching.controls_in_fraction",
                "no batch holds controls; every perturbation effect would be confounded with batch")
        }

        // Layout.
        let b = d.batching
        if [.subLibraries, .balancedIncomplete].contains(b.layout) && b.replicates > b.batches {
            issue("batching.replicates", "\(b.replicates) replicates need at least as many batches (have \(b.batches))")
        }
        if b.layout == .explicit {
            if b.explicitCells.count != d.perturbationCount {
                issue(
                    "batching.explicit_cells",
                    "has \(b.explicitCells.count) rows; the design has \(d.perturbationCount) perturbations")
            }
            for (index, row) in b.explicitCells.enumerated() where row.count != b.batches {
                issue(
                    "batching.explicit_cells[\(index)]", "has \(row.count) entries; the design has \(b.batches) batches"
                )
            }
            // Each batch holds at most max_cells_per_batch cells (sums in Double: no overflow).
            for batch in 0..<b.batches {
                let total = b.explicitCells.reduce(0.0) { $0 + (batch < $1.count ? Double($1[batch]) : 0) }
                if total > Double(b.maxCellsPerBatch) {
                    issue(
                        "batching.explicit_cells",
                        "batch \(batch + 1) holds \(Int(total)) perturbed cells; batching.max_cells_per_batch is \(b.maxCellsPerBatch)"
                    )
                    break
                }
            }
        } else if !b.explicitCells.isEmpty {
            issue("batching.explicit_cells", "is only used with `layout: explicit`")
        }
        for (index, level) in b.nested.enumerated() where b.batches % level.count != 0 {
            issue(
                "batching.nested[\(index)].count",
                "\(b.batches) batches cannot be split evenly over \(level.count) \(level.unit.rawValue)s")
        }
        if let delivery = b.deliveryUnit {
            if delivery != b.unit && !b.nested.contains(where: { $0.unit == delivery }) {
                let levels = ([b.unit] + b.nested.map(\.unit)).map(\.rawValue).joined(separator: ", ")
                issue(
                    "batching.delivery_unit",
                    "`\(delivery.rawValue)` is not a batching level of this design (\(levels))")
            } else if let level = b.nested.first(where: { $0.unit == delivery }), delivery != b.unit,
                [.subLibraries, .balancedIncomplete].contains(b.layout)
            {
                let perTime = max(1, level.count / max(1, d.timePoints.count))
                if b.replicates > perTime {
                    issue(
                        "batching.replicates",
                        "\(b.replicates) replicates need at least as many \(delivery.rawValue)s per time point (each \(delivery.rawValue) receives one pool of guides; have \(perTime))"
                    )
                }
            }
            if b.layout == .explicit && issues.isEmpty {
                let layout = Layout.make(d)
                for (p, unit) in layout.deliveryViolations(d).prefix(5) {
                    issue(
                        "batching.explicit_cells[\(p)]",
                        "splits \(delivery.rawValue) \(unit + 1): a \(delivery.rawValue) receives one pool of guides, so the perturbation is in all its batches or in none"
                    )
                }
            }
        }
        if d.system.regime == .inVivo && b.unit != .animal && !b.nested.contains(where: { $0.unit == .animal }) {
            issue(
                "batching.unit",
                "an in vivo screen needs animals as batches: set `unit: animal` or a nested animal level")
        }

        // Molecules seen per cell: below one UMI per cell every mean count underflows towards 0 and
        // the error model's variances (∝ 1/μ) would leave the finite numbers.
        if d.capturedMoleculesPerCell < 1 {
            issue(
                "measurement.capture_efficiency",
                "mrna_per_cell × capture_efficiency is \(String(format: "%.3g", d.capturedMoleculesPerCell)) molecules captured per cell; at least 1 is needed"
            )
        } else if d.expectedUMIsPerCell < 1 {
            issue(
                "measurement.reads_per_cell",
                "at \(Check.format(d.measurement.readsPerCell)) reads per cell (× mapping_efficiency) a cell shows \(String(format: "%.3g", d.expectedUMIsPerCell)) UMIs; at least 1 is needed"
            )
        }

        // Genes measured.
        if d.measurement.measuredGenes < geneNames.count {
            issue(
                "measurement.measured_genes",
                "\(d.measurement.measuredGenes) measured genes is fewer than the \(geneNames.count) modelled genes")
        }

        // Capacity: more perturbations than the cells of the batches can hold.
        if d.cellsLoaded > d.batchCapacity {
            let needed = Int((Double(d.cellsLoaded) / Double(b.maxCellsPerBatch)).rounded(.up))
            issue(
                "batching.batches",
                "the design needs \(d.cellsLoaded) cells loaded (\(d.perturbationCount) perturbations × \(d.sampling.cellsPerPerturbation) cells × \(d.timePoints.count) time point\(d.timePoints.count == 1 ? "" : "s")\(d.perturbations.moi > 1 ? " / MOI \(formatCount(d.perturbations.moi))" : "") + \(d.controlCells) controls, at \(Int(d.sampling.qcPassFraction * 100))% QC pass), but \(b.batches) batches × \(b.maxCellsPerBatch) cells hold only \(d.batchCapacity); use at least \(needed) batches or fewer cells per perturbation"
            )
        }

        issues += validateCellTypes(loaded)

        return issues
    }

    /// A path relative to the design file's folder, or the absolute path as given.
    public static func resolve(_ path: String, against base: String) -> String {
        if path.hasPrefix("/") || base.isEmpty || base == "." { return path }
        return (base as NSString).appendingPathComponent(path)
    }
}

/// "10", "2.5": an MOI in a message.
private func formatCount(_ x: Double) -> String {
    x == x.rounded() ? String(format: "%.0f", x) : String(format: "%g", x)
}
