import CVectorMath
import Foundation

// MARK: - states.mtx.gz: the true states of a block as gzip members
//
// A block of 1,024 cells × 355 genes has about 350,000 nonzero states, 7 MB of `gene cell value`
// lines. They are formatted column by column in C (CVectorMath/ScreenplanFormat.c: the gene and
// cell numbers copied from 16-byte texts, the value's `%.6g` by exact integer conversion) into a
// staging buffer that becomes one gzip member whenever it holds `stagingBytes`, as the count
// matrix is written (TenXEncoding.swift), instead of growing a block's whole text through a
// `ByteBuffer` call per field and compressing it afterwards. The text is the same; the members
// depend only on the block, so the file does not depend on the thread count or the shard.

extension TenXWriter {
    /// The block's true states (`values`: modelled genes × cells, column-major, as the block's
    /// state matrix holds them; zeros skipped) as gzip members, with the number of lines.
    static func compressedStates(_ values: [Double], rows: Int, cells: [CellRecord]) throws -> (
        member: [UInt8], entries: Int
    ) {
        let genes = DecimalTexts(count: rows)
        let gz = try GzipMembers(level: 1, expectedOutput: rows * cells.count * 8 + 1024)
        let capacity = stagingBytes + 64 * rows + 64
        let staging = UnsafeMutablePointer<CChar>.allocate(capacity: capacity)
        defer { staging.deallocate() }
        var used = 0
        var entries = 0
        var cellText = (UInt64(0), UInt64(0))
        try values.withUnsafeBufferPointer { x in
            try genes.text.withUnsafeBytes { gt in
                try genes.length.withUnsafeBufferPointer { gl in
                    for (j, cell) in cells.enumerated() {
                        let digits = Array(String(cell.index + 1).utf8) + [32]
                        withUnsafeMutableBytes(of: &cellText) { raw in
                            for (k, d) in digits.enumerated() { raw[k] = d }
                        }
                        let written = withUnsafeBytes(of: &cellText) { ct in
                            screenplan_format_state_column(
                                staging + used, x.baseAddress! + j * rows, rows,
                                gt.baseAddress!.assumingMemoryBound(to: UInt8.self), gl.baseAddress!,
                                ct.baseAddress!.assumingMemoryBound(to: UInt8.self), digits.count, &entries)
                        }
                        used += written
                        if used >= stagingBytes {
                            try staging.withMemoryRebound(to: UInt8.self, capacity: used) {
                                try gz.compress($0, count: used)
                            }
                            used = 0
                        }
                    }
                }
            }
        }
        try staging.withMemoryRebound(to: UInt8.self, capacity: max(1, used)) { try gz.compress($0, count: used) }
        return (try gz.finish(), entries)
    }
}
