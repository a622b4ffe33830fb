import Foundation

// MARK: - Recommendations: what to change, why (with numbers), and the edit that applies it
//
// Each rule reads the evaluation, fires above a documented threshold (docs/batching.md), states
// the quantitative reason and carries field edits valid for `Design.setting(_:to:)`. Rules that
// compare alternatives evaluate the edited design with the same analyzer (cached effects).

public enum Recommendations {
    /// Thresholds (documented in docs/batching.md).
    public enum Threshold {
        /// Control cells per batch off Dunnett's √K rule by more than this factor.
        public static let controlRatio = 1.5
        /// Interaction share of the typical variance above which batches beat cells (when it also
        /// exceeds the cell-noise terms).
        public static let interactionShare = 0.1
        /// Saturation above which reads are wasted, below which depth limits UMIs.
        public static let saturationHigh = 0.9
        public static let saturationLow = 0.5
        /// Doublet rate per lane above which more lanes are advised.
        public static let doubletRate = 0.08
    }

    /// All recommendations for an evaluation, most important first.
    public static func make(_ e: Evaluation, analyzer: Analyzer) -> [Recommendation] {
        let d = e.design
        var out: [Recommendation] = []
        let rows = e.rows
        guard !rows.isEmpty, let typical = e.medianRow else { return out }
        let k = Double(d.perturbationCount)
        let sqrtK = k.squareRoot()
        let highMOI = d.perturbations.moi > 1

        // Controls in every batch (per animal in vivo).
        let confounded = rows.filter { $0.uncontrolledBatches > 0 }
        if !confounded.isEmpty && !highMOI {
            let extra = median(confounded.map(\.components.confounding))
            let share = median(confounded.map { $0.components.confounding / max(1e-300, $0.components.total) })
            let inVivo = d.system.regime == .inVivo
            var change = [FieldChange(path: "batching.controls_in_fraction", value: "1")]
            if inVivo && d.batching.layout != .perAnimal {
                change.append(FieldChange(path: "batching.layout", value: "per-animal"))
            }
            let unit = inVivo ? "animal" : d.batching.unit.rawValue
            out.append(
                Recommendation(
                    id: inVivo ? "per-animal-controls" : "controls-in-every-batch",
                    message: String(
                        format:
                            "Put non-targeting controls in every %@: %d of %d perturbations are compared with controls from other %@s, which adds %.3g log2² of batch-effect variance (%.0f%% of their error) that more cells cannot remove.",
                        unit, confounded.count, rows.count, unit, extra, 100 * share),
                    change: change))
        }

        // Time-matched controls (differentiating regimes).
        let mismatched = rows.filter { $0.components.timeMismatch > 0 }
        if !mismatched.isEmpty {
            let bias = median(mismatched.map { $0.components.timeMismatch.squareRoot() })
            out.append(
                Recommendation(
                    id: "time-matched-controls",
                    message: String(
                        format:
                            "Sample controls at every time point: %d perturbation estimates use controls from another time, a median bias of %.3g log2 from the baseline's drift.",
                        mismatched.count, bias),
                    change: [
                        FieldChange(path: "batching.layout", value: "per-time-point"),
                        FieldChange(path: "batching.controls_in_fraction", value: "1"),
                    ]))
        }

        // Control cells ≈ √K × one perturbation's cells (per batch).
        if !highMOI {
            let layout = e.layout
            var ratios: [Double] = []
            for b in layout.controlledBatches {
                var sum = 0
                var count = 0
                for p in 0..<layout.perturbationCount where layout.cells(p, b) > 0 {
                    sum += layout.cells(p, b)
                    count += 1
                }
                if count > 0 && sum > 0 { ratios.append(Double(layout.controls[b]) / (Double(sum) / Double(count))) }
            }
            let ratio = median(ratios)
            if ratio > 0 && (ratio > sqrtK * Threshold.controlRatio || ratio < sqrtK / Threshold.controlRatio) {
                let perPert = median(
                    layout.controlledBatches.map { b -> Double in
                        let cells = (0..<layout.perturbationCount).map { layout.cells($0, b) }.filter { $0 > 0 }
                        return cells.isEmpty ? 0 : Double(cells.reduce(0, +)) / Double(cells.count)
                    })
                let wanted = max(1, Int((sqrtK * perPert).rounded()))
                var change = [FieldChange(path: "sampling.control_cells", value: String(wanted))]
                if d.sampling.controlsFraction != nil {
                    change.insert(FieldChange(path: "sampling.controls_fraction", value: "null"), at: 0)
                }
                let after = evaluation(of: change, on: d, analyzer: analyzer)?.medianVariance ?? e.medianVariance
                out.append(
                    Recommendation(
                        id: "control-cells-sqrt-k",
                        message: String(
                            format:
                                "Give controls √K = %.1f times one perturbation's cells per batch (Dunnett's rule): they have %.1f times now; %d control cells per batch change the typical variance from %.3g to %.3g log2².",
                            sqrtK, ratio, wanted, e.medianVariance, after),
                        change: change))
            }
        }

        // Replicate every perturbation over ≥ 2 batches.
        let single = rows.filter { $0.batches == 1 }
        if !single.isEmpty && d.batching.batches >= 2 {
            let change: [FieldChange]
            if d.batching.layout == .subLibraries || d.batching.layout == .balancedIncomplete {
                change = [FieldChange(path: "batching.replicates", value: "2")]
            } else {
                change = [
                    FieldChange(path: "batching.layout", value: "balanced-incomplete"),
                    FieldChange(path: "batching.replicates", value: "2"),
                ]
            }
            let after = evaluation(of: change, on: d, analyzer: analyzer)
            out.append(
                Recommendation(
                    id: "replicate-over-batches",
                    message: String(
                        format:
                            "Spread each perturbation over at least 2 batches: %d perturbations sit in one batch, so their batch × perturbation term (ω² = %.3g log2²) is not averaged and cannot be told apart from the effect; with 2 replicates the median power goes from %.2f to %.2f.",
                        single.count, typical.components.interaction * Double(max(1, typical.batches)),
                        e.medianPower, after?.medianPower ?? e.medianPower),
                    change: change))
        }

        // More batches instead of more cells when the interaction term dominates.
        let cellsVar = typical.components.perturbedCells + typical.components.controlCells
        let share = typical.components.interaction / max(1e-300, typical.components.total)
        if share > Threshold.interactionShare && typical.components.interaction > cellsVar {
            let b = d.batching.batches * 2
            let change = [FieldChange(path: "batching.batches", value: String(b))]
            let after = evaluation(of: change, on: d, analyzer: analyzer)
            out.append(
                Recommendation(
                    id: "more-batches-not-cells",
                    message: String(
                        format:
                            "Add batches rather than cells: the batch × perturbation interaction is %.0f%% of the typical error (%.3g vs %.3g log2² from cell noise), and only more batches per perturbation shrink it; %d batches give median power %.2f (now %.2f).",
                        100 * share, typical.components.interaction, cellsVar, b,
                        after?.medianPower ?? e.medianPower, e.medianPower),
                    change: change))
        }

        // Sequencing depth against library complexity.
        let saturation = d.sequencingSaturation
        let captured = d.capturedMoleculesPerCell
        let mapping = max(1e-9, d.measurement.mappingEfficiency)
        if saturation > Threshold.saturationHigh {
            // To 1,000 reads; below 10,000 to two significant digits (small libraries would round to 0).
            let exact = -captured * Foundation.log(1 - 0.8) / mapping
            let step =
                exact >= 10_000
                ? 1000 : Foundation.pow(10, max(0, Foundation.floor(Foundation.log10(max(exact, 1))) - 1))
            let reads = max(step, (exact / step).rounded() * step)
            let change = [FieldChange(path: "measurement.reads_per_cell", value: String(Int(reads)))]
            let after = evaluation(of: change, on: d, analyzer: analyzer)
            let saved = e.cost.sequencingCost - (after?.cost.sequencingCost ?? e.cost.sequencingCost)
            out.append(
                Recommendation(
                    id: "sequencing-saturation",
                    message: String(
                        format:
                            "Sequence less deeply: %.0f reads per cell already see %.0f%% of the %.0f captured molecules; %.0f reads (80%% saturation) save %@ for a median power of %.2f (now %.2f).",
                        d.measurement.readsPerCell, 100 * saturation, captured, reads,
                        formatMoney(saved, d.cost.currency), after?.medianPower ?? e.medianPower, e.medianPower),
                    change: change))
        } else if saturation < Threshold.saturationLow && cellsVar > 0.5 * typical.components.total {
            let reads = (-captured * Foundation.log(1 - 0.7) / mapping / 1000).rounded() * 1000
            let change = [FieldChange(path: "measurement.reads_per_cell", value: String(Int(reads)))]
            let after = evaluation(of: change, on: d, analyzer: analyzer)
            out.append(
                Recommendation(
                    id: "sequencing-saturation",
                    message: String(
                        format:
                            "Sequence more deeply: %.0f reads per cell see only %.0f%% of the %.0f captured molecules and cell noise dominates the error; %.0f reads (70%% saturation) give median power %.2f (now %.2f).",
                        d.measurement.readsPerCell, 100 * saturation, captured, reads,
                        after?.medianPower ?? e.medianPower, e.medianPower),
                    change: change))
        }

        // Doublets per lane.
        let perLane = Double(e.cost.cellsLoaded) / Double(max(1, e.layout.batchCount))
        let doublets = d.measurement.doubletRatePerCell * perLane
        if doublets > Threshold.doubletRate && d.batching.unit == .lane {
            let target = Threshold.doubletRate * 0.75
            let lanes = Int((Double(e.cost.cellsLoaded) * d.measurement.doubletRatePerCell / target).rounded(.up))
            out.append(
                Recommendation(
                    id: "doublet-rate",
                    message: String(
                        format:
                            "Load fewer cells per lane: %.0f cells per lane give about %.1f%% multiplets (%.1e per cell loaded); %d lanes bring it to %.1f%%.",
                        perLane, 100 * doublets, d.measurement.doubletRatePerCell, lanes, 100 * target),
                    change: [FieldChange(path: "batching.batches", value: String(lanes))]))
        }
        return withEffects(out, of: e, analyzer: analyzer)
    }
}

