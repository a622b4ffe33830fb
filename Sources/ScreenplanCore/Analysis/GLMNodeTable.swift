import Foundation

// MARK: - The GLM score's library-size sums, tabulated in log(m̂·c)
//
// `TestModels.glmScore` spends its time in one 33-node quadrature over the library size per lane
// pattern, seven sums at the fitted mean m̂ (docs/batching.md §2.6). With d = 1 + aL and a = m̂·c
// (c the controls' mixing) every one of them is a combination of four smooth functions of the
// single scalar a, for fixed library nodes:
//   S₁(a) = E[L/d], S₂(a) = E[L/d²], T₁(a) = E[L²/d], T₂(a) = E[L²/d²]
// (l₁ = S₁, l₂ = S₂, l₃ = c·T₂, E[V_p/d²] = m_F S₂ + m_F² c_p T₂, E[V_p/d] = m_F S₁ + m_F² c_p T₁).
// This table holds the four functions and their exact derivatives in u = ln a on a grid of step
// 1/128 from a = 10⁻⁷ to 10⁷, and reads them by cubic Hermite interpolation: 4 table reads per
// lane pattern instead of 33 nodes. The interpolation error is h⁴/384·|f⁗| ≈ 10⁻¹¹ relative
// (test `tabulatedGLMScoreMatchesTheQuadrature` bounds it against the exact node sums, and the
// score, over the whole range the sample screens and the benchmark reach); outside the grid, and
// for a = 0, the sums are taken node by node as before.

/// The tabulated node sums of one library-size node set (`LibraryNodes`).
public final class GLMNodeTable: Sendable {
    /// ln a of the first grid point, the step, and the number of points.
    static let logLow = Foundation.log(1e-7)
    static let step = 1.0 / 128
    static let count = Int(((Foundation.log(1e7) - Foundation.log(1e-7)) / step).rounded(.up)) + 1
    /// The top of the grid in ln a.
    static var logHigh: Double { logLow + step * Double(count - 1) }

    /// Per grid point: S₁, S₂, T₁, T₂ and their derivatives in ln a (8 doubles, one cache line).
    private let values: [Double]
    /// E L of the nodes (the score's mean library size).
    public let meanLibrary: Double
    /// E L² of the nodes.
    public let squareLibrary: Double
    private let size: [Double]
    private let weight: [Double]

    /// Tabulates the sums of `nodes` (about 4,000 grid points × 33 nodes, well under a
    /// millisecond of CPU; `shared` makes it once per node set).
    public init(nodes: LibraryNodes) {
        size = nodes.size
        weight = nodes.weight
        var mean = 0.0
        var square = 0.0
        for k in 0..<nodes.size.count {
            mean += nodes.weight[k] * nodes.size[k]
            square += nodes.weight[k] * nodes.size[k] * nodes.size[k]
        }
        meanLibrary = mean
        squareLibrary = square
        var v = [Double](repeating: 0, count: 8 * Self.count)
        for i in 0..<Self.count {
            let a = Foundation.exp(Self.logLow + Double(i) * Self.step)
            var s1 = 0.0
            var s2 = 0.0
            var t1 = 0.0
            var t2 = 0.0
            var s2d = 0.0  // E[L²/d³]
            var t1d = 0.0  // E[L³/d²]
            var t2d = 0.0  // E[L³/d³]
            for k in 0..<nodes.size.count {
                let l = nodes.size[k]
                let w = nodes.weight[k]
                let r = 1 / (1 + a * l)
                s1 += w * l * r
                s2 += w * l * r * r
                t1 += w * l * l * r
                t2 += w * l * l * r * r
                s2d += w * l * l * r * r * r
                t1d += w * l * l * l * r * r
                t2d += w * l * l * l * r * r * r
            }
            // d/du = a·d/da: dS₁/da = −E[L²/d²], dS₂/da = −2E[L²/d³], dT₁/da = −E[L³/d²],
            // dT₂/da = −2E[L³/d³].
            v[8 * i] = s1
            v[8 * i + 1] = s2
            v[8 * i + 2] = t1
            v[8 * i + 3] = t2
            v[8 * i + 4] = -a * t2
            v[8 * i + 5] = -2 * a * s2d
            v[8 * i + 6] = -a * t1d
            v[8 * i + 7] = -2 * a * t2d
        }
        values = v
    }

    /// S₁, S₂, T₁, T₂ at a (interpolated inside the grid, node by node outside it).
    @inline(__always)
    public func sums(_ a: Double) -> (s1: Double, s2: Double, t1: Double, t2: Double) {
        let u = (Foundation.log(a) - Self.logLow) / Self.step
        guard u >= 0, u < Double(Self.count - 1) else { return exact(a) }
        let i = Int(u)
        let x = u - Double(i)
        // Cubic Hermite basis on [0, 1] (derivatives scaled by the step).
        let x2 = x * x
        let x3 = x2 * x
        let h00 = 2 * x3 - 3 * x2 + 1
        let h10 = (x3 - 2 * x2 + x) * Self.step
        let h01 = -2 * x3 + 3 * x2
        let h11 = (x3 - x2) * Self.step
        return values.withUnsafeBufferPointer { v in
            let p = 8 * i
            let q = p + 8
            return (
                h00 * v[p] + h10 * v[p + 4] + h01 * v[q] + h11 * v[q + 4],
                h00 * v[p + 1] + h10 * v[p + 5] + h01 * v[q + 1] + h11 * v[q + 5],
                h00 * v[p + 2] + h10 * v[p + 6] + h01 * v[q + 2] + h11 * v[q + 6],
                h00 * v[p + 3] + h10 * v[p + 7] + h01 * v[q + 3] + h11 * v[q + 7]
            )
        }
    }

    /// The sums node by node (a ≤ 0, outside the grid, and the test's reference).
    public func exact(_ a: Double) -> (s1: Double, s2: Double, t1: Double, t2: Double) {
        var s1 = 0.0
        var s2 = 0.0
        var t1 = 0.0
        var t2 = 0.0
        for k in 0..<size.count {
            let l = size[k]
            let w = weight[k]
            let d = 1 + a * l
            s1 += w * l / d
            s2 += w * l / (d * d)
            t1 += w * l * l / d
            t2 += w * l * l / (d * d)
        }
        return (s1, s2, t1, t2)
    }

    /// The table of a node set, made once per library-size sd and node count (a process sees one
    /// or two: the design's `measurement.library_size_sd`).
    public static func shared(_ nodes: LibraryNodes) -> GLMNodeTable {
        let key = NodeKey(size: nodes.size, weight: nodes.weight)
        if let held = tables.withLock({ $0[key] }) { return held }
        let made = GLMNodeTable(nodes: nodes)
        return tables.withLock { t in
            if let held = t[key] { return held }
            if t.count >= 8 { t.removeAll() }
            t[key] = made
            return made
        }
    }

    private struct NodeKey: Hashable {
        var size: [Double]
        var weight: [Double]
    }
    private static let tables = Locked([NodeKey: GLMNodeTable]())
}
