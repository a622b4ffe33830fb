import Foundation

// MARK: - `screenplan calibrate`: the design parameters a pilot's counts imply
//
// Estimates, each with an uncertainty (analytic standard errors throughout; the method of each
// is in docs/calibrate.md):
// - library size per batch: median UMIs per cell, sd of log library size, and the latent spread
//   the simulator needs (the observed log variance minus the counting noise the NB adds);
// - per gene: mean UMIs per cell at the pilot's depth, NB dispersion by the method of moments with
//   per-cell size factors s = ℓ/ℓ̄ (E Σ(y − sμ)² = μΣs + αμ²Σs²), a parametric mean–dispersion
//   trend α(μ) = a₀ + a₁/μ fitted as DESeq2 does (gamma-family IRLS, outliers dropped), and
//   shrinkage of each gene's log α toward the trend weighted by its sampling variance (an
//   empirical-Bayes normal prior as in DESeq2's MAP step; glmGamPoi shrinks likewise);
// - zero fraction against the NB's (over the pilot's size factors) → a zero-inflation flag;
// - gene-wise batch effect sd from the control cells of each batch, minus sampling noise;
// - with guides: capture, MOI (zero-truncated Poisson of detected guides), cells per guide and
//   the 90/10 spread, per-guide and per-target on-target log2 fold change against non-targeting
//   cells, summarised as the design's knockdown fields.

/// An estimate with its standard error (nil when it cannot be computed, with the reason).
public struct Estimate: Codable, Equatable, Sendable {
    public var value: Double?
    public var se: Double?
    public var note: String?

    enum CodingKeys: String, CodingKey { case value, se, note }

    /// Encodes absent values as `null` (never omitted, never a sentinel).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(value, forKey: .value)
        try c.encode(se, forKey: .se)
        try c.encode(note, forKey: .note)
    }

    public init(_ value: Double?, se: Double? = nil, note: String? = nil) {
        self.value = value.flatMap { $0.isFinite ? $0 : nil }
        self.se = se.flatMap { $0.isFinite ? $0 : nil }
        self.note = note
    }
}

/// Options of a calibration.
public struct CalibrationOptions: Sendable {
    public var modality: Modality = .knockout
    /// UMIs a gRNA needs in a cell to count as detected.
    public var guideThreshold = 5
    /// Share of the top gRNA's UMIs another gRNA needs to count as detected.
    public var guideMinimumShare = 0.2
    /// Reads per cell of the pilot (sets `mrna_per_cell` through the saturation curve).
    public var readsPerCell = 20000.0
    public var captureEfficiency = 0.1
    public var mappingEfficiency = 0.7

    public init() {}
}

/// Per-gene estimates (one row of the expression profile).
public struct GeneCalibration: Codable, Sendable {
    public var gene: String
    /// Mean UMIs per cell at the pilot's depth.
    public var meanUmis: Double
    public var meanSe: Double
    /// Variance of the raw UMI count per cell (UMIs²).
    public var variance: Double
    /// Gene-wise moment estimate of α = 1/θ (nil when not above Poisson).
    public var alphaRaw: Double?
    /// The trend's α at this mean.
    public var alphaTrend: Double
    /// NB size θ after shrinkage (what the profile gives the design).
    public var theta: Double
    /// Standard error of log θ after shrinkage.
    public var thetaLogSe: Double
    public var zeroFraction: Double
    /// Zero fraction the NB predicts over the pilot's size factors.
    public var zeroFractionNb: Double
    public var zeroExcessFlag: Bool
    /// Per cell type: mean UMIs, θ and zero fraction, in `Calibration.cellTypes` order.
    public var byType: [TypeCalibration]

    /// Encodes `alpha_raw` as `null` when the gene is not above Poisson.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(gene, forKey: .gene)
        try c.encode(meanUmis, forKey: .meanUmis)
        try c.encode(meanSe, forKey: .meanSe)
        try c.encode(variance, forKey: .variance)
        try c.encode(alphaRaw, forKey: .alphaRaw)
        try c.encode(alphaTrend, forKey: .alphaTrend)
        try c.encode(theta, forKey: .theta)
        try c.encode(thetaLogSe, forKey: .thetaLogSe)
        try c.encode(zeroFraction, forKey: .zeroFraction)
        try c.encode(zeroFractionNb, forKey: .zeroFractionNb)
        try c.encode(zeroExcessFlag, forKey: .zeroExcessFlag)
        try c.encode(byType, forKey: .byType)
    }

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case gene
        case meanUmis = "mean_umis"
        case meanSe = "mean_se"
        case variance
        case alphaRaw = "alpha_raw"
        case alphaTrend = "alpha_trend"
        case theta
        case thetaLogSe = "theta_log_se"
        case zeroFraction = "zero_fraction"
        case zeroFractionNb = "zero_fraction_nb"
        case zeroExcessFlag = "zero_excess_flag"
        case byType = "by_type"
    }
}