// MARK: - Every recommendation says what it does to power and cost before it is applied

extension Recommendations {
    /// The edited design of a recommendation, through the same validation as a file; nil with
    /// the refusal when a change is refused.
    static func edited(_ design: Design, _ change: [FieldChange]) -> (Design?, String?) {
        var d = design
        for c in change {
            do { d = try d.setting(c.path, to: c.value) } catch { return (nil, "\(error)") }
        }
        return (d, nil)
    }

    /// The evaluation of `design` with `change` applied: the very edit a recommendation
    /// advertises is the one its numbers come from. nil when the edit is refused or fails.
    static func evaluation(of change: [FieldChange], on design: Design, analyzer: Analyzer) -> Evaluation? {
        guard let d = edited(design, change).0 else { return nil }
        return try? analyzer.evaluate(d)
    }

    /// The effect of applying `change` to the evaluated design, from re-analysing the edited design;
    /// with the gain of recommendation `id` in the quantity it improves (`gain(of:before:after:)`).
    static func effect(of change: [FieldChange], on e: Evaluation, analyzer: Analyzer, id: String = "")
        -> RecommendationEffect?
    {
        guard !change.isEmpty, let after = evaluation(of: change, on: e.design, analyzer: analyzer) else { return nil }
        return RecommendationEffect(
            medianPowerBefore: e.medianPower, medianPowerAfter: after.medianPower,
            costBefore: e.cost.total, costAfter: after.cost.total, currency: e.cost.currency,
            targetPower: e.design.analysis.targetPower, gain: gain(of: id, before: e, after: after))
    }

