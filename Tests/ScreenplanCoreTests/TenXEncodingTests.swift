import Foundation
import Testing

@testable import ScreenplanCore

// The matrix member is formatted into a staging buffer that deflate consumes as it fills: its
// text must be exactly the Matrix Market lines, and its bytes those of compressing the whole text
// in one call (so outputs do not depend on the staging size, and shards still concatenate).

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

@Test func compressedEntriesAreTheMatrixLinesCompressedInOneGo() throws {
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
        #expect(member == (try Gzip.member(plain)))
    }
    // A block larger than the staging buffer (several deflate calls).
    let big = try #require(run.blocks.first)
    #expect(big.entryCount * 8 > TenXWriter.stagingBytes)
}