/// A gene's estimates within one cell type.
public struct TypeCalibration: Codable, Sendable {
    public var meanUmis: Double
    public var theta: Double
    public var zeroFraction: Double

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case meanUmis = "mean_umis"
        case theta
        case zeroFraction = "zero_fraction"
    }
}

/// Library size of one batch (or of all cells).
public struct LibraryCalibration: Codable, Sendable {
    public var batch: String
    public var cells: Int
    /// Median UMIs per cell over the measured genes.
    public var medianUmis: Estimate
    /// sd of log library size as observed.
    public var logSd: Estimate
    /// sd of the latent log library size (observed minus the NB counting noise).
    public var latentLogSd: Estimate

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case batch
        case cells
        case medianUmis = "median_umis"
        case logSd = "log_sd"
        case latentLogSd = "latent_log_sd"
    }
}

/// One gRNA of the pilot.
public struct GuideCalibration: Codable, Sendable {
    public var guide: String
    /// The target gene; nil (`null`) for a non-targeting gRNA.
    public var target: String?
    public var cells: Int
    /// On-target log2 fold change against non-targeting cells (nil when the target is not measured).
    public var log2Fc: Estimate

    enum CodingKeys: String, CodingKey {
        case guide, target, cells
        case log2Fc = "log2_fc"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(guide, forKey: .guide)
        try c.encode(target, forKey: .target)
        try c.encode(cells, forKey: .cells)
        try c.encode(log2Fc, forKey: .log2Fc)
    }
}

/// One target of the pilot's library.
public struct TargetCalibration: Codable, Sendable {
    public var target: String
    public var guides: Int
    public var cells: Int
    public var measured: Bool
    public var log2Fc: Estimate

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case target
        case guides
        case cells
        case measured
        case log2Fc = "log2_fc"
    }
}

/// Everything a calibration estimated.
public struct Calibration: Codable, Sendable {
    public var source: String
    public var cells: Int
    public var genes: Int
    public var onePass: Bool
    public var cellTypes: [String]
    public var geneEstimates: [GeneCalibration]
    /// All cells first, then each batch.
    public var library: [LibraryCalibration]
    /// Dispersion trend α(μ) = a0 + a1/μ.
    public var trendA0: Estimate
    public var trendA1: Estimate
    /// Variance of the shrinkage prior on log α (log units²).
    public var priorLogVariance: Double
    /// Genes whose zeros exceed the NB's (3 SE and 0.02).
    public var zeroExcessGenes: Int
    public var medianZeroExcess: Double
    public var batchLibrarySd: Estimate
    public var batchEffectSd: Estimate
    public var batches: [String]
    // Guides.
    public var guideThreshold: Estimate
    public var guides: [GuideCalibration]
    public var targets: [TargetCalibration]
    public var controlCells: Int
    public var unassignedCells: Int
    public var multipleCells: Int
    public var guideCapture: Estimate
    public var moi: Estimate
    public var cellsPerGuideMedian: Estimate
    public var guideSpread9010: Estimate
    public var cellsPerTargetMedian: Estimate
    public var guidesPerTargetMedian: Estimate
    public var modality: Modality
    /// Design knockdown fields: ko_transcript_retention (knockout), knockdown_mean and
    /// knockdown_concentration (CRISPRi), activation (CRISPRa); guide_effect_sd.
    public var knockdown: [String: Estimate]
    public var notEstimableTargets: [String]
    /// Latent median UMIs per cell (the design's observed UMIs per cell).
    public var designUmisPerCell: Double
    public var designLibrarySizeSd: Double

