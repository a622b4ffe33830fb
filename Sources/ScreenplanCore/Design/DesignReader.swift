import Foundation
import Yams

// MARK: - Reading a design file into typed values, with the location of every field
//
// The file is composed into a Yams node tree (YAML; JSON is YAML's flow subset) rather than
// decoded with Codable, so that every problem can name its line and column, unknown keys can be
// caught with a suggestion, and all problems are reported in one pass instead of the first one.

/// A design together with where each of its fields was written, so that later checks (memory,
/// capacity, network) can point at the right line.
public struct LoadedDesign: Sendable {
    public var design: Design
    public var file: String
    /// Location of each field path present in the file (`batching.batches` → 12:3).
    public var locations: [String: SourceLocation]

    /// Where a field was written, or the nearest enclosing section that was, or the file start.
    public func location(of path: String) -> SourceLocation {
        var key = path
        while true {
            if let found = locations[key] { return found }
            guard let cut = key.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
            key = String(key[..<cut])
        }
        return SourceLocation(file: file, line: 1, column: 1)
    }
}

public enum DesignLoader {
    /// Reads and validates a design file. Throws `DesignValidationError` listing every problem.
    public static func load(path: String) throws -> LoadedDesign {
        guard FileManager.default.fileExists(atPath: path) else {
            throw DesignValidationError(issues: [
                DesignIssue(
                    location: SourceLocation(file: path, line: 1, column: 1), path: "(file)",
                    message: "no such file")
            ])
        }
        guard let data = FileManager.default.contents(atPath: path),
            let text = String(data: data, encoding: .utf8)
        else {
            throw DesignValidationError(issues: [
                DesignIssue(
                    location: SourceLocation(file: path, line: 1, column: 1), path: "(file)",
                    message: "cannot be read as UTF-8 text")
            ])
        }
        let base = (path as NSString).deletingLastPathComponent
        return try load(text: text, file: path, baseDirectory: base.isEmpty ? "." : base)
    }

    /// Reads and validates design text; `file` names it in messages.
    public static func load(text: String, file: String, baseDirectory: String = ".") throws
        -> LoadedDesign
    {
        let reader = DesignReader(file: file)
        var design = reader.read(text: text)
        design.baseDirectory = baseDirectory
        var loaded = LoadedDesign(design: design, file: file, locations: reader.locations)
        var issues = reader.issues
        if issues.isEmpty {
            issues += DesignValidator.validate(loaded)
        }
        guard issues.isEmpty else {
            throw DesignValidationError(
                issues: issues.sorted {
                    ($0.location.file, $0.location.line, $0.location.column)
                        < ($1.location.file, $1.location.line, $1.location.column)
                })
        }
        loaded.design = design
        Design.noteReadBack(design)
        return loaded
    }

    /// Decodes without semantic validation (used by the TUI to read a file with problems in it).
    public static func decode(text: String, file: String) -> (Design, [DesignIssue]) {
        let reader = DesignReader(file: file)
        let design = reader.read(text: text)
        return (design, reader.issues)
    }
}

// MARK: - Node tree reader

/// Walks the node tree, filling a `Design` from its defaults and recording problems.
final class DesignReader {
    let file: String
    private(set) var issues: [DesignIssue] = []
    private(set) var locations: [String: SourceLocation] = [:]

    init(file: String) { self.file = file }

    func location(_ node: Node?) -> SourceLocation {
        guard let mark = node?.mark else { return SourceLocation(file: file, line: 1, column: 1) }
        return SourceLocation(file: file, line: mark.line, column: mark.column)
    }

    func report(_ node: Node?, _ path: String, _ message: String) {
        issues.append(DesignIssue(location: location(node), path: path, message: message))
    }

