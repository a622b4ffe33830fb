// MARK: - The design of a pooled CRISPR screen
//
// Every field has a default (docs/design-file.md gives its unit, valid range and source), so a
// minimal design file is a few lines. Units are carried in the field names (`_h` hours,
// `_usd`-free costs carry `cost.currency`), so a design file reads unambiguously.

/// A complete screen design: the system, what is perturbed, how, how it is sampled, measured,
/// batched and paid for, and how it is analysed.
public struct Design: Equatable, Sendable, Codable {
    public var name: String = "untitled screen"
    public var description: String = ""
    public var system = SystemSpec()
    public var perturbations = PerturbationSpec()
    public var protocolSteps: [ProtocolStep] = Design.defaultProtocol
    public var sampling = SamplingSpec()
    public var measurement = MeasurementSpec()
    public var batching = BatchingSpec()
    public var cost = CostSpec()
    public var analysis = AnalysisSpec()
    /// Directory against which relative paths (network files) are resolved; not part of the file.
    public var baseDirectory: String = "."

    public init() {}

    enum CodingKeys: String, CodingKey {
        case name, description, system, perturbations
        case protocolSteps = "protocol"
        case sampling,
            measurement, batching, cost, analysis
    }

    /// Grow in the starting medium, then switch guides on and let the perturbation act.
    public static let defaultProtocol: [ProtocolStep] = [
        ProtocolStep(medium: "growth", perturb: false, durationH: 24),
        ProtocolStep(medium: "growth", perturb: true, durationH: 96),
    ]
}

// MARK: - System

public enum Regime: String, Codable, Sendable, CaseIterable {
    case inVitro = "in-vitro"
    case inVivo = "in-vivo"
}

public enum DynamicsKind: String, Codable, Sendable, CaseIterable {
    case nonDifferentiating = "non-differentiating"
    case differentiating
}

/// The biological system: regime, dynamics, the regulatory network, media and the switches that
/// break the assumptions published methods make.
public struct SystemSpec: Equatable, Sendable, Codable {
    public var regime: Regime = .inVitro
    public var dynamics: DynamicsKind = .nonDifferentiating
    /// Number of modelled genes G (ignored when the network comes from a file with a genes table).
    public var genes: Int = 2000
    public var network = NetworkSpec()
    public var media: [MediumSpec] = [MediumSpec()]
    /// Intrinsic noise scale s of the chemical Langevin equation (dimensionless); 0 is the ODE.
    public var intrinsicNoise: Double = 0.05
    /// Euler–Maruyama step (hours).
    public var timeStepH: Double = 0.5
    /// Branching differentiation program (differentiating dynamics only).
    public var differentiation = DifferentiationSpec()
    /// Animals, niche variation, influx (in vivo only).
    public var inVivo = InVivoSpec()
    /// Switches that violate, one at a time, the assumptions published ML methods make.
    public var assumptions = AssumptionSwitches()
    /// Cell types of the tissue or culture (hepatocytes, Kupffer cells, …) and their fractions;
    /// empty = one population (CellTypes.swift, docs/cell-types.md).
    public var cellTypes = CellTypesSpec()

    public init() {}

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case regime
        case dynamics
        case genes
        case network
        case media
        case intrinsicNoise = "intrinsic_noise"
        case timeStepH = "time_step_h"
        case differentiation
        case inVivo = "in_vivo"
        case assumptions
        case cellTypes = "cell_types"
    }
}

/// The cell types cells are labelled with: in vivo screens are analysed per type, and a
/// perturbation's effective cells in a type are that type's share of its cells.
public struct CellTypesSpec: Equatable, Sendable, Codable {
    /// The types, their mean fractions (summing to 1) and optional expression profiles.
    public var types: [CellTypeSpec] = []
    /// Dirichlet concentration c of the animal-to-animal (or batch-to-batch) spread of the
    /// fractions: each animal draws its fractions from Dirichlet(c × fractions), so a type's
    /// fraction f varies with variance f(1 − f)/(c + 1). Larger is tighter.
    public var concentration: Double = 100

    public init() {}
}

/// One cell type: a name, its mean fraction of the cells, and optionally its own expression.
public struct CellTypeSpec: Equatable, Sendable, Codable {
    public var name: String
    /// Mean fraction of all cells that are of this type, in (0, 1].
    public var fraction: Double
    /// Expression profile TSV of this type (as `screenplan calibrate` writes; relative to the
    /// design's folder): its genes' mean UMIs per cell and NB θ. A profile with per-type columns
    /// (`mean_umis_per_cell:NAME`, from `calibrate --cell-type-column`) gives this type's
    /// columns when one is named after the type. nil = the design's expression.
    public var profile: String? = nil