    /// The design's `mrna_per_cell` that gives `design_umis_per_cell` observed UMIs at the
    /// options' capture and reads (inverts M(1 − e^(−R/M)) by bisection).
    public func mrnaPerCell(_ o: CalibrationOptions) -> Double {
        let target = designUmisPerCell
        let r = o.readsPerCell * o.mappingEfficiency
        guard target < r else { return target / o.captureEfficiency * 100 }
        var lo = target
        var hi = target * 1e6
        for _ in 0..<200 {
            let m = 0.5 * (lo + hi)
            if m * (1 - Foundation.exp(-r / m)) < target { lo = m } else { hi = m }
        }
        return 0.5 * (lo + hi) / o.captureEfficiency
    }

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case source
        case cells
        case genes
        case onePass = "one_pass"
        case cellTypes
        case geneEstimates = "gene_estimates"
        case library
        case trendA0 = "trend_a0"
        case trendA1 = "trend_a1"
        case priorLogVariance = "prior_log_variance"
        case zeroExcessGenes = "zero_excess_genes"
        case medianZeroExcess = "median_zero_excess"
        case batchLibrarySd = "batch_library_sd"
        case batchEffectSd = "batch_effect_sd"
        case batches
        case guideThreshold = "guide_threshold"
        case guides
        case targets
        case controlCells = "control_cells"
        case unassignedCells = "unassigned_cells"
        case multipleCells = "multiple_cells"
        case guideCapture = "guide_capture"
        case moi
        case cellsPerGuideMedian = "cells_per_guide_median"
        case guideSpread9010 = "guide_spread_90_10"
        case cellsPerTargetMedian = "cells_per_target_median"
        case guidesPerTargetMedian = "guides_per_target_median"
        case modality
        case knockdown
        case notEstimableTargets = "not_estimable_targets"
        case designUmisPerCell = "design_umis_per_cell"
        case designLibrarySizeSd = "design_library_size_sd"
    }
}

