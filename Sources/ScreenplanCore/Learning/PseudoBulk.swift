import Foundation

// MARK: - Pseudo-bulk observations in the modelled space
//
// A learnability fit sees what an analyst would have after the screen: per perturbation, time
// point and batch, the mean of library-size-normalised counts of the modelled genes (the
// regulators, the genes that feed back), and the same for the controls of that batch. It
// combines them into one estimate per perturbation and time with batch-matched controls:
//
//   Δ̂_p(t) = log1p(S · Σ_b n_pb ȳ_pb) − log1p(S · Σ_b n_pb ȳ_0b)       (sums over b normalised)
//
// i.e. the control mean is re-weighted to the perturbation's own batch composition, so gene-wise
// batch effects cancel (section 4 of the model reference), and pooling over batches before the
// log avoids the bias of logs of near-empty per-batch means. S = 10⁶ (counts per million), so
// the pseudocount of log1p is one CPM and differences are natural-log fold changes for every
// expressed regulator.

/// Mean normalised expression of the modelled genes per group (perturbation or control), batch
/// and time, with cell counts, and the true effects for evaluation.
public struct PseudoBulk: Sendable {
    /// Network indices of the modelled genes (the regulators), in model order.
    public var genes: [Int]
    /// Their names.
    public var geneNames: [String]
    /// The perturbations observed (a subsample of the design's, see `LearnabilityOptions`).
    public var perturbations: [Perturbation]
    /// Sampling times (hours from protocol start).
    public var times: [Double]
    /// Hours from protocol start at which guides start to act.
    public var onset: Double
    public var batches: Int
    /// sums[t][group]: d × B sums of normalised expression (group P is the controls).
    public var sums: [[Matrix]]
    /// cells[t][group][b]: number of cells summed.
    public var cells: [[[Int]]]
    /// True effects per time: d × P, log2 fold change of each modelled gene against the
    /// time-matched control (from the simulator's truth, or the deterministic model).
    public var truth: [Matrix]
    /// Where the data came from (for reports).
    public var source: String

    /// Empty sums for `groups` = perturbations + 1 (controls).
    public init(
        genes: [Int], geneNames: [String], perturbations: [Perturbation], times: [Double], onset: Double,
        batches: Int, source: String
    ) {
        self.genes = genes
        self.geneNames = geneNames
        self.perturbations = perturbations
        self.times = times
        self.onset = onset
        self.batches = batches
        self.source = source
        let d = genes.count
        let groups = perturbations.count + 1
        sums = times.map { _ in (0..<groups).map { _ in Matrix(rows: d, cols: batches) } }
        cells = times.map { _ in (0..<groups).map { _ in [Int](repeating: 0, count: batches) } }
        truth = times.map { _ in Matrix(rows: d, cols: perturbations.count) }
    }

    public var dimension: Int { genes.count }
    public var controlGroup: Int { perturbations.count }

    /// Adds one cell's normalised expression of the modelled genes (`values[i]` for gene
    /// `genes[i]`; counts divided by the cell's total count).
    public mutating func add(group: Int, batch: Int, time: Int, values: UnsafeBufferPointer<Double>) {
        let d = dimension
        sums[time][group].withUnsafeMutableBufferPointer { s in
            let base = batch * d
            for i in 0..<d { s[base + i] += values[i] }
        }
        cells[time][group][batch] += 1
    }

    /// Scale of the log1p transform: counts per million.
    public static let scale = 1e6

    /// Pooled state of a group at time t on the log1p(CPM) scale, with the batches weighted by
    /// `weights` (nil = by the group's own cell counts). Returns nil when the weighted cells
    /// are zero.
    public func pooledState(group: Int, time t: Int, weights: [Double]? = nil) -> [Double]? {
        let d = dimension
        let n = cells[t][group]
        var total = [Double](repeating: 0, count: d)
        var weightSum = 0.0
        for b in 0..<batches where n[b] > 0 {
            let w = weights?[b] ?? Double(n[b])
            guard w > 0 else { continue }
            // Mean of batch b, weighted.
            for i in 0..<d { total[i] += w * sums[t][group][i, b] / Double(n[b]) }
            weightSum += w
        }
        guard weightSum > 0 else { return nil }
        return total.map { Foundation.log1p(PseudoBulk.scale * $0 / weightSum) }
    }
}

/// The quantities the model fits, derived from a `PseudoBulk`: states centred on the control
/// at onset, effects with batch-matched controls, and the truth (log2), per time point.
public struct LearningData: Sendable {
    public var dimension: Int
    public var perturbations: [Perturbation]
    /// Targets of each perturbation inside the modelled space (indices 0..<d).
    public var targetsInSpace: [[Int]]
    /// Hours since onset of each sampling time (times before onset are dropped).
    public var timesSinceOnset: [Double]
    /// Hours from protocol start at which guides start to act.
    public var onset: Double
    /// Control state at each time relative to the earliest control: z̄_ctrl(t) (d).
    public var controlStates: [[Double]]
    /// Estimated effects Δ̂_p(t) (natural log, d × P) with batch-matched controls; NaN columns
    /// mark perturbations without cells at that time.
    public var effects: [Matrix]
    /// True effects (log2 fold change, d × P).
    public var truth: [Matrix]
    /// Cells behind each estimate (perturbation side).
    public var cells: [[Int]]
    public var geneNames: [String]
    public var source: String

    /// Observed centred state of perturbation p at time k: z̄_ctrl(t) + Δ̂_p(t).
    public func observedState(_ p: Int, time k: Int) -> [Double] {
        (0..<dimension).map { controlStates[k][$0] + effects[k][$0, p] }
    }

    public init(_ bulk: PseudoBulk) {
        let d = bulk.dimension
        let np = bulk.perturbations.count
        dimension = d
        perturbations = bulk.perturbations
        geneNames = bulk.geneNames
        source = bulk.source
        let position = Dictionary(bulk.genes.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        targetsInSpace = bulk.perturbations.map { $0.targets.compactMap { position[$0] } }
        let kept = bulk.times.indices.filter { bulk.times[$0] > bulk.onset }
        timesSinceOnset = kept.map { bulk.times[$0] - bulk.onset }
        onset = bulk.onset
        var controls: [[Double]] = []
        var effects: [Matrix] = []
        var truth: [Matrix] = []
        var cells: [[Int]] = []
        var reference: [Double]? = nil
        for t in kept {
            let control = bulk.pooledState(group: bulk.controlGroup, time: t) ?? [Double](repeating: 0, count: d)
            if reference == nil { reference = control }
            controls.append(zip(control, reference!).map { $0 - $1 })
            var e = Matrix(rows: d, cols: np, repeating: .nan)
            var n = [Int](repeating: 0, count: np)
            for p in 0..<np {
                let weights = bulk.cells[t][p].map(Double.init)
                n[p] = bulk.cells[t][p].reduce(0, +)
                guard let xp = bulk.pooledState(group: p, time: t),
                    let x0 = bulk.pooledState(group: bulk.controlGroup, time: t, weights: weights)
                        ?? bulk.pooledState(group: bulk.controlGroup, time: t)
                else { continue }
                for i in 0..<d { e[i, p] = xp[i] - x0[i] }
            }
            effects.append(e)
            truth.append(bulk.truth[t])
            cells.append(n)
        }
        controlStates = controls
        self.effects = effects
        self.truth = truth
        self.cells = cells
    }
}
