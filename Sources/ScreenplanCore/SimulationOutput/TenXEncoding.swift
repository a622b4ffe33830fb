import Foundation

// MARK: - The 10x output: a writer that only consumes simulated blocks
//
// DIR/matrix.mtx.gz     genes × cells counts (Matrix Market coordinate, 1-based, cell-major order)
// DIR/barcodes.tsv.gz   one barcode per cell
// DIR/features.tsv.gz   id, name, "Gene Expression" per measured gene
// DIR/cells.tsv         per-cell metadata (header line, then one row per cell, in barcode order)
// DIR/truth.tsv         true effects (steady-state log2 fold changes)
// DIR/states.mtx.gz     true states before measurement (modelled genes × cells, Matrix Market array), with --states
// DIR/run.json          seed, version, design hash, shard, counts, timings
//
// Each block of cells is one gzip member in each .gz file, compressed by the worker that made
// the block. The Matrix Market size line comes first but its entry count is known only at the
// end, so it is written as a stored (uncompressed) gzip member of fixed width, reserved at the
// start and filled in last. A shard writes the same members for its blocks, with global cell
// numbers, so `merge` concatenates members and rewrites the size line: the merged files are
// byte for byte those of an unsharded run.

extension TenXWriter {
    /// Width of the entry-count field of the size line (spaces pad it; Matrix Market fields are
    /// whitespace-separated).
    static let countWidth = 20
    static let matrixBanner = "%%MatrixMarket matrix coordinate integer general\n"

    /// The size line: rows, columns, entry count padded to a fixed width.
    static func sizeLine(rows: Int, cols: Int, entries: Int) -> String {
        let count = String(entries)
        return "\(rows) \(cols) " + String(repeating: " ", count: max(0, countWidth - count.count)) + count + "\n"
    }

    /// The header member (stored, so its length depends only on the text length).
    static func headerMember(banner: String, rows: Int, cols: Int, entries: Int) throws -> [UInt8] {
        try Gzip.member(Array((banner + sizeLine(rows: rows, cols: cols, entries: entries)).utf8), level: 0)
    }

    /// Encoded pieces of one block.
    struct Encoded: Sendable {
        var matrix: [UInt8]
        var barcodes: [UInt8]
        var cells: [UInt8]
        var states: [UInt8]?
        var stateEntries: Int
    }

    static let cellsHeader =
        "cell\tindex\tbatch\tanimal\ttime_h\tage_h\tmedium\tperturbation\tperturbation_index\tguides\tdetected_guides\tobserved_perturbation\tdoublet\tstate\tlibrary_size\tcell_type\n"

    static func encode(_ block: SimulatedBlock, model: SimulationModel, genes: DecimalTexts? = nil) throws -> Encoded {
        let bc = ByteBuffer(capacity: block.cellCount * 20)
        let cl = ByteBuffer(capacity: block.cellCount * 120)
        func name(_ p: Int) -> String {
            p >= 0
                ? model.perturbations[p].name
                : (p == -1 ? "control" : (p == CellRecord.unassigned ? "unassigned" : "ambiguous"))
        }
        let matrixMember = try compressedEntries(block, genes: genes ?? DecimalTexts(count: model.measuredGeneCount))
        for cell in block.cells {
            bc.append(cell.barcode)
            bc.append(byte: 10)
            cl.appendRow { row in
                row.field(cell.barcode)
                row.field(cell.index)
                row.field(cell.batch + 1)
                row.field(cell.animal >= 0 ? cell.animal + 1 : 0)
                row.field(real: cell.timeH)
                row.field(real: cell.ageH)
                row.field(cell.medium)
                row.field(name(cell.perturbation))
                row.field(cell.perturbation)
                row.field(cell.guides.joined(separator: ";"))
                row.field(cell.detectedGuides.joined(separator: ";"))
                row.field(name(cell.observedPerturbation))
                row.field(cell.doublet ? 1 : 0)
                row.field(cell.state)
                row.field(cell.librarySize)
                row.field(cell.cellType)
            }
        }
        var statesMember: [UInt8]? = nil
        var stateEntries = 0
        if let states = block.states {
            (statesMember, stateEntries) = try compressedStates(states.data, rows: states.rows, cells: states.cols)
        }
        return Encoded(
            matrix: matrixMember, barcodes: try Gzip.member(bc), cells: cl.bytes,
            states: statesMember, stateEntries: stateEntries)
    }

