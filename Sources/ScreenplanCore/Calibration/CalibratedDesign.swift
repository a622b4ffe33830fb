import Foundation

// MARK: - The design a calibration implies, and its summary table
//
// The YAML is written by hand so that every estimated value carries its estimate and
// uncertainty as a comment, and every value that is *not* estimable from counts says where it
// comes from. Simulating it as it is reproduces the pilot: its measured genes (the profile), its
// depth (median UMIs per cell and spread), its library (measured targets, gRNAs per target) and
// its composition (cells per target, control cells per batch, batches).

extension Calibration {
    /// Zero-inflation is suggested when more than 10% of the genes have zeros beyond the NB's.
    public var zeroInflationSuggested: Bool { Double(zeroExcessGenes) > 0.1 * Double(genes) }

    /// `value # estimate v ± se (note)` comment text.
    static func comment(_ e: Estimate, unit: String = "", digits: Int = 3) -> String {
        guard let v = e.value else { return "not estimable: \(e.note ?? "no data")" }
        var s = "estimate \(sig(v, digits))\(unit)"
        if let se = e.se { s += " ± \(sig(se, 2))\(unit) (SE)" }
        if let note = e.note { s += "; \(note)" }
        return s
    }

    static func sig(_ x: Double, _ digits: Int) -> String {
        if x == 0 { return "0" }
        let s = String(format: "%.\(digits)g", x)
        guard s.contains("e") else { return s }
        // Large values as whole numbers (rounded to the significant digits), tiny ones in e-form.
        if abs(x) >= 1 {
            let scale = Foundation.pow(10, Foundation.floor(Foundation.log10(abs(x))) - Double(digits - 1))
            return String(format: "%.0f", (x / scale).rounded() * scale)
        }
        return s
    }

