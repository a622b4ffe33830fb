import Foundation

// MARK: - Dynamics of one block of cells (chemical Langevin, exponential Euler)
//
// All cells of a block are integrated at once on the global grid t = k·dt. Per step:
//   1. channels H = hill(level · activity) for every channel and cell (C × n),
//   2. one GEMM over regulator rows: S = W_r · H (G_r × C times C × n),
//   3. per cell and regulator: P = κ·max(0, b + u_m + niche + offset + S),
//      x ← x·e^{−γdt} + (P/γ)(1 − e^{−γdt}) + s·√((P + γx)(1 − e^{−2γdt})/(2γ))·ξ, clipped at 0.
// The exponential step decays exactly, so dt can be ~0.5–1 h; one normal per gene-step carries
// both the production and the decay noise (√P dW + √(γx) dW' has the law of √(P + γx) dW).
//
// Downstream genes (modelled genes that regulate nothing) do not feed back. In `window` mode they
// are integrated exactly (Ornstein–Uhlenbeck) over the last `downstreamWindowRelaxations`
// relaxation times before sampling, on `downstreamPieces` coarse pieces, each driven by the
// time-averaged channel activity, medium and perturbation strength of that piece (one GEMM per
// piece). In `fine` mode every downstream gene is integrated every step (reference).

/// Timing and work counters of one block.
struct BlockStats: Sendable {
    var dynamicsSeconds = 0.0
    var gemmSeconds = 0.0
    var measurementSeconds = 0.0
    var flops = 0.0
}

@inline(__always)
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

