import Foundation

// MARK: - The neural ODE vector field on the regulator space
//
//   f_θ(z; m, p) = W₂ tanh(W₁ z + b₁) + b₂,m − γ ⊙ z + s_{mod(p)} · a_p
//
// b₂,m is one output bias per culture medium m (the model is told which medium the cells are
// in at each time, as the protocol says, not what the medium does); with one medium it is the
// b₂ of the plain form.
//
// z ∈ R^d is the state on the log scale, centred on the control state at perturbation onset
// (so the control state is z = 0). a_p is the *target indicator* of perturbation p (1 at each
// targeted gene inside the modelled space, 0 elsewhere; a guide pair on one gene is one target):
// the model is told which gene a guide targets, never what it does downstream. s_m is one learned
// strength per modality (CRISPRi, CRISPRa, knockout). γ = exp(ρ) > 0 is a learned per-gene decay.
//
// States of a batch of perturbations are the columns of a column-major d × P matrix, so one
// evaluation of f is two GEMMs (W₁ Z and W₂ T) plus element-wise work.

/// The parameters θ of the vector field, stored flat so that the optimiser, the gradient and the
/// finite-difference tests see one vector. Layout: W₁ (H × d, column-major), b₁ (H), W₂ (d × H,
/// column-major), b₂ (d × M, one column per medium), ρ = log γ (d), s (one per modality).
public struct NeuralODE: Sendable, Equatable {
    /// Dimension d of the state (modelled genes).
    public let dimension: Int
    /// Hidden units H of the one-layer perceptron.
    public let hidden: Int
    /// Number of modalities with a learned strength each.
    public let modalities: Int
    /// Number of media with an output bias each.
    public let media: Int
    /// θ, flat (see the type's documentation for the layout).
    public var parameters: [Double]

    /// Offsets of each block in `parameters`.
    public var w1Offset: Int { 0 }
    public var b1Offset: Int { hidden * dimension }
    public var w2Offset: Int { b1Offset + hidden }
    public var b2Offset: Int { w2Offset + dimension * hidden }
    public var rhoOffset: Int { b2Offset + dimension * media }
    public var strengthOffset: Int { rhoOffset + dimension }
    public var parameterCount: Int { strengthOffset + modalities }

    /// Number of parameters of a model of this shape.
    public static func parameterCount(dimension d: Int, hidden h: Int, modalities m: Int, media: Int = 1) -> Int {
        2 * h * d + h + d * media + d + m
    }

    /// A model initialised from the addressed stream `rng`: W₁ ~ N(0, 1/d) (unit-variance
    /// pre-activations for unit-size states), W₂ ~ N(0, scale²/H) with a small `outputScale` so
    /// the untrained field is close to the linear decay −γz, biases 0, γ = `decay` for every
    /// gene and modality strengths 0.
    public init(
        dimension: Int, hidden: Int, modalities: Int = 1, media: Int = 1, decay: Double,
        outputScale: Double = 0.1, rng: inout RandomStream
    ) {
        precondition(dimension > 0 && hidden > 0 && modalities > 0 && media > 0 && decay > 0)
        self.dimension = dimension
        self.hidden = hidden
        self.modalities = modalities
        self.media = media
        parameters = [Double](
            repeating: 0,
            count: NeuralODE.parameterCount(
                dimension: dimension, hidden: hidden,
                modalities: modalities, media: media))
        let s1 = 1 / Double(dimension).squareRoot()
        for i in 0..<(hidden * dimension) { parameters[w1Offset + i] = s1 * rng.normal() }
        let s2 = outputScale / Double(hidden).squareRoot()
        for i in 0..<(dimension * hidden) { parameters[w2Offset + i] = s2 * rng.normal() }
        for i in 0..<dimension { parameters[rhoOffset + i] = Foundation.log(decay) }
    }

    /// A model with explicit parameters (tests, restoring a checkpoint).
    public init(dimension: Int, hidden: Int, modalities: Int, media: Int = 1, parameters: [Double]) {
        precondition(
            parameters.count
                == NeuralODE.parameterCount(
                    dimension: dimension, hidden: hidden,
                    modalities: modalities, media: media))
        self.dimension = dimension
        self.hidden = hidden
        self.modalities = modalities
        self.media = media
        self.parameters = parameters
    }

