import Foundation
import Testing

@testable import ScreenplanCore

// The matrix lines are formatted into a staging buffer that becomes one gzip member each time it
// fills: the text must be exactly the Matrix Market lines, and the bytes those of compressing
// each chunk of whole lines on its own (so a block's bytes depend only on its text, and shards
// still concatenate).

/// The lines `gene cell count` of a block, formatted the plain way.
private func plainEntries(_ block: SimulatedBlock) -> [UInt8] {
    var text = ""
    for (j, cell) in block.cells.enumerated() {
        for e in block.offsets[j]..<block.offsets[j + 1] {
            text += "\(block.geneIndices[e] + 1) \(cell.index + 1) \(block.counts[e])\n"
        }
    }
    return Array(text.utf8)
}

/// The members the staging buffer makes of `plain`: a chunk ends at the first line end at or
/// after `TenXWriter.stagingBytes`.
private func chunkedMembers(_ plain: [UInt8]) throws -> [UInt8] {
    var members: [UInt8] = []
    var start = 0
    var i = 0
    while i < plain.count {
        if i - start >= TenXWriter.stagingBytes {
            members += try Gzip.member(Array(plain[start..<i]))
            start = i
        }
        while plain[i] != 10 { i += 1 }
        i += 1
    }
    members += try Gzip.member(Array(plain[start..<i]))
    return members
}

@Test func compressedEntriesAreTheMatrixLinesCompressedChunkByChunk() throws {
    let loaded = try loadDesign(smallDesign())
    let run = try simulate(loaded, states: false)
    let genes = TenXWriter.DecimalTexts(count: run.model.measuredGeneCount)
    var blocks = run.blocks
    // Counts of every width (1, 2, 3 and 6 digits) and cells with no entries at all.
    var wide = blocks[0]
    for e in wide.counts.indices { wide.counts[e] = Int32([7, 42, 317, 123456][e % 4]) }
    wide.offsets[1] = wide.offsets[0]
    for j in 2...(min(5, wide.cellCount)) { wide.offsets[j] = wide.offsets[1] + (j - 1) * 3 }
    blocks.append(wide)
    for block in blocks {
        let plain = plainEntries(block)
        let member = try TenXWriter.compressedEntries(block, genes: genes)
        #expect(try Gzip.decompress(member) == plain)
        #expect(member == (try chunkedMembers(plain)))
    }
    // A block larger than the staging buffer (several members).
    let big = try #require(run.blocks.first)
    #expect(plainEntries(big).count > 2 * TenXWriter.stagingBytes)
}
