import CVectorMath
import Foundation

// MARK: - The stepper of one block (problem / algorithm / solution, as in diffrax)
//
// `BlockStepper.init` lays a block's columns out once: per-column grid bounds, targets and
// inputs, the per-regulator step constants, and every buffer the steps use, bound in a `Scratch`
// of raw pointers that lives as long as the stepper (no `withUnsafe…` nesting in the loop).
// `step(k)` advances the columns alive at grid step k (BlockDynamics.swift describes the step);
// `finish` writes the complete states, integrating the downstream genes over their window.
// With sparse production in window mode, `step` runs each column's channels, production, normals
// and update in one pass over four columns at a time (buffers in L1); the per-cell kernels are C
// compiled for AVX2 (CVectorMath: ScreenplanStepKernels.c, ScreenplanZiggurat.c), bit for bit the
// Swift kernels' numbers.
// The numerics it reads from `SimulationOptions` (scheme, pieces, window, sparse production,
// monitor) are read in `init` only.

/// Per-column regulator targets (position among regulators) and knocked-out channels.
private struct ColumnTargets {
    var regRows: [(Int, Double)] = []
    var koChannels: [(Int, Double)] = []
}

/// The buffers of one block's integration, allocated once and freed with the stepper (a plain
/// struct of pointers: copying it copies addresses, so the step binds it once per call).
private struct Scratch {
    /// Regulator state x (G_r × n), channels H (C × n), production S (G_r × n), normals (four
    /// columns' regulators, then one column's downstream genes in fine mode).
    let x, h, s, noise: UnsafeMutablePointer<Double>
    /// Each column's dynamics stream, and the columns of a group of four being updated.
    let rng: UnsafeMutablePointer<RandomStream>
    let lanes: UnsafeMutablePointer<Int>
    /// The channels (C × 4) and production (G_r × 4) of a group of four columns (fused step).
    let hTemp, sTemp: UnsafeMutablePointer<Double>
    /// base + u_m (+ niche) per (animal, medium) and regulator.
    let combined: UnsafeMutablePointer<Double>
    /// Per regulator: e^{−γdt}, (1 − e^{−γdt})/γ, the noise factor and γ.
    let decayFactor, productionFactor, noiseFactor, decay: UnsafeMutablePointer<Double>
    /// Per channel: its regulator, 1/half-response.
    let channelRegulator: UnsafeMutablePointer<Int>
    let invHalf: UnsafeMutablePointer<Double>
    /// W_r's nonzeros by rows grouped by their number of nonzeros (empty when the dense GEMM is
    /// used): rows in group order, each group's length and row range, the nonzeros in that order.
    let spRowOrder, spGroupLength, spGroupBegin, spGroupEnd, spColumn: UnsafeMutablePointer<Int>
    let spValue: UnsafeMutablePointer<Double>
    /// The Hill runs: channels [runStart, runEnd) with exponent runExponent.
    let runStart, runEnd: UnsafeMutablePointer<Int>
    let runExponent: UnsafeMutablePointer<Double>
    /// Window accumulators: C × (n·slots) channel sums, and per (slot, column) the step count,
    /// the perturbation strength sum and the steps per medium.
    let hAcc, cnt, rhoAcc, medAcc: UnsafeMutablePointer<Double>
    /// Fine mode: downstream state and production (G_d × n).
    let xd, sd: UnsafeMutablePointer<Double>
    /// Per column: alive at this step, perturbation strength, medium, animal (niche) index.
    let active: UnsafeMutablePointer<Bool>
    let rho: UnsafeMutablePointer<Double>
    let mediumOf, animalOf: UnsafeMutablePointer<Int>

    init(
        n: Int, gr: Int, nc: Int, gd: Int, combined: Int, nonzeros: Int, slots: Int, media: Int,
        fine: Bool, runs: Int
    ) {
        func zeros<T>(_ count: Int, _ value: T) -> UnsafeMutablePointer<T> {
            let p = UnsafeMutablePointer<T>.allocate(capacity: max(1, count))
            p.initialize(repeating: value, count: max(1, count))
            return p
        }
        x = zeros(gr * n, 0.0)
        h = zeros(nc * n, 0.0)
        s = zeros(gr * n, 0.0)
        noise = zeros(4 * gr + gd, 0.0)
        rng = zeros(n, RandomStream(seed: 0, domain: .dynamics))
        lanes = zeros(4, 0)
        hTemp = zeros(4 * nc, 0.0)
        sTemp = zeros(4 * gr, 0.0)
        self.combined = zeros(combined, 0.0)
        decayFactor = zeros(gr, 0.0)
        productionFactor = zeros(gr, 0.0)
        noiseFactor = zeros(gr, 0.0)
        decay = zeros(gr, 0.0)
        channelRegulator = zeros(nc, 0)
        invHalf = zeros(nc, 0.0)
        spRowOrder = zeros(gr, 0)
        spGroupLength = zeros(gr, 0)
        spGroupBegin = zeros(gr, 0)
        spGroupEnd = zeros(gr, 0)
        runStart = zeros(runs, 0)
        runEnd = zeros(runs, 0)
        runExponent = zeros(runs, 0.0)
        spColumn = zeros(nonzeros, 0)
        spValue = zeros(nonzeros, 0.0)
        hAcc = zeros(fine ? 0 : nc * n * slots, 0.0)
        cnt = zeros(fine ? 0 : n * slots, 0.0)
        rhoAcc = zeros(fine ? 0 : n * slots, 0.0)
        medAcc = zeros(fine ? 0 : n * slots * media, 0.0)
        xd = zeros(fine ? gd * n : 0, 0.0)
        sd = zeros(fine ? gd * n : 0, 0.0)
        active = zeros(n, false)
        rho = zeros(n, 0.0)
        mediumOf = zeros(n, 0)
        animalOf = zeros(n, 0)
    }