    /// Per-gene decay γ = exp(ρ).
    public var decay: [Double] { (0..<dimension).map { Foundation.exp(parameters[rhoOffset + $0]) } }

    /// Learned strength s_m of each modality.
    public var strengths: [Double] { Array(parameters[strengthOffset..<(strengthOffset + modalities)]) }
}

// MARK: - Inputs of a batch of perturbations

/// What the model knows about the perturbations of a batch: for each column p, the target
/// indicator a_p (d values) and the modality index m(p). A control column has a zero indicator.
public struct PerturbationInputs: Sendable, Equatable {
    /// d × P target indicator (column-major).
    public var indicator: Matrix
    /// Modality index of each column.
    public var modality: [Int]

    public init(indicator: Matrix, modality: [Int]) {
        precondition(indicator.cols == modality.count)
        self.indicator = indicator
        self.modality = modality
    }

    /// Inputs for perturbations given by their targets inside the modelled space (indices into
    /// 0..<dimension; targets outside the space are simply absent).
    public init(dimension: Int, targets: [[Int]], modality: [Int]) {
        var a = Matrix(rows: dimension, cols: targets.count)
        for (p, list) in targets.enumerated() { for i in list { a[i, p] += 1 } }
        self.init(indicator: a, modality: modality)
    }

    public var columns: Int { modality.count }

    /// The columns `selection`, in that order.
    public func columns(_ selection: [Int]) -> PerturbationInputs {
        var a = Matrix(rows: indicator.rows, cols: selection.count)
        for (q, p) in selection.enumerated() {
            for i in 0..<indicator.rows { a[i, q] = indicator[i, p] }
        }
        return PerturbationInputs(indicator: a, modality: selection.map { modality[$0] })
    }
}

/// The medium of each column of a batch: one for all (a step of an integration), or one each
/// (steady-state terms at different times).
public enum MediumColumns: Sendable, Equatable {
    case uniform(Int)
    case perColumn([Int])

    @inline(__always)
    subscript(_ column: Int) -> Int {
        switch self {
        case .uniform(let m): return m
        case .perColumn(let list): return list[column]
        }
    }
}

// MARK: - Forward evaluation and its vector–Jacobian product

extension NeuralODE {
    /// K = f_θ(Y) for the P columns of Y (d × P); the hidden activations T = tanh(W₁Y + b₁)
    /// (H × P) are written to `tanhOut` for the backward pass. Two `cblas_dgemm` calls,
    /// O(H·d·P) work.
    func field(
        _ y: UnsafePointer<Double>, columns p: Int, inputs: PerturbationInputs, media: MediumColumns = .uniform(0),
        into k: UnsafeMutablePointer<Double>, tanhOut t: UnsafeMutablePointer<Double>
    ) {
        let d = dimension
        let h = hidden
        parameters.withUnsafeBufferPointer { theta in
            let base = theta.baseAddress!
            let b1 = base + b1Offset
            let rho = base + rhoOffset
            let s = base + strengthOffset
            // T = tanh(W₁ Y + b₁)
            for j in 0..<p { (t + j * h).update(from: b1, count: h) }
            BLAS.gemm(m: h, n: p, k: d, alpha: 1, a: base + w1Offset, lda: h, b: y, ldb: d, beta: 1, c: t, ldc: h)
            for i in 0..<(h * p) { t[i] = Foundation.tanh(t[i]) }
            // K = W₂ T + b₂ − γ ⊙ Y + s_m a
            inputs.indicator.data.withUnsafeBufferPointer { a in
                for j in 0..<p {
                    let sm = s[inputs.modality[j]]
                    let b2 = base + b2Offset + media[j] * d
                    for i in 0..<d {
                        let idx = i + j * d
                        k[idx] = b2[i] - Foundation.exp(rho[i]) * y[idx] + sm * a[idx]
                    }
                }
            }
            BLAS.gemm(m: d, n: p, k: h, alpha: 1, a: base + w2Offset, lda: d, b: t, ldb: h, beta: 1, c: k, ldc: d)
        }
    }