    /// Decimal texts of 1…count followed by a separator (`"12 "`), 16 bytes apart, with their
    /// lengths: a matrix line is then two 16-byte copies and a count, not three loops of divisions.
    /// Values of more than 15 digits do not occur (gene and cell numbers are far below 10¹⁵).
    struct DecimalTexts: Sendable {
        let text: [UInt64]  // two words per value
        let length: [UInt8]

        init(count: Int, first: Int = 1, separator: UInt8 = 32) {
            var text = [UInt64](repeating: 0, count: 2 * max(0, count))
            var length = [UInt8](repeating: 0, count: max(0, count))
            text.withUnsafeMutableBytes { raw in
                let bytes = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
                for i in 0..<count {
                    var digits = [UInt8](String(first + i).utf8)
                    digits.append(separator)
                    precondition(digits.count <= 16)
                    for (k, d) in digits.enumerated() { bytes[16 * i + k] = d }
                    length[i] = UInt8(digits.count)
                }
            }
            self.text = text
            self.length = length
        }
    }

    /// Bytes of staging text compressed as one gzip member (stays in L2 with deflate's tables).
    static let stagingBytes = 1 << 17

    /// The block's Matrix Market lines `gene cell count` (1-based), as gzip members. Each line is
    /// formatted into a small staging buffer that becomes one member when it holds at least
    /// `stagingBytes`, so the text of a block is never materialised.
    /// `genes` holds the texts of the gene numbers 1…G.
    static func compressedEntries(_ block: SimulatedBlock, genes: DecimalTexts) throws -> [UInt8] {
        let gz = try GzipMembers(level: 1, expectedOutput: block.entryCount * 4 + 1024)
        let slack = 64
        let staging = UnsafeMutablePointer<UInt8>.allocate(capacity: stagingBytes + slack)
        defer { staging.deallocate() }
        let limit = staging + stagingBytes
        var p = staging
        // Cell numbers of the block: the column text once per cell (" 1025 " minus the leading space).
        var cellText = (UInt64(0), UInt64(0))
        var cellLength = 0
        try genes.text.withUnsafeBufferPointer { gt in
            try genes.length.withUnsafeBufferPointer { gl in
                try block.geneIndices.withUnsafeBufferPointer { gi in
                    try block.counts.withUnsafeBufferPointer { ct in
                        for (j, cell) in block.cells.enumerated() {
                            let e0 = block.offsets[j]
                            let e1 = block.offsets[j + 1]
                            guard e1 > e0 else { continue }
                            withUnsafeMutableBytes(of: &cellText) { raw in
                                let b = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
                                var v = cell.index + 1
                                var digits = 1
                                var t = v / 10
                                while t > 0 {
                                    digits += 1
                                    t /= 10
                                }
                                for k in stride(from: digits - 1, through: 0, by: -1) {
                                    b[k] = UInt8(48 + v % 10)
                                    v /= 10
                                }
                                b[digits] = 32
                                cellLength = digits + 1
                            }
                            for e in e0..<e1 {
                                if p >= limit {
                                    try gz.compress(staging, count: p - staging)
                                    p = staging
                                }
                                let g = Int(gi[e])
                                let raw = UnsafeMutableRawPointer(p)
                                raw.storeBytes(of: gt[2 * g], as: UInt64.self)
                                raw.storeBytes(of: gt[2 * g + 1], toByteOffset: 8, as: UInt64.self)
                                p += Int(gl[g])
                                let rawCell = UnsafeMutableRawPointer(p)
                                rawCell.storeBytes(of: cellText.0, as: UInt64.self)
                                rawCell.storeBytes(of: cellText.1, toByteOffset: 8, as: UInt64.self)
                                p += cellLength
                                var v = Int(ct[e])
                                if v < 10 {
                                    p[0] = UInt8(48 + v)
                                    p[1] = 10
                                    p += 2
                                } else if v < 100 {
                                    p[0] = UInt8(48 + v / 10)
                                    p[1] = UInt8(48 + v % 10)
                                    p[2] = 10
                                    p += 3
                                } else {
                                    var digits = 1
                                    var t = v / 10
                                    while t > 0 {
                                        digits += 1
                                        t /= 10
                                    }
                                    var q = p + digits - 1
                                    repeat {
                                        q.pointee = UInt8(48 + v % 10)
                                        v /= 10
                                        q -= 1
                                    } while v > 0
                                    p[digits] = 10
                                    p += digits + 1
                                }
                            }
                        }
                    }
                }
            }
        }
        try gz.compress(staging, count: p - staging)
        return try gz.finish()
    }
}
