import Foundation
import Testing

@testable import ScreenplanCore

// The simulator draws its regulator noise four streams at a time (RandomStream+Batched.swift).
// Seeded outputs, shards and thread counts rely on each stream's numbers being exactly those of
// drawing it on its own, whatever the grouping: so the batched pass is compared with
// `fillZigguratNormals` bit for bit, over enough draws to pass through the wedges and the tail,
// on every kernel the machine runs (scalar, AVX2, AVX-512).

@Suite struct BatchedNormalsTests {
    @Test func batchedZigguratDrawsEachStreamsOwnSequence() {
        let count = 30_000  // ≈ 360 wedge or tail draws per stream
        let lanesAtOnce = ZigguratLanes()
        for path in 0...2 as ClosedRange<Int32> {
            for lanes in 1...4 {
                for seed in [1, 7] as [UInt64] {
                    // Lanes from scattered columns, as the stepper passes them.
                    let columnsUsed = [0, 3, 4, 9].prefix(lanes)
                    var streams = (0..<10).map { RandomStream(seed: seed, domain: .dynamics, UInt64($0)) }
                    var reference = streams
                    var out = [Double](repeating: .nan, count: lanes * count)
                    var columns = Array(columnsUsed)
                    streams.withUnsafeMutableBufferPointer { sb in
                        out.withUnsafeMutableBufferPointer { ob in
                            columns.withUnsafeMutableBufferPointer { cb in
                                // Two calls: the state carries over from one call to the next.
                                lanesAtOnce.fill(
                                    sb.baseAddress!, columns: cb.baseAddress!, lanes: lanes, into: ob.baseAddress!,
                                    stride: count, count: count / 2, path: path)
                                lanesAtOnce.fill(
                                    sb.baseAddress!, columns: cb.baseAddress!, lanes: lanes,
                                    into: ob.baseAddress! + count / 2, stride: count, count: count - count / 2,
                                    path: path)
                            }
                        }
                    }
                    var tail = 0
                    for (l, c) in columnsUsed.enumerated() {
                        var expected = [Double](repeating: 0, count: count)
                        expected.withUnsafeMutableBufferPointer {
                            reference[c].fillZigguratNormals($0.baseAddress!, count: count)
                        }
                        let got = Array(out[(l * count)..<((l + 1) * count)])
                        #expect(got == expected, "path \(path), lanes \(lanes), seed \(seed), column \(c)")
                        tail += expected.filter { abs($0) > ZigguratTables.r }.count
                        // The streams are left where drawing on their own leaves them.
                        #expect(streams[c].next() == reference[c].next())
                    }
                    // Columns not in the group are untouched.
                    for c in 0..<10 where !columnsUsed.contains(c) { #expect(streams[c].next() == reference[c].next()) }
                    // The comparison covered the tail (|z| > r, P ≈ 5.8e-4 per draw).
                    #expect(tail > 0)
                }
            }
        }
    }
}