    /// The design YAML using the profile at `profilePath` (as written into the design, relative
    /// to the design's folder).
    public func designYAML(profilePath: String, options: CalibrationOptions, name: String) -> String {
        var y = ""
        func line(_ text: String, _ note: String? = nil) {
            if let note {
                y += text.padding(toLength: max(text.count, 36), withPad: " ", startingAt: 0) + " # " + note + "\n"
            } else {
                y += text + "\n"
            }
        }
        let measuredTargets = targets.filter(\.measured).map(\.target)
        let batchCount = max(1, batches.count)
        let medianTheta = geneEstimates.map(\.theta).sorted()[geneEstimates.count / 2]
        y += "# Calibrated by `screenplan calibrate` (\(ScreenplanVersion.string)) from \(source):\n"
        y += "# \(cells) cells × \(genes) genes"
        if !guides.isEmpty {
            y +=
                "; \(guides.count) gRNAs, \(targets.count) targets (\(measuredTargets.count) measured), \(controlCells) non-targeting cells"
        }
        y += ".\n# Simulating this design as it is reproduces the pilot (genes, depth, guides, composition);\n"
        y += "# edit cells, batches and depth to plan. Estimates are ± one standard error (docs/calibrate.md).\n"
        if !notEstimableTargets.isEmpty {
            y += "# Targets not among the measured genes (knockdown not estimable; their cells count for capture,\n"
            y += "# MOI and spread but are not simulated): \(notEstimableTargets.joined(separator: ", ")).\n"
        }
        line("name: \(yamlQuote(name))")
        line(
            "description: \(yamlQuote("Calibrated from \((source as NSString).lastPathComponent): real genes, depth and library of the pilot"))"
        )
        y += "\n"
        line("system:")
        line("  regime: in-vitro")
        line("  dynamics: non-differentiating")
        line("  genes: \(genes)", "the profile's genes; without a network file each target moves only itself")
        line("  media:")
        line("    - name: growth")
        line("  intrinsic_noise: 0", "the profile's dispersions hold all cell-to-cell variation")
        y += "\n"
        line("perturbations:")
        line("  modality: \(modality.rawValue)")
        if measuredTargets.isEmpty {
            line("  targets: 1", "no guides given: one placeholder target, the first gene")
        } else {
            line("  target_genes: [\(measuredTargets.map(yamlQuote).joined(separator: ", "))]", "the measured targets")
        }
        let gpt = guidesPerTargetMedian.value.map { max(1, Int($0.rounded())) } ?? 2
        line(
            "  guides_per_target: \(gpt)",
            guidesPerTargetMedian.value != nil
                ? "median gRNAs per target of the pilot" : "no guides given: screenplan default")
        for key in [
            "ko_transcript_retention", "knockdown_mean", "knockdown_concentration", "activation", "guide_effect_sd",
        ] {
            guard let e = knockdown[key], let v = e.value else { continue }
            line("  \(key): \(Calibration.sig(v, 3))", Calibration.comment(e))
        }
        if let v = moi.value {
            line(
                "  moi: \(Calibration.sig(min(50, max(0.01, v)), 3))", Calibration.comment(moi, unit: " gRNAs per cell")
            )
        }
        y += "\n"
        line("protocol:", "screenplan default: a day of growth, four days for the perturbation to act")
        line("  - {medium: growth, perturb: false, duration_h: 24}")
        line("  - {medium: growth, perturb: true, duration_h: 96}")
        y += "\n"
        line("sampling:")
        let cpp = cellsPerTargetMedian.value.map { max(1, Int($0.rounded())) }
        var controlsPerBatch = max(1, Int((Double(controlCells) / Double(batchCount)).rounded()))
        if let cpp {
            line("  cells_per_perturbation: \(cpp)", "median cells per measured target of the pilot")
            line(
                "  control_cells: \(controlsPerBatch)",
                "the pilot's \(controlCells) non-targeting cells over \(batchCount) batch\(batchCount == 1 ? "" : "es")"
            )
        } else {
            controlsPerBatch = max(1, (cells - max(1, cells / 10)) / batchCount)
            line("  cells_per_perturbation: \(max(1, cells / 10))", "no guides given: a tenth of the pilot's cells")
            line("  control_cells: \(controlsPerBatch)", "no guides given: the other cells of the pilot, per batch")
        }
        line("  qc_pass_fraction: 0.8", "not estimable from post-QC cells: screenplan default")
        y += "\n"
        line("measurement:")
        line("  measured_genes: \(genes)")
        line(
            "  expression_profile: \(yamlQuote(profilePath))",
            "per-gene mean UMIs per cell and NB θ at the pilot's depth")
        let mrna = mrnaPerCell(options)
        let med = library.first?.medianUmis ?? Estimate(nil)
        line(
            "  mrna_per_cell: \(Calibration.sig(mrna, 4))",
            "gives \(Calibration.sig(designUmisPerCell, 4)) UMIs per cell over the measured genes (pilot median \(Calibration.comment(med, unit: " UMIs")))"
        )
        let logSD = library.first?.logSd ?? Estimate(nil)
        line(
            "  library_size_sd: \(Calibration.sig(designLibrarySizeSd, 3))",
            "latent log sd (observed \(Calibration.comment(logSD)) minus NB counting noise, within batches)")
        line(
            "  batch_library_sd: \(Calibration.sig(batchLibrarySd.value ?? 0, 3))", Calibration.comment(batchLibrarySd))
        line(
            "  capture_efficiency: \(Calibration.sig(options.captureEfficiency, 3))",
            "not identifiable from counts (only UMIs per cell are): screenplan default")
        line(
            "  dispersion: \(Calibration.sig(medianTheta, 3))",
            "median θ of the profile; each profiled gene uses its own")
        let zeroNote =
            zeroInflationSuggested
            ? "zeros exceed the NB in \(zeroExcessGenes) of \(genes) genes (median excess \(Calibration.sig(medianZeroExcess, 2))): consider zero-inflation"
            : "zeros exceed the NB in \(zeroExcessGenes) of \(genes) genes (median excess \(Calibration.sig(medianZeroExcess, 2))), below the 10% that calls for zero-inflation"
        line("  dropout: none", zeroNote)
        if let v = guideCapture.value {
            line("  guide_capture: \(Calibration.sig(min(1, max(0.01, v)), 3))", Calibration.comment(guideCapture))
        }
        line("  doublet_rate_per_cell: 0", "the pilot's cells are after doublet removal; set your lanes' rate to plan")
        line(
            "  reads_per_cell: \(Calibration.sig(options.readsPerCell, 4))",
            "the pilot's reads per cell (--reads-per-cell)")
        line("  mapping_efficiency: \(Calibration.sig(options.mappingEfficiency, 3))", "screenplan default")
        y += "\n"
        line("batching:")
        line("  unit: lane")
        line(
            "  batches: \(batchCount)",
            batchCount > 1 ? "the pilot's batches: \(batches.joined(separator: ", "))" : "one batch")
        let perturbed = (cpp ?? max(1, cells / 10)) * max(1, measuredTargets.count)
        let loaded = Double(perturbed + controlsPerBatch * batchCount) / 0.8
        line(
            "  max_cells_per_batch: \(Int((loaded / Double(batchCount) * 1.05).rounded(.up)) + 1)",
            "room for the pilot's cells")
        line("  layout: pooled")
        line("  controls_in_fraction: 1.0")
        line("  batch_effect_sd: \(Calibration.sig(batchEffectSd.value ?? 0, 3))", Calibration.comment(batchEffectSd))
        y += "\n"
        line("analysis:")
        line("  effect: network")
        return y
    }

