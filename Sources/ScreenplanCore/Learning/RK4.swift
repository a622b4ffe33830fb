import Foundation

// MARK: - Fixed-step RK4 with a tape, and its hand-written reverse pass
//
// Discretise, then optimise: the gradient is the exact derivative of the *discrete* RK4 map, so
// it matches finite differences of the computed loss to rounding (no adjoint-ODE error).
// Every stage's input Y_s and hidden activations T_s are kept on the tape, so the reverse pass
// is four vector–Jacobian products per step and never re-integrates. Memory: steps × 4 ×
// (d + H) × P doubles.

/// The time grid of an integration: steps of possibly different sizes chosen so that every
/// observation time falls on a grid point.
public struct IntegrationGrid: Sendable, Equatable {
    /// Step sizes h_n (hours).
    public var steps: [Double]
    /// For each observation time, the grid point (number of steps taken) where it lies.
    public var observationPoints: [Int]
    /// Medium of each step.
    public var media: [Int]

    /// A grid from 0 to each of `times` (hours since onset, ascending, > 0) with steps no longer
    /// than `maxStep`: each interval between consecutive times and medium switches is cut into
    /// equal steps, so no step straddles a switch. `schedule` lists (start time, medium) in
    /// ascending order; the medium before the first entry is the first entry's.
    public init(times: [Double], maxStep: Double, schedule: [(start: Double, medium: Int)] = []) {
        precondition(maxStep > 0)
        var steps: [Double] = []
        var media: [Int] = []
        var points: [Int] = []
        func medium(at t: Double) -> Int {
            var m = schedule.first?.medium ?? 0
            for entry in schedule where entry.start <= t { m = entry.medium }
            return m
        }
        let switches = schedule.map(\.start).filter { $0 > 0 }
        var last = 0.0
        for t in times {
            precondition(t >= last, "observation times must ascend")
            let cuts = switches.filter { $0 > last && $0 < t } + [t]
            for cut in cuts {
                let span = cut - last
                if span > 0 {
                    let n = max(1, Int((span / maxStep).rounded(.up)))
                    steps += [Double](repeating: span / Double(n), count: n)
                    media += [Int](repeating: medium(at: last + 0.5 * span), count: n)
                }
                last = cut
            }
            points.append(steps.count)
        }
        self.steps = steps
        self.media = media
        observationPoints = points
    }

    public var stepCount: Int { steps.count }
}

/// Storage of one forward integration of a batch (P columns), reused across epochs.
final class RK4Tape {
    let dimension: Int, hidden: Int, columns: Int, stepCount: Int
    /// Stage inputs Y_{n,s}: steps × 4 blocks of d × P.
    var stageInputs: [Double]
    /// Stage activations T_{n,s}: steps × 4 blocks of H × P.
    var stageTanh: [Double]
    /// States at every grid point: (steps + 1) blocks of d × P.
    var states: [Double]
    /// Work buffer for the four stage slopes k₁…k₄ (4 blocks of d × P).
    var work: [Double]

    init(dimension: Int, hidden: Int, columns: Int, stepCount: Int) {
        self.dimension = dimension
        self.hidden = hidden
        self.columns = columns
        self.stepCount = stepCount
        stageInputs = [Double](repeating: 0, count: max(1, stepCount * 4 * dimension * columns))
        stageTanh = [Double](repeating: 0, count: max(1, stepCount * 4 * hidden * columns))
        states = [Double](repeating: 0, count: (stepCount + 1) * dimension * columns)
        work = [Double](repeating: 0, count: max(1, 4 * dimension * columns))
    }

    /// State at grid point n as a matrix (a copy).
    func state(at n: Int) -> Matrix {
        let block = dimension * columns
        return Matrix(rows: dimension, cols: columns, data: Array(states[(n * block)..<((n + 1) * block)]))
    }
}