    /// Vector–Jacobian product of f at Y: given G = ∂L/∂f (d × P) and the activations T stored
    /// by `field`, adds ∂L/∂θ to `gradient` and adds (or writes, when `accumulate` is false)
    /// ∂L/∂Y = W₁ᵀ[(W₂ᵀG) ⊙ (1 − T²)] − γ ⊙ G to `dy`. `scratch` holds H × P values.
    /// Four GEMMs, O(H·d·P).
    func fieldVJP(
        _ y: UnsafePointer<Double>, columns p: Int, inputs: PerturbationInputs,
        media: MediumColumns = .uniform(0), tanh t: UnsafePointer<Double>, adjoint g: UnsafePointer<Double>,
        gradient: UnsafeMutablePointer<Double>, dy: UnsafeMutablePointer<Double>, accumulate: Bool,
        scratch: UnsafeMutablePointer<Double>
    ) {
        let d = dimension
        let h = hidden
        parameters.withUnsafeBufferPointer { theta in
            let base = theta.baseAddress!
            let rho = base + rhoOffset
            // ∂W₂ += G Tᵀ ; ∂b₂ += G 1
            BLAS.gemm(
                m: d, n: h, k: p, alpha: 1, a: g, lda: d, b: t, ldb: h, transposeB: true, beta: 1,
                c: gradient + w2Offset, ldc: d)
            // ∂γ-terms, ∂s, ∂b₂ and the direct part of ∂Y.
            inputs.indicator.data.withUnsafeBufferPointer { a in
                for j in 0..<p {
                    var sGrad = 0.0
                    let b2 = b2Offset + media[j] * d
                    for i in 0..<d {
                        let idx = i + j * d
                        let gamma = Foundation.exp(rho[i])
                        gradient[b2 + i] += g[idx]
                        // f contains −exp(ρ) y, so ∂f/∂ρ = −γ y.
                        gradient[rhoOffset + i] -= gamma * y[idx] * g[idx]
                        sGrad += a[idx] * g[idx]
                        let direct = -gamma * g[idx]
                        dy[idx] = accumulate ? dy[idx] + direct : direct
                    }
                    gradient[strengthOffset + inputs.modality[j]] += sGrad
                }
            }
            // S = (W₂ᵀ G) ⊙ (1 − T²)
            BLAS.gemm(
                m: h, n: p, k: d, alpha: 1, a: base + w2Offset, lda: d, transposeA: true, b: g, ldb: d,
                beta: 0, c: scratch, ldc: h)
            for i in 0..<(h * p) { scratch[i] *= 1 - t[i] * t[i] }
            // ∂W₁ += S Yᵀ ; ∂b₁ += S 1 ; ∂Y += W₁ᵀ S
            BLAS.gemm(
                m: h, n: d, k: p, alpha: 1, a: scratch, lda: h, b: y, ldb: d, transposeB: true, beta: 1,
                c: gradient + w1Offset, ldc: h)
            for j in 0..<p { for i in 0..<h { gradient[b1Offset + i] += scratch[i + j * h] } }
            BLAS.gemm(
                m: d, n: p, k: h, alpha: 1, a: base + w1Offset, lda: h, transposeA: true, b: scratch, ldb: h,
                beta: 1, c: dy, ldc: d)
        }
    }

    /// f_θ at the columns of `states` (d × P), as a matrix: the convenient, allocating form.
    public func evaluate(_ states: Matrix, inputs: PerturbationInputs, media: MediumColumns = .uniform(0)) -> Matrix {
        precondition(states.rows == dimension && states.cols == inputs.columns)
        var k = Matrix(rows: dimension, cols: states.cols)
        var t = [Double](repeating: 0, count: hidden * max(1, states.cols))
        guard states.cols > 0 else { return k }
        states.data.withUnsafeBufferPointer { y in
            k.withUnsafeMutableBufferPointer { kk in
                t.withUnsafeMutableBufferPointer { tt in
                    field(
                        y.baseAddress!, columns: states.cols, inputs: inputs, media: media, into: kk.baseAddress!,
                        tanhOut: tt.baseAddress!)
                }
            }
        }
        return k
    }
}
