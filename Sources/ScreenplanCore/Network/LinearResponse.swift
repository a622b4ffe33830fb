import Foundation

// MARK: - Linear response of all genes to all perturbations at once
//
// At the baseline steady state x*, a perturbation changes production directly by Δf (its κ, and
// for a knockout the loss of its product's activity). The regulators answer with
// J_rr ΔX_r = −Δf_r: one LU factorisation of the G_r × G_r Jacobian and all K perturbations as
// right-hand sides (dgetrf once, dgetrs once). Every other gene follows through one GEMM,
// Δx = (Δf + κ' W ΔH) / γ, where ΔH is the channels' response to ΔX_r.

public enum LinearResponse {
    /// Expected log2 fold change of every gene (rows) under every action (columns): a
    /// G × K column-major matrix.
    public static func log2FoldChanges(
        _ k: Kinetics, baseline x: [Double], input u: [Double],
        actions: [PerturbationAction]
    ) throws -> Matrix {
        let g = k.geneCount
        let gr = k.regulatorCount
        let c = k.channelCount
        let n = actions.count
        var result = Matrix(rows: g, cols: n)
        guard n > 0 else { return result }
        let none = PerturbationAction.none(genes: g)
        let xr = k.regulators.map { x[$0] }
        let (_, jacobian) = k.regulatorField(xr, input: u, action: none)

        // Baseline channel outputs and slopes, and each gene's pre-κ production sum.
        var h = [Double](repeating: 0, count: c)
        var dh = [Double](repeating: 0, count: c)
        for ch in 0..<c {
            let level = x[k.regulators[k.channelRegulator[ch]]]
            h[ch] = Kinetics.hill(level, n: k.channelHill[ch], h: k.channelHalf[ch])
            dh[ch] = Kinetics.hillDerivative(level, n: k.channelHill[ch], h: k.channelHalf[ch])
        }
        var s = [Double](repeating: 0, count: g)
        for i in 0..<g { s[i] = k.basal[i] + u[i] + k.repressionOffset[i] }
        var wh = [Double](repeating: 0, count: g)
        var hm = Matrix(rows: c, cols: 1, data: h)
        var whm = Matrix(rows: g, cols: 1)
        if c > 0 { BLAS.gemm(k.weights, hm, into: &whm) }
        for i in 0..<g {
            wh[i] = whm.data[i]
            s[i] += wh[i]
        }
        hm = Matrix(rows: 0, cols: 0)

        // Direct change of production at fixed x, per action (only non-zero entries stored).
        var direct = Matrix(rows: g, cols: n)
        var knockedOutChannels: [[Int]] = Array(repeating: [], count: n)
        var touchesRegulators = [Bool](repeating: false, count: n)
        for (p, action) in actions.enumerated() {
            for i in 0..<g where action.kappa[i] != 1 {
                direct[i, p] = (action.kappa[i] - 1) * max(0, s[i])
                if k.regulatorPosition[i] >= 0 { touchesRegulators[p] = true }
            }
            for ch in 0..<c where action.activity[k.regulators[k.channelRegulator[ch]]] != 1 {
                knockedOutChannels[p].append(ch)
                touchesRegulators[p] = true
            }
        }
        // A knocked-out product removes its channels' contribution from every target.
        var lostH = Matrix(rows: c, cols: n)
        for p in 0..<n {
            for ch in knockedOutChannels[p] {
                let a = actions[p].activity[k.regulators[k.channelRegulator[ch]]]
                lostH[ch, p] = (a - 1) * h[ch]
            }
        }
        var lost = Matrix(rows: g, cols: n)
        if c > 0 { BLAS.gemm(k.weights, lostH, into: &lost) }
        for p in 0..<n {
            for i in 0..<g where lost[i, p] != 0 {
                // Only where the gene's production sum was positive does it respond.
                if s[i] > 0 { direct[i, p] += actions[p].kappa[i] * lost[i, p] }
            }
        }

        // Regulators: J ΔX_r = −Δf_r for the columns that touch them.
        let columns = (0..<n).filter { touchesRegulators[$0] }
        var responseH = Matrix(rows: c, cols: n)
        if !columns.isEmpty && gr > 0 {
            var rhs = Matrix(rows: gr, cols: columns.count)
            for (q, p) in columns.enumerated() {
                for r in 0..<gr { rhs[r, q] = -direct[k.regulators[r], p] }
            }
            let lu = try LUFactorization(jacobian)
            let dxr = try lu.solve(rhs)
            for (q, p) in columns.enumerated() {
                for ch in 0..<c {
                    let gene = k.regulators[k.channelRegulator[ch]]
                    responseH[ch, p] = actions[p].activity[gene] * dh[ch] * dxr[k.channelRegulator[ch], q]
                }
            }
        }
        var induced = Matrix(rows: g, cols: n)
        if c > 0 { BLAS.gemm(k.weights, responseH, into: &induced) }

        for p in 0..<n {
            for i in 0..<g {
                let base = x[i]
                guard base > 0 else { continue }
                let inducedP = s[i] > 0 ? actions[p].kappa[i] * induced[i, p] : 0
                let dx = (direct[i, p] + inducedP) / k.decay[i]
                let perturbed = max(base + dx, 0.01 * base)
                result[i, p] = Foundation.log2(perturbed / base)
            }
        }
        return result
    }
}
