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
// are integrated over the last `downstreamWindowRelaxations` relaxation times before sampling:
// their state at sampling is a linear functional of the production over the window, so each cell
// accumulates its channel activity, media and perturbation strength under the fine scheme's exact
// exponential weights (one average for the mean, one for the variance) and draws each gene once
// (BlockStepper.windowDownstreamWeighted; docs/model.md). With the weights off, the window is cut
// into `downstreamPieces` pieces driven by plain averages (one GEMM per piece). In `fine` mode
// every downstream gene is integrated every step (reference).

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

    /// `integrate` for columns sorted by first step: the stepper over the grid (BlockStepper.swift).
    private func integrateInStartOrder(
        _ cells: [CellSetup], streams: inout [RandomStream], options: SimulationOptions,
        stats: inout BlockStats
    ) -> Matrix {
        var stepper = BlockStepper(model: self, cells: cells, streams: streams, options: options)
        let t0 = monotonicSeconds()
        let cpu0 = threadCPUSeconds()
        for k in stepper.firstStep..<stepper.endStep {
            if !stepper.step(k) { break }
        }
        let state = stepper.finish(stats: &stats, stepStart: t0, stepCPUStart: cpu0)
        streams = stepper.streams
        return state
    }
}
