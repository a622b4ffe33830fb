import Foundation

// MARK: - The mean–dispersion trend α(μ) = a₀ + a₁/μ (DESeq2's parametric fit)
//
// Love, Huber & Anders 2014 (DESeq2, `estimateDispersionsFit(fitType = "parametric")`): a
// gamma-family GLM with identity link of the gene-wise dispersions on 1/μ, refitted after
// dropping genes whose dispersion is more than 15× or less than 10⁻⁴× the fit, until the
// coefficients settle. Solved here by iteratively reweighted least squares (weights 1/fit²).

/// A fitted trend.
public struct DispersionTrend: Sendable {
    public var a0: Double
    public var a1: Double
    public var seA0: Double?
    public var seA1: Double?

    /// α at mean μ (floored at 10⁻⁸).
    public func alpha(_ mu: Double) -> Double { max(1e-8, a0 + a1 / max(mu, 1e-12)) }

    /// Fits the trend to genes with a positive moment estimate.
    public static func fit(means: [Double], alphas: [Double?]) -> DispersionTrend {
        var points: [(x: Double, y: Double)] = []
        for (m, a) in zip(means, alphas) { if let a, m > 0 { points.append((1 / m, a)) } }
        guard points.count >= 3 else {
            let y = points.map(\.y).sorted()
            return DispersionTrend(a0: y.isEmpty ? 0.5 : y[y.count / 2], a1: 0, seA0: nil, seA1: nil)
        }
        var a0 = 0.1
        var a1 = 1.0
        var kept = points
        var se: (Double, Double)? = nil
        for _ in 0..<10 {
            for _ in 0..<25 {
                var sw = 0.0
                var swx = 0.0
                var swxx = 0.0
                var swy = 0.0
                var swxy = 0.0
                for p in kept {
                    let f = max(1e-8, a0 + a1 * p.x)
                    let w = 1 / (f * f)
                    sw += w
                    swx += w * p.x
                    swxx += w * p.x * p.x
                    swy += w * p.y
                    swxy += w * p.x * p.y
                }
                let det = sw * swxx - swx * swx
                guard abs(det) > 1e-300 else { break }
                var n0 = (swxx * swy - swx * swxy) / det
                var n1 = (sw * swxy - swx * swy) / det
                if n1 < 0 {
                    n1 = 0
                    n0 = swy / sw
                }
                if n0 < 1e-8 {
                    n0 = 1e-8
                    n1 = max(0, (swxy - n0 * swx) / max(1e-300, swxx))
                }
                let change = abs(n0 - a0) / max(1e-8, abs(a0)) + abs(n1 - a1) / max(1e-8, abs(a1))
                a0 = n0
                a1 = n1
                // Gamma GLM: Var(â) = φ (XᵀWX)⁻¹ with φ the mean squared Pearson residual.
                var phi = 0.0
                for p in kept {
                    let f = max(1e-8, a0 + a1 * p.x)
                    phi += (p.y - f) * (p.y - f) / (f * f)
                }
                phi /= Double(max(1, kept.count - 2))
                se = ((phi * swxx / det).squareRoot(), (phi * sw / det).squareRoot())
                if change < 1e-8 { break }
            }
            let next = points.filter { p in
                let r = p.y / max(1e-8, a0 + a1 * p.x)
                return r < 15 && r > 1e-4
            }
            if next.count == kept.count || next.count < 3 { break }
            kept = next
        }
        return DispersionTrend(a0: a0, a1: a1, seA0: se?.0, seA1: se?.1)
    }
}