    func read(text: String) -> Design {
        var design = Design()
        self.text = text
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            issues.append(syntaxIssue(error))
            return design
        } catch {
            issues.append(
                DesignIssue(
                    location: SourceLocation(file: file, line: 1, column: 1), path: "(file)",
                    message: "not valid YAML or JSON"))
            return design
        }
        guard let root else {
            report(nil, "(file)", "the file is empty; a design needs at least a `name`")
            return design
        }
        read(root: root, into: &design)
        return design
    }

    /// Reads the fields present in `root` into `design`, which keeps its values elsewhere: a
    /// file into the defaults (`read(text:)`), or the tree of one edited field into the design
    /// it edits (`Design.settingScalar`), so both go through the same code for every field.
    func read(root: Node, into design: inout Design) {
        guard let top = Fields(self, root, path: "") else { return }
        top.string("name", &design.name)
        top.string("description", &design.description)
        if let s = top.section("system") { readSystem(s, &design.system) }
        if let s = top.section("perturbations") { readPerturbations(s, &design.perturbations) }
        if let list = top.sequence("protocol") { design.protocolSteps = readProtocol(list) }
        if let s = top.section("sampling") { readSampling(s, &design.sampling) }
        if let s = top.section("measurement") { readMeasurement(s, &design.measurement) }
        if let s = top.section("batching") { readBatching(s, &design.batching) }
        if let s = top.section("cost") { readCost(s, &design.cost) }
        if let s = top.section("analysis") { readAnalysis(s, &design.analysis) }
        top.finish()
    }

    private func syntaxIssue(_ error: YamlError) -> DesignIssue {
        func make(_ problem: String, _ mark: Mark) -> DesignIssue {
            DesignIssue(
                location: SourceLocation(file: file, line: mark.line, column: mark.column),
                path: "(syntax)", message: problem)
        }
        switch error {
        case .scanner(_, let problem, let mark, _): return make(problem, mark)
        case .parser(_, let problem, let mark, _): return make(problem, mark)
        case .composer(_, let problem, let mark, _): return make(problem, mark)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let key = duplicates.first ?? "?"
            let first = context.mark
            return DesignIssue(
                location: repeatedKeyLocation(key, after: first),
                path: "(syntax)",
                message: "key `\(key)` is given twice in the same mapping (first on line \(first.line))")
        case .reader(let problem, _, _, _):
            return DesignIssue(
                location: SourceLocation(file: file, line: 1, column: 1), path: "(syntax)",
                message: problem)
        default:
            return DesignIssue(
                location: SourceLocation(file: file, line: 1, column: 1), path: "(syntax)",
                message: "not valid YAML or JSON")
        }
    }

    /// Where a key is written again after its first place: the next line that has the key at the
    /// same column (Yams reports only the first place). Falls back to the first place.
    private var text = ""
    private func repeatedKeyLocation(_ key: String, after first: Mark) -> SourceLocation {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if first.line >= 1 {
            for index in first.line..<lines.count {
                let chars = Array(lines[index])
                let start = first.column - 1
                guard start >= 0, start < chars.count else { continue }
                if String(chars[start...]).hasPrefix(key + ":")
                    && chars[..<start].allSatisfy({ $0 == " " || $0 == "-" })
                {
                    return SourceLocation(file: file, line: index + 1, column: first.column)
                }
            }
        }
        return SourceLocation(file: file, line: max(1, first.line), column: max(1, first.column))
    }

    func record(_ path: String, _ node: Node) { locations[path] = location(node) }

    // MARK: Sections

    private func readSystem(_ f: Fields, _ s: inout SystemSpec) {
        f.enumeration("regime", &s.regime)
        f.enumeration("dynamics", &s.dynamics)
        f.int("genes", &s.genes, Check.atLeast(2))
        f.double("intrinsic_noise", &s.intrinsicNoise, Check.within(0, 10))
        f.double("time_step_h", &s.timeStepH, Check.within(0.001, 24))
        if let n = f.section("network") {
            n.optionalString("file", &s.network.file)
            n.optionalString("genes_file", &s.network.genesFile)
            n.uint64("seed", &s.network.seed)
            n.int("regulators", &s.network.regulators, Check.atLeast(1))
            n.double("mean_in_degree", &s.network.meanInDegree, Check.positive(atMost: 100))
            n.double("activation_fraction", &s.network.activationFraction, Check.fraction)
            n.double("weight_mean", &s.network.weightMean, Check.positive(atMost: 1000))
            n.double("hill_n", &s.network.hillN, Check.within(0.5, 10))
            n.double("half_response", &s.network.halfResponse, Check.within(0.001, 1000))
            n.double("basal", &s.network.basal, Check.within(0.0001, 10_000))
            n.double("decay_per_h", &s.network.decayPerH, Check.within(0.001, 100))
            n.double("basal_log_sd", &s.network.basalLogSd, Check.within(0, 3))
            n.finish()
        }
        if let list = f.sequence("media") {
            if list.items.isEmpty {
                report(list.node, list.path, "needs at least one medium, e.g. `- name: growth`")
            }
            s.media = list.items.enumerated().compactMap { index, node in
                guard let m = Fields(self, node, path: "\(list.path)[\(index)]") else { return nil }
                var medium = MediumSpec()
                m.string("name", &medium.name)
                m.numberMap("inputs", &medium.inputs, Check.within(-10_000, 10_000))
                m.int("random_inputs", &medium.randomInputs, Check.within(0, 1_000_000))
                m.double("input_strength", &medium.inputStrength, Check.within(0, 1000))
                m.finish()
                return medium
            }
        }
        if let d = f.section("differentiation") {
            d.int("lineages", &s.differentiation.lineages, Check.within(2, 12))
            d.double("lineage_strength", &s.differentiation.lineageStrength, Check.positive(atMost: 1000))
            d.string("trigger_medium", &s.differentiation.triggerMedium)
            d.finish()
        }
        if let v = f.section("in_vivo") {
            v.double("niche_sd", &s.inVivo.nicheSd, Check.within(0, 10))
            v.double("delivery_delay_h", &s.inVivo.deliveryDelayH, Check.within(0, 100_000))
            v.double("delivery_sd", &s.inVivo.deliverySd, Check.within(0, 0.5))
            v.double("influx_per_h", &s.inVivo.influxPerH, Check.within(0, 1))
            v.finish()
        }
        if let a = f.section("assumptions") {
            a.bool("controls_respond_to_medium", &s.assumptions.controlsRespondToMedium)
            a.bool("bistable_perturbation", &s.assumptions.bistablePerturbation)
            a.bool("sample_before_steady_state", &s.assumptions.sampleBeforeSteadyState)
            a.bool("delayed_perturbation", &s.assumptions.delayedPerturbation)
            a.double("perturbation_ramp_h", &s.assumptions.perturbationRampH, Check.within(0, 100_000))
            a.finish()
        }
        if let c = f.section("cell_types") { readCellTypes(c, &s.cellTypes) }
        f.finish()
    }

    private func readCellTypes(_ f: Fields, _ c: inout CellTypesSpec) {
        f.double("concentration", &c.concentration, Check.within(1e-6, 1e9))
        if let list = f.sequence("types") {
            c.types = list.items.enumerated().compactMap { index, node in
                guard let t = Fields(self, node, path: "\(list.path)[\(index)]") else { return nil }
                var type = CellTypeSpec(name: "", fraction: 0)
                t.string("name", &type.name)
                t.double("fraction", &type.fraction, Check.fraction)
                t.optionalString("profile", &type.profile)
                t.finish()
                return type
            }
        }
        f.finish()
    }

    private func readPerturbations(_ f: Fields, _ p: inout PerturbationSpec) {
        f.enumeration("modality", &p.modality)
        f.int("targets", &p.targets, Check.atLeast(1))
        f.stringList("target_genes", &p.targetGenes)
        f.int("guides_per_target", &p.guidesPerTarget, Check.within(1, 20))
        f.double("knockdown_mean", &p.knockdownMean, Check.within(0.001, 1))
        f.double("knockdown_concentration", &p.knockdownConcentration, Check.within(0.01, 10_000))
        f.double("activation", &p.activation, Check.positive(atMost: 1000))
        f.double("ko_transcript_retention", &p.koTranscriptRetention, Check.fraction)
        f.double("guide_effect_sd", &p.guideEffectSd, Check.within(0, 2))
        f.double("moi", &p.moi, Check.within(0.01, 50))
        if let list = f.sequence("combinations") {
            p.combinations = list.items.enumerated().compactMap { index, node in
                let path = "\(list.path)[\(index)]"
                guard case .sequence(let genes) = node else {
                    report(node, path, "must be a list of gene names, e.g. [GATA1, SPI1]")
                    return nil
                }
                record(path, node)
                return genes.compactMap { gene in
                    guard let s = gene.scalar?.string else {
                        report(gene, path, "gene names must be text")
                        return nil
                    }
                    return s
                }
            }
        }
        f.finish()
    }

    private func readProtocol(_ list: Items) -> [ProtocolStep] {
        if list.items.isEmpty {
            report(list.node, list.path, "needs at least one step")
        }
        return list.items.enumerated().compactMap { index, node in
            guard let s = Fields(self, node, path: "\(list.path)[\(index)]") else { return nil }
            var step = ProtocolStep(medium: "growth", perturb: false, durationH: 24)
            s.string("medium", &step.medium)
            s.bool("perturb", &step.perturb)
            s.double("duration_h", &step.durationH, Check.positive(atMost: 100_000))
            s.finish()
            return step
        }
    }

    private func readSampling(_ f: Fields, _ s: inout SamplingSpec) {
        f.doubleList("time_points_h", &s.timePointsH, Check.nonNegative)
        f.int("cells_per_perturbation", &s.cellsPerPerturbation, Check.within(1, 1_000_000))
        f.optionalInt("control_cells", &s.controlCells, Check.within(0, 100_000_000))
        f.optionalDouble("controls_fraction", &s.controlsFraction, Check.controlsFraction)
        f.double("qc_pass_fraction", &s.qcPassFraction, Check.within(0.01, 1))
        f.finish()
    }

    private func readMeasurement(_ f: Fields, _ m: inout MeasurementSpec) {
        f.int("measured_genes", &m.measuredGenes, Check.atLeast(1))
        f.double("mrna_per_cell", &m.mrnaPerCell, Check.within(1, 100_000_000))
        f.double("library_size_sd", &m.librarySizeSd, Check.within(0, 3))
        f.double("batch_library_sd", &m.batchLibrarySd, Check.within(0, 3))
        f.double("capture_efficiency", &m.captureEfficiency, Check.openFraction)
        f.double("dispersion", &m.dispersion, Check.within(0.000001, 1000))
        f.enumeration("dropout", &m.dropout)
        f.double("dropout_rate", &m.dropoutRate, Check.fraction)
        f.double("dropout_midpoint", &m.dropoutMidpoint, Check.within(0.000001, 1_000_000))
        f.double("guide_capture", &m.guideCapture, Check.within(0.001, 1))
        f.double("doublet_rate_per_cell", &m.doubletRatePerCell, Check.within(0, 1e-3))
        f.double("reads_per_cell", &m.readsPerCell, Check.within(1, 100_000_000))
        f.double("mapping_efficiency", &m.mappingEfficiency, Check.within(0.001, 1))
        f.optionalString("expression_profile", &m.expressionProfile)
        f.finish()
    }

    private func readBatching(_ f: Fields, _ b: inout BatchingSpec) {
        f.enumeration("unit", &b.unit)
        f.int("batches", &b.batches, Check.within(1, 10_000))
        f.int("max_cells_per_batch", &b.maxCellsPerBatch, Check.within(1, 10_000_000))
        f.enumeration("layout", &b.layout)
        f.int("replicates", &b.replicates, Check.within(1, 10_000))
        f.double("controls_in_fraction", &b.controlsInFraction, Check.fraction)
        f.double("batch_effect_sd", &b.batchEffectSd, Check.within(0, 3))
        f.double("interaction_sd", &b.interactionSd, Check.within(0, 3))
        if let list = f.sequence("nested") {
            b.nested = list.items.enumerated().compactMap { index, node in
                guard let l = Fields(self, node, path: "\(list.path)[\(index)]") else { return nil }
                var level = BatchLevel(unit: .animal, count: 2, effectSd: 0.2)
                l.enumeration("unit", &level.unit)
                l.int("count", &level.count, Check.within(1, 10_000))
                l.double("effect_sd", &level.effectSd, Check.within(0, 3))
                l.finish()
                return level
            }
        }
        f.optionalEnumeration("delivery_unit", &b.deliveryUnit)
        if let list = f.sequence("explicit_cells") {
            b.explicitCells = list.items.enumerated().map { index, node in
                let path = "\(list.path)[\(index)]"
                guard case .sequence(let row) = node else {
                    report(node, path, "must be a list of cell counts, one per batch")
                    return []
                }
                record(path, node)
                return row.map { cell in
                    guard let value = cell.scalar.flatMap({ Int($0.string.replacingOccurrences(of: "_", with: "")) }),
                        value >= 0, value <= 10_000_000
                    else {
                        report(
                            cell, path,
                            "cell counts must be whole numbers in [0, 10000000] (got \(cell.scalar?.string ?? "a list"))"
                        )
                        return 0
                    }
                    return value
                }
            }
        }
        f.finish()
    }

    private func readCost(_ f: Fields, _ c: inout CostSpec) {
        f.string("currency", &c.currency)
        f.double("per_batch", &c.perBatch, Check.within(0, 1_000_000_000))
        f.double("per_cell", &c.perCell, Check.within(0, 1_000_000))
        f.double("per_million_reads", &c.perMillionReads, Check.within(0, 1_000_000))
        f.double("reads_per_flow_cell", &c.readsPerFlowCell, Check.within(1000, 1e13))
        f.double("flow_cell", &c.flowCell, Check.within(0, 1_000_000_000))
        f.int("lanes_per_kit", &c.lanesPerKit, Check.within(1, 1000))
        f.double("per_animal", &c.perAnimal, Check.within(0, 1_000_000_000))
        f.finish()
    }

    private func readAnalysis(_ f: Fields, _ a: inout AnalysisSpec) {
        f.enumeration("test", &a.test)
        f.enumeration("effect", &a.effect)
        f.double("effect_size_log2", &a.effectSizeLog2, Check.within(-20, 20))
        f.double("alpha", &a.alpha, Check.within(1e-12, 1))
        f.enumeration("multiple_testing", &a.multipleTesting)
        f.double("target_power", &a.targetPower, Check.openFraction)
        f.double("expression_threshold", &a.expressionThreshold, Check.within(0, 1_000_000))
        f.double("lambda_control", &a.lambdaControl, Check.within(0, 1_000_000))
        f.double("lambda_perturbed", &a.lambdaPerturbed, Check.within(0, 1_000_000))
        f.optionalString("cell_type", &a.cellType)
        f.finish()
    }
}

