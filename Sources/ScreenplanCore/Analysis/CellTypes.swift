import Foundation

// MARK: - Power per cell type (system.cell_types; docs/cell-types.md)
//
// In vivo screens are analysed per cell type: a perturbation's effective cells in type t are the
// type's share of its cells, and their expression is the type's. For type t with mean fraction
// f and Dirichlet concentration c, each sampling unit u (the animal in vivo, else the batch)
// has fraction p_u with E p_u = f and Var p_u = f(1 − f)/(c + 1). The analysis predicts a
// variance, so the spread enters as the expectation of the variance over the units' draws,
// E[1/p] ≈ (1/f)(1 + CV²) (delta method), i.e. the effective fraction is f / (1 + CV²):
//   - tests that pool cells over batches (glm, wilcoxon, t-test) estimate from Σ_u n_u p_u
//     cells: CV² = Var(p̄)/f² = (1 − f)/(f (c + 1) B), with B the units holding the
//     perturbation (equal cells per unit);
//   - the pseudo-bulk estimator averages per-batch estimates, each with variance ∝ 1/p_b, so the
//     effective fraction is 1/E[1/p] = (cf − 1)/(c − 1) exactly (p is Beta(cf, c(1 − f))) when
//     cf > 1, else the delta method's f/(1 + CV²) with CV² = (1 − f)/(f (c + 1)), whatever B.
// The error model then runs with every perturbed and control cell count scaled by the effective
// fraction (`Analyzer.evaluate(cellFraction:)`) on the type's expression (baseline shares times
// the profile's factors, renormalised, and the profile's θ; CellTypeProfile.swift). Effects (the
// fold changes) are the network's in every type.

/// Power of one perturbation in one cell type.
public struct CellTypePerturbationPower: Codable, Equatable, Sendable {
    public var perturbation: String
    /// Power of `analysis.test` with the type's effective cells and expression.
    public var power: Double
    /// Sampling units (animals in vivo, else batches) holding the perturbation.
    public var units: Int
    /// Effective cells of the type: the perturbation's cells × the effective fraction.
    public var effectiveCells: Double
    /// Predicted standard error of the target log2 fold change in this type; nil (JSON null)
    /// when not estimable (target below the expression threshold in the type, no controls).
    public var targetSd: Double?

    public init(perturbation: String, power: Double, units: Int, effectiveCells: Double, targetSd: Double?) {
        self.perturbation = perturbation
        self.power = power
        self.units = units
        self.effectiveCells = effectiveCells
        self.targetSd = targetSd
    }

    enum CodingKeys: String, CodingKey {
        case perturbation, power, units
        case effectiveCells = "effective_cells"
        case targetSd = "target_sd"
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(perturbation, forKey: .perturbation)
        try c.encode(power, forKey: .power)
        try c.encode(units, forKey: .units)
        try c.encode(effectiveCells, forKey: .effectiveCells)
        try c.encode(targetSd, forKey: .targetSd)
    }
}

/// The power summary of one cell type.
public struct CellTypeResult: Codable, Equatable, Sendable {
    public var name: String
    /// Mean fraction of the cells (`system.cell_types.types[].fraction`).
    public var fraction: Double
    /// sd of the type's fraction between sampling units, √(f(1 − f)/(c + 1)).
    public var fractionSd: Double
    /// The fraction the power is computed with (median over perturbations): f / (1 + CV²).
    public var effectiveFraction: Double
    /// Whether the type has its own expression profile.
    public var hasProfile: Bool
    public var medianPower: Double
    public var worstPerturbation: String
    public var worstPower: Double
    /// Genes testable in the type (mean UMIs per control cell ≥ expression_threshold).
    public var testableGenes: Int
    public var perturbations: [CellTypePerturbationPower]

    /// The keys of the file format (snake_case), kept when the properties were renamed.
    enum CodingKeys: String, CodingKey {
        case name
        case fraction
        case fractionSd = "fraction_sd"
        case effectiveFraction = "effective_fraction"
        case hasProfile = "has_profile"
        case medianPower = "median_power"
        case worstPerturbation = "worst_perturbation"
        case worstPower = "worst_power"
        case testableGenes = "testable_genes"
        case perturbations
    }
}

public enum CellTypePower {
    /// The sampling unit of each batch of `layout`: the animal (in vivo: the `animal` level, or
    /// the batch when animals are the batches), else the batch.
    public static func unitOfBatch(_ design: Design, layout: Layout) -> [Int] {
        let batches = Array(0..<layout.batchCount)
        guard design.system.regime == .inVivo, design.batching.unit != .animal,
            let level = design.batching.nested.firstIndex(where: { $0.unit == .animal }),
            level < layout.batchUnits.count
        else { return batches }
        return layout.batchUnits[level]
    }