extension Calibration {
    /// Calibrates from a gene counts matrix, optional guide assignment and optional cell table.
    public static func estimate(
        genes matrix: CountMatrix, guides: GuideAssignment?, cellTable: CellTable?,
        options: CalibrationOptions = CalibrationOptions(),
        progress: ((String) -> Void)? = nil
    ) throws -> Calibration {
        let cells = matrix.cellCount
        let geneNames = matrix.features
        let geneCount = geneNames.count
        let batch = cellTable.map { t in t.batch.map { max(0, $0) } } ?? [Int32](repeating: 0, count: cells)
        let batchNames = cellTable.flatMap { $0.batches.isEmpty ? nil : $0.batches } ?? ["all"]
        if let cellTable, cellTable.batch.contains(-1), !cellTable.batches.isEmpty {
            throw CalibrationInputError(
                file: "--cells",
                "\(cellTable.batch.filter { $0 < 0 }.count) cells of the counts have no row in the cell table")
        }
        let cellType = cellTable?.cellType ?? [Int32](repeating: -1, count: cells)
        let typeNames = cellTable?.cellTypes ?? []
        let geneIndex = Dictionary(geneNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var isControl = [Bool](repeating: true, count: cells)
        var cellGuide = [Int32](repeating: -1, count: cells)
        var guideTargetGene: [Int32] = []
        if let guides {
            guard guides.cellGuide.count == cells else {
                throw CalibrationInputError(
                    file: "--guides",
                    "shape mismatch: the guides cover \(guides.cellGuide.count) cells, the counts \(cells)")
            }
            cellGuide = guides.cellGuide
            guideTargetGene = guides.targets.map { t in t.flatMap { geneIndex[$0] }.map(Int32.init) ?? -1 }
            isControl = cellGuide.map { $0 >= 0 && guides.targets[Int($0)] == nil }
            guard isControl.contains(true) else {
                throw CalibrationInputError(
                    file: "--guide-targets",
                    "no cell carries a non-targeting gRNA: the knockdowns and batch effects need control cells")
            }
        }
        progress?("reading \(matrix.path)")
        let pass = try CountPass.run(
            matrix, batch: batch, batches: batchNames.count, isControl: isControl,
            cellType: cellType, types: typeNames.count, cellGuide: cellGuide,
            guideTargetGene: guideTargetGene, progress: progress)
        let all = pass.all
        guard all.cells > 1 else {
            throw CalibrationInputError(file: matrix.path, "the matrix has fewer than two cells with counts")
        }
        let meanL = all.sumL / Double(all.cells)

        // Library size quantiles (for the NB zero fraction) and log moments.
        let libs = pass.library.filter { $0 > 0 }.map(Double.init).sorted()
        let bins = 64
        let sizeQuantiles = (0..<bins).map { k in
            libs[min(libs.count - 1, Int((Double(k) + 0.5) / Double(bins) * Double(libs.count)))] / meanL
        }

        // Per-gene moment estimates.
        func moments(_ s: GroupSums, _ g: Int) -> (mean: Double, mu: Double, alpha: Double?, n: Int) {
            let n = Double(s.cells)
            let sumS = s.sumL / meanL
            let sumS2 = s.sumL2 / (meanL * meanL)
            let sumSY = s.ly[g] / meanL
            let mu = s.y[g] / max(1e-300, sumS)
            guard mu > 0, s.cells > 2 else { return (s.y[g] / max(1, n), mu, nil, s.cells) }
            let q = s.y2[g] - 2 * mu * sumSY + mu * mu * sumS2
            let alpha = (q * n / (n - 1) - mu * sumS) / (mu * mu * sumS2)
            return (s.y[g] / n, mu, alpha > 0 ? alpha : nil, s.cells)
        }
        func logVariance(alpha: Double, mu: Double, n: Int) -> Double {
            // Var(s²) ≈ σ⁴(2 + excess kurtosis)/n with the NB's excess 6α + 1/σ²·…; delta method to log α.
            let sigma2 = mu + alpha * mu * mu
            let excess = 6 * alpha + 1 / max(1e-12, mu * (1 + alpha * mu))
            let varAlpha = sigma2 * sigma2 * (2 + excess) / Double(max(1, n)) / (mu * mu * mu * mu)
            return varAlpha / (alpha * alpha)
        }
        var raw: [(mean: Double, mu: Double, alpha: Double?, n: Int)] = (0..<geneCount).map { moments(all, $0) }
        let trend = DispersionTrend.fit(means: raw.map(\.mu), alphas: raw.map(\.alpha))
        // Prior variance of log α around the trend: robust spread of the residuals minus the
        // mean sampling variance (DESeq2's floor of 0.25).
        var residuals: [Double] = []
        var sampling: [Double] = []
        for r in raw {
            if let a = r.alpha, r.mu > 0 {
                residuals.append(Foundation.log(a / trend.alpha(r.mu)))
                sampling.append(logVariance(alpha: a, mu: r.mu, n: r.n))
            }
        }
        let mad = robustSD(residuals)
        let prior = max(0.25, mad * mad - (sampling.isEmpty ? 0 : sampling.sorted()[sampling.count / 2]))
        func shrink(_ r: (mean: Double, mu: Double, alpha: Double?, n: Int)) -> (
            theta: Double, logSE: Double, trend: Double
        ) {
            let tr = trend.alpha(max(r.mu, 1 / Double(max(1, all.cells))))
            guard let a = r.alpha, r.mu > 0 else { return (1 / tr, prior.squareRoot(), tr) }
            let v = logVariance(alpha: a, mu: r.mu, n: r.n)
            let w = prior / (prior + v)
            let logAlpha = w * Foundation.log(a) + (1 - w) * Foundation.log(tr)
            return (Foundation.exp(-logAlpha), (1 / (1 / prior + 1 / v)).squareRoot(), tr)
        }
        func nbZero(mu: Double, alpha: Double, scale: Double) -> Double {
            var p = 0.0
            for s in sizeQuantiles {
                let m = mu * s * scale
                p += alpha > 1e-9 ? Foundation.exp(-Foundation.log1p(alpha * m) / alpha) : Foundation.exp(-m)
            }
            return p / Double(bins)
        }
        var genesOut: [GeneCalibration] = []
        var excessCount = 0
        var excesses: [Double] = []
        for g in 0..<geneCount {
            let r = raw[g]
            let sh = shrink(r)
            let n = Double(all.cells)
            let z = 1 - Double(all.nonzero[g]) / n
            let z0 = nbZero(mu: r.mu, alpha: 1 / sh.theta, scale: 1)
            let seZ = (max(z * (1 - z), 1 / n) / n).squareRoot()
            let flag = z - z0 > max(0.02, 3 * seZ)
            if flag { excessCount += 1 }
            if r.mean > 0 { excesses.append(z - z0) }
            let variance = max(0, all.y2[g] / n - r.mean * r.mean)
            var byType: [TypeCalibration] = []
            for t in pass.types {
                let m = moments(t, g)
                let s = shrink(m)
                byType.append(
                    TypeCalibration(
                        meanUmis: m.mean, theta: s.theta,
                        zeroFraction: 1 - Double(t.nonzero[g]) / Double(max(1, t.cells))))
            }
            genesOut.append(
                GeneCalibration(
                    gene: geneNames[g], meanUmis: r.mean, meanSe: (variance / n).squareRoot(),
                    variance: variance * n / max(1, n - 1), alphaRaw: r.alpha,
                    alphaTrend: sh.trend, theta: sh.theta, thetaLogSe: sh.logSE, zeroFraction: z,
                    zeroFractionNb: z0, zeroExcessFlag: flag, byType: byType))
        }
        raw.removeAll()

        // Library sizes: observed and latent log spread per batch.
        let totalMean = genesOut.reduce(0) { $0 + $1.meanUmis }
        let countingCV2Genes = genesOut.reduce(0.0) { acc, g in
            let p = g.meanUmis / max(1e-300, totalMean)
            return acc + p * p / g.theta
        }
        func library(_ name: String, _ values: [Double]) -> (
            LibraryCalibration, meanLog: Double, varLog: Double, n: Int
        ) {
            let n = values.count
            guard n > 1 else {
                return (
                    LibraryCalibration(
                        batch: name, cells: n, medianUmis: Estimate(nil, note: "fewer than two cells"),
                        logSd: Estimate(nil, note: "fewer than two cells"),
                        latentLogSd: Estimate(nil, note: "fewer than two cells")), 0, 0, n
                )
            }
            let sorted = values.sorted()
            let med = n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
            let logs = values.map { Foundation.log($0) }
            let m = logs.reduce(0, +) / Double(n)
            let v = logs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(n - 1)
            let invL = values.reduce(0) { $0 + 1 / $1 } / Double(n)
            let latent = max(0, v - invL - countingCV2Genes)
            let sd = v.squareRoot()
            return (
                LibraryCalibration(
                    batch: name, cells: n,
                    medianUmis: Estimate(med, se: 1.2533 * sd * med / Double(n).squareRoot()),
                    logSd: Estimate(sd, se: sd / (2 * Double(n - 1)).squareRoot()),
                    latentLogSd: Estimate(
                        latent.squareRoot(), se: v / max(1e-12, latent.squareRoot()) / (2 * Double(n - 1)).squareRoot())
                ),
                m, v, n
            )
        }
        var libraryRows: [LibraryCalibration] = []
        let overall = library("all cells", libs)
        libraryRows.append(overall.0)
        var batchMeans: [(Double, Double, Int)] = []
        if batchNames.count > 1 {
            for (b, name) in batchNames.enumerated() {
                let values = (0..<cells).compactMap { c -> Double? in
                    batch[c] == Int32(b) && pass.library[c] > 0 ? Double(pass.library[c]) : nil
                }
                let row = library(name, values)
                libraryRows.append(row.0)
                batchMeans.append((row.meanLog, row.varLog, row.n))
            }
        }
        var batchLibrarySD = Estimate(0, note: "one batch")
        var withinLog = overall.varLog
        if batchMeans.count > 1 {
            let k = Double(batchMeans.count)
            let grand = batchMeans.reduce(0) { $0 + $1.0 } / k
            let between = batchMeans.reduce(0) { $0 + ($1.0 - grand) * ($1.0 - grand) } / (k - 1)
            let noise = batchMeans.reduce(0) { $0 + $1.1 / Double($1.2) } / k
            let tau2 = max(0, between - noise)
            let tau = tau2.squareRoot()
            batchLibrarySD = Estimate(
                tau, se: tau / (2 * (k - 1)).squareRoot(),
                note: "sd of batch mean log library, \(batchMeans.count) batches")
            withinLog =
                batchMeans.reduce(0) { $0 + $1.1 * Double($1.2 - 1) } / Double(batchMeans.reduce(0) { $0 + $1.2 - 1 })
        }
        let invAll = libs.reduce(0) { $0 + 1 / $1 } / Double(libs.count)
        let designSD = max(0, withinLog - invAll - countingCV2Genes).squareRoot()
        // Observed median ≈ latent median × e^(−counting CV²/2) (log of a noisy library).
        let designUMIs =
            (overall.0.medianUmis.value ?? Foundation.exp(overall.meanLog))
            * Foundation.exp((invAll + countingCV2Genes) / 2)

        // Gene-wise batch effects from the control cells of each batch.
        var batchEffect = Estimate(nil, note: "one batch")
        let usable = pass.batchControls.filter { $0.cells >= 20 }
        if usable.count > 1 {
            var tau2: [Double] = []
            for g in 0..<geneCount where genesOut[g].meanUmis >= 0.5 {
                var logs: [Double] = []
                var noise: [Double] = []
                for s in usable {
                    let n = Double(s.cells)
                    let m = meanL * s.yOverL[g] / n
                    guard m > 0 else { break }
                    let v = max(0, meanL * meanL * s.y2OverL2[g] / n - m * m)
                    logs.append(Foundation.log(m))
                    noise.append(v / (n * m * m))
                }
                guard logs.count == usable.count else { continue }
                let k = Double(logs.count)
                let mean = logs.reduce(0, +) / k
                let between = logs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (k - 1)
                tau2.append(between - noise.reduce(0, +) / k)
            }
            if tau2.count > 2 {
                let m = tau2.reduce(0, +) / Double(tau2.count)
                let sd = (tau2.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(tau2.count - 1)).squareRoot()
                let tau = max(0, m).squareRoot()
                batchEffect = Estimate(
                    tau, se: tau > 0 ? sd / Double(tau2.count).squareRoot() / (2 * tau) : nil,
                    note: "\(tau2.count) genes with ≥ 0.5 UMIs per cell, control cells of \(usable.count) batches")
            } else {
                batchEffect = Estimate(nil, note: "fewer than three genes with ≥ 0.5 UMIs per cell")
            }
        } else if pass.batchControls.count > 1 {
            batchEffect = Estimate(nil, note: "fewer than two batches with 20 control cells")
        }

        var result = Calibration(
            source: matrix.path, cells: cells, genes: geneCount, onePass: pass.onePass, cellTypes: typeNames,
            geneEstimates: genesOut, library: libraryRows,
            trendA0: Estimate(trend.a0, se: trend.seA0), trendA1: Estimate(trend.a1, se: trend.seA1),
            priorLogVariance: prior, zeroExcessGenes: excessCount,
            medianZeroExcess: excesses.isEmpty ? 0 : excesses.sorted()[excesses.count / 2],
            batchLibrarySd: batchLibrarySD, batchEffectSd: batchEffect, batches: batchNames,
            guideThreshold: Estimate(nil, note: "no guides given"), guides: [], targets: [], controlCells: 0,
            unassignedCells: 0, multipleCells: 0,
            guideCapture: Estimate(nil, note: "no guides given"), moi: Estimate(nil, note: "no guides given"),
            cellsPerGuideMedian: Estimate(nil, note: "no guides given"),
            guideSpread9010: Estimate(nil, note: "no guides given"),
            cellsPerTargetMedian: Estimate(nil, note: "no guides given"),
            guidesPerTargetMedian: Estimate(nil, note: "no guides given"), modality: options.modality,
            knockdown: [:], notEstimableTargets: [], designUmisPerCell: designUMIs, designLibrarySizeSd: designSD)
        if let guides {
            result.addGuides(guides, pass: pass, meanL: meanL, geneIndex: geneIndex, options: options)
        }
        return result
    }

    /// Guide capture, MOI, composition and knockdowns.
    mutating func addGuides(
        _ a: GuideAssignment, pass: CountPass, meanL: Double, geneIndex: [String: Int], options: CalibrationOptions
    ) {
        guideThreshold = Estimate(
            Double(a.threshold), note: "UMIs (and ≥ \(Int(a.minimumShare * 100))% of the top gRNA)")
        let n = a.cellGuide.count
        var perGuide = [Int](repeating: 0, count: a.guides.count)
        for k in a.cellGuide where k >= 0 { perGuide[Int(k)] += 1 }
        controlCells = a.cellGuide.filter { $0 >= 0 && a.targets[Int($0)] == nil }.count
        unassignedCells = a.cellGuide.filter { $0 == -1 }.count
        multipleCells = a.cellGuide.filter { $0 == -2 }.count
        // Capture and MOI: detected guides per cell ~ Poisson(λ = moi·capture); the fraction of
        // the pilot's cells with a guide is the capture, λ from the cells with at least one.
        let withGuide = a.detected.filter { $0 > 0 }
        let f = Double(withGuide.count) / Double(max(1, n))
        guideCapture = Estimate(
            f, se: max((f * (1 - f) / Double(max(1, n))).squareRoot(), 1 / Double(max(1, n))),
            note: "share of the pilot's cells with a detected gRNA (binomial SE, at least 1/cells)")
        if !withGuide.isEmpty {
            let k = withGuide.map(Double.init)
            let mk = k.reduce(0, +) / Double(k.count)
            let vk = k.reduce(0) { $0 + ($1 - mk) * ($1 - mk) } / Double(max(1, k.count - 1))
            // Solve λ/(1 − e^−λ) = mean k.
            var lambda = 0.0
            if mk > 1 {
                var lo = 1e-9
                var hi = max(1, mk) * 2 + 1
                for _ in 0..<200 {
                    let m = 0.5 * (lo + hi)
                    if m / -Foundation.expm1(-m) < mk { lo = m } else { hi = m }
                }
                lambda = 0.5 * (lo + hi)
            }
            let slope =
                lambda > 0
                ? (1 - Foundation.exp(-lambda) - lambda * Foundation.exp(-lambda))
                    / Foundation.pow(-Foundation.expm1(-lambda), 2) : 0.5
            let seL = (vk / Double(k.count)).squareRoot() / max(1e-6, slope)
            let moiValue = lambda / max(1e-9, f)
            moi = Estimate(
                max(0.01, moiValue), se: seL / max(1e-9, f),
                note: lambda > 0
                    ? "zero-truncated Poisson of detected gRNAs per cell (mean \(String(format: "%.3f", mk)))"
                    : "no cell has two detected gRNAs")
        }
        // Composition.
        var targetNames: [String] = []
        var targetGuides: [String: [Int]] = [:]
        for (g, t) in a.targets.enumerated() {
            guard let t else { continue }
            if targetGuides[t] == nil { targetNames.append(t) }
            targetGuides[t, default: []].append(g)
        }
        let targeting = perGuide.indices.filter { a.targets[$0] != nil }.map { Double(perGuide[$0]) }.sorted()
        func quantile(_ s: [Double], _ p: Double) -> Double {
            guard !s.isEmpty else { return 0 }
            let x = p * Double(s.count - 1)
            let lo = Int(x)
            let hi = min(s.count - 1, lo + 1)
            return s[lo] + (x - Double(lo)) * (s[hi] - s[lo])
        }
        cellsPerGuideMedian =
            targeting.isEmpty ? Estimate(nil, note: "no targeting gRNA") : Estimate(quantile(targeting, 0.5))
        if targeting.count >= 10 {
            let q10 = quantile(targeting, 0.1)
            let q90 = quantile(targeting, 0.9)
            // SE of the log ratio by the delta method on two order statistics (normal approx).
            guideSpread9010 =
                q10 > 0
                ? Estimate(
                    q90 / q10, se: q90 / q10 * (2 * 0.9 * 0.1 / Double(targeting.count)).squareRoot() * 2.5,
                    note: "90th over 10th percentile of cells per targeting gRNA")
                : Estimate(nil, note: "a gRNA with no cells")
        } else {
            guideSpread9010 = Estimate(nil, note: "fewer than 10 targeting gRNAs")
        }
        // Knockdowns against the non-targeting cells.
        var nt = GroupSums(genes: 0)
        nt.cells = pass.batchControls.reduce(0) { $0 + $1.cells }
        let ln2 = M_LN2
        func baseline(_ g: Int) -> (mean: Double, varOfLog: Double) {
            let n = Double(max(1, nt.cells))
            let s1 = pass.batchControls.reduce(0) { $0 + $1.yOverL[g] }
            let s2 = pass.batchControls.reduce(0) { $0 + $1.y2OverL2[g] }
            let m = (meanL * s1 + 0.5) / n
            let v = max(0, meanL * meanL * s2 / n - m * m)
            return (m, v / (n * m * m))
        }
        func lfc(_ sums: TargetSums, gene g: Int) -> Estimate {
            guard sums.cells > 0 else { return Estimate(nil, note: "no cells") }
            let n = Double(sums.cells)
            let m = (meanL * sums.yOverL + 0.5) / n
            let v = max(0, meanL * meanL * sums.y2OverL2 / n - m * m)
            let b = baseline(g)
            return Estimate(Foundation.log2(m / b.mean), se: ((v / (n * m * m) + b.varOfLog)).squareRoot() / ln2)
        }
        guides = a.guides.indices.map { k in
            let t = a.targets[k]
            let g = t.flatMap { geneIndex[$0] }
            return GuideCalibration(
                guide: a.guides[k], target: t, cells: perGuide[k],
                log2Fc: g.map { lfc(pass.guideTargets[k], gene: $0) }
                    ?? Estimate(nil, note: t == nil ? "non-targeting" : "target not measured"))
        }
        var spreadTerms: [Double] = []
        targets = targetNames.map { t in
            let gs = targetGuides[t]!
            let cells = gs.reduce(0) { $0 + perGuide[$1] }
            guard let g = geneIndex[t] else {
                return TargetCalibration(
                    target: t, guides: gs.count, cells: cells, measured: false,
                    log2Fc: Estimate(nil, note: "target not measured"))
            }
            var pooled = TargetSums()
            for k in gs {
                pooled.cells += pass.guideTargets[k].cells
                pooled.yOverL += pass.guideTargets[k].yOverL
                pooled.y2OverL2 += pass.guideTargets[k].y2OverL2
            }
            let e = lfc(pooled, gene: g)
            let per = gs.compactMap { k -> (Double, Double)? in
                guides[k].log2Fc.value.map { ($0, guides[k].log2Fc.se ?? 0) }
            }
            if per.count >= 2 {
                let m = per.reduce(0) { $0 + $1.0 } / Double(per.count)
                let between = per.reduce(0) { $0 + ($1.0 - m) * ($1.0 - m) } / Double(per.count - 1)
                spreadTerms.append(between - per.reduce(0) { $0 + $1.1 * $1.1 } / Double(per.count))
            }
            return TargetCalibration(target: t, guides: gs.count, cells: cells, measured: true, log2Fc: e)
        }
        notEstimableTargets = targets.filter { !$0.measured }.map(\.target)
        let measured = targets.filter(\.measured)
        cellsPerTargetMedian =
            measured.isEmpty
            ? Estimate(nil, note: "no measured target")
            : Estimate(quantile(measured.map { Double($0.cells) }.sorted(), 0.5), note: "median over measured targets")
        guidesPerTargetMedian =
            targets.isEmpty
            ? Estimate(nil, note: "no target") : Estimate(quantile(targets.map { Double($0.guides) }.sorted(), 0.5))
        let effects = measured.compactMap(\.log2Fc.value)
        if !effects.isEmpty {
            let m = effects.reduce(0, +) / Double(effects.count)
            let sd =
                effects.count > 1
                ? (effects.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(effects.count - 1)).squareRoot() : .nan
            let se = sd / Double(effects.count).squareRoot()
            let note = "mean on-target log2 FC \(String(format: "%.3f", m)) over \(effects.count) measured targets"
            switch options.modality {
            case .knockout:
                let r = min(1, Foundation.exp2(m))
                knockdown["ko_transcript_retention"] = Estimate(r, se: r * ln2 * se, note: note)
            case .crispri:
                let eff = a.guides.indices.compactMap { k in guides[k].log2Fc.value.map { 1 - Foundation.exp2($0) } }
                let km = min(0.99, max(0.01, 1 - Foundation.exp2(m)))
                knockdown["knockdown_mean"] = Estimate(km, se: Foundation.exp2(m) * ln2 * se, note: note)
                if eff.count > 2 {
                    let em = eff.reduce(0, +) / Double(eff.count)
                    let ev = eff.reduce(0) { $0 + ($1 - em) * ($1 - em) } / Double(eff.count - 1)
                    let c = ev > 0 ? min(1000, max(1, km * (1 - km) / ev - 1)) : 1000
                    knockdown["knockdown_concentration"] = Estimate(c, note: "Beta moments of per-gRNA efficiencies")
                }
            case .crispra:
                knockdown["activation"] = Estimate(
                    max(0.01, Foundation.exp2(m) - 1), se: Foundation.exp2(m) * ln2 * se, note: note)
            }
        }
        if !spreadTerms.isEmpty {
            let v = spreadTerms.reduce(0, +) / Double(spreadTerms.count)
            let sd = max(0, v).squareRoot()
            knockdown["guide_effect_sd"] = Estimate(
                min(2, sd),
                note: "between-gRNA sd of on-target log2 FC minus sampling noise, \(spreadTerms.count) targets")
        }
    }
}

/// sd from the median absolute deviation (× 1.4826).
func robustSD(_ values: [Double]) -> Double {
    guard values.count > 2 else { return 0 }
    let s = values.sorted()
    let med = s[s.count / 2]
    let dev = s.map { abs($0 - med) }.sorted()
    return 1.4826 * dev[dev.count / 2]
}