extension SimulationModel {
    /// Integrates the columns described by `cells` and returns their complete states (G × n).
    func integrate(_ cells: [CellSetup], streams: inout [RandomStream], options: SimulationOptions,
                   stats: inout BlockStats) -> Matrix {
        let k = kinetics
        let g = k.geneCount, gr = k.regulatorCount, nc = k.channelCount
        let n = cells.count
        let dt = design.system.time_step_h
        let sNoise = design.system.intrinsic_noise
        let media = mediumInputs.count
        let fine = options.downstream == .fine
        let pieces = max(1, options.downstreamPieces)
        let gd = downstreamGenes.count

        // Grid bounds of each column.
        var kStart = [Int](repeating: 0, count: n), kEnd = [Int](repeating: 0, count: n)
        var kW0 = [Int](repeating: 0, count: n)
        let slowest = downstreamGenes.map { k.decay[$0] }.min() ?? 1
        let windowSteps = Int((options.downstreamWindowRelaxations / max(1e-12, slowest) / dt).rounded(.up))
        for j in 0..<n {
            kStart[j] = Int((cells[j].tStart / dt).rounded(.down))
            kEnd[j] = max(kStart[j], Int((cells[j].tSample / dt).rounded()))
            kW0[j] = max(kStart[j], kEnd[j] - windowSteps)
        }
        let k0 = kStart.min() ?? 0, k1 = kEnd.max() ?? 0

        // Per-regulator constants.
        let regGenes = k.regulators
        var baseR = [Double](repeating: 0, count: gr), decayR = [Double](repeating: 0, count: gr)
        var eR = [Double](repeating: 0, count: gr), oneMinusER = [Double](repeating: 0, count: gr)
        var noiseR = [Double](repeating: 0, count: gr)
        for p in 0..<gr {
            let gene = regGenes[p]
            baseR[p] = k.basal[gene] + k.repressionOffset[gene]
            decayR[p] = k.decay[gene]
            eR[p] = Foundation.exp(-decayR[p] * dt)
            oneMinusER[p] = (1 - eR[p]) / decayR[p]
            noiseR[p] = sNoise * ((1 - Foundation.exp(-2 * decayR[p] * dt)) / (2 * decayR[p])).squareRoot()
        }
        // Inputs restricted to regulators: per medium, per animal niche.
        let inputR = mediumInputs.map { u in regGenes.map { u[$0] } }
        let nicheR = niche.map { u in regGenes.map { u[$0] } }
        let chReg = k.channelRegulator, chN = k.channelHill, chH = k.channelHalf

        // Per-column regulator targets (position among regulators) and knocked-out channels.
        struct ColumnTargets { var regRows: [(Int, Double)] = []; var koChannels: [(Int, Double)] = [] }
        var colTargets = [ColumnTargets](repeating: ColumnTargets(), count: n)
        for j in 0..<n {
            for a in cells[j].targets {
                let pos = k.regulatorPosition[a.gene]
                if pos >= 0 {
                    if a.kappa != 1 { colTargets[j].regRows.append((pos, a.kappa)) }
                    if a.activity != 1 { for ch in channelsOfRegulator[pos] { colTargets[j].koChannels.append((ch, a.activity)) } }
                }
            }
        }
        let ramp = design.system.assumptions.delayed_perturbation ? max(1e-9, design.system.assumptions.perturbation_ramp_h) : 0
        @inline(__always) func strength(_ j: Int, _ t: Double) -> Double {
            guard let run = perturbationRunStart(at: t) else { return 0 }
            let on = max(run, cells[j].onset)
            if t < on { return 0 }
            return ramp > 0 ? min(1, (t - on) / ramp) : 1
        }
        // Medium per step and column.
        @inline(__always) func mediumIndex(_ j: Int, _ t: Double) -> Int {
            cells[j].frozenMedium ? startMedium : medium(at: t)
        }

        // State.
        var x = Matrix(rows: gr, cols: n)
        for j in 0..<n {
            let start = initialRegulators[min(cells[j].animal, initialRegulators.count - 1)]
            for p in 0..<gr { x[p, j] = start[p] }
        }
        var h = Matrix(rows: nc, cols: n)
        var s = Matrix(rows: gr, cols: n)
        // Window accumulators: slots 0..<pieces, and slot `pieces` = the window's first step.
        let slots = pieces + 1
        var hAcc = fine ? Matrix(rows: 0, cols: 0) : Matrix(rows: nc, cols: n * slots)
        var cnt = [Double](repeating: 0, count: fine ? 0 : n * slots)
        var rhoAcc = [Double](repeating: 0, count: fine ? 0 : n * slots)
        var medAcc = [Double](repeating: 0, count: fine ? 0 : n * slots * media)
        // Fine mode: downstream state and GEMM output.
        var xd = Matrix(rows: fine ? gd : 0, cols: fine ? n : 0)
        var sd = Matrix(rows: fine ? gd : 0, cols: fine ? n : 0)
        var downStreams: [RandomStream] = cells.map { $0.dynamicsStream(seed: seed, part: 1) }
        if fine {
            for j in 0..<n {
                let st = initialState[min(cells[j].animal, initialState.count - 1)]
                for (q, gene) in downstreamGenes.enumerated() { xd[q, j] = st[gene] }
            }
        }
        var active = [Bool](repeating: false, count: n)
        var rho = [Double](repeating: 0, count: n)
        var mediumOf = [Int](repeating: 0, count: n)
        let flopsPerStep = 2.0 * Double(gr) * Double(nc) * Double(n)
        let t0 = monotonicSeconds()
        var gemmTime = 0.0

        x.data.withUnsafeMutableBufferPointer { xb in
        h.data.withUnsafeMutableBufferPointer { hb in
        s.data.withUnsafeMutableBufferPointer { sb in
        k.regulatorWeights.data.withUnsafeBufferPointer { wb in
            let X = xb.baseAddress!, H = hb.baseAddress!, S = sb.baseAddress!
            var noise = [Double](repeating: 0, count: max(gr, gd))
            for step in k0..<k1 {
                let t = Double(step) * dt
                // 1. Channels.
                for j in 0..<n {
                    active[j] = step >= kStart[j] && step < kEnd[j]
                    guard active[j] else { continue }
                    rho[j] = strength(j, t)
                    mediumOf[j] = mediumIndex(j, t)
                    let xc = X + j * gr, hc = H + j * nc
                    for ch in 0..<nc {
                        let c = xc[chReg[ch]]
                        let n_ = chN[ch], r = c / chH[ch]
                        let rn: Double
                        if n_ == 2 { rn = r * r } else if n_ == 4 { let r2 = r * r; rn = r2 * r2 }
                        else if n_ == 1 { rn = r } else if n_ == 3 { rn = r * r * r } else { rn = c > 0 ? Foundation.pow(r, n_) : 0 }
                        hc[ch] = rn / (1 + rn)
                    }
                    if rho[j] > 0 {
                        for (ch, a) in colTargets[j].koChannels {
                            let level = xc[chReg[ch]] * (1 + (a - 1) * rho[j])
                            hc[ch] = Kinetics.hill(level, n: chN[ch], h: chH[ch])
                        }
                    }
                    if !fine && step >= kW0[j] {
                        let span = kEnd[j] - kW0[j]
                        let piece = min(pieces - 1, (step - kW0[j]) * pieces / max(1, span))
                        accumulate(&hAcc, &cnt, &rhoAcc, &medAcc, slot: piece, j, n, nc, media, hc, rho[j], mediumOf[j])
                        if step == kW0[j] {
                            accumulate(&hAcc, &cnt, &rhoAcc, &medAcc, slot: pieces, j, n, nc, media, hc, rho[j], mediumOf[j])
                        }
                    }
                }
                // 2. One GEMM over the regulator rows.
                let g0 = monotonicSeconds()
                BLAS.gemm(m: gr, n: n, k: nc, alpha: 1, a: wb.baseAddress!, lda: max(1, gr), b: H, ldb: max(1, nc),
                          beta: 0, c: S, ldc: max(1, gr))
                if fine && gd > 0 {
                    downstreamWeights.data.withUnsafeBufferPointer { wdb in
                        sd.data.withUnsafeMutableBufferPointer { sdb in
                            BLAS.gemm(m: gd, n: n, k: nc, alpha: 1, a: wdb.baseAddress!, lda: gd, b: H, ldb: max(1, nc),
                                      beta: 0, c: sdb.baseAddress!, ldc: gd)
                        }
                    }
                }
                gemmTime += monotonicSeconds() - g0
                // 3. Exponential Euler–Maruyama update of active columns.
                noise.withUnsafeMutableBufferPointer { nb in
                    let xi = nb.baseAddress!
                    for j in 0..<n where active[j] {
                        let xc = X + j * gr, sc = S + j * gr
                        let u = inputR[mediumOf[j]]
                        u.withUnsafeBufferPointer { ub in
                            let up = ub.baseAddress!
                            if !nicheR.isEmpty {
                                let nv = nicheR[cells[j].animal]
                                for p in 0..<gr { sc[p] = max(0, baseR[p] + up[p] + nv[p] + sc[p]) }
                            } else {
                                for p in 0..<gr { sc[p] = max(0, baseR[p] + up[p] + sc[p]) }
                            }
                        }
                        if rho[j] > 0 {
                            for (p, kappa) in colTargets[j].regRows { sc[p] *= 1 + (kappa - 1) * rho[j] }
                        }
                        streams[j].fillZigguratNormals(xi, count: gr)
                        for p in 0..<gr {
                            let prod = sc[p], xv = xc[p]
                            let v = xv * eR[p] + prod * oneMinusER[p] + noiseR[p] * (prod + decayR[p] * xv).squareRoot() * xi[p]
                            xc[p] = v > 0 ? v : 0
                        }
                        if fine && gd > 0 {
                            fineDownstreamStep(&xd, &sd, j: j, dt: dt, medium: mediumOf[j], animal: cells[j].animal,
                                               targets: cells[j].targets, rho: rho[j], noise: xi, stream: &downStreams[j])
                        }
                    }
                }
            }
        }
        }
        }
        }
        stats.flops += flopsPerStep * Double(max(0, k1 - k0))
        if fine { stats.flops += 2.0 * Double(gd) * Double(nc) * Double(n) * Double(max(0, k1 - k0)) }

        // Complete states.
        var state = Matrix(rows: g, cols: n)
        for j in 0..<n {
            for p in 0..<gr { state[regGenes[p], j] = x[p, j] }
        }
        if fine {
            for j in 0..<n { for (q, gene) in downstreamGenes.enumerated() { state[gene, j] = xd[q, j] } }
        } else if gd > 0 {
            let g1 = monotonicSeconds()
            windowDownstream(&state, cells: cells, hAcc: &hAcc, cnt: cnt, rhoAcc: rhoAcc, medAcc: medAcc,
                             slots: slots, kEnd: kEnd, kW0: kW0, dt: dt, streams: &downStreams, stats: &stats)
            gemmTime += 0  // the window GEMMs are counted in windowDownstream
            _ = g1
        }
        stats.gemmSeconds += gemmTime
        stats.dynamicsSeconds += monotonicSeconds() - t0
        return state
    }