extension NeuralODE {
    /// Integrates dz/dt = f_θ(z; p) from `initial` (d × P) over `grid` with classical RK4,
    /// filling `tape`. Cost: 4 field evaluations per step.
    func integrate(from initial: Matrix, inputs: PerturbationInputs, grid: IntegrationGrid, tape: RK4Tape) {
        let d = dimension
        let h = hidden
        let p = inputs.columns
        precondition(initial.rows == d && initial.cols == p && tape.columns == p && tape.stepCount == grid.stepCount)
        let block = d * p
        let hblock = h * p
        guard p > 0 else { return }
        tape.states.withUnsafeMutableBufferPointer { st in
            let states = st.baseAddress!
            initial.data.withUnsafeBufferPointer { states.update(from: $0.baseAddress!, count: block) }
            tape.stageInputs.withUnsafeMutableBufferPointer { yi in
                tape.stageTanh.withUnsafeMutableBufferPointer { ti in
                    tape.work.withUnsafeMutableBufferPointer { wb in
                        let k1 = wb.baseAddress!
                        let k2 = k1 + block
                        let k3 = k2 + block
                        let k4 = k3 + block
                        let ks = [k1, k2, k3, k4]
                        for n in 0..<grid.stepCount {
                            let step = grid.steps[n]
                            let z = states + n * block
                            let next = states + (n + 1) * block
                            let coefficients = [0.0, 0.5 * step, 0.5 * step, step]
                            for s in 0..<4 {
                                let y = yi.baseAddress! + (n * 4 + s) * block
                                if s == 0 {
                                    y.update(from: z, count: block)
                                } else {
                                    let c = coefficients[s]
                                    let prev = ks[s - 1]
                                    for i in 0..<block { y[i] = z[i] + c * prev[i] }
                                }
                                field(
                                    y, columns: p, inputs: inputs, media: .uniform(grid.media[n]), into: ks[s],
                                    tanhOut: ti.baseAddress! + (n * 4 + s) * hblock)
                            }
                            let w = step / 6
                            for i in 0..<block {
                                next[i] = z[i] + w * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i])
                            }
                        }
                    }
                }
            }
        }
    }

    /// Reverse pass through the taped RK4 steps. `adjointAt(n, buffer)` adds ∂L/∂z_n (the
    /// loss's direct dependence on the state at grid point n) into `buffer`; the pass adds
    /// ∂L/∂θ to `gradient`. Cost: 4 vector–Jacobian products per step.
    func backpropagate(
        tape: RK4Tape, inputs: PerturbationInputs, grid: IntegrationGrid,
        gradient: inout [Double], adjointAt: (Int, UnsafeMutablePointer<Double>) -> Void
    ) {
        let d = dimension
        let h = hidden
        let p = inputs.columns
        let block = d * p
        let hblock = h * p
        guard p > 0 else { return }
        var lambda = [Double](repeating: 0, count: block)
        var dz = [Double](repeating: 0, count: block)
        var dk = [Double](repeating: 0, count: block)
        var dy = [Double](repeating: 0, count: block)
        var scratch = [Double](repeating: 0, count: hblock)
        gradient.withUnsafeMutableBufferPointer { gb in
            let grad = gb.baseAddress!
            lambda.withUnsafeMutableBufferPointer { lb in
                dz.withUnsafeMutableBufferPointer { zb in
                    dk.withUnsafeMutableBufferPointer { kb in
                        dy.withUnsafeMutableBufferPointer { yb in
                            scratch.withUnsafeMutableBufferPointer { sb in
                                tape.stageInputs.withUnsafeBufferPointer { yi in
                                    tape.stageTanh.withUnsafeBufferPointer { ti in
                                        let lam = lb.baseAddress!
                                        let dZ = zb.baseAddress!
                                        let dK = kb.baseAddress!
                                        let dY = yb.baseAddress!
                                        let scr = sb.baseAddress!
                                        adjointAt(grid.stepCount, lam)
                                        for n in stride(from: grid.stepCount - 1, through: 0, by: -1) {
                                            let step = grid.steps[n]
                                            func stage(_ s: Int) -> (UnsafePointer<Double>, UnsafePointer<Double>) {
                                                (
                                                    yi.baseAddress! + (n * 4 + s) * block,
                                                    ti.baseAddress! + (n * 4 + s) * hblock
                                                )
                                            }
                                            // Stage 4: k4 = f(z + h k3).
                                            for i in 0..<block { dK[i] = step / 6 * lam[i] }
                                            var (y, t) = stage(3)
                                            fieldVJP(
                                                y, columns: p, inputs: inputs, media: .uniform(grid.media[n]), tanh: t,
                                                adjoint: dK, gradient: grad,
                                                dy: dY, accumulate: false, scratch: scr)
                                            for i in 0..<block {
                                                dZ[i] = lam[i] + dY[i]
                                                dK[i] = step / 3 * lam[i] + step * dY[i]
                                            }
                                            // Stage 3: k3 = f(z + h/2 k2).
                                            (y, t) = stage(2)
                                            fieldVJP(
                                                y, columns: p, inputs: inputs, media: .uniform(grid.media[n]), tanh: t,
                                                adjoint: dK, gradient: grad,
                                                dy: dY, accumulate: false, scratch: scr)
                                            for i in 0..<block {
                                                dZ[i] += dY[i]
                                                dK[i] = step / 3 * lam[i] + 0.5 * step * dY[i]
                                            }
                                            // Stage 2: k2 = f(z + h/2 k1).
                                            (y, t) = stage(1)
                                            fieldVJP(
                                                y, columns: p, inputs: inputs, media: .uniform(grid.media[n]), tanh: t,
                                                adjoint: dK, gradient: grad,
                                                dy: dY, accumulate: false, scratch: scr)
                                            for i in 0..<block {
                                                dZ[i] += dY[i]
                                                dK[i] = step / 6 * lam[i] + 0.5 * step * dY[i]
                                            }
                                            // Stage 1: k1 = f(z).
                                            (y, t) = stage(0)
                                            fieldVJP(
                                                y, columns: p, inputs: inputs, media: .uniform(grid.media[n]), tanh: t,
                                                adjoint: dK, gradient: grad,
                                                dy: dZ, accumulate: true, scratch: scr)
                                            lam.update(from: dZ, count: block)
                                            adjointAt(n, lam)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