    func deallocate() {
        for p in [
            x, h, s, noise, hTemp, sTemp, combined, decayFactor, productionFactor, noiseFactor, decay, invHalf, spValue,
            runExponent,
        ] {
            p.deallocate()
        }
        for p in [hAcc, cnt, rhoAcc, medAcc, xd, sd, rho] { p.deallocate() }
        for p in [
            channelRegulator, spRowOrder, spGroupLength, spGroupBegin, spGroupEnd, spColumn, mediumOf, animalOf, lanes,
            runStart, runEnd,
        ] { p.deallocate() }
        rng.deallocate()
        active.deallocate()
    }
}

/// Integrates the columns of one block, sorted by first step, on the global grid t = k·dt.
struct BlockStepper: ~Copyable {
    /// Most distinct downstream decay rates the exponential weights handle (each costs two
    /// channel accumulations per window step); beyond it the window uses pieces.
    static let weightedGroupLimit = 4
    /// W_d density below which the window's products run over W_d's nonzeros instead of a GEMM
    /// (generated networks: mean in-degree / channels, about 1–2%).
    static let downstreamSparseLimit = 0.05
    private let model: SimulationModel
    private let cells: [CellSetup]
    private let n, gr, nc, gd, media, pieces: Int
    private let dt: Double
    private let fine: Bool
    /// Hours over which a perturbation ramps up (0: at once).
    private let ramp: Double
    private let monitor: SimulationMonitor?
    private let useSparse: Bool
    private let nonzeros: Int
    private let sparseGroups: Int
    /// Sparse production in window mode: the step runs column by column (see `step`).
    private let fused: Bool
    private let hillRuns: [HillRun]
    private let colTargets: [ColumnTargets]
    /// Grid bounds per column: first step, end step (sampling), first step of the downstream window.
    private let kStart, kEnd, kW0: [Int]
    private let onset: [Double]
    private let frozen: [Bool]
    /// Each column's downstream stream (its dynamics stream is in `scratch.rng`).
    private var downStreams: [RandomStream]
    /// The downstream window's exponential weights (`windowDownstreamWeighted`): each downstream
    /// gene's decay group, and per group and steps-before-sampling r the weight of a step's
    /// production in the mean (`meanWeight`) and in the variance (`varianceWeight`) of the state
    /// at sampling. Empty in pieces mode.
    private let weighted: Bool
    private let gammaGroup: [Int]
    private let groupGamma: [Double]
    private let meanWeight, varianceWeight: [[Double]]
    /// W_d's nonzeros by downstream row (CSR) when W_d is sparser than `downstreamSparseLimit`.
    private let downSparse: Bool
    private let downRows: SparseRows
    /// The slot of the window's first step (quasi-steady start) in the window accumulators.
    private let firstSlot: Int
    private let scratch: Scratch
    /// The batched ziggurat's state buffer.
    private let zig = ZigguratLanes()
    /// Work counters: production flops executed, Σ columns the production covered, GEMM seconds.
    private var productFlops = 0.0
    private var gemmColumns = 0.0
    private var gemmTime = 0.0
    private(set) var cancelled = false

    /// The steps [firstStep, endStep) during which some column is alive.
    let firstStep: Int
    let endStep: Int

    deinit { scratch.deallocate() }