    /// The summary table printed by the command.
    public func summaryText() -> String {
        var rows: [[String]] = []
        func add(_ name: String, _ e: Estimate, _ unit: String, _ field: String) {
            rows.append([
                name, e.value.map { Calibration.sig($0, 4) } ?? "n/a",
                e.se.map { "± " + Calibration.sig($0, 2) } ?? (e.value == nil ? (e.note ?? "") : ""), unit, field,
            ])
        }
        for l in library {
            add("median library, \(l.batch)", l.medianUmis, "UMIs/cell", l.batch == "all cells" ? "mrna_per_cell" : "")
            add("log library sd, \(l.batch)", l.logSd, "log units", "")
        }
        rows.append([
            "latent log library sd", Calibration.sig(designLibrarySizeSd, 3), "", "log units", "library_size_sd",
        ])
        add("batch library sd", batchLibrarySd, "log units", "batch_library_sd")
        add("gene-wise batch effect sd", batchEffectSd, "log units", "batch_effect_sd")
        add("dispersion trend a0", trendA0, "1/θ", "profile")
        add("dispersion trend a1", trendA1, "UMIs/θ", "profile")
        let thetas = geneEstimates.map(\.theta).sorted()
        rows.append(["median θ (shrunk)", Calibration.sig(thetas[thetas.count / 2], 3), "", "NB size", "dispersion"])
        rows.append(["genes with zero excess", "\(zeroExcessGenes)", "of \(genes)", "genes", "dropout"])
        if !guides.isEmpty {
            add("guide capture", guideCapture, "fraction", "guide_capture")
            add("MOI", moi, "gRNAs/cell", "moi")
            add("cells per targeting gRNA", cellsPerGuideMedian, "cells", "")
            add("gRNA spread 90/10", guideSpread9010, "ratio", "")
            add("cells per measured target", cellsPerTargetMedian, "cells", "cells_per_perturbation")
            rows.append(["non-targeting cells", "\(controlCells)", "", "cells", "control_cells"])
            rows.append(["unassigned / multiple", "\(unassignedCells) / \(multipleCells)", "", "cells", ""])
            for (k, e) in knockdown.sorted(by: { $0.key < $1.key }) {
                add(k, e, k == "guide_effect_sd" ? "log2 units" : "fraction", k)
            }
        }
        var out = "Calibration of \(source): \(cells) cells × \(genes) genes (\(onePass ? "one pass" : "two passes"))\n"
        out += textTable(["estimate", "value", "uncertainty", "unit", "design field"], rows)
        if !targets.isEmpty {
            out += "\nOn-target log2 fold change against non-targeting cells:\n"
            out += textTable(
                ["target", "gRNAs", "cells", "log2 FC", "SE"],
                targets.map { t in
                    [
                        t.target, "\(t.guides)", "\(t.cells)",
                        t.log2Fc.value.map { String(format: "%.3f", $0) } ?? "n/a",
                        t.log2Fc.se.map { String(format: "%.3f", $0) } ?? (t.measured ? "n/a" : "not measured"),
                    ]
                })
            if !notEstimableTargets.isEmpty {
                out += "Not estimable (target not measured): \(notEstimableTargets.joined(separator: ", "))\n"
            }
        }
        return out
    }
}

/// A left-aligned text table.
func textTable(_ header: [String], _ rows: [[String]]) -> String {
    var widths = header.map(\.count)
    for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
    func fmt(_ r: [String]) -> String {
        r.enumerated().map { i, c in c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }.joined(
            separator: "  "
        )
        .replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) + "\n"
    }
    return fmt(header) + fmt(widths.map { String(repeating: "-", count: $0) }) + rows.map(fmt).joined()
}

/// A YAML scalar quoted when it needs to be.
func yamlQuote(_ s: String) -> String {
    let plain =
        s.range(of: "^[A-Za-z_][A-Za-z0-9_./ -]*$", options: .regularExpression) != nil
        && !["true", "false", "null", "yes", "no", "on", "off"].contains(s.lowercased()) && !s.hasSuffix(" ")
    if plain { return s }
    return "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
}