// MARK: - Range checks

/// Range checks return nil when a value is valid, or the message that says what is valid.
enum Check {
    typealias Rule = @Sendable (Double) -> String?
    static let positive: Rule = { $0 > 0 ? nil : "must be > 0" }
    static let nonNegative: Rule = { $0 >= 0 ? nil : "must be ≥ 0" }
    static let fraction: Rule = { (0...1).contains($0) ? nil : "must be in [0, 1]" }
    static let openFraction: Rule = { $0 > 0 && $0 <= 1 ? nil : "must be in (0, 1]" }
    static let controlsFraction: Rule = {
        $0 >= 0 && $0 < 1 ? nil : "must be in [0, 1): a controls fraction ≥ 1 leaves no cells for perturbations"
    }
    static func atLeast(_ low: Int) -> Rule { { $0 >= Double(low) ? nil : "must be ≥ \(low)" } }
    static func within(_ low: Double, _ high: Double) -> Rule {
        { (low...high).contains($0) ? nil : "must be in [\(format(low)), \(format(high))]" }
    }
    /// (0, high]: a positive quantity with an upper bound that keeps every computation finite.
    static func positive(atMost high: Double) -> Rule {
        { $0 > 0 && $0 <= high ? nil : "must be in (0, \(format(high))]" }
    }
    static func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e9 ? String(Int(x)) : String(x)
    }
}

