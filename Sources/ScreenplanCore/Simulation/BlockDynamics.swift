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
    var cellSteps = 0.0
    /// Steps each cell is actually alive for (the work a cell-by-cell integrator would do).
    var activeCellSteps = 0.0
    /// The per-step loop alone (channels, regulator GEMM, update) and its GEMM flops.
    var stepSeconds = 0.0
    var stepCPUSeconds = 0.0
    var stepFlops = 0.0
}

/// CPU time of the calling thread (seconds): rates per CPU-second are not distorted by other load.
@inline(__always)
public func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

@inline(__always)
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

extension SimulationModel {
    /// Integrates the columns described by `cells` and returns their complete states (G × n).
    ///
    /// Columns are integrated in order of their first step (then their last), so the columns alive
    /// at a step form one contiguous run and its GEMM covers only that run: in vivo, where cells of
    /// one block enter over days, this is a third of the work of stepping every column throughout.
    /// Each column keeps its own random stream and its arithmetic does not involve its neighbours,
    /// so a cell's numbers do not depend on the order (a test compares blocks of 64 and of 41).
    func integrate(
        _ cells: [CellSetup], streams: inout [RandomStream], options: SimulationOptions,
        stats: inout BlockStats
    ) -> Matrix {
        var cells = cells
        if let window = stationaryWindow(options: options) {
            // Only the last `window` hours before sampling matter (StationaryStart.swift).
            for j in cells.indices { cells[j].tStart = max(cells[j].tStart, cells[j].tSample - window) }
        }
        let dt = design.system.timeStepH
        let steps = cells.map { cell -> (Int, Int) in
            let first = Int((cell.tStart / dt).rounded(.down))
            return (first, max(first, Int((cell.tSample / dt).rounded())))
        }
        let order = cells.indices.sorted { (steps[$0].0, steps[$0].1, $0) < (steps[$1].0, steps[$1].1, $1) }
        if order.elementsEqual(cells.indices) {
            return integrateInStartOrder(cells, streams: &streams, options: options, stats: &stats)
        }
        var orderedStreams = order.map { streams[$0] }
        let ordered = integrateInStartOrder(
            order.map { cells[$0] }, streams: &orderedStreams, options: options,
            stats: &stats)
        if options.monitor?.isCancelled == true { return ordered }  // discarded
        var state = Matrix(rows: ordered.rows, cols: ordered.cols)
        for (position, j) in order.enumerated() {
            streams[j] = orderedStreams[position]
            for i in 0..<ordered.rows { state[i, j] = ordered[i, position] }
        }
        return state
    }

