import Foundation
import TestSupport
import Testing

// `screenplan calibrate` on the real Papalexi 2021 THP-1 screen (../shared/data, as CI lays it
// out): calibrate, simulate the written design as it is, calibrate the simulation, and compare
// simulated with real per gene, in depth and in the on-target knockdowns. Then bad inputs: each
// is refused with exit code 2 and a message naming the file (and line).

private let papalexi = repositoryRoot + "/../shared/data/papalexi-thp1-lowmoi"

/// The JSON of a calibration run.
private func calibrate(_ arguments: [String]) throws -> (CommandResult, [String: Any]) {
    let r = try runScreenplan(["calibrate"] + arguments + ["--json"])
    let json = (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) as? [String: Any] ?? [:]
    return (r, json)
}

private func median(_ values: [Double]) -> Double {
    let s = values.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : 0.5 * (s[s.count / 2 - 1] + s[s.count / 2])
}

private func genes(_ json: [String: Any]) -> [String: [String: Any]] {
    let rows = json["gene_estimates"] as? [[String: Any]] ?? []
    return Dictionary(rows.map { ($0["gene"] as! String, $0) }, uniquingKeysWith: { a, _ in a })
}

private func value(_ any: Any?) -> Double? { (any as? [String: Any])?["value"] as? Double }

@Test func calibratedPapalexiDesignReproducesTheRealScreen() throws {
    try #require(
        FileManager.default.fileExists(atPath: papalexi + "/gene_counts.mtx.gz"),
        "the real THP-1 data must be at \(papalexi) (../shared/data next to the repository)")
    let dir = temporaryDirectory("calibrate-papalexi")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let (real, r) = try calibrate([
        papalexi + "/gene_counts.mtx.gz", "--guides", papalexi + "/grna_counts.mtx.gz",
        "--guide-targets", papalexi + "/grna_targets.tsv", "--cells", papalexi + "/cells.tsv.gz",
        "--batch-column", "bio_rep", "--modality", "knockout", "-o", dir + "/thp1.yaml",
    ])
    #expect(real.status == 0, "\(real.stderr)")
    #expect(r["cells"] as? Int == 20729 && r["genes"] as? Int == 299)
    // 26 targets, 17 of them outside the 299 measured genes: listed as not estimable.
    #expect((r["targets"] as? [Any])?.count == 26)
    #expect((r["not_estimable_targets"] as? [String])?.count == 17)
    let validate = try runScreenplan(["validate", dir + "/thp1.yaml"])
    #expect(validate.status == 0, "\(validate.stderr)")
    let yaml = try String(contentsOfFile: dir + "/thp1.yaml", encoding: .utf8)
    #expect(yaml.contains("expression_profile: thp1.profile.tsv"))
    #expect(yaml.contains("ko_transcript_retention:") && yaml.contains("± "))

    let sim = try runScreenplan(["simulate", dir + "/thp1.yaml", "--out", dir + "/sim", "--seed", "1"])
    #expect(sim.status == 0, "\(sim.stderr)")
    // The simulation's guides as a cell → gRNA table, and its gRNA → target map.
    let cellsTSV = try String(contentsOfFile: dir + "/sim/cells.tsv", encoding: .utf8).split(separator: "\n")
    let header = cellsTSV[0].split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
    let cellColumn = header.firstIndex(of: "cell")!
    let detectedColumn = header.firstIndex(of: "detected_guides")!
    var table = "cell\tgrna\n"
    var guideNames = Set<String>()
    for line in cellsTSV.dropFirst() {
        let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        for g in f[detectedColumn].split(whereSeparator: { ";,|".contains($0) }) where !g.isEmpty && g != "-" {
            table += "\(f[cellColumn])\t\(g)\n"
            guideNames.insert(String(g))
        }
    }
    try table.write(toFile: dir + "/sim-guides.tsv", atomically: true, encoding: .utf8)
    let targets = guideNames.sorted().map { g -> String in
        let t = String(g[..<g.range(of: "_g", options: .backwards)!.lowerBound])
        return "\(g)\t\(t == "non-targeting" ? "non-targeting" : t)"
    }.joined(separator: "\n")
    try targets.write(toFile: dir + "/sim-targets.tsv", atomically: true, encoding: .utf8)
    let (simCal, s) = try calibrate([
        dir + "/sim", "--guides", dir + "/sim-guides.tsv", "--guide-targets", dir + "/sim-targets.tsv",
        "--modality", "knockout", "-o", dir + "/sim-cal.yaml",
    ])
    #expect(simCal.status == 0, "\(simCal.stderr)")

    // Per gene: mean, variance at matched mean (same gene), zero fraction.
    let rg = genes(r)
    let sg = genes(s)
    var meanError: [Double] = []
    var varianceRatio: [Double] = []
    var zeroDiff: [Double] = []
    for (gene, row) in rg {
        guard let sim = sg[gene], let m = row["mean_umis"] as? Double, m > 0 else { continue }
        meanError.append(abs((sim["mean_umis"] as! Double) - m) / m)
        varianceRatio.append((sim["variance"] as! Double) / (row["variance"] as! Double))
        zeroDiff.append(abs((sim["zero_fraction"] as! Double) - (row["zero_fraction"] as! Double)))
    }
    #expect(meanError.count >= 290)
    #expect(median(meanError) <= 0.10, "median relative error of per-gene means \(median(meanError))")
    #expect((0.8...1.25).contains(median(varianceRatio)), "median variance ratio \(median(varianceRatio))")
    #expect(median(zeroDiff) <= 0.03, "median zero-fraction difference \(median(zeroDiff))")
    // Library size: median ±10% and log sd ±0.05.
    let rl = (r["library"] as! [[String: Any]])[0]
    let sl = (s["library"] as! [[String: Any]])[0]
    let rMedian = value(rl["median_umis"])!
    let sMedian = value(sl["median_umis"])!
    #expect(abs(sMedian / rMedian - 1) <= 0.10, "library median \(sMedian) vs \(rMedian)")
    let rSD = value(rl["log_sd"])!
    let sSD = value(sl["log_sd"])!
    #expect(abs(sSD - rSD) <= 0.05, "log library sd \(sSD) vs \(rSD)")
    // Composition: the measured targets with the pilot's median cells, the pilot's controls.
    let simTargets = (s["targets"] as! [[String: Any]])
    #expect(simTargets.count == 9)
    let cpp = value(r["cells_per_target_median"])!
    for t in simTargets {
        let cells = Double(t["cells"] as! Int)
        #expect(abs(cells / cpp - 1) < 0.15, "\(t["target"]!): \(cells) cells, design \(cpp)")
    }
    // On-target knockdowns: the simulated mean log2 FC recovers the real one (the design's
    // retention), each simulated target near it within its sampling noise.
    let realLFC = (r["targets"] as! [[String: Any]]).compactMap { value($0["log2_fc"]) }
    let simLFC = simTargets.compactMap { value($0["log2_fc"]) }
    #expect(realLFC.count == 9 && simLFC.count == 9)
    let realMean = realLFC.reduce(0, +) / 9
    let simMean = simLFC.reduce(0, +) / 9
    #expect(abs(simMean - realMean) < 0.15, "mean on-target log2 FC: simulated \(simMean), real \(realMean)")
    for t in simTargets {
        let e = t["log2_fc"] as! [String: Any]
        let v = e["value"] as! Double
        let se = e["se"] as! Double
        #expect(abs(v - realMean) < 4 * se + 0.1, "\(t["target"]!): simulated \(v) ± \(se), design \(realMean)")
    }
}