    /// Sampling units holding perturbation `p` (at time point `time` when given).
    public static func units(of p: Int, layout: Layout, unitOfBatch: [Int], time: Int? = nil) -> Int {
        Set(layout.batches(of: p).filter { time == nil || layout.batchTime[$0] == time }.map { unitOfBatch[$0] }).count
    }

    /// The effective fraction f / (1 + CV²) of a type with mean fraction `f` under Dirichlet
    /// concentration `c`, for a perturbation in `units` sampling units (file comment).
    public static func effectiveFraction(_ f: Double, concentration c: Double, units: Int, test: DifferentialTest)
        -> Double
    {
        guard f > 0 else { return 0 }
        guard f < 1 else { return 1 }
        // Pseudo-bulk: p_b ~ Beta(cf, c(1 − f)) has E[1/p] = (c − 1)/(cf − 1) exactly when cf > 1
        // (below, an animal may hold almost none of the type and the expectation diverges; the
        // delta method is then the optimistic answer).
        if test == .pseudobulk && c * f > 1 { return (c * f - 1) / (c - 1) }
        var cv2 = (1 - f) / (f * (c + 1))
        if test != .pseudobulk { cv2 /= Double(max(1, units)) }
        return f / (1 + cv2)
    }

    /// The expected effects with the baseline expression of a type (shares × factor,
    /// renormalised; the type's θ).
    public static func effects(_ base: ExpectedEffects, expression: CellTypeExpression) -> ExpectedEffects {
        guard let factor = expression.factor else { return base }
        var out = base
        for s in out.slices.indices {
            var share = out.slices[s].share
            var total = 0.0
            for i in share.indices where i < factor.count { share[i] *= factor[i] }
            for v in share { total += v }
            if total > 0 { for i in share.indices { share[i] /= total } }
            out.slices[s].share = share
            out.slices[s].dispersion = expression.dispersion
        }
        return out
    }

    /// Per type: its evaluation for each distinct number of sampling units among the
    /// perturbations, and the effective fraction of each.
    struct TypeEvaluations {
        var spec: CellTypeSpec
        var expression: CellTypeExpression
        var byUnits: [Int: (fraction: Double, evaluation: Evaluation)]
        /// Units of each evaluation row (time point t, perturbation p: row t·K + p).
        var unitsOf: [Int]
    }

    static func evaluations(
        _ design: Design, layout: Layout, effects: ExpectedEffects,
        only: String? = nil
    ) throws -> [TypeEvaluations] {
        let spec = design.system.cellTypes
        guard !spec.types.isEmpty else { return [] }
        let theta =
            effects.slices.first?.dispersion
            ?? [Double](repeating: design.measurement.dispersion, count: effects.geneNames.count)
        let expressions = try expressionCache.expressions(design, genes: effects.geneNames, pooledDispersion: theta)
        let units = unitOfBatch(design, layout: layout)
        let k = layout.perturbationCount
        let unitsOf = (0..<(effects.slices.count * k)).map { r in
            Self.units(of: r % max(1, k), layout: layout, unitOfBatch: units, time: r / max(1, k))
        }
        let distinct = Array(Set(unitsOf)).sorted()
        let total = spec.types.reduce(0) { $0 + $1.fraction }
        var out: [TypeEvaluations] = []
        for (t, type) in spec.types.enumerated() where only == nil || type.name == only {
            let typed = Self.effects(effects, expression: expressions[t])
            let f = type.fraction / max(total, 1e-300)
            var byUnits: [Int: (Double, Evaluation)] = [:]
            for b in distinct {
                let fe = effectiveFraction(f, concentration: spec.concentration, units: b, test: design.analysis.test)
                byUnits[b] = (fe, Analyzer.evaluate(design, layout: layout, effects: typed, cellFraction: fe))
            }
            out.append(TypeEvaluations(spec: type, expression: expressions[t], byUnits: byUnits, unitsOf: unitsOf))
        }
        return out
    }

    /// The evaluation of `analysis.cell_type` (rows from the evaluation of each perturbation's
    /// number of units), or nil when the design names no type.
    static func headline(_ design: Design, layout: Layout, effects: ExpectedEffects) throws -> Evaluation? {
        guard let name = design.analysis.cellType,
            let typed = try evaluations(design, layout: layout, effects: effects, only: name).first,
            let first = typed.byUnits.values.first?.evaluation
        else { return nil }
        var evaluation = first
        evaluation.rows = evaluation.rows.indices.map { r in
            guard r < typed.unitsOf.count else { return first.rows[r] }
            return typed.byUnits[typed.unitsOf[r]]?.evaluation.rows[r] ?? first.rows[r]
        }
        return evaluation
    }