    /// `integrate` for columns sorted by first step.
    private func integrateInStartOrder(
        _ cells: [CellSetup], streams: inout [RandomStream], options: SimulationOptions,
        stats: inout BlockStats
    ) -> Matrix {
        let k = kinetics
        let g = k.geneCount
        let gr = k.regulatorCount
        let nc = k.channelCount
        let n = cells.count
        let dt = design.system.timeStepH
        let sNoise = design.system.intrinsicNoise
        let media = mediumInputs.count
        let fine = options.downstream == .fine
        let pieces = max(1, options.downstreamPieces)
        let gd = downstreamGenes.count

        // Grid bounds of each column.
        var kStart = [Int](repeating: 0, count: n)
        var kEnd = [Int](repeating: 0, count: n)
        var kW0 = [Int](repeating: 0, count: n)
        let slowest = downstreamGenes.map { k.decay[$0] }.min() ?? 1
        let windowSteps = Int((options.downstreamWindowRelaxations / max(1e-12, slowest) / dt).rounded(.up))
        for j in 0..<n {
            kStart[j] = Int((cells[j].tStart / dt).rounded(.down))
            kEnd[j] = max(kStart[j], Int((cells[j].tSample / dt).rounded()))
            kW0[j] = max(kStart[j], kEnd[j] - windowSteps)
        }
        let k0 = kStart.min() ?? 0
        let k1 = kEnd.max() ?? 0

        // Per-regulator constants.
        let regGenes = k.regulators
        var baseR = [Double](repeating: 0, count: gr)
        var decayR = [Double](repeating: 0, count: gr)
        var eR = [Double](repeating: 0, count: gr)
        var oneMinusER = [Double](repeating: 0, count: gr)
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
        let chReg = k.channelRegulator
        let chN = k.channelHill
        let chH = k.channelHalf

        // Per-column regulator targets (position among regulators) and knocked-out channels.
        struct ColumnTargets {
            var regRows: [(Int, Double)] = []
            var koChannels: [(Int, Double)] = []
        }
        var colTargets = [ColumnTargets](repeating: ColumnTargets(), count: n)
        for j in 0..<n {
            for a in cells[j].targets {
                let pos = k.regulatorPosition[a.gene]
                if pos >= 0 {
                    if a.kappa != 1 { colTargets[j].regRows.append((pos, a.kappa)) }
                    if a.activity != 1 {
                        for ch in channelsOfRegulator[pos] { colTargets[j].koChannels.append((ch, a.activity)) }
                    }
                }
            }
        }
        let ramp =
            design.system.assumptions.delayedPerturbation ? max(1e-9, design.system.assumptions.perturbationRampH) : 0

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
        // Flattened per-column constants and combined inputs base + u_m (+ niche) per (animal, medium).
        let animals = max(1, nicheR.count)
        var combined = [Double](repeating: 0, count: animals * media * gr)
        for a in 0..<animals {
            for m in 0..<media {
                for p in 0..<gr {
                    combined[(a * media + m) * gr + p] = baseR[p] + inputR[m][p] + (nicheR.isEmpty ? 0 : nicheR[a][p])
                }
            }
        }
        let onset = cells.map(\.onset)
        let frozen = cells.map(\.frozenMedium)
        let animalOf = cells.map { nicheR.isEmpty ? 0 : $0.animal }
        let invHalf = chH.map { 1 / $0 }
        let hillRuns = StepKernels.hillRuns(chN)
        // Sparse production over W_r's nonzeros when W_r is sparse (StepKernels.swift).
        let density = Double(k.regulatorWeights.data.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }) / Double(max(1, gr * nc))
        let sparse =
            options.sparseProduction && density < SparseRows.densityLimit ? SparseRows(k.regulatorWeights) : nil
        let spStart = UnsafeMutablePointer<Int>.allocate(capacity: gr + 1)
        let spColumn = UnsafeMutablePointer<Int>.allocate(capacity: max(1, sparse?.nonzeros ?? 0))
        let spValue = UnsafeMutablePointer<Double>.allocate(capacity: max(1, sparse?.nonzeros ?? 0))
        defer {
            spStart.deallocate()
            spColumn.deallocate()
            spValue.deallocate()
        }
        if let sparse {
            for i in 0...gr { spStart[i] = sparse.rowStart[i] }
            for i in 0..<sparse.nonzeros {
                spColumn[i] = sparse.column[i]
                spValue[i] = sparse.value[i]
            }
        }
        var productFlops = 0.0  // flops of the regulator production actually executed
        var active = [Bool](repeating: false, count: n)
        var rho = [Double](repeating: 0, count: n)
        var mediumOf = [Int](repeating: 0, count: n)
        var gemmColumns = 0.0  // Σ over steps of the columns each step's GEMM covered
        let t0 = monotonicSeconds()
        let cpu0 = threadCPUSeconds()
        var gemmTime = 0.0
        var noise = [Double](repeating: 0, count: max(gr, gd))