    public init(name: String, fraction: Double, profile: String? = nil) {
        self.name = name
        self.fraction = fraction
        self.profile = profile
    }
}

/// Where the network comes from: generated with a seed, or an edge-list file.
public struct NetworkSpec: Equatable, Sendable, Codable {
    /// Tab-separated edge list `regulator target weight [hill_n half_response]`; nil = generate.
    public var file: String? = nil
    /// Optional genes table `gene basal decay` (tab-separated).
    public var genesFile: String? = nil
    public var seed: UInt64 = 1
    /// Number of regulators G_r (genes with outgoing edges) when generated.
    public var regulators: Int = 200
    /// Mean number of regulators acting on each gene (in-degree) when generated.
    public var meanInDegree: Double = 3
    /// Fraction of edges that activate (the rest repress).
    public var activationFraction: Double = 0.6
    /// Mean absolute edge weight (production units per hour; basal = 1 scale).
    public var weightMean: Double = 1.0
    /// Hill coefficient n of every edge unless the file says otherwise.
    public var hillN: Double = 2
    /// Half-response concentration h as a multiple of the regulator's basal steady state.
    public var halfResponse: Double = 1.0
    /// Basal production b (concentration units per hour).
    public var basal: Double = 1.0
    /// Decay rate γ (per hour); 0.2/h ≈ 3.5 h half-life, typical of mRNA.
    public var decayPerH: Double = 0.2
    /// Spread (sd on the log scale) of basal production between genes, so expression spans decades.
    public var basalLogSd: Double = 1.0

    public init() {}

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case file
        case genesFile = "genes_file"
        case seed
        case regulators
        case meanInDegree = "mean_in_degree"
        case activationFraction = "activation_fraction"
        case weightMean = "weight_mean"
        case hillN = "hill_n"
        case halfResponse = "half_response"
        case basal
        case decayPerH = "decay_per_h"
        case basalLogSd = "basal_log_sd"
    }
}

/// A culture medium or niche: an input vector u_m that raises or lowers some genes' production.
public struct MediumSpec: Equatable, Sendable, Codable {
    public var name: String = "growth"
    /// Explicit inputs per gene name (production units per hour).
    public var inputs: [String: Double] = [:]
    /// Number of genes that receive a generated input (seeded), in addition to `inputs`.
    public var randomInputs: Int = 0
    /// Size (production units per hour, signed at random) of each generated input.
    public var inputStrength: Double = 1.0

    public init(name: String = "growth") { self.name = name }

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case name
        case inputs
        case randomInputs = "random_inputs"
        case inputStrength = "input_strength"
    }
}

/// The differentiation program for differentiating dynamics: lineage regulators that repress each
/// other are held off by the starting medium and released by a medium switch.
public struct DifferentiationSpec: Equatable, Sendable, Codable {
    /// Number of terminal lineages (mutually repressing lineage regulators).
    public var lineages: Int = 3
    /// Strength of self-activation and cross-repression of lineage regulators.
    public var lineageStrength: Double = 4.0
    /// The medium that releases the program; cells stay progenitors before it.
    public var triggerMedium: String = "differentiation"

    public init() {}

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case lineages
        case lineageStrength = "lineage_strength"
        case triggerMedium = "trigger_medium"
    }
}

/// In vivo specifics: animals are batches, the niche varies by animal, cells flow in.
public struct InVivoSpec: Equatable, Sendable, Codable {
    /// Animal-to-animal spread of the niche input (sd, production units per hour).
    public var nicheSd: Double = 0.2
    /// Mean delay between guide delivery and the start of the perturbation (hours).
    public var deliveryDelayH: Double = 48
    /// Animal-to-animal spread of the fraction of cells that receive a guide (sd of a fraction).
    public var deliverySd: Double = 0.1
    /// Fraction of the population replaced per hour by progenitor influx (per hour).
    public var influxPerH: Double = 0.01

    public init() {}

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case nicheSd = "niche_sd"
        case deliveryDelayH = "delivery_delay_h"
        case deliverySd = "delivery_sd"
        case influxPerH = "influx_per_h"
    }
}