// MARK: - Field access with location tracking

/// A sequence node with its path.
struct Items {
    let node: Node
    let items: [Node]
    let path: String
}

/// The fields of one mapping: each read marks its key as known; `finish` reports the rest.
final class Fields {
    let reader: DesignReader
    let node: Node
    let pairs: [(key: String, keyNode: Node, value: Node)]
    let path: String
    private var known: [String] = []

    init?(_ reader: DesignReader, _ node: Node, path: String) {
        self.reader = reader
        self.node = node
        self.path = path
        guard case .mapping(let mapping) = node else {
            reader.report(node, path.isEmpty ? "(file)" : path, "must be a mapping of `key: value` fields")
            return nil
        }
        var seen = Set<String>()
        var pairs: [(String, Node, Node)] = []
        for (key, value) in mapping {
            let name = key.scalar?.string ?? ""
            if !seen.insert(name).inserted {
                reader.report(key, Fields.join(path, name), "is given twice")
            }
            pairs.append((name, key, value))
        }
        self.pairs = pairs
        if !path.isEmpty { reader.record(path, node) }
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The value of `key` when present; records the key as known either way.
    func value(_ key: String) -> (Node, String)? {
        known.append(key)
        guard let pair = pairs.first(where: { $0.key == key }) else { return nil }
        let fieldPath = Fields.join(path, key)
        reader.record(fieldPath, pair.value)
        return (pair.value, fieldPath)
    }

    func finish() {
        for pair in pairs where !known.contains(pair.key) {
            var message = "unknown key `\(pair.key)`"
            if let guess = suggestion(for: pair.key, among: known) {
                message += "; did you mean `\(guess)`?"
            } else {
                message += "; valid keys here: \(known.joined(separator: ", "))"
            }
            reader.report(pair.keyNode, Fields.join(path, pair.key), message)
        }
    }

    func section(_ key: String) -> Fields? {
        guard let (node, fieldPath) = value(key) else { return nil }
        return Fields(reader, node, path: fieldPath)
    }

    func sequence(_ key: String) -> Items? {
        guard let (node, fieldPath) = value(key) else { return nil }
        guard case .sequence(let seq) = node else {
            reader.report(node, fieldPath, "must be a list")
            return nil
        }
        return Items(node: node, items: Array(seq), path: fieldPath)
    }

    private func scalar(_ node: Node, _ fieldPath: String, expecting what: String) -> String? {
        guard case .scalar(let scalar) = node else {
            reader.report(node, fieldPath, "must be \(what), not a \(node.mapping != nil ? "mapping" : "list")")
            return nil
        }
        return scalar.string
    }

    func string(_ key: String, _ target: inout String) {
        guard let (node, fieldPath) = value(key),
            let text = scalar(node, fieldPath, expecting: "text")
        else { return }
        target = text
    }

    /// A YAML null (`null`, `~` or nothing after the colon), or `auto` where a field allows it.
    private func isNull(_ node: Node, allowingAuto: Bool = false) -> Bool {
        guard let text = node.scalar?.string else { return false }
        if node.scalar?.style != .plain && node.scalar?.style != .any { return false }
        return ["null", "Null", "NULL", "~", ""].contains(text) || (allowingAuto && text == "auto")
    }

    func optionalString(_ key: String, _ target: inout String?) {
        guard let (node, fieldPath) = value(key) else { return }
        if isNull(node) {
            target = nil
            return
        }
        guard let text = scalar(node, fieldPath, expecting: "text") else { return }
        target = text
    }

    func bool(_ key: String, _ target: inout Bool) {
        guard let (node, fieldPath) = value(key),
            let text = scalar(node, fieldPath, expecting: "true or false")
        else { return }
        switch text.lowercased() {
        case "true", "yes", "on": target = true
        case "false", "no", "off": target = false
        default: reader.report(node, fieldPath, "must be true or false, not `\(text)`")
        }
    }

    /// Parses a number, accepting YAML's `.inf`/`.nan` only to reject them with a clear message.
    private func number(_ node: Node, _ fieldPath: String) -> Double? {
        guard let text = scalar(node, fieldPath, expecting: "a number") else { return nil }
        let lowered = text.lowercased()
        if [".nan", "nan"].contains(lowered) || lowered.hasSuffix(".inf") || lowered == "inf"
            || lowered == "-inf" || lowered == "infinity"
        {
            reader.report(node, fieldPath, "must be a finite number, not `\(text)`")
            return nil
        }
        guard let value = Double(text.replacingOccurrences(of: "_", with: "")) else {
            reader.report(node, fieldPath, "must be a number, not `\(text)`")
            return nil
        }
        guard value.isFinite else {
            reader.report(node, fieldPath, "must be a finite number, not `\(text)`")
            return nil
        }
        return value
    }

    func double(_ key: String, _ target: inout Double, _ rule: Check.Rule) {
        guard let (node, fieldPath) = value(key), let value = number(node, fieldPath) else { return }
        if let problem = rule(value) {
            reader.report(node, fieldPath, "\(problem) (got \(text(node)))")
            return
        }
        target = value
    }

    func optionalDouble(_ key: String, _ target: inout Double?, _ rule: Check.Rule) {
        guard let (node, fieldPath) = value(key) else { return }
        if isNull(node, allowingAuto: true) {
            target = nil
            return
        }
        guard let value = number(node, fieldPath) else { return }
        if let problem = rule(value) {
            reader.report(node, fieldPath, "\(problem) (got \(text(node)))")
            return
        }
        target = value
    }

    private func wholeNumber(_ node: Node, _ fieldPath: String, _ rule: Check.Rule) -> Int? {
        guard let value = number(node, fieldPath) else { return nil }
        guard value == value.rounded(), abs(value) < 1e15 else {
            reader.report(node, fieldPath, "must be a whole number (got \(text(node)))")
            return nil
        }
        if let problem = rule(value) {
            reader.report(node, fieldPath, "\(problem) (got \(text(node)))")
            return nil
        }
        return Int(value)
    }

    func int(_ key: String, _ target: inout Int, _ rule: Check.Rule) {
        guard let (node, fieldPath) = value(key), let value = wholeNumber(node, fieldPath, rule)
        else { return }
        target = value
    }

    func optionalInt(_ key: String, _ target: inout Int?, _ rule: Check.Rule) {
        guard let (node, fieldPath) = value(key) else { return }
        if isNull(node, allowingAuto: true) {
            target = nil
            return
        }
        if let value = wholeNumber(node, fieldPath, rule) { target = value }
    }

    /// A seed: any whole number in 0...2⁶⁴−1, read exactly (a Double would round seeds ≥ 2⁵³).
    func uint64(_ key: String, _ target: inout UInt64) {
        guard let (node, fieldPath) = value(key) else { return }
        if let text = node.scalar?.string, let exact = UInt64(text.replacingOccurrences(of: "_", with: "")) {
            target = exact
            return
        }
        guard let value = wholeNumber(node, fieldPath, Check.nonNegative) else { return }
        target = UInt64(value)
    }

    func enumeration<E: RawRepresentable & CaseIterable>(_ key: String, _ target: inout E)
    where E.RawValue == String {
        guard let (node, fieldPath) = value(key),
            let text = scalar(node, fieldPath, expecting: "text")
        else { return }
        guard let value = E(rawValue: text) else {
            let options = E.allCases.map(\.rawValue)
            var message = "must be one of \(options.joined(separator: ", ")), not `\(text)`"
            if let guess = suggestion(for: text, among: options) { message += "; did you mean `\(guess)`?" }
            reader.report(node, fieldPath, message)
            return
        }
        target = value
    }

    /// An enumeration that may be absent or null (nil).
    func optionalEnumeration<E: RawRepresentable & CaseIterable>(_ key: String, _ target: inout E?)
    where E.RawValue == String {
        guard let (node, _) = value(key) else { return }
        if isNull(node) {
            target = nil
            return
        }
        var value = E.allCases.first!
        let before = reader.issues.count
        enumeration(key, &value)
        if reader.issues.count == before { target = value }
    }

    func stringList(_ key: String, _ target: inout [String]) {
        guard let (node, fieldPath) = value(key) else { return }
        guard case .sequence(let seq) = node else {
            reader.report(node, fieldPath, "must be a list of text")
            return
        }
        target = seq.enumerated().compactMap { index, item in
            let itemPath = "\(fieldPath)[\(index)]"
            reader.record(itemPath, item)
            return scalar(item, itemPath, expecting: "text")
        }
    }

    func doubleList(_ key: String, _ target: inout [Double], _ rule: Check.Rule) {
        guard let (node, fieldPath) = value(key) else { return }
        guard case .sequence(let seq) = node else {
            reader.report(node, fieldPath, "must be a list of numbers")
            return
        }
        var values: [Double] = []
        for (index, item) in seq.enumerated() {
            let itemPath = "\(fieldPath)[\(index)]"
            reader.record(itemPath, item)
            guard let value = number(item, itemPath) else { continue }
            if let problem = rule(value) {
                reader.report(item, itemPath, "\(problem) (got \(text(item)))")
                continue
            }
            values.append(value)
        }
        target = values
    }

    func numberMap(_ key: String, _ target: inout [String: Double], _ rule: Check.Rule? = nil) {
        guard let sub = section(key) else { return }
        var result: [String: Double] = [:]
        for pair in sub.pairs {
            let fieldPath = Fields.join(sub.path, pair.key)
            reader.record(fieldPath, pair.value)
            guard let value = sub.number(pair.value, fieldPath) else { continue }
            if let problem = rule?(value) {
                reader.report(pair.value, fieldPath, "\(problem) (got \(sub.text(pair.value)))")
                continue
            }
            result[pair.key] = value
        }
        target = result
    }

    func text(_ node: Node) -> String { node.scalar?.string ?? "?" }
}
