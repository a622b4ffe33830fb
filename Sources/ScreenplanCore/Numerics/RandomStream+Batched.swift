import CVectorMath

// MARK: - Ziggurat normals of several streams in one pass
//
// A step of the simulator draws one normal per regulator for every living cell, each cell from
// its own stream. Drawn one stream at a time (`fillZigguratNormals`) that is a chain of scalar
// xoshiro steps; four streams side by side fill the four lanes of an AVX2 register
// (CVectorMath/ScreenplanZiggurat.c, chosen at run time; with AVX-512 the layer's two table values
// come from `ZigguratTables.pairs` in one load per lane instead of two gathers, a fifth less time
// per normal). Every stream still draws its own
// sequence, word for word: the numbers are those of `fillZigguratNormals` on each stream, so
// nothing downstream depends on how columns are grouped, on the block size or the thread count.

extension ZigguratTables {
    /// The layers side by side for the AVX-512 kernel: x[i] at 2i and x[i+1]/x[i] at 2i + 1
    /// (i < 128), the same doubles as `table`.
    nonisolated(unsafe) static let pairs: UnsafeMutablePointer<Double> = {
        let p = UnsafeMutablePointer<Double>.allocate(capacity: 2 * layers)
        for i in 0..<layers {
            p[2 * i] = table[i]
            p[2 * i + 1] = table[layers + 1 + i]
        }
        return p
    }()
}

/// Up to four streams' states, handed to the C kernel and back (one allocation per user).
struct ZigguratLanes: ~Copyable {
    /// Lane l's s0…s3 at 4l…4l+3.
    private let state = UnsafeMutablePointer<UInt64>.allocate(capacity: 16)

    deinit { state.deallocate() }

    /// Fills `out[l·stride ..< l·stride + count]` with normals of `streams[columns[l]]` for each
    /// lane l < `lanes` (1…4), advancing those streams exactly as `fillZigguratNormals` would.
    /// `path` caps the kernel (0 scalar, 1 AVX2, 2 AVX-512, each only where the CPU has it): the
    /// tests run every path; the simulator the widest.
    func fill(
        _ streams: UnsafeMutablePointer<RandomStream>, columns: UnsafePointer<Int>, lanes: Int,
        into out: UnsafeMutablePointer<Double>, stride: Int, count: Int, path: Int32 = 2
    ) {
        precondition(lanes >= 1 && lanes <= 4)
        for l in 0..<lanes {
            let s = streams[columns[l]]
            state[4 * l] = s.s0
            state[4 * l + 1] = s.s1
            state[4 * l + 2] = s.s2
            state[4 * l + 3] = s.s3
        }
        screenplan_ziggurat_fill_path(
            path, state, Int32(lanes), out, stride, count, ZigguratTables.table, ZigguratTables.pairs, ZigguratTables.r)
        for l in 0..<lanes {
            let p = streams + columns[l]
            p.pointee.s0 = state[4 * l]
            p.pointee.s1 = state[4 * l + 1]
            p.pointee.s2 = state[4 * l + 2]
            p.pointee.s3 = state[4 * l + 3]
        }
    }
}
