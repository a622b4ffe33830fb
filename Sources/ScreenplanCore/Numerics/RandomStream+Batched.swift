import CVectorMath

// MARK: - Ziggurat normals of several streams in one pass
//
// A step of the simulator draws one normal per regulator for every living cell, each cell from
// its own stream. Drawn one stream at a time (`fillZigguratNormals`) that is a chain of scalar
// xoshiro steps; four streams side by side fill the four lanes of an AVX2 register
// (CVectorMath/ScreenplanZiggurat.c, chosen at run time). Every stream still draws its own
// sequence, word for word: the numbers are those of `fillZigguratNormals` on each stream, so
// nothing downstream depends on how columns are grouped, on the block size or the thread count.

/// Up to four streams' states, handed to the C kernel and back (one allocation per user).
struct ZigguratLanes: ~Copyable {
    /// Lane l's s0…s3 at 4l…4l+3.
    private let state = UnsafeMutablePointer<UInt64>.allocate(capacity: 16)

    deinit { state.deallocate() }

    /// Fills `out[l·stride ..< l·stride + count]` with normals of `streams[columns[l]]` for each
    /// lane l < `lanes` (1…4), advancing those streams exactly as `fillZigguratNormals` would.
    func fill(
        _ streams: UnsafeMutablePointer<RandomStream>, columns: UnsafePointer<Int>, lanes: Int,
        into out: UnsafeMutablePointer<Double>, stride: Int, count: Int
    ) {
        precondition(lanes >= 1 && lanes <= 4)
        for l in 0..<lanes {
            let s = streams[columns[l]]
            state[4 * l] = s.s0
            state[4 * l + 1] = s.s1
            state[4 * l + 2] = s.s2
            state[4 * l + 3] = s.s3
        }
        screenplan_ziggurat_fill(state, Int32(lanes), out, stride, count, ZigguratTables.table, ZigguratTables.r)
        for l in 0..<lanes {
            let p = streams + columns[l]
            p.pointee.s0 = state[4 * l]
            p.pointee.s1 = state[4 * l + 1]
            p.pointee.s2 = state[4 * l + 2]
            p.pointee.s3 = state[4 * l + 3]
        }
    }
}