/// One switch per assumption of published methods (model reference, claim 4).
public struct AssumptionSwitches: Equatable, Sendable, Codable {
    /// Controls respond to the medium (media shift the baseline of control cells too).
    public var controlsRespondToMedium: Bool = true
    /// One perturbation has two attractors (bistable response), drawn per cell.
    public var bistablePerturbation: Bool = false
    /// Cells are sampled before they reach steady state (a fraction of the relaxation time).
    public var sampleBeforeSteadyState: Bool = false
    /// Perturbations ramp up with a delay instead of acting instantly.
    public var delayedPerturbation: Bool = false
    /// Ramp time of the perturbation when delayed (hours).
    public var perturbationRampH: Double = 24

    public init() {}

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case controlsRespondToMedium = "controls_respond_to_medium"
        case bistablePerturbation = "bistable_perturbation"
        case sampleBeforeSteadyState = "sample_before_steady_state"
        case delayedPerturbation = "delayed_perturbation"
        case perturbationRampH = "perturbation_ramp_h"
    }
}

// MARK: - Perturbations

public enum Modality: String, Codable, Sendable, CaseIterable {
    case crispri, crispra, knockout
}

/// What is perturbed and how strongly.
public struct PerturbationSpec: Equatable, Sendable, Codable {
    public var modality: Modality = .crispri
    /// Number of targeted genes, taken from the regulators first (used when `target_genes` is empty).
    public var targets: Int = 100
    /// Explicit gene names to target; overrides `targets`.
    public var targetGenes: [String] = []
    /// Guides per target (dual-guide libraries: 2).
    public var guidesPerTarget: Int = 2
    /// Mean per-guide CRISPRi knockdown efficiency e (fraction), Beta-distributed.
    public var knockdownMean: Double = 0.67
    /// Concentration (α+β) of the Beta distribution of knockdown (Beta(6,3) → 9).
    public var knockdownConcentration: Double = 9
    /// CRISPRa fold activation a (κ = 1 + a).
    public var activation: Double = 2.0
    /// Fraction of a knocked-out gene's transcript kept (nonsense-mediated decay leaves some).
    public var koTranscriptRetention: Double = 0.3
    /// Guide-to-guide spread of effect around the gene's (sd, log2 units).
    public var guideEffectSd: Double = 0.13
    /// Multiplicity of infection (mean guides per cell, Poisson).
    public var moi: Double = 0.2
    /// Explicit combinations of targets delivered together (gene names per combination).
    public var combinations: [[String]] = []

    public init() {}

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case modality
        case targets
        case targetGenes = "target_genes"
        case guidesPerTarget = "guides_per_target"
        case knockdownMean = "knockdown_mean"
        case knockdownConcentration = "knockdown_concentration"
        case activation
        case koTranscriptRetention = "ko_transcript_retention"
        case guideEffectSd = "guide_effect_sd"
        case moi
        case combinations
    }
}

// MARK: - Protocol

/// One protocol step: a medium, whether guides act, and for how long. Order matters.
public struct ProtocolStep: Equatable, Sendable, Codable {
    public var medium: String
    public var perturb: Bool
    public var durationH: Double

    public init(medium: String, perturb: Bool, durationH: Double) {
        self.medium = medium
        self.perturb = perturb
        self.durationH = durationH
    }

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case medium
        case perturb
        case durationH = "duration_h"
    }
}

// MARK: - Sampling

/// When cells are sampled and how many of each perturbation.
public struct SamplingSpec: Equatable, Sendable, Codable {
    /// Sampling times counted from protocol start (hours); default is the protocol's end.
    public var timePointsH: [Double] = []
    /// Cells per perturbation (per time point), after QC.
    public var cellsPerPerturbation: Int = 150
    /// Control cells per batch and time point; nil = Dunnett's rule √K × cells per perturbation.
    public var controlCells: Int? = nil
    /// Alternative to `control_cells`: the fraction of all cells that are controls, in [0, 1).
    public var controlsFraction: Double? = nil
    /// Fraction of recovered cells that pass QC.
    public var qcPassFraction: Double = 0.8

    public init() {}

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case timePointsH = "time_points_h"
        case cellsPerPerturbation = "cells_per_perturbation"
        case controlCells = "control_cells"
        case controlsFraction = "controls_fraction"
        case qcPassFraction = "qc_pass_fraction"
    }
}

// MARK: - Measurement

public enum DropoutModel: String, Codable, Sendable, CaseIterable {
    case none
    case zeroInflation = "zero-inflation"
}