    @inline(__always)
    private func accumulate(_ hAcc: inout Matrix, _ cnt: inout [Double], _ rhoAcc: inout [Double], _ medAcc: inout [Double],
                            slot: Int, _ j: Int, _ n: Int, _ nc: Int, _ media: Int, _ hc: UnsafeMutablePointer<Double>,
                            _ rho: Double, _ medium: Int) {
        let col = slot * n + j
        hAcc.data.withUnsafeMutableBufferPointer { ab in
            let a = ab.baseAddress! + col * nc
            for ch in 0..<nc { a[ch] += hc[ch] }
        }
        cnt[col] += 1
        rhoAcc[col] += rho
        medAcc[col * media + medium] += 1
    }

    /// One fine exponential-Euler step of the downstream genes of column j (reference mode).
    private func fineDownstreamStep(_ xd: inout Matrix, _ sd: inout Matrix, j: Int, dt: Double, medium: Int, animal: Int,
                                    targets: [TargetAction], rho: Double, noise: UnsafeMutablePointer<Double>,
                                    stream: inout RandomStream) {
        let k = kinetics
        let gd = downstreamGenes.count
        let sNoise = design.system.intrinsic_noise
        let u = mediumInputs[medium]
        stream.fillZigguratNormals(noise, count: gd)
        for (q, gene) in downstreamGenes.enumerated() {
            var prod = k.basal[gene] + k.repressionOffset[gene] + u[gene] + sd[q, j]
            if !niche.isEmpty { prod += niche[animal][gene] }
            prod = max(0, prod)
            for a in targets where a.gene == gene { prod *= 1 + (a.kappa - 1) * rho }
            let gamma = k.decay[gene]
            let e = Foundation.exp(-gamma * dt)
            let xv = xd[q, j]
            let sdv = sNoise * ((1 - e * e) / (2 * gamma) * (prod + gamma * xv)).squareRoot()
            let v = xv * e + prod / gamma * (1 - e) + sdv * noise[q]
            xd[q, j] = max(0, v)
        }
    }