    init(model: SimulationModel, cells: [CellSetup], streams: [RandomStream], options: SimulationOptions) {
        let k = model.kinetics
        let n = cells.count
        let gr = k.regulatorCount
        let nc = k.channelCount
        let gd = model.downstreamGenes.count
        let media = model.mediumInputs.count
        let dt = model.design.system.timeStepH
        let fine = options.downstream == .fine
        let pieces = max(1, options.downstreamPieces)
        self.model = model
        self.cells = cells
        self.n = n
        self.gr = gr
        self.nc = nc
        self.gd = gd
        self.media = media
        self.pieces = pieces
        self.dt = dt
        self.fine = fine
        self.monitor = options.monitor
        downStreams = cells.map { $0.dynamicsStream(seed: model.seed, part: 1) }
        let assumptions = model.design.system.assumptions
        ramp = assumptions.delayedPerturbation ? max(1e-9, assumptions.perturbationRampH) : 0

        // Grid bounds of each column.
        let slowest = model.downstreamGenes.map { k.decay[$0] }.min() ?? 1
        let windowSteps = Int((options.downstreamWindowRelaxations / max(1e-12, slowest) / dt).rounded(.up))
        let kStart = cells.map { Int(($0.tStart / dt).rounded(.down)) }
        let kEnd = cells.indices.map { max(kStart[$0], Int((cells[$0].tSample / dt).rounded())) }
        self.kStart = kStart
        self.kEnd = kEnd
        kW0 = cells.indices.map { max(kStart[$0], kEnd[$0] - windowSteps) }

        // Exponential weights of the window: the downstream genes' distinct decay rates.
        var groupGamma: [Double] = []
        var gammaGroup = [Int](repeating: 0, count: gd)
        var fewGroups = true
        for (q, gene) in model.downstreamGenes.enumerated() {
            let gamma = k.decay[gene]
            if let i = groupGamma.firstIndex(of: gamma) {
                gammaGroup[q] = i
            } else if groupGamma.count < Self.weightedGroupLimit {
                gammaGroup[q] = groupGamma.count
                groupGamma.append(gamma)
            } else {
                fewGroups = false
                break
            }
        }
        let weighted = !fine && gd > 0 && options.downstreamExponentialWeights && fewGroups
        self.weighted = weighted
        self.gammaGroup = weighted ? gammaGroup : []
        self.groupGamma = weighted ? groupGamma : []
        let sNoise2 = model.design.system.intrinsicNoise * model.design.system.intrinsicNoise
        var meanWeight: [[Double]] = []
        var varianceWeight: [[Double]] = []
        for gamma in weighted ? groupGamma : [] {
            // Step k, r = (sampling step − 1 − k) steps before sampling, moves the state by
            // x ← x·e + P_k·b + √(q·(P_k + γx))·ξ (e = e^{−γdt}, b = (1 − e)/γ, q = s²(1 − e²)/(2γ)).
            // Its production enters the mean at sampling with weight b·e^r, and the variance with
            // q·e^{2r} (its own noise) plus q·e^{r−1}(1 − e^r) (through the mean state of the
            // later steps' noise): the exact first two moments of the fine scheme given P.
            let e = Foundation.exp(-gamma * dt)
            let b = (1 - e) / gamma
            let q = sNoise2 * (1 - e * e) / (2 * gamma)
            var mw = [Double](repeating: 0, count: max(1, windowSteps))
            var vw = mw
            for r in 0..<max(1, windowSteps) {
                let er = Foundation.exp(-gamma * dt * Double(r))
                mw[r] = b * er
                vw[r] = q * (er * er + (r > 0 ? Foundation.exp(-gamma * dt * Double(r - 1)) * (1 - er) : 0))
            }
            meanWeight.append(mw)
            varianceWeight.append(vw)
        }
        self.meanWeight = meanWeight
        self.varianceWeight = varianceWeight
        // Built only in weighted mode; kept when sparser than the limit (else an empty one).
        let wdRows = weighted ? SparseRows(model.downstreamWeights) : nil
        let downSparse =
            wdRows.map { Double($0.nonzeros) < Self.downstreamSparseLimit * Double(max(1, gd * nc)) } ?? false
        self.downSparse = downSparse
        downRows = downSparse ? wdRows! : SparseRows(Matrix(rows: 0, cols: 0))
        let slots = weighted ? 2 * groupGamma.count + 1 : pieces + 1
        firstSlot = slots - 1
        firstStep = kStart.min() ?? 0
        endStep = kEnd.max() ?? 0

        var targets = [ColumnTargets](repeating: ColumnTargets(), count: n)
        for j in 0..<n {
            for a in cells[j].targets {
                let pos = k.regulatorPosition[a.gene]
                guard pos >= 0 else { continue }
                if a.kappa != 1 { targets[j].regRows.append((pos, a.kappa)) }
                if a.activity != 1 {
                    for ch in model.channelsOfRegulator[pos] { targets[j].koChannels.append((ch, a.activity)) }
                }
            }
        }
        colTargets = targets
        onset = cells.map(\.onset)
        frozen = cells.map(\.frozenMedium)
        hillRuns = StepKernels.hillRuns(k.channelHill)

        // Sparse production over W_r's nonzeros when W_r is sparse (StepKernels.swift).
        let density = Double(k.regulatorWeights.data.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }) / Double(max(1, gr * nc))
        let sparse =
            options.sparseProduction && density < SparseRows.densityLimit ? SparseRows(k.regulatorWeights) : nil
        useSparse = sparse != nil
        nonzeros = sparse?.nonzeros ?? 0
        let animals = max(1, model.niche.count)
        let scratch = Scratch(
            n: n, gr: gr, nc: nc, gd: gd, combined: animals * media * gr, nonzeros: nonzeros,
            slots: slots, media: media, fine: fine, runs: hillRuns.count)
        for (r, run) in hillRuns.enumerated() {
            scratch.runStart[r] = run.start
            scratch.runEnd[r] = run.end
            scratch.runExponent[r] = run.exponent
        }
        var groups = 0
        if let sparse {
            // Rows ordered by their number of nonzeros (SparseRowGroups.swift).
            let g = SparseRowGroups(sparse)
            groups = g.length.count
            for i in 0..<gr { scratch.spRowOrder[i] = g.rowOrder[i] }
            for i in 0..<groups {
                scratch.spGroupLength[i] = g.length[i]
                scratch.spGroupBegin[i] = g.begin[i]
                scratch.spGroupEnd[i] = g.end[i]
            }
            for i in 0..<g.column.count {
                scratch.spColumn[i] = g.column[i]
                scratch.spValue[i] = g.value[i]
            }
        }
        sparseGroups = groups
        fused = useSparse && !fine

        // Per-regulator step constants, and inputs base + u_m (+ niche) per (animal, medium).
        let sNoise = model.design.system.intrinsicNoise
        let regGenes = k.regulators
        for p in 0..<gr {
            let gene = regGenes[p]
            let gamma = k.decay[gene]
            let e = Foundation.exp(-gamma * dt)
            scratch.decay[p] = gamma
            scratch.decayFactor[p] = e
            scratch.productionFactor[p] = (1 - e) / gamma
            scratch.noiseFactor[p] = sNoise * ((1 - Foundation.exp(-2 * gamma * dt)) / (2 * gamma)).squareRoot()
            let base = k.basal[gene] + k.repressionOffset[gene]
            for a in 0..<animals {
                for m in 0..<media {
                    let niche = model.niche.isEmpty ? 0 : model.niche[a][gene]
                    scratch.combined[(a * media + m) * gr + p] = base + model.mediumInputs[m][gene] + niche
                }
            }
        }
        for ch in 0..<nc {
            scratch.channelRegulator[ch] = k.channelRegulator[ch]
            scratch.invHalf[ch] = 1 / k.channelHalf[ch]
        }

