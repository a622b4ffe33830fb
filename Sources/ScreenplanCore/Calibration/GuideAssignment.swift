import Foundation

// MARK: - Which guide each pilot cell carries
//
// From gRNA counts (gRNAs × cells): a gRNA is *detected* in a cell when it has at least
// `threshold` UMIs (5 by default, SCEPTRE's thresholding default) and at least `minimumShare`
// (20%) of the cell's most-counted gRNA, which drops the ambient background a highly expressed
// guide leaves in every droplet. The cell is *assigned* to its most-counted gRNA when that gRNA is
// detected; a cell whose detected gRNAs target different genes is `multiple` and is left out of
// the knockdown estimates. Two streamed passes over the gRNA matrix (top count per cell, then
// detections), O(cells) memory. From an assignment table (cell, gRNA) each listed cell carries
// that gRNA.

/// How guides were assigned to cells, and what that says about capture and MOI.
public struct GuideAssignment: Sendable {
    /// gRNA ids, in the order of the input.
    public var guides: [String]
    /// Target of each gRNA: a gene symbol, or nil for non-targeting controls.
    public var targets: [String?]
    /// Per cell: the assigned gRNA index, −1 when none is detected, −2 for targets that disagree.
    public var cellGuide: [Int32]
    /// Per cell: the number of gRNAs detected.
    public var detected: [UInt8]
    /// UMI threshold for a detection.
    public var threshold: Int
    /// Share of the top gRNA's UMIs a second gRNA needs to count as detected.
    public var minimumShare: Double

    /// Spellings of a non-targeting control in a targets table.
    public static let controlNames: Set<String> = [
        "non-targeting", "non_targeting", "nontargeting", "nt", "control",
        "negative_control", "safe-targeting", "safe_targeting",
    ]

    /// Reads `--guide-targets`: `gRNA <tab> target` (a header line is skipped), and checks that
    /// every gRNA of `guides` has a row.
    public static func targets(path: String, guides: [String], guideListPath: String) throws -> [String?] {
        let rows = try LineReader.table(path)
        var map: [String: String] = [:]
        for (index, row) in rows.enumerated() {
            guard row.fields.count >= 2 else {
                throw CalibrationInputError(
                    file: path, line: row.line, "a row must be `gRNA<TAB>target` (target gene or non-targeting)")
            }
            let id = row.fields[0].trimmingCharacters(in: .whitespaces)
            let target = row.fields[1].trimmingCharacters(in: .whitespaces)
            if index == 0 && !guides.contains(id)
                && ["grna_id", "grna", "guide", "guide_id", "id", "feature"].contains(id.lowercased())
            {
                continue
            }
            if map[id] != nil {
                throw CalibrationInputError(file: path, line: row.line, "gRNA `\(id)` is listed twice")
            }
            guard !target.isEmpty else {
                throw CalibrationInputError(file: path, line: row.line, "gRNA `\(id)` has an empty target")
            }
            map[id] = target
        }
        return try guides.enumerated().map { i, g in
            guard let t = map[g] else {
                throw CalibrationInputError(
                    file: guideListPath, line: i + 1,
                    "gRNA `\(g)` has no row in \(path) (give its target gene or `non-targeting`)")
            }
            return controlNames.contains(t.lowercased()) ? nil : t
        }
    }

    /// Assignment from a gRNA counts matrix whose cells are the counts matrix's cells (same
    /// order, or matched by barcode when both list them).
    public static func fromCounts(
        _ matrix: CountMatrix, targets: [String?], cellCount: Int, cellOrder: [Int]?,
        threshold: Int = 5, minimumShare: Double = 0.2
    ) throws -> GuideAssignment {
        var top = [Int32](repeating: 0, count: cellCount)
        var topGuide = [Int32](repeating: -1, count: cellCount)
        func cell(_ c: Int32) -> Int { cellOrder.map { $0[Int(c)] } ?? Int(c) }
        try matrix.forEachEntry { g, c, v in
            let k = cell(c)
            guard k >= 0 else { return }
            if v > top[k] || (v == top[k] && topGuide[k] > g) {
                top[k] = v
                topGuide[k] = g
            }
        }
        var detected = [UInt8](repeating: 0, count: cellCount)
        var assigned = [Int32](repeating: -1, count: cellCount)
        for k in 0..<cellCount where top[k] >= threshold { assigned[k] = topGuide[k] }
        try matrix.forEachEntry { g, c, v in
            let k = cell(c)
            guard k >= 0, v >= threshold, top[k] >= threshold, Double(v) >= minimumShare * Double(top[k]) else {
                return
            }
            if detected[k] < 255 { detected[k] += 1 }
            let a = assigned[k]
            if a >= 0 && a != g && targets[Int(a)] != targets[Int(g)] { assigned[k] = -2 }
        }
        return GuideAssignment(
            guides: matrix.features, targets: targets, cellGuide: assigned, detected: detected,
            threshold: threshold, minimumShare: minimumShare)
    }

    /// Assignment from a table `cell <tab> gRNA` (a header line is skipped; cells not listed
    /// carry no guide; a cell listed with gRNAs of different targets is `multiple`).
    public static func fromTable(path: String, cells: [String], targetsPath: String) throws -> GuideAssignment {
        let rows = try LineReader.table(path)
        let cellIndex = Dictionary(cells.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var guides: [String] = []
        var guideIndex: [String: Int] = [:]
        var pairs: [(Int, Int)] = []
        for (i, row) in rows.enumerated() {
            guard row.fields.count >= 2 else {
                throw CalibrationInputError(file: path, line: row.line, "a row must be `cell<TAB>gRNA`")
            }
            guard let c = cellIndex[row.fields[0]] else {
                if i == 0 { continue }
                throw CalibrationInputError(
                    file: path, line: row.line, "cell `\(row.fields[0])` is not among the counts' cells")
            }
            let g = row.fields[1]
            if g.isEmpty { continue }
            let gi =
                guideIndex[g]
                ?? {
                    guides.append(g)
                    guideIndex[g] = guides.count - 1
                    return guides.count - 1
                }()
            pairs.append((c, gi))
        }
        guard !guides.isEmpty else { throw CalibrationInputError(file: path, "the assignment table assigns no cell") }
        let targets = try GuideAssignment.targets(path: targetsPath, guides: guides, guideListPath: path)
        var assigned = [Int32](repeating: -1, count: cells.count)
        var detected = [UInt8](repeating: 0, count: cells.count)
        for (c, g) in pairs {
            if detected[c] < 255 { detected[c] += 1 }
            let a = assigned[c]
            if a == -1 { assigned[c] = Int32(g) } else if a >= 0 && targets[Int(a)] != targets[g] { assigned[c] = -2 }
        }
        return GuideAssignment(
            guides: guides, targets: targets, cellGuide: assigned, detected: detected,
            threshold: 1, minimumShare: 0)
    }
}