    /// One sentence stating a recommendation's effect (its gain first, when it has one), and
    /// saying so when it leaves the target.
    public static func effectSentence(_ x: RecommendationEffect) -> String {
        var s = String(
            format: "Applying it: %@median power %.2f → %.2f, cost %@ → %@.", x.gain.map { $0.text + ", " } ?? "",
            x.medianPowerBefore,
            x.medianPowerAfter, formatMoney(x.costBefore, x.currency), formatMoney(x.costAfter, x.currency))
        if x.lowersPowerBelowTarget {
            s += String(format: " This lowers the median power below the target of %.2f.", x.targetPower)
        }
        return s
    }

    /// The recommendations with their effects measured and stated in the message. A
    /// sequencing cut that would leave the target is replaced by the fewest reads that keep it.
    static func withEffects(_ recommendations: [Recommendation], of e: Evaluation, analyzer: Analyzer)
        -> [Recommendation]
    {
        let measured = recommendations.map { r in
            var r = r
            guard !r.change.isEmpty else { return r }
            if r.id == "sequencing-saturation", var x = effect(of: r.change, on: e, analyzer: analyzer),
                x.medianPowerAfter < x.targetPower, e.medianPower >= x.targetPower,
                let reads = try? analyzer.fewestReads(e.design, power: x.targetPower),
                reads < e.design.measurement.readsPerCell
            {
                let change = [FieldChange(path: "measurement.reads_per_cell", value: String(Int(reads)))]
                if let kept = effect(of: change, on: e, analyzer: analyzer) {
                    x = kept
                    r.change = change
                    r.message = String(
                        format:
                            "Sequence less deeply: %.0f reads per cell see %.0f%% of the captured molecules; %.0f reads per cell are the fewest that keep the median power at the target of %.2f.",
                        e.design.measurement.readsPerCell, 100 * e.design.sequencingSaturation, reads, x.targetPower)
                }
                r.effect = x
            } else {
                r.effect = effect(of: r.change, on: e, analyzer: analyzer, id: r.id)
            }
            if let x = r.effect { r.message += " " + effectSentence(x) }
            return r
        }
        // Those that would lower the median power below the target come last.
        return measured.filter { $0.effect?.lowersPowerBelowTarget != true }
            + measured.filter { $0.effect?.lowersPowerBelowTarget == true }
    }

