import Foundation

// MARK: - Expression profiles: real genes for a design
//
// `measurement.expression_profile: FILE` (a TSV `screenplan calibrate` writes; path relative to
// the design's folder) names the measured genes and gives each its mean UMIs per cell at the
// pilot's depth and its NB dispersion θ. Without a network file the profile *is* the network:
// one gene per row, no edges, basal production mean × γ so the steady state is the pilot's mean;
// a target then moves only itself (CRISPRi/a, knockout: κ on its own production). The analysis
// takes each gene's share of the UMIs (scaled to the design's UMIs per cell) and its own θ; the
// simulator draws each measured gene with its own θ. With a network file the network sets the
// levels and the profile the dispersions of the genes it names.

/// A parsed expression profile.
public struct ExpressionProfile: Equatable, Sendable {
    public var genes: [String]
    /// Mean UMIs per cell at the pilot's depth.
    public var meanUMIs: [Double]
    /// NB size θ per gene.
    public var dispersion: [Double]
    /// `# key: value` lines of the header (source, cells, median_umis_per_cell, …).
    public var metadata: [String: String]

    /// Column names, in file order.
    public static let columns = [
        "gene", "mean_umis_per_cell", "mean_se", "dispersion_theta", "theta_log_se",
        "zero_fraction", "zero_fraction_nb",
    ]

    /// Reads a profile, checking every row (errors name the file and line; exit 2).
    public static func read(path: String) throws -> ExpressionProfile {
        // Without a suffix the columns are required, so parse never returns nil here.
        try parse(path: path, columnSuffix: nil)!
    }

    /// Reads the columns `mean_umis_per_cell:TYPE` and `dispersion_theta:TYPE` of a profile
    /// (`screenplan calibrate --cell-type-column`) as a profile; nil when the file has none.
    public static func read(path: String, cellType type: String) throws -> ExpressionProfile? {
        try parse(path: path, columnSuffix: ":" + type)
    }

