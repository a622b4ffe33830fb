import Foundation

// MARK: - Baselines that give the held-out errors a meaning
//
// All predict effects (natural log, d × P) of held-out perturbations from training ones:
// - no change: 0 everywhere (the error is the effects' own size);
// - mean effect: the mean estimated effect of the training perturbations, for every gene;
// - linear: a linear steady-state model fitted on the training perturbations. With a linear
//   field f(z; p) = A z + a_p, the steady state is z_p = −A⁻¹ a_p. A is fitted by ridge
//   regression of A z̄_p ≈ −a_p over the training states (all rows at once: one LU of
//   Z Zᵀ + ρI with d right-hand sides), shrunk towards −αI whose response 1/α is the mean
//   observed self-effect of a target; ρ is chosen on the validation perturbations. Prediction
//   for a held-out perturbation is one LU solve of A with its target indicator.

public enum Baselines {
    /// Zero effects.
    public static func noChange(dimension d: Int, columns: Int) -> Matrix { Matrix(rows: d, cols: columns) }

    /// The mean of the training effects (finite columns only), repeated for every column.
    public static func meanEffect(_ effects: Matrix, training: [Int], columns: Int) -> Matrix {
        let d = effects.rows
        var mean = [Double](repeating: 0, count: d)
        var n = 0.0
        for p in training where effects[0, p].isFinite {
            for i in 0..<d { mean[i] += effects[i, p] }
            n += 1
        }
        if n > 0 { for i in 0..<d { mean[i] /= n } }
        var out = Matrix(rows: d, cols: columns)
        for j in 0..<columns { for i in 0..<d { out[i, j] = mean[i] } }
        return out
    }

    /// A fitted linear steady-state model z_p = −A⁻¹ a_p.
    public struct LinearModel: Sendable {
        public var a: Matrix
        let lu: LUFactorization

        /// Predicted effects for target indicators (d × P).
        public func predict(_ indicator: Matrix) throws -> Matrix {
            var z = try lu.solve(-indicator)
            // Columns without any target in the modelled space do not move it.
            for j in 0..<indicator.cols where (0..<indicator.rows).allSatisfy({ indicator[$0, j] == 0 }) {
                for i in 0..<z.rows { z[i, j] = 0 }
            }
            return z
        }
    }

    /// Fits A by ridge regression with strength `ridge` (relative to tr(Z Zᵀ)/d).
    /// - Complexity: O(d²P + d³).
    public static func fitLinear(states z: Matrix, indicator e: Matrix, ridge: Double) throws -> LinearModel {
        let d = z.rows
        let p = z.cols
        // Prior −αI with 1/α the mean self-effect of targets in the data.
        var selfEffect = 0.0
        var count = 0.0
        for j in 0..<p {
            for i in 0..<d where e[i, j] != 0 {
                selfEffect += z[i, j]
                count += 1
            }
        }
        let response = count > 0 && abs(selfEffect / count) > 1e-3 ? selfEffect / count : -1
        let alpha = 1 / response  // A₀ = −αI maps a target indicator to z = a/α.
        var gram = Matrix(rows: d, cols: d)
        BLAS.gemm(z, z, transposeB: true, into: &gram)
        var trace = 0.0
        for i in 0..<d { trace += gram[i, i] }
        let rho = ridge * max(trace / Double(d), 1e-12)
        for i in 0..<d { gram[i, i] += rho }
        // (Z Zᵀ + ρI) Aᵀ = −Z Eᵀ + ρ A₀ᵀ
        var rhs = Matrix(rows: d, cols: d)
        BLAS.gemm(z, e, transposeB: true, into: &rhs, alpha: -1)
        for i in 0..<d { rhs[i, i] += rho * -alpha }
        let at = try LUFactorization(gram).solve(rhs)
        var a = Matrix(rows: d, cols: d)
        for i in 0..<d { for j in 0..<d { a[i, j] = at[j, i] } }
        return LinearModel(a: a, lu: try LUFactorization(a))
    }
}

// MARK: - Metrics

/// Mean squared error and Pearson correlation of predictions against truth over all finite
/// entries.
public enum FitMetrics {
    public static func mse(_ predicted: [Double], _ truth: [Double]) -> Double {
        var s = 0.0
        var n = 0.0
        for (a, b) in zip(predicted, truth) where a.isFinite && b.isFinite {
            s += (a - b) * (a - b)
            n += 1
        }
        return n > 0 ? s / n : .nan
    }

    /// Pearson correlation. A constant prediction (e.g. the no-change baseline) carries no
    /// information about the truth's variation and scores 0; NaN only without data.
    public static func pearson(_ x: [Double], _ y: [Double]) -> Double {
        var pairs: [(Double, Double)] = []
        for (a, b) in zip(x, y) where a.isFinite && b.isFinite { pairs.append((a, b)) }
        let n = Double(pairs.count)
        guard n > 1 else { return .nan }
        let mx = pairs.reduce(0) { $0 + $1.0 } / n
        let my = pairs.reduce(0) { $0 + $1.1 } / n
        var sxy = 0.0
        var sxx = 0.0
        var syy = 0.0
        for (a, b) in pairs {
            sxy += (a - mx) * (b - my)
            sxx += (a - mx) * (a - mx)
            syy += (b - my) * (b - my)
        }
        guard sxx > 0 && syy > 0 else { return 0 }
        return sxy / (sxx * syy).squareRoot()
    }

    /// Mean and sample standard deviation of finite values.
    public static func meanAndSD(_ values: [Double]) -> (mean: Double, sd: Double) {
        let v = values.filter(\.isFinite)
        guard !v.isEmpty else { return (.nan, .nan) }
        let m = v.reduce(0, +) / Double(v.count)
        guard v.count > 1 else { return (m, 0) }
        let s = v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1)
        return (m, s.squareRoot())
    }
}