    /// The designs that reach `analysis.target_power` with one knob turned (fewest cells per
    /// perturbation, fewest reads per cell) or at the lowest total cost (`Optimizer.cheapest`,
    /// coarse grid), as recommendations that apply in one step. Batches are raised with cells
    /// when the batches could not hold them. Slow (tens of analyses): run off the UI thread.
    public static func reachTarget(_ design: Design, analyzer: Analyzer, progress: ProgressReporter? = nil) throws
        -> [Recommendation]
    {
        let e = try analyzer.evaluate(design)
        let target = design.analysis.targetPower
        var out: [Recommendation] = []
        func add(_ id: String, _ text: String, _ change: [FieldChange]) {
            guard !change.isEmpty, let x = effect(of: change, on: e, analyzer: analyzer) else { return }
            out.append(Recommendation(id: id, message: text + " " + effectSentence(x), change: change, effect: x))
        }
        if progress?.isCancelled == true { throw CancelledError() }
        if let n = try analyzer.fewestCells(design, power: target), n != design.sampling.cellsPerPerturbation {
            var change = [FieldChange(path: "sampling.cells_per_perturbation", value: String(n))]
            var d = design
            d.sampling.cellsPerPerturbation = n
            if d.cellsLoaded > d.batchCapacity {
                let lanes = Int((Double(d.cellsLoaded) / Double(max(1, d.batching.maxCellsPerBatch))).rounded(.up))
                change.insert(FieldChange(path: "batching.batches", value: String(lanes)), at: 0)
            }
            let more = n > design.sampling.cellsPerPerturbation
            add(
                "reach-target-fewest-cells",
                String(
                    format: "%@: %d cells per perturbation are the fewest that give median power %.2f%@.",
                    more ? "Reach the target power with more cells" : "Save cells and keep the target power",
                    n, target, change.count > 1 ? " (with the batches to hold them)" : ""), change)
        }
        if progress?.isCancelled == true { throw CancelledError() }
        if let r = try analyzer.fewestReads(design, power: target), r != design.measurement.readsPerCell {
            add(
                "reach-target-fewest-reads",
                String(
                    format: "%@: %.0f reads per cell are the fewest that give median power %.2f.",
                    r > design.measurement.readsPerCell
                        ? "Reach the target power by sequencing deeper" : "Sequence less and keep the target power",
                    r, target), [FieldChange(path: "measurement.reads_per_cell", value: String(Int(r)))])
        }
        if progress?.isCancelled == true { throw CancelledError() }
        if let best = try Optimizer.cheapest(
            design, power: target, analyzer: analyzer, coarse: true, progress: progress)
        {
            let summary = best.change.map { "\($0.path) = \($0.value)" }.joined(separator: ", ")
            add(
                "reach-target-lowest-cost",
                String(
                    format:
                        "The cheapest design that gives median power %.2f (cells, reads, batches and controls together): %@.",
                    target, summary), best.change)
        }
        return out
    }
}