    /// One reader for the overall columns (suffix nil) and a cell type's (suffix `:TYPE`, nil
    /// when the header lacks them).
    private static func parse(path: String, columnSuffix suffix: String?) throws -> ExpressionProfile? {
        let meanColumn = "mean_umis_per_cell" + (suffix ?? "")
        let thetaColumn = "dispersion_theta" + (suffix ?? "")
        let reader = try LineReader(path: path)
        var metadata: [String: String] = [:]
        var header: [String]? = nil
        var genes: [String] = []
        var means: [Double] = []
        var thetas: [Double] = []
        var seen = Set<String>()
        var gi = 0
        var mi = 1
        var ti = 3
        while let line = try reader.nextString() {
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                let body = line.dropFirst().trimmingCharacters(in: .whitespaces)
                if let colon = body.firstIndex(of: ":") {
                    metadata[String(body[..<colon]).trimmingCharacters(in: .whitespaces)] = String(
                        body[body.index(after: colon)...]
                    ).trimmingCharacters(in: .whitespaces)
                }
                continue
            }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard let h = header else {
                guard let g = fields.firstIndex(of: "gene"), let m = fields.firstIndex(of: meanColumn),
                    let t = fields.firstIndex(of: thetaColumn)
                else {
                    if suffix != nil { return nil }
                    throw CalibrationInputError(
                        file: path, line: reader.lineNumber,
                        "the header must name the columns gene, mean_umis_per_cell and dispersion_theta")
                }
                gi = g
                mi = m
                ti = t
                header = fields
                continue
            }
            guard fields.count == h.count else {
                throw CalibrationInputError(
                    file: path, line: reader.lineNumber, "the row has \(fields.count) columns, the header \(h.count)")
            }
            let gene = fields[gi]
            guard !gene.isEmpty else {
                throw CalibrationInputError(file: path, line: reader.lineNumber, "empty gene name")
            }
            guard seen.insert(gene).inserted else {
                throw CalibrationInputError(file: path, line: reader.lineNumber, "gene `\(gene)` is listed twice")
            }
            guard let m = Double(fields[mi]), m >= 0, m.isFinite else {
                throw CalibrationInputError(
                    file: path, line: reader.lineNumber,
                    "\(meanColumn) `\(fields[mi])` must be a number ≥ 0 (UMIs per cell)")
            }
            guard let t = Double(fields[ti]), t > 0, t.isFinite else {
                throw CalibrationInputError(
                    file: path, line: reader.lineNumber,
                    "\(thetaColumn) `\(fields[ti])` must be a number > 0 (NB size θ)")
            }
            genes.append(gene)
            means.append(m)
            thetas.append(t)
        }
        guard !genes.isEmpty else { throw CalibrationInputError(file: path, "the profile lists no genes") }
        guard means.contains(where: { $0 > 0 }) else {
            throw CalibrationInputError(file: path, "every gene has mean 0 UMIs per cell in \(meanColumn)")
        }
        return ExpressionProfile(genes: genes, meanUMIs: means, dispersion: thetas, metadata: metadata)
    }

    /// Profiles read so far, by path and modification date (designs are analysed many times).
    private static let cache = ProfileCache()

    /// The profile a design names, or nil when it names none.
    public static func of(_ design: Design) throws -> ExpressionProfile? {
        guard let file = design.measurement.expressionProfile else { return nil }
        return try cache.profile(DesignValidator.resolve(file, against: design.baseDirectory))
    }

    /// The network a profile stands for: its genes, no edges, steady state = the pilot's mean.
    public func network(decay: Double) -> Network {
        Network(
            genes: genes, basal: meanUMIs.map { $0 * decay }, decay: [Double](repeating: decay, count: genes.count),
            edges: [])
    }

    /// θ of every name in `names` (the profile's, else `fallback`).
    public func dispersions(for names: [String], fallback: Double) -> [Double] {
        let index = Dictionary(genes.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        return names.map { index[$0].map { dispersion[$0] } ?? fallback }
    }

    /// The design's network when it has a profile and no network file; nil otherwise.
    public static func network(for design: Design) throws -> Network? {
        guard design.system.network.file == nil, let p = try of(design) else { return nil }
        return p.network(decay: design.system.network.decayPerH)
    }

    /// Per measured gene θ when the design has a profile (nil otherwise).
    public static func dispersions(_ design: Design, genes: [String]) throws -> [Double]? {
        try of(design).map { $0.dispersions(for: genes, fallback: design.measurement.dispersion) }
    }

    /// Writes a profile from a calibration (overall columns, then three per cell type).
    public static func write(_ c: Calibration, to path: String) throws {
        var out = "# screenplan expression profile (written by screenplan calibrate \(ScreenplanVersion.string))\n"
        out += "# source: \(c.source)\n"
        out += "# cells: \(c.cells)\n"
        if let med = c.library.first?.medianUmis.value { out += "# median_umis_per_cell: \(fmt(med))\n" }
        out +=
            "# dispersion: NB size theta, moment estimate shrunk toward the trend 1/theta = \(fmt(c.trendA0.value ?? 0)) + \(fmt(c.trendA1.value ?? 0))/mean\n"
        var header = columns
        for t in c.cellTypes { header += ["mean_umis_per_cell:\(t)", "dispersion_theta:\(t)", "zero_fraction:\(t)"] }
        out += header.joined(separator: "\t") + "\n"
        for g in c.geneEstimates {
            var row = [
                g.gene, fmt(g.meanUmis), fmt(g.meanSe), fmt(g.theta), fmt(g.thetaLogSe), fmt(g.zeroFraction),
                fmt(g.zeroFractionNb),
            ]
            for t in g.byType { row += [fmt(t.meanUmis), fmt(t.theta), fmt(t.zeroFraction)] }
            out += row.joined(separator: "\t") + "\n"
        }
        try out.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func fmt(_ x: Double) -> String { String(format: "%.6g", x) }
}

/// Thread-safe cache of parsed profiles keyed by path and modification time.
final class ProfileCache: Sendable {
    private let entries = Locked([String: (Date?, ExpressionProfile)]())

    func profile(_ path: String) throws -> ExpressionProfile {
        let date = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
        if let e = entries.withLock({ $0[path] }), e.0 == date { return e.1 }
        let p = try ExpressionProfile.read(path: path)
        entries.withLock { $0[path] = (date, p) }
        return p
    }
}
