import Foundation

// MARK: - Steady states by Newton's method (LAPACK) on the regulator subsystem
//
// Only regulators feed back, so f(x) = P(x) − γx = 0 is solved on the G_r regulators (a dense
// G_r × G_r Jacobian, LU by dgetrf/dgetrs); every other gene then follows in closed form,
// x_i = P_i(x_reg)/γ_i.

/// The steady state of a network could not be found (the model, not the input, failed: exit 1).
public enum SteadyStateError: Error, Equatable, CustomStringConvertible {
    /// Newton's iteration ended with this largest residual of the regulator field (not finite,
    /// or above the relative tolerance 1e-6).
    case newtonStalled(residual: Double)

    public var description: String {
        switch self {
        case .newtonStalled(let residual): return "steady state not found: Newton stopped with residual \(residual)"
        }
    }
}

extension Kinetics {
    /// Full state from regulator levels: non-regulators at P/γ.
    public func completeState(regulatorLevels xr: [Double], input u: [Double], action: PerturbationAction) -> [Double] {
        var x = [Double](repeating: 0, count: geneCount)
        for (p, gene) in regulators.enumerated() { x[gene] = xr[p] }
        let prod = production(x, input: u, kappa: action.kappa, activity: action.activity)
        for i in 0..<geneCount where regulatorPosition[i] < 0 { x[i] = prod[i] / decay[i] }
        return x
    }

    /// f restricted to regulators, with its Jacobian (column-major G_r × G_r).
    func regulatorField(_ xr: [Double], input u: [Double], action: PerturbationAction) -> (
        f: [Double], jacobian: Matrix
    ) {
        let gr = regulatorCount
        var h = [Double](repeating: 0, count: channelCount)
        var dh = [Double](repeating: 0, count: channelCount)
        for ch in 0..<channelCount {
            let gene = regulators[channelRegulator[ch]]
            let a = action.activity[gene]
            let level = xr[channelRegulator[ch]] * a
            h[ch] = Kinetics.hill(level, n: channelHill[ch], h: channelHalf[ch])
            dh[ch] = a * Kinetics.hillDerivative(level, n: channelHill[ch], h: channelHalf[ch])
        }
        var f = [Double](repeating: 0, count: gr)
        var j = Matrix(rows: gr, cols: gr)
        for p in 0..<gr {
            let gene = regulators[p]
            var s = basal[gene] + u[gene] + repressionOffset[gene]
            for ch in 0..<channelCount { s += regulatorWeights[p, ch] * h[ch] }
            let kappa = action.kappa[gene]
            f[p] = kappa * max(0, s) - decay[gene] * xr[p]
            if s > 0 {
                for ch in 0..<channelCount where regulatorWeights[p, ch] != 0 {
                    j[p, channelRegulator[ch]] += kappa * regulatorWeights[p, ch] * dh[ch]
                }
            }
            j[p, p] -= decay[gene]
        }
        return (f, j)
    }

    /// Relaxes the deterministic dynamics from `start` for `hours` (exponential Euler), so
    /// Newton starts inside the basin of the attractor the cells would reach.
    public func relax(
        regulatorLevels start: [Double], input u: [Double], action: PerturbationAction,
        hours: Double, step: Double = 0.25
    ) -> [Double] {
        var xr = start
        let steps = Int((hours / step).rounded(.up))
        for _ in 0..<steps {
            var x = [Double](repeating: 0, count: geneCount)
            for (p, gene) in regulators.enumerated() { x[gene] = xr[p] }
            let h = channels(x, activity: action.activity)
            for (p, gene) in regulators.enumerated() {
                var s = basal[gene] + u[gene] + repressionOffset[gene]
                for ch in 0..<channelCount { s += regulatorWeights[p, ch] * h[ch] }
                let prod = action.kappa[gene] * max(0, s)
                let e = Foundation.exp(-decay[gene] * step)
                xr[p] = xr[p] * e + prod / decay[gene] * (1 - e)
            }
        }
        return xr
    }

    /// The steady state reached from `start` (or from basal levels): relaxation, then Newton
    /// with LAPACK until ‖f‖∞ is below `tolerance` relative to production.
    public func steadyState(
        input u: [Double], action: PerturbationAction, start: [Double]? = nil,
        relaxHours: Double = 100, tolerance: Double = 1e-10
    ) throws -> [Double] {
        let initial = start ?? regulators.map { basal[$0] / decay[$0] }
        var xr = relax(regulatorLevels: initial, input: u, action: action, hours: relaxHours)
        for _ in 0..<50 {
            let (f, j) = regulatorField(xr, input: u, action: action)
            let scale = max(1e-12, xr.map(abs).max() ?? 1)
            if (f.map(abs).max() ?? 0) <= tolerance * max(1, scale) { break }
            let lu = try LUFactorization(j)
            let step = try lu.solve(f.map { -$0 })
            // Damped so concentrations stay non-negative.
            var t = 1.0
            while t > 1e-4 && zip(xr, step).contains(where: { $0 + t * $1 < 0 }) { t *= 0.5 }
            for p in 0..<xr.count { xr[p] = max(0, xr[p] + t * step[p]) }
        }
        let (f, _) = regulatorField(xr, input: u, action: action)
        let residual = f.map(abs).max() ?? 0
        if !residual.isFinite || residual > 1e-6 * max(1, xr.map(abs).max() ?? 1) {
            throw SteadyStateError.newtonStalled(residual: residual)
        }
        return completeState(regulatorLevels: xr, input: u, action: action)
    }
}