/// The measurement operator M_b (model reference section 3).
public struct MeasurementSpec: Equatable, Sendable, Codable {
    /// Measured genes; the modelled genes come first, the rest are non-regulated background.
    public var measuredGenes: Int = 2000
    /// Median mRNA molecules per cell (before capture). Observed UMIs per cell are
    /// mrna_per_cell × capture_efficiency × saturation(reads), see `expectedUMIsPerCell`.
    public var mrnaPerCell: Double = 100000
    /// Library-size spread (sd of log library size).
    public var librarySizeSd: Double = 0.4
    /// Spread of batch median library size around the design's (sd on the log scale).
    public var batchLibrarySd: Double = 0.1
    /// Capture efficiency q (fraction of molecules captured), in (0, 1].
    public var captureEfficiency: Double = 0.1
    /// Negative binomial size θ (dispersion; larger is closer to Poisson).
    public var dispersion: Double = 1.5
    /// Extra dropout beyond the NB.
    public var dropout: DropoutModel = .none
    /// Zero-inflation scale: π₀(λ) = dropout_rate · exp(−λ / dropout_midpoint).
    public var dropoutRate: Double = 0.0
    public var dropoutMidpoint: Double = 1.0
    /// Probability that each guide is detected in its cell.
    public var guideCapture: Double = 0.9
    /// Multiplet rate per cell loaded (0.8% per 1,000 cells ≈ 7.7e-6 per cell).
    public var doubletRatePerCell: Double = 7.7e-6
    /// Reads sequenced per cell.
    public var readsPerCell: Double = 20000
    /// Fraction of reads that map to the transcriptome.
    public var mappingEfficiency: Double = 0.7
    /// Expression profile TSV (from `screenplan calibrate`; relative to the design's folder):
    /// real measured genes with their mean UMIs per cell and NB dispersion.
    public var expressionProfile: String? = nil

    public init() {}

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case measuredGenes = "measured_genes"
        case mrnaPerCell = "mrna_per_cell"
        case librarySizeSd = "library_size_sd"
        case batchLibrarySd = "batch_library_sd"
        case captureEfficiency = "capture_efficiency"
        case dispersion
        case dropout
        case dropoutRate = "dropout_rate"
        case dropoutMidpoint = "dropout_midpoint"
        case guideCapture = "guide_capture"
        case doubletRatePerCell = "doublet_rate_per_cell"
        case readsPerCell = "reads_per_cell"
        case mappingEfficiency = "mapping_efficiency"
        case expressionProfile = "expression_profile"
    }
}

// MARK: - Batching

public enum BatchUnit: String, Codable, Sendable, CaseIterable {
    case lane, day, plate, animal, donor
}

public enum LayoutStrategy: String, Codable, Sendable, CaseIterable {
    case pooled
    case subLibraries = "sub-libraries"
    case confounded
    case balancedIncomplete = "balanced-incomplete"
    case perAnimal = "per-animal"
    case perTimePoint = "per-time-point"
    case explicit
}

/// A batching level in a nested design (animal > day > lane), each with its own effect strength.
public struct BatchLevel: Equatable, Sendable, Codable {
    public var unit: BatchUnit
    public var count: Int
    /// Gene-wise batch effect sd of this level (log scale).
    public var effectSd: Double

    public init(unit: BatchUnit, count: Int, effectSd: Double) {
        self.unit = unit
        self.count = count
        self.effectSd = effectSd
    }

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case unit
        case count
        case effectSd = "effect_sd"
    }
}

/// How cells are split into batches and how perturbations are laid out over them.
public struct BatchingSpec: Equatable, Sendable, Codable {
    public var unit: BatchUnit = .lane
    /// Number of batches (innermost units).
    public var batches: Int = 8
    /// Maximum cells loaded per batch (10x Chromium lane: ~20,000 with superloading).
    public var maxCellsPerBatch: Int = 20000
    public var layout: LayoutStrategy = .pooled
    /// Batches each perturbation appears in (sub-libraries, balanced-incomplete).
    public var replicates: Int = 2
    /// Fraction of batches that hold controls (1 = every batch).
    public var controlsInFraction: Double = 1.0
    /// Gene-wise batch effect sd τ (log scale) of the innermost level.
    public var batchEffectSd: Double = 0.1
    /// Batch × perturbation interaction sd ω (log scale).
    public var interactionSd: Double = 0.03
    /// Outer nested levels (e.g. animal > day); the innermost level is `unit` × `batches`.
    public var nested: [BatchLevel] = []
    /// Explicit perturbation × batch cell counts (layout: explicit); rows follow the targets.
    public var explicitCells: [[Int]] = []
    /// The level that receives one pool of guides (e.g. `animal`: each animal is transduced or
    /// transplanted with one pool), the innermost `unit` or a `nested` level. Layouts never split a
    /// sub-library below it: a perturbation is in every batch of a delivery unit or in none.
    /// nil = the innermost unit (each batch gets its own pool).
    public var deliveryUnit: BatchUnit? = nil

