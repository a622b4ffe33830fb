import CVectorMath
import Foundation

// MARK: - states.mtx.gz: the true states of a block as gzip members
//
// The true states are dense (a modelled gene is rarely exactly 0), so they are a Matrix Market
// `array`: every value once, column by column (cell by cell), in gene order, without the `gene
// cell` coordinates a `coordinate` file repeats on every line. That halves the text (16.5 → 7.8
// bytes per state in SERGIO's E. coli peer run) and with it the states' formatting and
// compression, about an eighth of that run's time before (docs/simulate.md). A block's columns
// are formatted in C
// (CVectorMath/ScreenplanFormat.c, `%.6g` by exact integer conversion) into a staging buffer that
// becomes one gzip member whenever it holds `stagingBytes`, as the count matrix is written
// (TenXEncoding.swift). The members depend only on the block, so the file does not depend on
// the thread count, and a shard's members are the unsharded file's.

extension TenXWriter {
    /// states.mtx.gz's first line.
    static let statesBanner = "%%MatrixMarket matrix array real general\n"

    /// The states' size line: modelled genes and cells, the cells padded to a fixed width (the
    /// header is reserved at the start and rewritten last, and `merge` rewrites it for the sum of
    /// its shards' cells).
    static func statesSizeLine(rows: Int, cols: Int) -> String {
        let count = String(cols)
        return "\(rows) " + String(repeating: " ", count: max(0, countWidth - count.count)) + count + "\n"
    }

    /// The states' header member (stored, so its length depends only on the text length).
    static func statesHeaderMember(rows: Int, cols: Int) throws -> [UInt8] {
        try Gzip.member(Array((statesBanner + statesSizeLine(rows: rows, cols: cols)).utf8), level: 0)
    }

    /// The block's true states (`values`: modelled genes × cells, column-major, as the block's
    /// state matrix holds them) as gzip members of `array` lines, with the number of values.
    static func compressedStates(_ values: [Double], rows: Int, cells: Int) throws -> (
        member: [UInt8], entries: Int
    ) {
        let gz = try GzipMembers(level: 1, expectedOutput: rows * cells * 4 + 1024)
        let capacity = stagingBytes + 32 * rows + 64
        let staging = UnsafeMutablePointer<CChar>.allocate(capacity: capacity)
        defer { staging.deallocate() }
        var used = 0
        try values.withUnsafeBufferPointer { x in
            for j in 0..<cells {
                used += screenplan_format_state_values(staging + used, x.baseAddress! + j * rows, rows)
                if used >= stagingBytes {
                    try staging.withMemoryRebound(to: UInt8.self, capacity: used) { try gz.compress($0, count: used) }
                    used = 0
                }
            }
        }
        try staging.withMemoryRebound(to: UInt8.self, capacity: max(1, used)) { try gz.compress($0, count: used) }
        return (try gz.finish(), rows * cells)
    }
}