        x.withUnsafeMutableBufferPointer { xb in
            h.withUnsafeMutableBufferPointer { hb in
                s.withUnsafeMutableBufferPointer { sb in
                    k.regulatorWeights.data.withUnsafeBufferPointer { wb in
                        combined.withUnsafeBufferPointer { cb in
                            noise.withUnsafeMutableBufferPointer { nb in
                                chReg.withUnsafeBufferPointer { crb in
                                    invHalf.withUnsafeBufferPointer { ihb in
                                        eR.withUnsafeBufferPointer { erb in
                                            oneMinusER.withUnsafeBufferPointer { omb in
                                                noiseR.withUnsafeBufferPointer { nrb in
                                                    decayR.withUnsafeBufferPointer { drb in
                                                        let X = xb.baseAddress!
                                                        let H = hb.baseAddress!
                                                        let S = sb.baseAddress!
                                                        let xi = nb.baseAddress!
                                                        let chRegP = crb.baseAddress!
                                                        let invHalfP = ihb.baseAddress!
                                                        let eRP = erb.baseAddress!
                                                        let omP = omb.baseAddress!
                                                        let nrP = nrb.baseAddress!
                                                        let drP = drb.baseAddress!
                                                        for step in k0..<k1 {
                                                            let t = Double(step) * dt
                                                            let run = perturbationRunStart(at: t)
                                                            let mediumNow = medium(at: t)
                                                            // 1. Channels. Living columns span [lo, hi) (columns are in start order).
                                                            var lo = n
                                                            var hi = 0
                                                            for j in 0..<n {
                                                                active[j] = step >= kStart[j] && step < kEnd[j]
                                                                guard active[j] else { continue }
                                                                lo = min(lo, j)
                                                                hi = j + 1
                                                                var r = 0.0
                                                                if let run {
                                                                    let on = max(run, onset[j])
                                                                    if t >= on {
                                                                        r = ramp > 0 ? min(1, (t - on) / ramp) : 1
                                                                    }
                                                                }
                                                                rho[j] = r
                                                                mediumOf[j] = frozen[j] ? startMedium : mediumNow
                                                                let xc = X + j * gr
                                                                let hc = H + j * nc
                                                                StepKernels.hillChannels(
                                                                    x: xc, h: hc, count: nc, regulator: chRegP,
                                                                    invHalf: invHalfP, runs: hillRuns)
                                                                if r > 0 {
                                                                    for (ch, a) in colTargets[j].koChannels {
                                                                        let level = xc[chRegP[ch]] * (1 + (a - 1) * r)
                                                                        hc[ch] = Kinetics.hill(
                                                                            level, n: chN[ch], h: chH[ch])
                                                                    }
                                                                }
                                                                if !fine && step >= kW0[j] {
                                                                    let span = kEnd[j] - kW0[j]
                                                                    let piece = min(
                                                                        pieces - 1,
                                                                        (step - kW0[j]) * pieces / max(1, span))
                                                                    accumulate(
                                                                        &hAcc, &cnt, &rhoAcc, &medAcc, slot: piece, j,
                                                                        n, nc, media, hc, r, mediumOf[j])
                                                                    if step == kW0[j] {
                                                                        accumulate(
                                                                            &hAcc, &cnt, &rhoAcc, &medAcc, slot: pieces,
                                                                            j, n, nc, media, hc, r, mediumOf[j])
                                                                    }
                                                                }
                                                            }
                                                            guard hi > lo else { continue }
                                                            // A cancelled run stops here (its block is discarded); else count the work.
                                                            if let monitor = options.monitor {
                                                                if monitor.isCancelled { break }
                                                                monitor.advance(hi - lo)
                                                            }
                                                            // 2. One GEMM over the regulator rows and the living columns.
                                                            let g0 = monotonicSeconds()
                                                            let width = hi - lo
                                                            gemmColumns += Double(width)
                                                            if let sparse {
                                                                for j in lo..<hi where active[j] {
                                                                    SparseRows.product(
                                                                        rowStart: spStart, column: spColumn,
                                                                        value: spValue, rows: gr,
                                                                        h: H + j * nc, s: S + j * gr)
                                                                    productFlops += 2 * Double(sparse.nonzeros)
                                                                }
                                                            } else {
                                                                BLAS.gemm(
                                                                    m: gr, n: width, k: nc, alpha: 1,
                                                                    a: wb.baseAddress!, lda: max(1, gr), b: H + lo * nc,
                                                                    ldb: max(1, nc), beta: 0, c: S + lo * gr,
                                                                    ldc: max(1, gr))
                                                                productFlops +=
                                                                    2.0 * Double(gr) * Double(nc) * Double(width)
                                                            }
                                                            if fine && gd > 0 {
                                                                downstreamWeights.data.withUnsafeBufferPointer { wdb in
                                                                    sd.withUnsafeMutableBufferPointer { sdb in
                                                                        BLAS.gemm(
                                                                            m: gd, n: width, k: nc, alpha: 1,
                                                                            a: wdb.baseAddress!, lda: gd,
                                                                            b: H + lo * nc,
                                                                            ldb: max(1, nc), beta: 0,
                                                                            c: sdb.baseAddress! + lo * gd, ldc: gd)
                                                                    }
                                                                }
                                                            }
                                                            gemmTime += monotonicSeconds() - g0
                                                            // 3. Exponential Euler–Maruyama update of active columns.
                                                            for j in lo..<hi where active[j] {
                                                                let xc = X + j * gr
                                                                let sc = S + j * gr
                                                                let input =
                                                                    cb.baseAddress!
                                                                    + (animalOf[j] * media + mediumOf[j]) * gr
                                                                let r = rho[j]
                                                                streams[j].fillZigguratNormals(xi, count: gr)
                                                                if r > 0 && !colTargets[j].regRows.isEmpty {
                                                                    // Cells whose guides hit regulators: production, then κ, then the update.
                                                                    for p in 0..<gr {
                                                                        let v = input[p] + sc[p]
                                                                        sc[p] = v > 0 ? v : 0
                                                                    }
                                                                    for (p, kappa) in colTargets[j].regRows {
                                                                        sc[p] *= 1 + (kappa - 1) * r
                                                                    }
                                                                    StepKernels.exponentialEulerUpdate(
                                                                        x: xc, s: sc, input: nil, xi: xi, count: gr,
                                                                        decayFactor: eRP,
                                                                        productionFactor: omP, noiseFactor: nrP,
                                                                        decay: drP)
                                                                } else {
                                                                    // Everyone else: production and update in one pass.
                                                                    StepKernels.exponentialEulerUpdate(
                                                                        x: xc, s: sc, input: input, xi: xi, count: gr,
                                                                        decayFactor: eRP,
                                                                        productionFactor: omP, noiseFactor: nrP,
                                                                        decay: drP)
                                                                }
                                                                if fine && gd > 0 {
                                                                    fineDownstreamStep(
                                                                        &xd, &sd, j: j, dt: dt, medium: mediumOf[j],
                                                                        animal: cells[j].animal,
                                                                        targets: cells[j].targets, rho: r, noise: xi,
                                                                        stream: &downStreams[j])
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
                    }
                }
            }
        }
        stats.stepSeconds += monotonicSeconds() - t0
        stats.stepCPUSeconds += threadCPUSeconds() - cpu0
        stats.stepFlops += productFlops
        stats.flops += productFlops
        stats.cellSteps += gemmColumns
        for j in 0..<n { stats.activeCellSteps += Double(kEnd[j] - kStart[j]) }
        if fine { stats.flops += 2.0 * Double(gd) * Double(nc) * gemmColumns }

        // A cancelled run's block is discarded: no downstream window.
        if options.monitor?.isCancelled == true { return Matrix(rows: g, cols: n) }
        // Complete states.
        var state = Matrix(rows: g, cols: n)
        for j in 0..<n {
            for p in 0..<gr { state[regGenes[p], j] = x[p, j] }
        }
        if fine {
            for j in 0..<n { for (q, gene) in downstreamGenes.enumerated() { state[gene, j] = xd[q, j] } }
        } else if gd > 0 {
            let g1 = monotonicSeconds()
            windowDownstream(
                &state, cells: cells, hAcc: &hAcc, cnt: cnt, rhoAcc: rhoAcc, medAcc: medAcc,
                slots: slots, kEnd: kEnd, kW0: kW0, dt: dt, streams: &downStreams, stats: &stats)
            gemmTime += 0  // the window GEMMs are counted in windowDownstream
            _ = g1
        }
        stats.gemmSeconds += gemmTime
        stats.dynamicsSeconds += monotonicSeconds() - t0
        return state
    }

    @inline(__always)
    private func accumulate(
        _ hAcc: inout Matrix, _ cnt: inout [Double], _ rhoAcc: inout [Double], _ medAcc: inout [Double],
        slot: Int, _ j: Int, _ n: Int, _ nc: Int, _ media: Int, _ hc: UnsafeMutablePointer<Double>,
        _ rho: Double, _ medium: Int
    ) {
        let col = slot * n + j
        hAcc.withUnsafeMutableBufferPointer { ab in
            let a = ab.baseAddress! + col * nc
            for ch in 0..<nc { a[ch] += hc[ch] }
        }
        cnt[col] += 1
        rhoAcc[col] += rho
        medAcc[col * media + medium] += 1
    }

    /// One fine exponential-Euler step of the downstream genes of column j (reference mode).
    private func fineDownstreamStep(
        _ xd: inout Matrix, _ sd: inout Matrix, j: Int, dt: Double, medium: Int, animal: Int,
        targets: [TargetAction], rho: Double, noise: UnsafeMutablePointer<Double>,
        stream: inout RandomStream
    ) {
        let k = kinetics
        let gd = downstreamGenes.count
        let sNoise = design.system.intrinsicNoise
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
    /// Slots are processed in time order (the window's first step, then pieces 0…M−1); each slot
    /// is one GEMM D = W_d · H̄_slot (G_d × C times C × n).
    private func windowDownstream(
        _ state: inout Matrix, cells: [CellSetup], hAcc: inout Matrix, cnt: [Double],
        rhoAcc: [Double], medAcc: [Double], slots: Int, kEnd: [Int], kW0: [Int], dt: Double,
        streams: inout [RandomStream], stats: inout BlockStats
    ) {
        let k = kinetics
        let n = cells.count
        let nc = k.channelCount
        let gd = downstreamGenes.count
        let media = mediumInputs.count
        let pieces = slots - 1
        let sNoise = design.system.intrinsicNoise
        // Averages.
        hAcc.withUnsafeMutableBufferPointer { ab in
            for col in 0..<(n * slots) where cnt[col] > 0 {
                let a = ab.baseAddress! + col * nc
                let inv = 1 / cnt[col]
                for ch in 0..<nc { a[ch] *= inv }
            }
        }
        var base = [Double](repeating: 0, count: gd)
        var gamma = [Double](repeating: 0, count: gd)
        for (q, gene) in downstreamGenes.enumerated() {
            base[q] = k.basal[gene] + k.repressionOffset[gene] + (niche.isEmpty ? 0 : 0)
            gamma[q] = k.decay[gene]
        }
        let inputD = mediumInputs.map { u in downstreamGenes.map { u[$0] } }
        let nicheD = niche.map { u in downstreamGenes.map { u[$0] } }
        let targetsOf = cells.map { $0.targets.filter { downstreamPosition[$0.gene] >= 0 } }
        var xv = Matrix(rows: gd, cols: n)
        var d = Matrix(rows: gd, cols: n)
        var xi = [Double](repeating: 0, count: gd)
        var prod = [Double](repeating: 0, count: gd)
        // e^{−γ·span} and the OU variance factor per piece length: pieces last a whole number of
        // steps, so a block sees only a few lengths; each is computed once (2·G_d exp calls).
        var factorsBySteps: [Double: (decay: [Double], noise: [Double])] = [:]
        for slot in [pieces] + Array(0..<pieces) {
            // D = W_d · H̄ for this slot's n columns (a contiguous sub-block of hAcc).
            let g0 = monotonicSeconds()
            if nc > 0 {
                hAcc.data.withUnsafeBufferPointer { hb in
                    downstreamWeights.data.withUnsafeBufferPointer { wb in
                        d.withUnsafeMutableBufferPointer { db in
                            BLAS.gemm(
                                m: gd, n: n, k: nc, alpha: 1, a: wb.baseAddress!, lda: max(1, gd),
                                b: hb.baseAddress! + slot * n * nc, ldb: nc, beta: 0, c: db.baseAddress!,
                                ldc: max(1, gd))
                        }
                    }
                }
            }
            stats.gemmSeconds += monotonicSeconds() - g0
            stats.flops += 2.0 * Double(gd) * Double(nc) * Double(n)
            for j in 0..<n {
                let col = slot * n + j
                let cell = cells[j]
                if cnt[col] == 0 {
                    if slot == pieces {
                        let st = initialState[min(cell.animal, initialState.count - 1)]
                        for (q, gene) in downstreamGenes.enumerated() { xv[q, j] = st[gene] }
                    }
                    continue
                }
                // Production with the slot's average channels, media and perturbation strength.
                for q in 0..<gd { prod[q] = base[q] + d[q, j] }
                for m in 0..<media where medAcc[col * media + m] > 0 {
                    let f = medAcc[col * media + m] / cnt[col]
                    let u = inputD[m]
                    for q in 0..<gd { prod[q] += f * u[q] }
                }
                if !nicheD.isEmpty {
                    let nv = nicheD[cell.animal]
                    for q in 0..<gd { prod[q] += nv[q] }
                }
                for q in 0..<gd { prod[q] = max(0, prod[q]) }
                let rho = rhoAcc[col] / cnt[col]
                for a in targetsOf[j] { prod[downstreamPosition[a.gene]] *= 1 + (a.kappa - 1) * rho }
                if slot == pieces {
                    // Quasi-steady state at the window's start.
                    for q in 0..<gd { xv[q, j] = prod[q] / gamma[q] }
                    continue
                }
                let factors: (decay: [Double], noise: [Double])
                if let cached = factorsBySteps[cnt[col]] {
                    factors = cached
                } else {
                    let span = cnt[col] * dt
                    var decayFactor = [Double](repeating: 0, count: gd)
                    var noiseFactor = [Double](repeating: 0, count: gd)
                    for q in 0..<gd {
                        let e = Foundation.exp(-gamma[q] * span)
                        decayFactor[q] = e
                        noiseFactor[q] = sNoise * sNoise * (1 - e * e) / (2 * gamma[q])
                    }
                    factors = (decayFactor, noiseFactor)
                    factorsBySteps[cnt[col]] = factors
                }
                let decayFactor = factors.decay
                let noiseFactor = factors.noise
                xi.withUnsafeMutableBufferPointer { streams[j].fillZigguratNormals($0.baseAddress!, count: gd) }
                for q in 0..<gd {
                    let e = decayFactor[q]
                    let x0 = xv[q, j]
                    let det = x0 * e + prod[q] / gamma[q] * (1 - e)
                    let v = noiseFactor[q] * (prod[q] + gamma[q] * 0.5 * (x0 + det))
                    xv[q, j] = max(0, det + v.squareRoot() * xi[q])
                }
            }
        }
        for j in 0..<n { for (q, gene) in downstreamGenes.enumerated() { state[gene, j] = xv[q, j] } }
    }
}