// MARK: - Bad input: exit 2, the file and line named, nothing written

private func writeMatrix(_ dir: String, _ name: String, _ body: String) throws -> String {
    let path = dir + "/" + name
    try body.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

@Test func calibrateRefusesBadInputWithExitCodeTwo() throws {
    let dir = temporaryDirectory("calibrate-bad")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try "G1\nG2\nG3\n".write(toFile: dir + "/genes.txt", atomically: true, encoding: .utf8)
    let good = "%%MatrixMarket matrix coordinate integer general\n3 4 6\n1 1 3\n2 1 1\n1 2 2\n3 3 5\n2 4 1\n3 4 2\n"
    func run(_ args: [String]) throws -> CommandResult {
        try runScreenplan(["calibrate"] + args + ["-o", dir + "/out.yaml"])
    }
    // Non-integer counts (normalised values), with the line.
    let real = try writeMatrix(dir, "real.mtx", good.replacingOccurrences(of: "3 3 5", with: "3 3 0.37"))
    var r = try run([real])
    #expect(r.status == 2 && r.stderr.contains("real.mtx:6:") && r.stderr.contains("not a whole"), "\(r.stderr)")
    // Shape mismatch between the matrix and its gene list.
    try "G1\nG2\n".write(toFile: dir + "/two.txt", atomically: true, encoding: .utf8)
    let ok = try writeMatrix(dir, "counts.mtx", good)
    r = try run([ok, "--gene-names", dir + "/two.txt"])
    #expect(r.status == 2 && r.stderr.contains("shape mismatch"), "\(r.stderr)")
    // An entry count that disagrees with the size line.
    let short = try writeMatrix(dir, "short.mtx", good.replacingOccurrences(of: "3 4 6", with: "3 4 7"))
    r = try run([short])
    #expect(r.status == 2 && r.stderr.contains("announces 7"), "\(r.stderr)")
    // An empty matrix.
    let empty = try writeMatrix(dir, "empty.mtx", "%%MatrixMarket matrix coordinate integer general\n3 4 0\n")
    r = try run([empty])
    #expect(r.status == 2 && r.stderr.contains("empty"), "\(r.stderr)")
    // A gRNA without a row in --guide-targets, named with its line in the gRNA list.
    try "gA\ngB\n".write(toFile: dir + "/grnas.txt", atomically: true, encoding: .utf8)
    let guides = try writeMatrix(
        dir, "g.mtx", "%%MatrixMarket matrix coordinate integer general\n2 4 4\n1 1 9\n2 2 9\n1 3 9\n2 4 9\n")
    try "grna_id\tgrna_target\ngA\tG1\n".write(toFile: dir + "/targets.tsv", atomically: true, encoding: .utf8)
    r = try run([ok, "--guides", guides, "--guide-names", dir + "/grnas.txt", "--guide-targets", dir + "/targets.tsv"])
    #expect(r.status == 2 && r.stderr.contains("grnas.txt:2:") && r.stderr.contains("`gB`"), "\(r.stderr)")
    // No non-targeting cells.
    try "grna_id\tgrna_target\ngA\tG1\ngB\tG2\n".write(toFile: dir + "/targets.tsv", atomically: true, encoding: .utf8)
    r = try run([ok, "--guides", guides, "--guide-names", dir + "/grnas.txt", "--guide-targets", dir + "/targets.tsv"])
    #expect(r.status == 2 && r.stderr.contains("non-targeting"), "\(r.stderr)")
    // A cell table with the wrong number of rows.
    try "cell\tbatch\nc1\tb1\n".write(toFile: dir + "/cells.tsv", atomically: true, encoding: .utf8)
    r = try run([ok, "--cells", dir + "/cells.tsv", "--batch-column", "batch"])
    #expect(r.status == 2 && r.stderr.contains("cells.tsv") && r.stderr.contains("shape mismatch"), "\(r.stderr)")
    // Nothing was written by any of them.
    #expect(!FileManager.default.fileExists(atPath: dir + "/out.yaml"))
    #expect(!FileManager.default.fileExists(atPath: dir + "/out.profile.tsv"))
    // The small matrix itself calibrates.
    r = try run([ok])
    #expect(r.status == 0, "\(r.stderr)")
}

@Test func aDesignWithABadProfileIsRefusedWithTheProfileLine() throws {
    let dir = temporaryDirectory("calibrate-profile")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try "gene\tmean_umis_per_cell\tdispersion_theta\nA\t1.5\t2\nB\t-1\t2\n".write(
        toFile: dir + "/p.tsv", atomically: true, encoding: .utf8)
    try
        "name: p\nsystem: {genes: 2}\nperturbations: {target_genes: [A]}\nmeasurement: {measured_genes: 2, expression_profile: p.tsv}\nbatching: {batches: 1}\n"
        .write(toFile: dir + "/d.yaml", atomically: true, encoding: .utf8)
    var r = try runScreenplan(["validate", dir + "/d.yaml"])
    #expect(
        r.status == 2 && r.stderr.contains("measurement.expression_profile") && r.stderr.contains("p.tsv:3:"),
        "\(r.stderr)")
    try "gene\tmean_umis_per_cell\tdispersion_theta\nA\t1.5\t2\nB\t3\t2\n".write(
        toFile: dir + "/p.tsv", atomically: true, encoding: .utf8)
    r = try runScreenplan(["validate", dir + "/d.yaml"])
    #expect(r.status == 0, "\(r.stderr)")
    // A target must be one of the profile's genes.
    try
        "name: p\nsystem: {genes: 2}\nperturbations: {target_genes: [MAPT]}\nmeasurement: {measured_genes: 2, expression_profile: p.tsv}\nbatching: {batches: 1}\n"
        .write(toFile: dir + "/d.yaml", atomically: true, encoding: .utf8)
    r = try runScreenplan(["validate", dir + "/d.yaml"])
    #expect(r.status == 2 && r.stderr.contains("unknown gene `MAPT`"), "\(r.stderr)")
}