    public init() {}

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case unit
        case batches
        case maxCellsPerBatch = "max_cells_per_batch"
        case layout
        case replicates
        case controlsInFraction = "controls_in_fraction"
        case batchEffectSd = "batch_effect_sd"
        case interactionSd = "interaction_sd"
        case nested
        case explicitCells = "explicit_cells"
        case deliveryUnit = "delivery_unit"
    }
}

// MARK: - Cost

/// The cost model. Amounts are in `currency`.
public struct CostSpec: Equatable, Sendable, Codable {
    public var currency: String = "USD"
    /// Cost per batch unit (10x lane share of a kit, or an animal).
    public var perBatch: Double = 700
    /// Cost per cell captured (reagent share).
    public var perCell: Double = 0.09
    /// Sequencing cost per million reads (14,000 per 4.1e9 reads ≈ 3.41).
    public var perMillionReads: Double = 3.41
    /// Reads per flow cell, for the order list.
    public var readsPerFlowCell: Double = 4.1e9
    /// Cost of one flow cell (for the order list).
    public var flowCell: Double = 14000
    /// Lanes per kit (for the order list).
    public var lanesPerKit: Int = 8
    /// Cost per animal (recipient, conditioning, housing, sorting), charged for every animal on top
    /// of `per_batch`: animals are the innermost batches (`unit: animal`) or a nested animal level.
    public var perAnimal: Double = 0

    public init() {}

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case currency
        case perBatch = "per_batch"
        case perCell = "per_cell"
        case perMillionReads = "per_million_reads"
        case readsPerFlowCell = "reads_per_flow_cell"
        case flowCell = "flow_cell"
        case lanesPerKit = "lanes_per_kit"
        case perAnimal = "per_animal"
    }
}

// MARK: - Analysis

public enum EffectSource: String, Codable, Sendable, CaseIterable {
    case network, fixed
}

public enum MultipleTesting: String, Codable, Sendable, CaseIterable {
    case bh, bonferroni, none
}

/// The differential-expression test the lab will run on the screen; power is predicted for it.
public enum DifferentialTest: String, Codable, Sendable, CaseIterable {
    /// Per-cell negative-binomial GLM with batch covariates and library-size offset (SCEPTRE,
    /// glmGamPoi, DESeq2 on cells).
    case glm
    /// Wilcoxon rank-sum on log1p of counts per 10k (scanpy's `rank_genes_groups` default).
    case wilcoxon
    /// Welch t-test on log1p of counts per 10k (scanpy's `t-test`).
    case tTest = "t-test"
    /// Mean over batches of per-batch log pseudo-bulk ratios (screenplan's first estimator).
    case pseudobulk
}

/// How effects are estimated and tested.
public struct AnalysisSpec: Equatable, Sendable, Codable {
    /// The test the lab will run.
    public var test: DifferentialTest = .glm
    /// Expected effects from the network's linear response, or one fixed size.
    public var effect: EffectSource = .network
    /// Fixed effect size of the target (log2 fold change) when `effect: fixed`.
    public var effectSizeLog2: Double = -1.0
    /// Family-wise or false-discovery level.
    public var alpha: Double = 0.05
    public var multipleTesting: MultipleTesting = .bh
    /// Target power for the solvers.
    public var targetPower: Double = 0.8
    /// Minimum mean UMIs per cell below which a gene is not testable.
    public var expressionThreshold: Double = 0.1
    /// Steady-state loss weights for learnability (λ₀ controls, λ₁ late perturbed).
    public var lambdaControl: Double = 1.0
    public var lambdaPerturbed: Double = 1.0
    /// The cell type (`system.cell_types`) the headline figures (median power, solvers,
    /// optimizer) use; nil = all cells pooled.
    public var cellType: String? = nil

    public init() {}

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case test
        case effect
        case effectSizeLog2 = "effect_size_log2"
        case alpha
        case multipleTesting = "multiple_testing"
        case targetPower = "target_power"
        case expressionThreshold = "expression_threshold"
        case lambdaControl = "lambda_control"
        case lambdaPerturbed = "lambda_perturbed"
        case cellType = "cell_type"
    }
}