    /// Exact OU integration of downstream genes over each column's window, piece by piece.
    private func windowDownstream(_ state: inout Matrix, cells: [CellSetup], hAcc: inout Matrix, cnt: [Double],
                                  rhoAcc: [Double], medAcc: [Double], slots: Int, kEnd: [Int], kW0: [Int], dt: Double,
                                  streams: inout [RandomStream], stats: inout BlockStats) {
        let k = kinetics
        let n = cells.count, nc = k.channelCount, gd = downstreamGenes.count
        let media = mediumInputs.count
        let pieces = slots - 1
        let sNoise = design.system.intrinsic_noise
        // Averages.
        hAcc.data.withUnsafeMutableBufferPointer { ab in
            for col in 0..<(n * slots) where cnt[col] > 0 {
                let a = ab.baseAddress! + col * nc
                let inv = 1 / cnt[col]
                for ch in 0..<nc { a[ch] *= inv }
            }
        }
        // One GEMM for all pieces and the initial slot: D = W_d · H̄ (G_d × (n·slots)).
        var d = Matrix(rows: gd, cols: n * slots)
        let g0 = monotonicSeconds()
        if nc > 0 { BLAS.gemm(downstreamWeights, hAcc, into: &d) }
        stats.gemmSeconds += monotonicSeconds() - g0
        stats.flops += 2.0 * Double(gd) * Double(nc) * Double(n * slots)
        var base = [Double](repeating: 0, count: gd), gamma = [Double](repeating: 0, count: gd)
        for (q, gene) in downstreamGenes.enumerated() {
            base[q] = k.basal[gene] + k.repressionOffset[gene]
            gamma[q] = k.decay[gene]
        }
        let inputD = mediumInputs.map { u in downstreamGenes.map { u[$0] } }
        var xi = [Double](repeating: 0, count: gd)
        var prod = [Double](repeating: 0, count: gd)
        var xv = [Double](repeating: 0, count: gd)
        for j in 0..<n {
            let cell = cells[j]
            let targets = cell.targets.filter { downstreamPosition[$0.gene] >= 0 }
            func production(slot: Int) {
                let col = slot * n + j
                for q in 0..<gd { prod[q] = base[q] + d[q, col] }
                for m in 0..<media where medAcc[col * media + m] > 0 {
                    let f = medAcc[col * media + m] / cnt[col]
                    let u = inputD[m]
                    for q in 0..<gd { prod[q] += f * u[q] }
                }
                if !niche.isEmpty {
                    let nv = niche[cell.animal]
                    for (q, gene) in downstreamGenes.enumerated() { prod[q] += nv[gene] }
                }
                for q in 0..<gd { prod[q] = max(0, prod[q]) }
                let rho = rhoAcc[col] / cnt[col]
                for a in targets { prod[downstreamPosition[a.gene]] *= 1 + (a.kappa - 1) * rho }
            }
            let initCol = pieces * n + j
            if cnt[initCol] > 0 {
                production(slot: pieces)
                for q in 0..<gd { xv[q] = prod[q] / gamma[q] }
            } else {
                let st = initialState[min(cell.animal, initialState.count - 1)]
                for (q, gene) in downstreamGenes.enumerated() { xv[q] = st[gene] }
            }
            for piece in 0..<pieces {
                let col = piece * n + j
                guard cnt[col] > 0 else { continue }
                production(slot: piece)
                let span = cnt[col] * dt
                xi.withUnsafeMutableBufferPointer { streams[j].fillZigguratNormals($0.baseAddress!, count: gd) }
                for q in 0..<gd {
                    let e = Foundation.exp(-gamma[q] * span)
                    let det = xv[q] * e + prod[q] / gamma[q] * (1 - e)
                    let mean = 0.5 * (xv[q] + det)
                    let v = sNoise * sNoise * (prod[q] + gamma[q] * mean) * (1 - e * e) / (2 * gamma[q])
                    xv[q] = max(0, det + v.squareRoot() * xi[q])
                }
            }
            for (q, gene) in downstreamGenes.enumerated() { state[gene, j] = xv[q] }
        }
    }
}