    /// Power per perturbation and cell type of `design` on `layout` (its own when nil); nil
    /// when the design has no cell types.
    public static func compute(_ design: Design, layout given: Layout? = nil, analyzer: Analyzer = Analyzer()) throws
        -> [CellTypeResult]?
    {
        guard !design.system.cellTypes.types.isEmpty else { return nil }
        let effects = try analyzer.effects(for: design)
        let layout = given ?? analyzer.layout(for: design)
        let total = design.system.cellTypes.types.reduce(0) { $0 + $1.fraction }
        let c = design.system.cellTypes.concentration
        return try evaluations(design, layout: layout, effects: effects).map { typed in
            var rows: [CellTypePerturbationPower] = []
            var testable = 0
            var fractions: [Double] = []
            if let any = typed.byUnits.values.first?.evaluation {
                testable = any.testableGenes
                rows.reserveCapacity(any.rows.count)
            }
            let count = min(typed.byUnits.values.first?.evaluation.rows.count ?? 0, typed.unitsOf.count)
            for r in 0..<count {
                let units = typed.unitsOf[r]
                guard let (fe, e) = typed.byUnits[units] else { continue }
                let row = e.rows[r]
                let sd =
                    row.targetSD.isFinite && row.targetUMIs >= design.analysis.expressionThreshold ? row.targetSD : nil
                rows.append(
                    CellTypePerturbationPower(
                        perturbation: row.name, power: row.power, units: units,
                        effectiveCells: Double(row.cells) * fe, targetSd: sd))
                fractions.append(fe)
            }
            let f = typed.spec.fraction / max(total, 1e-300)
            let worst = rows.min { $0.power < $1.power }
            return CellTypeResult(
                name: typed.spec.name, fraction: f, fractionSd: (f * (1 - f) / (c + 1)).squareRoot(),
                effectiveFraction: median(fractions), hasProfile: typed.expression.factor != nil,
                medianPower: median(rows.map(\.power)), worstPerturbation: worst?.perturbation ?? "",
                worstPower: worst?.power ?? 0, testableGenes: testable, perturbations: rows)
        }
    }

    /// The compact per-type table of `analyze` (one line per type).
    public static func text(_ results: [CellTypeResult], headline: String?) -> [String] {
        guard !results.isEmpty else { return [] }
        var lines = [
            "",
            "Power per cell type (\(headline.map { "headline figures: \($0)" } ?? "headline figures: all cells pooled")):",
        ]
        let table = AnalysisText.table(
            ["cell type", "fraction", "± sd", "effective", "median power", "worst", "profile"],
            results.map { r in
                [
                    r.name, String(format: "%.3f", r.fraction), String(format: "%.3f", r.fractionSd),
                    String(format: "%.3f", r.effectiveFraction), String(format: "%.2f", r.medianPower),
                    r.worstPerturbation.isEmpty
                        ? "n/a" : "\(r.worstPerturbation) \(String(format: "%.2f", r.worstPower))",
                    r.hasProfile ? "own" : "pooled",
                ]
            }, rightAligned: [1, 2, 3, 4])
        lines.append(table)
        return lines
    }

    /// Per-type expression read once per set of profiles (the optimizer evaluates many designs).
    static let expressionCache = ExpressionCache()
}

/// Thread-safe cache of the types' expression, keyed by what it depends on.
final class ExpressionCache: Sendable {
    private let cached = Locked<(key: [String], value: [CellTypeExpression])?>(nil)

    func expressions(_ design: Design, genes: [String], pooledDispersion: [Double]) throws -> [CellTypeExpression] {
        var k = [
            design.baseDirectory, design.measurement.expressionProfile ?? "", String(genes.count),
            genes.first ?? "", genes.last ?? "", String(pooledDispersion.reduce(0, +)),
        ]
        for t in design.system.cellTypes.types {
            k += [t.name, t.profile ?? ""]
            if let p = t.profile {
                let path = DesignValidator.resolve(p, against: design.baseDirectory)
                let date = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
                k.append(String(date?.timeIntervalSince1970 ?? 0))
            }
        }
        if let hit = cached.withLock({ $0?.key == k ? $0?.value : nil }) { return hit }
        let computed = try CellTypeExpression.of(design, genes: genes, pooledDispersion: pooledDispersion)
        cached.withLock { $0 = (k, computed) }
        return computed
    }
}