        // State: each column starts at its animal's attractor.
        for j in 0..<n {
            let animal = min(cells[j].animal, model.initialRegulators.count - 1)
            let start = model.initialRegulators[animal]
            for p in 0..<gr { scratch.x[j * gr + p] = start[p] }
            scratch.animalOf[j] = model.niche.isEmpty ? 0 : cells[j].animal
        }
        if fine {
            for j in 0..<n {
                let st = model.initialState[min(cells[j].animal, model.initialState.count - 1)]
                for (q, gene) in model.downstreamGenes.enumerated() { scratch.xd[j * gd + q] = st[gene] }
            }
        }
        for j in 0..<n { scratch.rng[j] = streams[j] }
        self.scratch = scratch
    }

    /// Each column's dynamics stream, advanced over the steps taken so far.
    var streams: [RandomStream] { Array(UnsafeBufferPointer(start: scratch.rng, count: n)) }

    /// Advances the columns alive at grid step `step` (1. channels, 2. production, 3. update).
    /// Returns false when the run was cancelled (the block is then discarded).
    mutating func step(_ step: Int) -> Bool {
        let sc = scratch
        let k = model.kinetics
        let t = Double(step) * dt
        let run = model.perturbationRunStart(at: t)
        let mediumNow = model.medium(at: t)
        // Living columns span [lo, hi) (columns are in start order).
        var lo = n
        var hi = 0
        for j in 0..<n {
            let alive = step >= kStart[j] && step < kEnd[j]
            sc.active[j] = alive
            guard alive else { continue }
            lo = min(lo, j)
            hi = j + 1
            var r = 0.0
            if let run {
                let on = max(run, onset[j])
                if t >= on { r = ramp > 0 ? min(1, (t - on) / ramp) : 1 }
            }
            sc.rho[j] = r
            sc.mediumOf[j] = frozen[j] ? model.startMedium : mediumNow
        }
        guard hi > lo else { return true }
        // A cancelled run stops here (its block is discarded); else count the work.
        if let monitor {
            if monitor.isCancelled {
                cancelled = true
                return false
            }
            monitor.advance(hi - lo)
        }
        if fused {
            // Sparse production, window mode: each column's channels, production, normals and
            // update in one pass over four columns at a time, while its buffers are in L1 (three
            // passes over the block's states, 6 MB for 1,024 columns of 256 regulators, would
            // stream them from memory three times a step). Same operations, same numbers.
            var group = 0
            for j in lo..<hi where sc.active[j] {
                sc.lanes[group] = j
                let hc = sc.hTemp + group * nc
                channels(column: j, step: step, into: hc)
                screenplan_sparse_rows(
                    hc, sc.sTemp + group * gr, sc.spRowOrder, sparseGroups, sc.spGroupLength, sc.spGroupBegin,
                    sc.spGroupEnd, sc.spColumn, sc.spValue)
                group += 1
                if group == 4 {
                    updateColumns(group, production: sc.sTemp)
                    group = 0
                }
            }
            if group > 0 { updateColumns(group, production: sc.sTemp) }
            productFlops += 2 * Double(nonzeros) * Double(hi - lo)
            gemmColumns += Double(hi - lo)
            return true
        }
        // 1. Channels.
        for j in lo..<hi where sc.active[j] { channels(column: j, step: step, into: sc.h + j * nc) }
        // 2. The production over the regulator rows and the living columns.
        let g0 = monotonicSeconds()
        let width = hi - lo
        gemmColumns += Double(width)
        if useSparse {
            for j in lo..<hi where sc.active[j] {
                screenplan_sparse_rows(
                    sc.h + j * nc, sc.s + j * gr, sc.spRowOrder, sparseGroups, sc.spGroupLength, sc.spGroupBegin,
                    sc.spGroupEnd, sc.spColumn, sc.spValue)
                productFlops += 2 * Double(nonzeros)
            }
        } else {
            k.regulatorWeights.data.withUnsafeBufferPointer { wb in
                BLAS.gemm(
                    m: gr, n: width, k: nc, alpha: 1, a: wb.baseAddress!, lda: max(1, gr), b: sc.h + lo * nc,
                    ldb: max(1, nc), beta: 0, c: sc.s + lo * gr, ldc: max(1, gr))
            }
            productFlops += 2.0 * Double(gr) * Double(nc) * Double(width)
        }
        if fine && gd > 0 {
            model.downstreamWeights.data.withUnsafeBufferPointer { wdb in
                BLAS.gemm(
                    m: gd, n: width, k: nc, alpha: 1, a: wdb.baseAddress!, lda: gd, b: sc.h + lo * nc,
                    ldb: max(1, nc), beta: 0, c: sc.sd + lo * gd, ldc: gd)
            }
        }
        gemmTime += monotonicSeconds() - g0
        // 3. Exponential Euler–Maruyama update of the living columns, four at a time: their normals
        //    in one pass (RandomStream+Batched.swift: each column's own stream, the same numbers as
        //    drawing them column by column), then each column's update.
        var group = 0
        for j in lo..<hi where sc.active[j] {
            sc.lanes[group] = j
            group += 1
            if group == 4 {
                updateColumns(group, production: nil)
                group = 0
            }
        }
        if group > 0 { updateColumns(group, production: nil) }
        return true
    }

    /// Column j's channels at grid step `step` into `hc` (Hill, knocked-out channels, and the
    /// downstream window's sums).
    @inline(__always)
    private func channels(column j: Int, step: Int, into hc: UnsafeMutablePointer<Double>) {
        let sc = scratch
        let xc = sc.x + j * gr
        let r = sc.rho[j]
        screenplan_hill_channels(
            xc, hc, nc, sc.channelRegulator, sc.invHalf, hillRuns.count, sc.runStart, sc.runEnd, sc.runExponent)
        if r > 0 {
            let k = model.kinetics
            for (ch, a) in colTargets[j].koChannels {
                let level = xc[sc.channelRegulator[ch]] * (1 + (a - 1) * r)
                hc[ch] = Kinetics.hill(level, n: k.channelHill[ch], h: k.channelHalf[ch])
            }
        }
        if weighted && step >= kW0[j] {
            let back = kEnd[j] - 1 - step  // steps before sampling
            let groups = groupGamma.count
            for g in 0..<groups {
                accumulate(
                    slot: g, column: j, channels: hc, rho: r, medium: sc.mediumOf[j], weight: meanWeight[g][back])
                accumulate(
                    slot: groups + g, column: j, channels: hc, rho: r, medium: sc.mediumOf[j],
                    weight: varianceWeight[g][back])
            }
            if step == kW0[j] { accumulate(slot: firstSlot, column: j, channels: hc, rho: r, medium: sc.mediumOf[j]) }
        } else if !fine && step >= kW0[j] {
            let span = kEnd[j] - kW0[j]
            let piece = min(pieces - 1, (step - kW0[j]) * pieces / max(1, span))
            accumulate(slot: piece, column: j, channels: hc, rho: r, medium: sc.mediumOf[j])
            if step == kW0[j] {
                accumulate(slot: pieces, column: j, channels: hc, rho: r, medium: sc.mediumOf[j])
            }
        }
    }

    /// Draws the normals of the `lanes` columns in `scratch.lanes` and updates each of them, with
    /// lane l's production at `production + l·G_r` (or, when nil, in its column of `scratch.s`).
    private mutating func updateColumns(_ lanes: Int, production: UnsafeMutablePointer<Double>?) {
        let sc = scratch
        zig.fill(sc.rng, columns: sc.lanes, lanes: lanes, into: sc.noise, stride: gr, count: gr)
        for l in 0..<lanes {
            let j = sc.lanes[l]
            updateColumn(j, production: production.map { $0 + l * gr } ?? sc.s + j * gr, noise: sc.noise + l * gr)
        }
    }

    /// The exponential Euler–Maruyama update of column j's regulators with the normals `noise`.
    @inline(__always)
    private mutating func updateColumn(
        _ j: Int, production s: UnsafeMutablePointer<Double>, noise: UnsafeMutablePointer<Double>
    ) {
        let sc = scratch
        let xc = sc.x + j * gr
        let input = sc.combined + (sc.animalOf[j] * media + sc.mediumOf[j]) * gr
        let r = sc.rho[j]
        if r > 0 && !colTargets[j].regRows.isEmpty {
            // Cells whose guides hit regulators: production, then κ, then the update.
            for p in 0..<gr {
                let v = input[p] + s[p]
                s[p] = v > 0 ? v : 0
            }
            for (p, kappa) in colTargets[j].regRows { s[p] *= 1 + (kappa - 1) * r }
            screenplan_euler_update(
                xc, s, nil, noise, gr, sc.decayFactor, sc.productionFactor, sc.noiseFactor, sc.decay)
        } else {
            // Everyone else: production and update in one pass.
            screenplan_euler_update(
                xc, s, input, noise, gr, sc.decayFactor, sc.productionFactor, sc.noiseFactor, sc.decay)
        }
        if fine && gd > 0 { fineDownstreamStep(column: j) }
    }

    /// Adds one step of column j's channels, strength and medium to a window slot, with weight
    /// `weight` (1: a plain sum; `cnt` then counts the steps, else it sums the weights).
    @inline(__always)
    private func accumulate(
        slot: Int, column j: Int, channels: UnsafeMutablePointer<Double>, rho: Double, medium: Int,
        weight: Double = 1
    ) {
        let sc = scratch
        let col = slot * n + j
        let a = sc.hAcc + col * nc
        if weight == 1 {
            for ch in 0..<nc { a[ch] += channels[ch] }
        } else {
            for ch in 0..<nc { a[ch] += weight * channels[ch] }
        }
        sc.cnt[col] += weight
        sc.rhoAcc[col] += weight * rho
        sc.medAcc[col * media + medium] += weight
    }

    /// One fine exponential-Euler step of the downstream genes of column j (reference mode).
    private mutating func fineDownstreamStep(column j: Int) {
        let sc = scratch
        let k = model.kinetics
        let sNoise = model.design.system.intrinsicNoise
        let u = model.mediumInputs[sc.mediumOf[j]]
        let animal = cells[j].animal
        let rho = sc.rho[j]
        let xd = sc.xd + j * gd
        let sd = sc.sd + j * gd
        let normals = sc.noise + 4 * gr
        downStreams[j].fillZigguratNormals(normals, count: gd)
        for (q, gene) in model.downstreamGenes.enumerated() {
            var prod = k.basal[gene] + k.repressionOffset[gene] + u[gene] + sd[q]
            if !model.niche.isEmpty { prod += model.niche[animal][gene] }
            prod = max(0, prod)
            for a in cells[j].targets where a.gene == gene { prod *= 1 + (a.kappa - 1) * rho }
            let gamma = k.decay[gene]
            let e = Foundation.exp(-gamma * dt)
            let xv = xd[q]
            let sdv = sNoise * ((1 - e * e) / (2 * gamma) * (prod + gamma * xv)).squareRoot()
            xd[q] = max(0, xv * e + prod / gamma * (1 - e) + sdv * normals[q])
        }
    }

    /// The complete states (G × n), the downstream genes integrated over their window, and the
    /// block's counters added to `stats` (`stepStart`, `stepCPUStart`: clocks at the first step).
    mutating func finish(stats: inout BlockStats, stepStart: Double, stepCPUStart: Double) -> Matrix {
        let sc = scratch
        stats.stepSeconds += monotonicSeconds() - stepStart
        stats.stepCPUSeconds += threadCPUSeconds() - stepCPUStart
        stats.stepFlops += productFlops
        stats.flops += productFlops
        stats.cellSteps += gemmColumns
        for j in 0..<n { stats.activeCellSteps += Double(kEnd[j] - kStart[j]) }
        if fine { stats.flops += 2.0 * Double(gd) * Double(nc) * gemmColumns }
        stats.gemmSeconds += gemmTime
        let g = model.geneCount
        // A cancelled run's block is discarded: no downstream window.
        if cancelled { return Matrix(rows: g, cols: n) }
        var state = Matrix(rows: g, cols: n)
        let regGenes = model.kinetics.regulators
        for j in 0..<n {
            for p in 0..<gr { state[regGenes[p], j] = sc.x[j * gr + p] }
        }
        if fine {
            for j in 0..<n {
                for (q, gene) in model.downstreamGenes.enumerated() { state[gene, j] = sc.xd[j * gd + q] }
            }
        } else if weighted {
            windowDownstreamWeighted(&state, stats: &stats)
        } else if gd > 0 {
            windowDownstream(&state, stats: &stats)
        }
        stats.dynamicsSeconds += monotonicSeconds() - stepStart
        return state
    }

    /// Exact OU integration of downstream genes over each column's window, piece by piece.
    /// Slots are processed in time order (the window's first step, then pieces 0…M−1); each slot
    /// is one GEMM D = W_d · H̄_slot (G_d × C times C × n).
    private mutating func windowDownstream(_ state: inout Matrix, stats: inout BlockStats) {
        let sc = scratch
        let k = model.kinetics
        let slots = pieces + 1
        let sNoise = model.design.system.intrinsicNoise
        let downstream = model.downstreamGenes
        // Averages.
        for col in 0..<(n * slots) where sc.cnt[col] > 0 {
            let a = sc.hAcc + col * nc
            let inv = 1 / sc.cnt[col]
            for ch in 0..<nc { a[ch] *= inv }
        }
        var base = [Double](repeating: 0, count: gd)
        var gamma = [Double](repeating: 0, count: gd)
        for (q, gene) in downstream.enumerated() {
            base[q] = k.basal[gene] + k.repressionOffset[gene]
            gamma[q] = k.decay[gene]
        }
        let inputD = model.mediumInputs.map { u in downstream.map { u[$0] } }
        let nicheD = model.niche.map { u in downstream.map { u[$0] } }
        let targetsOf = cells.map { $0.targets.filter { model.downstreamPosition[$0.gene] >= 0 } }
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
                model.downstreamWeights.data.withUnsafeBufferPointer { wb in
                    d.withUnsafeMutableBufferPointer { db in
                        BLAS.gemm(
                            m: gd, n: n, k: nc, alpha: 1, a: wb.baseAddress!, lda: max(1, gd),
                            b: sc.hAcc + slot * n * nc, ldb: nc, beta: 0, c: db.baseAddress!, ldc: max(1, gd))
                    }
                }
            }
            stats.gemmSeconds += monotonicSeconds() - g0
            stats.flops += 2.0 * Double(gd) * Double(nc) * Double(n)
            for j in 0..<n {
                let col = slot * n + j
                let cell = cells[j]
                let steps = sc.cnt[col]
                if steps == 0 {
                    if slot == pieces {
                        let st = model.initialState[min(cell.animal, model.initialState.count - 1)]
                        for (q, gene) in downstream.enumerated() { xv[q, j] = st[gene] }
                    }
                    continue
                }
                // Production with the slot's average channels, media and perturbation strength.
                for q in 0..<gd { prod[q] = base[q] + d[q, j] }
                for m in 0..<media where sc.medAcc[col * media + m] > 0 {
                    let f = sc.medAcc[col * media + m] / steps
                    let u = inputD[m]
                    for q in 0..<gd { prod[q] += f * u[q] }
                }
                if !nicheD.isEmpty {
                    let nv = nicheD[cell.animal]
                    for q in 0..<gd { prod[q] += nv[q] }
                }
                for q in 0..<gd { prod[q] = max(0, prod[q]) }
                let rho = sc.rhoAcc[col] / steps
                for a in targetsOf[j] { prod[model.downstreamPosition[a.gene]] *= 1 + (a.kappa - 1) * rho }
                if slot == pieces {
                    // Quasi-steady state at the window's start.
                    for q in 0..<gd { xv[q, j] = prod[q] / gamma[q] }
                    continue
                }
                let factors: (decay: [Double], noise: [Double])
                if let cached = factorsBySteps[steps] {
                    factors = cached
                } else {
                    let span = steps * dt
                    var decayFactor = [Double](repeating: 0, count: gd)
                    var noiseFactor = [Double](repeating: 0, count: gd)
                    for q in 0..<gd {
                        let e = Foundation.exp(-gamma[q] * span)
                        decayFactor[q] = e
                        noiseFactor[q] = sNoise * sNoise * (1 - e * e) / (2 * gamma[q])
                    }
                    factors = (decayFactor, noiseFactor)
                    factorsBySteps[steps] = factors
                }
                xi.withUnsafeMutableBufferPointer { downStreams[j].fillZigguratNormals($0.baseAddress!, count: gd) }
                for q in 0..<gd {
                    let e = factors.decay[q]
                    let x0 = xv[q, j]
                    let det = x0 * e + prod[q] / gamma[q] * (1 - e)
                    let v = factors.noise[q] * (prod[q] + gamma[q] * 0.5 * (x0 + det))
                    xv[q, j] = max(0, det + v.squareRoot() * xi[q])
                }
            }
        }
        for j in 0..<n { for (q, gene) in downstream.enumerated() { state[gene, j] = xv[q, j] } }
    }
    /// The downstream genes at sampling from the window's exponentially weighted channel
    /// averages: per column, the quasi-steady start x₀ = P_first/γ at the window's first step, then
    /// mean = x₀e^{−γL·dt} + Σw·P̄_w and variance = Σv·P̄_v + q·x₀·e^{−γ(L−1)dt}(1 − e^{−γL·dt})/b,
    /// where P̄_w, P̄_v are the production at the mean- and variance-weighted averages of the
    /// channels, media and perturbation strength (weights in `init`): the fine scheme's first two
    /// moments when production is linear in the channels over the window (no clipping at 0, a
    /// constant perturbation strength); one normal per gene and cell.
    private mutating func windowDownstreamWeighted(_ state: inout Matrix, stats: inout BlockStats) {
        let sc = scratch
        let k = model.kinetics
        let groups = groupGamma.count
        let slots = 2 * groups + 1
        let downstream = model.downstreamGenes
        for col in 0..<(n * slots) where sc.cnt[col] > 0 {
            let a = sc.hAcc + col * nc
            let inv = 1 / sc.cnt[col]
            for ch in 0..<nc { a[ch] *= inv }
            sc.rhoAcc[col] *= inv
            for m in 0..<media { sc.medAcc[col * media + m] *= inv }
        }
        var base = [Double](repeating: 0, count: gd)
        for (q, gene) in downstream.enumerated() { base[q] = k.basal[gene] + k.repressionOffset[gene] }
        // Medium inputs (media × G_d) and niche inputs (animals × G_d) of the downstream genes.
        let inputD = model.mediumInputs.flatMap { u in downstream.map { u[$0] } }
        let nicheD = model.niche.flatMap { u in downstream.map { u[$0] } }
        let targetsOf = cells.map { $0.targets.filter { model.downstreamPosition[$0.gene] >= 0 } }
        let prod = [Double](repeating: 0, count: 3 * gd)  // first, mean, variance
        let decayLValues = [Double](repeating: 0, count: groups)
        let varianceStartValues = [Double](repeating: 0, count: groups)
        let offset = [Double](repeating: 0, count: 3 * gd)
        let sNoise2 = model.design.system.intrinsicNoise * model.design.system.intrinsicNoise
        let dt = self.dt
        let media = self.media
        let n = self.n
        let gd = self.gd
        let nc = self.nc
        let firstSlot = self.firstSlot
        let downSparse = self.downSparse
        let stateRows = state.rows
        // The loop's inputs as pointers, bound once (copies freed on return).
        var owned: [UnsafeMutableRawPointer] = []
        defer { for q in owned { q.deallocate() } }
        func bind<T>(_ values: [T]) -> UnsafeMutablePointer<T> {
            let q = UnsafeMutablePointer<T>.allocate(capacity: max(1, values.count))
            q.initialize(from: values, count: values.count)
            owned.append(UnsafeMutableRawPointer(q))
            return q
        }
        let basePtr = bind(base)
        let inputP = bind(inputD)
        let nicheP = bind(nicheD)
        let hasNiche = !nicheD.isEmpty
        let rowB = bind(downRows.rowStart)
        let colB = bind(downRows.column)
        let valB = bind(downRows.value)
        let group = bind(gammaGroup)
        let gammaOf = bind(groupGamma)
        // D = W_d · H̄ for every slot and column (gd × slots·n): W_d's nonzeros in the loop below,
        // or here one GEMM over all slots.
        let dB = UnsafeMutablePointer<Double>.allocate(capacity: downSparse ? 1 : gd * n * slots)
        owned.append(UnsafeMutableRawPointer(dB))
        let g0 = monotonicSeconds()
        if !downSparse && nc > 0 {
            model.downstreamWeights.data.withUnsafeBufferPointer { wb in
                BLAS.gemm(
                    m: gd, n: n * slots, k: nc, alpha: 1, a: wb.baseAddress!, lda: max(1, gd),
                    b: sc.hAcc, ldb: nc, beta: 0, c: dB, ldc: max(1, gd))
            }
            stats.flops += 2.0 * Double(gd) * Double(nc) * Double(n * slots)
        }
        stats.gemmSeconds += monotonicSeconds() - g0
        let p = bind(prod)
        let off = bind(offset)
        let decayL = bind(decayLValues)
        let varianceStart = bind(varianceStartValues)
        // The columns sampled after their window, four at a time: the batched ziggurat draws the
        // four columns' normals in one pass, each column from its own stream, word for word what
        // `fillZigguratNormals` draws (so the states do not depend on the grouping).
        var sampled = [Int]()
        sampled.reserveCapacity(n)
        let chunkNormals = UnsafeMutablePointer<Double>.allocate(capacity: 4 * max(1, gd))
        owned.append(UnsafeMutableRawPointer(chunkNormals))
        let chunkColumns = UnsafeMutablePointer<Int>.allocate(capacity: 4)
        owned.append(UnsafeMutableRawPointer(chunkColumns))
        state.withUnsafeMutableBufferPointer { stB in
            let st = stB.baseAddress!
            for j in 0..<n {
                if sc.cnt[firstSlot * n + j] > 0 {
                    sampled.append(j)
                    continue
                }
                let init0 = model.initialState[min(cells[j].animal, model.initialState.count - 1)]
                for gene in downstream { st[j * stateRows + gene] = init0[gene] }
            }
            downStreams.withUnsafeMutableBufferPointer { streamsB in
                for chunk in stride(from: 0, to: sampled.count, by: 4) {
                    let lanes = min(4, sampled.count - chunk)
                    for l in 0..<lanes { chunkColumns[l] = sampled[chunk + l] }
                    if gd > 0 {
                        zig.fill(
                            streamsB.baseAddress!, columns: chunkColumns, lanes: lanes, into: chunkNormals, stride: gd,
                            count: gd)
                    }
                    for l in 0..<lanes {
                        let j = chunkColumns[l]
                        let xiP = chunkNormals + l * gd
                        let cell = cells[j]
                        let first = firstSlot * n + j
                        let steps = Double(kEnd[j] - kW0[j])
                        for g in 0..<groups {
                            let gamma = gammaOf[g]
                            let e = Foundation.exp(-gamma * dt)
                            decayL[g] = Foundation.exp(-gamma * dt * steps)
                            // q·e^{−γ(L−1)dt}(1 − e^{−γL·dt})/b: the start's share of the later noise.
                            let q = sNoise2 * (1 - e * e) / (2 * gamma)
                            varianceStart[g] =
                                q * Foundation.exp(-gamma * dt * (steps - 1)) * (1 - decayL[g]) * gamma / (1 - e)
                        }
                        // Additive inputs per (first, mean, variance) slot: base, media by their shares, niche.
                        for q in 0..<gd {
                            let v = basePtr[q] + (hasNiche ? nicheP[cell.animal * gd + q] : 0)
                            off[q] = v
                            off[gd + q] = v
                            off[2 * gd + q] = v
                        }
                        for m in 0..<media {
                            let u = inputP + m * gd
                            let fF = sc.medAcc[first * media + m]
                            if fF > 0 { for q in 0..<gd { off[q] += fF * u[q] } }
                            for q in 0..<gd {
                                let g = group[q]
                                let fM = sc.medAcc[(g * n + j) * media + m]
                                let fV = sc.medAcc[((groups + g) * n + j) * media + m]
                                off[gd + q] += fM * u[q]
                                off[2 * gd + q] += fV * u[q]
                            }
                        }
                        let hF = sc.hAcc + first * nc
                        for q in 0..<gd {
                            let g = group[q]
                            let colM = g * n + j
                            let colV = (groups + g) * n + j
                            var dF = 0.0
                            var dM = 0.0
                            var dV = 0.0
                            if downSparse {
                                let hM = sc.hAcc + colM * nc
                                let hV = sc.hAcc + colV * nc
                                for i in rowB[q]..<rowB[q + 1] {
                                    let c = colB[i]
                                    let w = valB[i]
                                    dF += w * hF[c]
                                    dM += w * hM[c]
                                    dV += w * hV[c]
                                }
                            } else {
                                dF = dB[first * gd + q]
                                dM = dB[colM * gd + q]
                                dV = dB[colV * gd + q]
                            }
                            let vF = off[q] + dF
                            let vM = off[gd + q] + dM
                            let vV = off[2 * gd + q] + dV
                            p[q] = vF > 0 ? vF : 0
                            p[gd + q] = vM > 0 ? vM : 0
                            p[2 * gd + q] = vV > 0 ? vV : 0
                        }
                        for a in targetsOf[j] {
                            let q = model.downstreamPosition[a.gene]
                            let g = group[q]
                            p[q] *= 1 + (a.kappa - 1) * sc.rhoAcc[first]
                            p[gd + q] *= 1 + (a.kappa - 1) * sc.rhoAcc[g * n + j]
                            p[2 * gd + q] *= 1 + (a.kappa - 1) * sc.rhoAcc[(groups + g) * n + j]
                        }
                        for (q, gene) in downstream.enumerated() {
                            let g = group[q]
                            let x0 = p[q] / gammaOf[g]
                            let mean = x0 * decayL[g] + sc.cnt[g * n + j] * p[gd + q]
                            let variance = sc.cnt[(groups + g) * n + j] * p[2 * gd + q] + varianceStart[g] * x0
                            st[j * stateRows + gene] = max(0, mean + max(0, variance).squareRoot() * xiP[q])
                        }
                    }
                }
            }
        }
        stats.flops += 2.0 * Double(downRows.nonzeros) * 3 * Double(n)
    }
}
