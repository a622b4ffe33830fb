// Generated from docs/design-file.md by FieldCatalogTests (FIELD_CATALOG_RECORD=1 swift test
// --filter FieldCatalogTests). Do not edit by hand: edit the docs and regenerate.

extension FieldCatalog {
    static let table: [FieldInfo] = [
        FieldInfo(
            path: "name", type: "text", unit: "–",
            defaultValue: "`untitled screen`", valid: "any",
            source: "screenplan choice"),
        FieldInfo(
            path: "description", type: "text", unit: "–",
            defaultValue: "empty", valid: "any",
            source: "screenplan choice"),
        FieldInfo(
            path: "system", type: "section", unit: "",
            defaultValue: "", valid: "",
            source: ""),
        FieldInfo(
            path: "perturbations", type: "section", unit: "",
            defaultValue: "", valid: "",
            source: ""),
        FieldInfo(
            path: "protocol", type: "list of steps", unit: "",
            defaultValue: "two steps, see below", valid: "≥ 1 step",
            source: ""),
        FieldInfo(
            path: "sampling", type: "section", unit: "",
            defaultValue: "", valid: "",
            source: ""),
        FieldInfo(
            path: "measurement", type: "section", unit: "",
            defaultValue: "", valid: "",
            source: ""),
        FieldInfo(
            path: "batching", type: "section", unit: "",
            defaultValue: "", valid: "",
            source: ""),
        FieldInfo(
            path: "cost", type: "section", unit: "",
            defaultValue: "", valid: "",
            source: ""),
        FieldInfo(
            path: "analysis", type: "section", unit: "",
            defaultValue: "", valid: "",
            source: ""),
        FieldInfo(
            path: "system.regime", type: "`in-vitro` | `in-vivo`", unit: "–",
            defaultValue: "`in-vitro`", valid: "",
            source: "most published Perturb-seq screens are in vitro (Replogle 2022, Norman 2019, Adamson 2016)"),
        FieldInfo(
            path: "system.dynamics", type: "`non-differentiating` | `differentiating`", unit: "–",
            defaultValue: "`non-differentiating`", valid: "",
            source: "as above (cell lines at steady state)"),
        FieldInfo(
            path: "system.genes", type: "whole number", unit: "genes (G)",
            defaultValue: "2000", valid: "≥ 2",
            source:
                "Replogle 2022 K562 essential screen (~2,000 genes); also keeps the default design fast. Ignored when `network.file` is given: the genes come from the file"
        ),
        FieldInfo(
            path: "system.intrinsic_noise", type: "number", unit: "dimensionless (Langevin scale s)",
            defaultValue: "0.05", valid: "[0, 10] (0 = deterministic ODE)",
            source: "screenplan choice: a few percent cell-to-cell noise on top of the measurement noise"),
        FieldInfo(
            path: "system.time_step_h", type: "number", unit: "hours",
            defaultValue: "0.5", valid: "[0.001, 24]; protocol duration / time step ≤ 100,000 steps",
            source:
                "screenplan choice: a tenth of the default mRNA lifetime (1/0.2 h = 5 h) keeps Euler–Maruyama stable"),
        FieldInfo(
            path: "system.network", type: "section", unit: "",
            defaultValue: "", valid: "",
            source: "see below"),
        FieldInfo(
            path: "system.media", type: "list of media", unit: "",
            defaultValue: "one medium `growth`", valid: "≥ 1 medium; names unique",
            source: "screenplan choice"),
        FieldInfo(
            path: "system.differentiation", type: "section", unit: "",
            defaultValue: "", valid: "",
            source: "used when `dynamics: differentiating`"),
        FieldInfo(
            path: "system.in_vivo", type: "section", unit: "",
            defaultValue: "", valid: "",
            source: "used when `regime: in-vivo`"),
        FieldInfo(
            path: "system.assumptions", type: "section", unit: "",
            defaultValue: "", valid: "",
            source: "switches that break published methods' assumptions"),
        FieldInfo(
            path: "system.cell_types", type: "section", unit: "",
            defaultValue: "", valid: "",
            source: "cell types and their fractions (docs/cell-types.md); in vitro and in vivo"),
        FieldInfo(
            path: "system.network.file", type: "path or null", unit: "–",
            defaultValue: "null (generate)",
            valid: "an existing, non-empty edge list (format below); relative to the design file's folder",
            source: ""),
        FieldInfo(
            path: "system.network.genes_file", type: "path or null", unit: "–",
            defaultValue: "null", valid: "only together with `file`",
            source: ""),
        FieldInfo(
            path: "system.network.seed", type: "whole number", unit: "–",
            defaultValue: "1", valid: "0 … 2⁶⁴−1",
            source: "screenplan choice (any fixed seed makes runs reproducible)"),
        FieldInfo(
            path: "system.network.regulators", type: "whole number", unit: "genes (G_r)",
            defaultValue: "200", valid: "≥ 1, and ≤ `system.genes`",
            source:
                "screenplan choice: about 10% of genes are regulators (transcription factors are ~1,600 of ~20,000 human genes)"
        ),
        FieldInfo(
            path: "system.network.mean_in_degree", type: "number", unit: "regulators per gene",
            defaultValue: "3", valid: "(0, 100]",
            source: "screenplan choice: sparse networks, a few regulators per gene"),
        FieldInfo(
            path: "system.network.activation_fraction", type: "number", unit: "fraction",
            defaultValue: "0.6", valid: "[0, 1]",
            source: "screenplan choice: slightly more activating than repressing edges"),
        FieldInfo(
            path: "system.network.weight_mean", type: "number", unit: "production units per hour",
            defaultValue: "1.0", valid: "(0, 1000]",
            source: "screenplan choice: same scale as `basal`"),
        FieldInfo(
            path: "system.network.hill_n", type: "number", unit: "–",
            defaultValue: "2", valid: "[0.5, 10]",
            source:
                "screenplan choice: cooperative binding of a dimer; also the default for edges whose file leaves `hill_n` empty"
        ),
        FieldInfo(
            path: "system.network.half_response", type: "number",
            unit: "multiple of the regulator's basal steady state",
            defaultValue: "1.0", valid: "[0.001, 1000]",
            source: "screenplan choice: regulators act around their normal level; also the file default"),
        FieldInfo(
            path: "system.network.basal", type: "number", unit: "concentration units per hour",
            defaultValue: "1.0", valid: "[0.0001, 10000]",
            source: "screenplan choice (sets the scale); default basal of genes a genes table does not give"),
        FieldInfo(
            path: "system.network.decay_per_h", type: "number", unit: "per hour",
            defaultValue: "0.2", valid: "[0.001, 100]",
            source: "screenplan choice: ≈ 3.5 h half-life, typical of mRNA"),
        FieldInfo(
            path: "system.network.basal_log_sd", type: "number", unit: "sd of log basal",
            defaultValue: "1.0", valid: "[0, 3]",
            source: "screenplan choice: expression spans decades between genes"),
        FieldInfo(
            path: "system.media[].name", type: "text", unit: "–",
            defaultValue: "`growth`", valid: "unique within `media`",
            source: "screenplan choice"),
        FieldInfo(
            path: "system.media[].inputs", type: "mapping gene → number", unit: "production units per hour",
            defaultValue: "`{}`", valid: "each in [−10000, 10000]; every gene must be in the network",
            source: "screenplan choice"),
        FieldInfo(
            path: "system.media[].random_inputs", type: "whole number", unit: "genes",
            defaultValue: "0", valid: "[0, 1000000]",
            source: "screenplan choice: no hidden inputs unless asked"),
        FieldInfo(
            path: "system.media[].input_strength", type: "number", unit: "production units per hour",
            defaultValue: "1.0", valid: "[0, 1000]",
            source: "screenplan choice: same scale as `basal`"),
        FieldInfo(
            path: "system.differentiation.lineages", type: "whole number", unit: "lineages",
            defaultValue: "3",
            valid:
                "[2, 12]; with a generated network, 2 × lineages ≤ `network.regulators`; no effect with a network file (validate warns)",
            source: "screenplan choice: e.g. erythroid / myeloid / lymphoid"),
        FieldInfo(
            path: "system.differentiation.lineage_strength", type: "number", unit: "production units per hour",
            defaultValue: "4.0", valid: "(0, 1000]; no effect with a network file (validate warns)",
            source: "screenplan choice: strong enough for bistable fate choice"),
        FieldInfo(
            path: "system.differentiation.trigger_medium", type: "text", unit: "–",
            defaultValue: "`differentiation`",
            valid: "with `dynamics: differentiating`, must name a medium in `system.media` that a protocol step uses",
            source: "screenplan choice"),
        FieldInfo(
            path: "system.in_vivo.niche_sd", type: "number", unit: "production units per hour",
            defaultValue: "0.2", valid: "[0, 10]",
            source: "screenplan choice: twice the per-gene batch effect sd of 0.1"),
        FieldInfo(
            path: "system.in_vivo.delivery_delay_h", type: "number", unit: "hours",
            defaultValue: "48", valid: "[0, 100000]",
            source:
                "screenplan choice: two days from delivery to an acting guide (lentivirus); AAV is slower (the liver sample uses 168 h); the delay counts from the protocol step that switches guides on"
        ),
        FieldInfo(
            path: "system.in_vivo.delivery_sd", type: "number", unit: "fraction",
            defaultValue: "0.1", valid: "[0, 0.5]",
            source: "screenplan choice"),
        FieldInfo(
            path: "system.in_vivo.influx_per_h", type: "number", unit: "fraction per hour",
            defaultValue: "0.01", valid: "[0, 1]",
            source: "screenplan choice: haematopoietic-like turnover; use ~1e-4 for slow tissues such as liver"),
        FieldInfo(
            path: "system.assumptions.controls_respond_to_medium", type: "boolean", unit: "–",
            defaultValue: "true", valid: "",
            source: "biology: media act on all cells"),
        FieldInfo(
            path: "system.assumptions.bistable_perturbation", type: "boolean", unit: "–",
            defaultValue: "false", valid: "",
            source: "off: published methods' assumption holds"),
        FieldInfo(
            path: "system.assumptions.sample_before_steady_state", type: "boolean", unit: "–",
            defaultValue: "false", valid: "",
            source: "off"),
        FieldInfo(
            path: "system.assumptions.delayed_perturbation", type: "boolean", unit: "–",
            defaultValue: "false", valid: "",
            source: "off"),
        FieldInfo(
            path: "system.assumptions.perturbation_ramp_h", type: "number", unit: "hours",
            defaultValue: "24", valid: "[0, 100000]",
            source: "screenplan choice: about a day for CRISPRi knockdown to establish"),
        FieldInfo(
            path: "system.cell_types.concentration", type: "number", unit: "Dirichlet concentration c",
            defaultValue: "100", valid: "> 0",
            source:
                "screenplan choice: a type at fraction f varies between animals with sd √(f(1 − f)/(c + 1)), 0.05 for f = 0.5; lower it for tissues that vary more (the liver sample uses 50)"
        ),
        FieldInfo(
            path: "system.cell_types.types", type: "list of cell types", unit: "",
            defaultValue: "`[]` (one population)", valid: "fractions sum to 1 (within 0.01); names unique",
            source: "the tissue's composition (the liver sample's is illustrative, docs/cell-types.md)"),
        FieldInfo(
            path: "system.cell_types.types[].name", type: "text", unit: "–",
            defaultValue: "(required)", valid: "non-empty, unique, not `all`",
            source: "e.g. `hepatocyte`, `kupffer`"),
        FieldInfo(
            path: "system.cell_types.types[].fraction", type: "number", unit: "fraction of all cells",
            defaultValue: "(required)", valid: "(0, 1]",
            source: "the lab's dissociation and capture (snRNA-seq recovers other fractions than the tissue holds)"),
        FieldInfo(
            path: "system.cell_types.types[].profile", type: "path or null", unit: "–",
            defaultValue: "null (the design's expression)",
            valid:
                "a readable profile TSV as `screenplan calibrate` writes (relative to the design's folder); its `mean_umis_per_cell:NAME` and `dispersion_theta:NAME` columns (`calibrate --cell-type-column`) when it has them for this type, else its overall columns with `measurement.expression_profile` as the reference",
            source: "a pilot of the tissue"),
        FieldInfo(
            path: "perturbations.modality", type: "`crispri` | `crispra` | `knockout`", unit: "–",
            defaultValue: "`crispri`", valid: "",
            source: "Replogle 2022 (CRISPRi)"),
        FieldInfo(
            path: "perturbations.targets", type: "whole number", unit: "genes",
            defaultValue: "100",
            valid: "≥ 1 and ≤ the network's genes; used when `target_genes` is empty (regulators first)",
            source: "screenplan choice: a focused library"),
        FieldInfo(
            path: "perturbations.target_genes", type: "list of gene names", unit: "–",
            defaultValue: "`[]`", valid: "each in the network, none twice",
            source: ""),
        FieldInfo(
            path: "perturbations.guides_per_target", type: "whole number", unit: "guides",
            defaultValue: "2", valid: "[1, 20]",
            source: "dual-guide libraries (Replogle 2022)"),
        FieldInfo(
            path: "perturbations.knockdown_mean", type: "number", unit: "fraction",
            defaultValue: "0.67", valid: "[0.001, 1]",
            source: "per-guide efficiency ~ Beta(6, 3), mean 0.67"),
        FieldInfo(
            path: "perturbations.knockdown_concentration", type: "number", unit: "α + β",
            defaultValue: "9", valid: "[0.01, 10000]",
            source: "Beta(6, 3): 6 + 3"),
        FieldInfo(
            path: "perturbations.activation", type: "number", unit: "fold (κ = 1 + a)",
            defaultValue: "2.0", valid: "(0, 1000]",
            source: "screenplan choice: a threefold CRISPRa activation"),
        FieldInfo(
            path: "perturbations.ko_transcript_retention", type: "number", unit: "fraction",
            defaultValue: "0.3", valid: "[0, 1]",
            source: "screenplan choice: nonsense-mediated decay leaves some transcript"),
        FieldInfo(
            path: "perturbations.guide_effect_sd", type: "number", unit: "log2 units",
            defaultValue: "0.13", valid: "[0, 2]",
            source: "guide-to-guide spread ~ sd 0.13 around the gene's effect"),
        FieldInfo(
            path: "perturbations.moi", type: "number", unit: "guides per cell (Poisson mean)",
            defaultValue: "0.2", valid: "[0.01, 50]",
            source: "low MOI ~0.1–0.3; high MOI ~10–15 (Gasperini 2019)"),
        FieldInfo(
            path: "perturbations.combinations", type: "list of lists of gene names", unit: "–",
            defaultValue: "`[]`", valid: "each ≥ 2 genes, all in the network",
            source: "Norman 2019 style pairs"),
        FieldInfo(
            path: "protocol[].medium", type: "text", unit: "–",
            defaultValue: "`growth`", valid: "a medium of `system.media`",
            source: ""),
        FieldInfo(
            path: "protocol[].perturb", type: "boolean", unit: "–",
            defaultValue: "false", valid: "at least one step must have `true`",
            source: ""),
        FieldInfo(
            path: "protocol[].duration_h", type: "number", unit: "hours",
            defaultValue: "24", valid: "(0, 100000]",
            source: ""),
        FieldInfo(
            path: "sampling.time_points_h", type: "list of numbers", unit: "hours from protocol start",
            defaultValue: "`[]` = the protocol's end", valid: "each ≥ 0 and ≤ the protocol's total duration",
            source: ""),
        FieldInfo(
            path: "sampling.cells_per_perturbation", type: "whole number", unit: "cells (per time point, after QC)",
            defaultValue: "150", valid: "[1, 1000000]",
            source: "Replogle 2022 K562 essential: ~150 cells per perturbation (derived)"),
        FieldInfo(
            path: "sampling.control_cells", type: "whole number or null",
            unit: "cells per batch with controls, per time point",
            defaultValue: "null", valid: "[0, 100000000]; not together with `controls_fraction`",
            source: "null: Dunnett's rule, √K × `cells_per_perturbation` in total per time point"),
        FieldInfo(
            path: "sampling.controls_fraction", type: "number or null", unit: "fraction of all cells",
            defaultValue: "null", valid: "[0, 1): a fraction ≥ 1 leaves no cells for perturbations",
            source: "large screens use 2–2.5% of guides as controls"),
        FieldInfo(
            path: "sampling.qc_pass_fraction", type: "number", unit: "fraction",
            defaultValue: "0.8", valid: "[0.01, 1]",
            source: "screenplan choice: typical cell-line QC; tissue and nuclei lose more (samples use 0.7–0.75)"),
        FieldInfo(
            path: "measurement.measured_genes", type: "whole number", unit: "genes",
            defaultValue: "2000", valid: "≥ 1 and ≥ the modelled genes",
            source:
                "screenplan choice (matches `system.genes`); genome-wide ~20,000, expressed 10,000–13,000, TAP-seq ~300"
        ),
        FieldInfo(
            path: "measurement.mrna_per_cell", type: "number", unit: "mRNA molecules per cell (median, before capture)",
            defaultValue: "100000", valid: "[1, 100000000]",
            source:
                "~10⁴ UMIs per cell in K562 Perturb-seq at capture efficiency ~0.1 means ~10⁵ molecules; observed UMIs = `mrna_per_cell` × `capture_efficiency` × saturation (below)"
        ),
        FieldInfo(
            path: "measurement.library_size_sd", type: "number", unit: "sd of log library size",
            defaultValue: "0.4", valid: "[0, 3]",
            source: "library size spread 0.2–0.7 on the log scale"),
        FieldInfo(
            path: "measurement.batch_library_sd", type: "number", unit: "sd on the log scale",
            defaultValue: "0.1", valid: "[0, 3]",
            source: "screenplan choice: same size as the per-gene batch effect"),
        FieldInfo(
            path: "measurement.capture_efficiency", type: "number", unit: "fraction",
            defaultValue: "0.1",
            valid:
                "(0, 1]; `mrna_per_cell` × `capture_efficiency` ≥ 1 molecule, and ≥ 1 expected UMI per cell at `reads_per_cell`",
            source: "capture efficiency ~0.1"),
        FieldInfo(
            path: "measurement.dispersion", type: "number", unit: "NB size θ",
            defaultValue: "1.5", valid: "[0.000001, 1000]",
            source: "NB size ~1.5 per gene, a common simulation choice"),
        FieldInfo(
            path: "measurement.dropout", type: "`none` | `zero-inflation`", unit: "–",
            defaultValue: "`none`", valid: "",
            source: "UMI counts need no extra zero-inflation beyond the NB"),
        FieldInfo(
            path: "measurement.dropout_rate", type: "number", unit: "probability",
            defaultValue: "0.0", valid: "[0, 1]",
            source: "off by default (as above)"),
        FieldInfo(
            path: "measurement.dropout_midpoint", type: "number", unit: "mean UMIs",
            defaultValue: "1.0", valid: "[0.000001, 1000000]",
            source: "screenplan choice: dropout matters for genes below ~1 UMI"),
        FieldInfo(
            path: "measurement.guide_capture", type: "number", unit: "probability",
            defaultValue: "0.9", valid: "[0.001, 1]",
            source: "screenplan choice: direct guide capture detects most guides"),
        FieldInfo(
            path: "measurement.doublet_rate_per_cell", type: "number", unit: "per cell loaded",
            defaultValue: "7.7e-6", valid: "[0, 0.001]",
            source: "10x: ~0.8% multiplets per 1,000 cells recovered"),
        FieldInfo(
            path: "measurement.reads_per_cell", type: "number", unit: "reads",
            defaultValue: "20000", valid: "[1, 100000000]",
            source: "tens of thousands of reads for gene-level tests"),
        FieldInfo(
            path: "measurement.mapping_efficiency", type: "number", unit: "fraction",
            defaultValue: "0.7", valid: "[0.001, 1]",
            source: "mapping efficiency 0.65–0.8"),
        FieldInfo(
            path: "measurement.expression_profile", type: "file path or null", unit: "–",
            defaultValue: "null",
            valid:
                "a profile TSV (gene, mean_umis_per_cell, dispersion_theta …), relative to the design's folder; every gene once, means ≥ 0, θ > 0",
            source:
                "`screenplan calibrate` from a pilot (docs/calibrate.md): real measured genes with their own mean UMIs and NB θ; without a network file the profile's genes are the network (no edges) and `target_genes` name them"
        ),
        FieldInfo(
            path: "batching.unit", type: "`lane` | `day` | `plate` | `animal` | `donor`", unit: "–",
            defaultValue: "`lane`", valid: "in vivo: `animal` (or a nested animal level)",
            source: "10x Chromium lanes"),
        FieldInfo(
            path: "batching.batches", type: "whole number", unit: "batches (innermost units)",
            defaultValue: "8", valid: "[1, 10000]; the batches must hold the cells (below)",
            source: "one 10x kit = 8 lanes; the upper bound is a screenplan sanity bound"),
        FieldInfo(
            path: "batching.max_cells_per_batch", type: "whole number", unit: "cells loaded",
            defaultValue: "20000", valid: "[1, 10000000]",
            source: "screenplan choice: a superloaded 10x lane; the bound leaves room for combinatorial-indexing plates"
        ),
        FieldInfo(
            path: "batching.layout",
            type:
                "`pooled` | `sub-libraries` | `confounded` | `balanced-incomplete` | `per-animal` | `per-time-point` | `explicit`",
            unit: "–",
            defaultValue: "`pooled`", valid: "",
            source: "every perturbation in every batch, as in Replogle 2022"),
        FieldInfo(
            path: "batching.replicates", type: "whole number", unit: "batches per perturbation",
            defaultValue: "2", valid: "[1, 10000]; ≤ `batches` for `sub-libraries` and `balanced-incomplete`",
            source: "screenplan choice: the smallest number that separates batch from perturbation"),
        FieldInfo(
            path: "batching.controls_in_fraction", type: "number", unit: "fraction of batches",
            defaultValue: "1.0", valid: "[0, 1]; at least one batch must hold controls",
            source: "model reference claim 6: controls in every batch"),
        FieldInfo(
            path: "batching.batch_effect_sd", type: "number", unit: "log scale",
            defaultValue: "0.1", valid: "[0, 3]",
            source: "batch effects log-normal with sd ~0.1"),
        FieldInfo(
            path: "batching.interaction_sd", type: "number", unit: "log scale",
            defaultValue: "0.03", valid: "[0, 3]",
            source: "screenplan choice: a third of the batch effect"),
        FieldInfo(
            path: "batching.nested", type: "list of levels", unit: "",
            defaultValue: "`[]`", valid: "see below",
            source: ""),
        FieldInfo(
            path: "batching.explicit_cells", type: "list of rows of whole numbers", unit: "cells",
            defaultValue: "`[]`",
            valid:
                "only with `layout: explicit`; one row per perturbation, one entry in [0, 10000000] per batch; each batch’s column sum ≤ `max_cells_per_batch`; the perturbed cells (and so the cells loaded and the cost) are the matrix’s sum",
            source: ""),
        FieldInfo(
            path: "batching.delivery_unit", type: "as `unit`, or null", unit: "–",
            defaultValue: "null (the innermost unit)",
            valid:
                "`unit` or the unit of a `nested` level; with sub-libraries or balanced-incomplete, `replicates` ≤ that level's units per time point; an explicit layout must not split one",
            source: "the level that receives one pool of guides (each animal is transduced or transplanted once)"),
        FieldInfo(
            path: "batching.nested[].unit", type: "as `batching.unit`", unit: "–",
            defaultValue: "`animal`", valid: "",
            source: ""),
        FieldInfo(
            path: "batching.nested[].count", type: "whole number", unit: "–",
            defaultValue: "2", valid: "[1, 10000], divides `batching.batches`",
            source: ""),
        FieldInfo(
            path: "batching.nested[].effect_sd", type: "number", unit: "log scale",
            defaultValue: "0.2", valid: "[0, 3]",
            source: "screenplan choice: outer levels (animals, donors) vary more than lanes"),
        FieldInfo(
            path: "cost.currency", type: "text", unit: "–",
            defaultValue: "`USD`", valid: "",
            source: ""),
        FieldInfo(
            path: "cost.per_batch", type: "number", unit: "currency per batch",
            defaultValue: "700", valid: "[0, 1000000000]",
            source: "a 10x kit ~5,600 USD for 8 lanes"),
        FieldInfo(
            path: "cost.per_cell", type: "number", unit: "currency per captured cell",
            defaultValue: "0.09", valid: "[0, 1000000]",
            source: "~0.09 USD per captured cell"),
        FieldInfo(
            path: "cost.per_million_reads", type: "number", unit: "currency",
            defaultValue: "3.41", valid: "[0, 1000000]",
            source: "a flow cell ~14,000 USD for ~4.1 × 10⁹ reads"),
        FieldInfo(
            path: "cost.reads_per_flow_cell", type: "number", unit: "reads",
            defaultValue: "4.1e9", valid: "[1000, 1e13]",
            source: "as above"),
        FieldInfo(
            path: "cost.flow_cell", type: "number", unit: "currency",
            defaultValue: "14000", valid: "[0, 1000000000]",
            source: "as above"),
        FieldInfo(
            path: "cost.lanes_per_kit", type: "whole number", unit: "lanes",
            defaultValue: "8", valid: "[1, 1000]",
            source: "10x kit"),
        FieldInfo(
            path: "cost.per_animal", type: "number", unit: "currency per animal",
            defaultValue: "0",
            valid: "[0, 1000000000]; needs animals (`unit: animal` or a nested animal level), else validate warns",
            source:
                "screenplan choice: 0, so `per_batch` alone prices a design unless the lab adds its animal cost (recipient, conditioning, housing)"
        ),
        FieldInfo(
            path: "analysis.test", type: "`glm` | `wilcoxon` | `t-test` | `pseudobulk`", unit: "–",
            defaultValue: "`glm`", valid: "",
            source: "the test the lab will run (docs/batching.md): `glm` is the model under SCEPTRE and glmGamPoi"),
        FieldInfo(
            path: "analysis.effect", type: "`network` | `fixed`", unit: "–",
            defaultValue: "`network`", valid: "",
            source: "screenplan choice: effects follow from the network's linear response"),
        FieldInfo(
            path: "analysis.effect_size_log2", type: "number", unit: "log2 fold change",
            defaultValue: "-1.0", valid: "[-20, 20]",
            source: "screenplan choice: a halving, about what CRISPRi does to its target"),
        FieldInfo(
            path: "analysis.alpha", type: "number", unit: "FDR or FWER level",
            defaultValue: "0.05", valid: "[1e-12, 1]",
            source: "convention"),
        FieldInfo(
            path: "analysis.multiple_testing", type: "`bh` | `bonferroni` | `none`", unit: "–",
            defaultValue: "`bh`", valid: "",
            source: "convention in Perturb-seq analysis"),
        FieldInfo(
            path: "analysis.target_power", type: "number", unit: "probability",
            defaultValue: "0.8", valid: "(0, 1]",
            source: "convention"),
        FieldInfo(
            path: "analysis.expression_threshold", type: "number", unit: "mean UMIs per cell",
            defaultValue: "0.1", valid: "[0, 1000000]",
            source: "screenplan choice: genes below it are not testable"),
        FieldInfo(
            path: "analysis.lambda_control", type: "number", unit: "weight",
            defaultValue: "1.0", valid: "[0, 1000000]",
            source: "screenplan choice: equal weights for the steady-state loss terms"),
        FieldInfo(
            path: "analysis.lambda_perturbed", type: "number", unit: "weight",
            defaultValue: "1.0", valid: "[0, 1000000]",
            source: "as above"),
        FieldInfo(
            path: "analysis.cell_type", type: "text or null", unit: "–",
            defaultValue: "null (all cells pooled)", valid: "a name in `system.cell_types.types`",
            source:
                "screenplan choice: the headline figures (summary, perturbation table, solvers, optimizer) are for all cells unless a type is named; the per-type table is always shown"
        ),
    ]
}
