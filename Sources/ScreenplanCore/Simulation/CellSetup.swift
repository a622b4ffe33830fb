import Foundation

// MARK: - Per-cell setup: guides, efficiency, timing, multiplets
//
// Everything about a cell that is decided before the dynamics is drawn from the stream
// (seed, cellAssignment, cell index), so a cell is the same whichever block, shard or thread
// simulates it.

/// A cell's guide-driven change of one gene at full strength (ρ = 1).
struct TargetAction: Sendable {
    var gene: Int
    var kappa: Double
    var activity: Double
}

/// What is decided about a cell before its dynamics run.
struct CellSetup: Sendable {
    var index: Int
    var batch: Int
    var animal: Int
    var timePoint: Int
    var perturbation: Int
    var guides: [GuideInfo]
    var targets: [TargetAction]
    /// When the cell starts evolving (entry into the tissue in vivo, or the burn-in start).
    var tStart: Double
    var tSample: Double
    /// Hours since the cell entered the population (in vivo influx); for cells that were there
    /// from the start, the time since the simulation's start.
    var age: Double
    /// Time from which guides act (before the ramp).
    var onset: Double
    /// Controls held in the starting medium (`controls_respond_to_medium: false`).
    var frozenMedium: Bool
    var doublet: Bool
    var partner: Int
    /// For the second cell of a multiplet (simulated as an extra column): the owner's index.
    var phantomOf: Int = -1

    /// Stream of the cell's dynamics: `part` 0 for regulators, 1 for downstream genes.
    func dynamicsStream(seed: UInt64, part: UInt64) -> RandomStream {
        phantomOf >= 0
            ? RandomStream(seed: seed, domain: .doublets, UInt64(phantomOf), part)
            : RandomStream(seed: seed, domain: .dynamics, UInt64(index), part)
    }
}

extension SimulationModel {
    /// The setup of cell `index` (a real cell of the plan).
    func setupCell(_ index: Int) -> CellSetup {
        let location = plan.locate(index)
        var rng = RandomStream(seed: seed, domain: .cellAssignment, UInt64(index))
        let system = design.system
        let p = location.perturbation
        var guideList: [GuideInfo] = []
        if p >= 0 {
            let gs = guides[p]
            guideList.append(gs[Int(rng.next() % UInt64(gs.count))])
            // High MOI: extra guides from the whole library (Poisson around moi − 1).
            if design.perturbations.moi > 1 {
                let extra = rng.poisson(design.perturbations.moi - 1)
                for _ in 0..<extra {
                    let q = Int(rng.next() % UInt64(guides.count))
                    let gq = guides[q]
                    guideList.append(gq[Int(rng.next() % UInt64(gq.count))])
                }
            }
        } else {
            guideList.append(controlGuides[Int(rng.next() % UInt64(controlGuides.count))])
        }
        // Actions, merged per gene (guides in one cell multiply their κ).
        var actions: [TargetAction] = []
        let pspec = design.perturbations
        let c = parameters.cellEfficiencyConcentration
        for guide in guideList where guide.perturbation >= 0 {
            let pert = perturbations[guide.perturbation]
            for (t, gene) in pert.targets.enumerated() {
                let e0 = guide.efficiency[t]
                var e = e0
                if c > 0 && e0 > 0 && e0 < 1 { e = rng.beta(e0 * c, (1 - e0) * c) }
                var kappa = 1.0
                var activity = 1.0
                switch pspec.modality {
                case .crispri: kappa = 1 - e
                case .crispra: kappa = 1 + pspec.activation * e / max(1e-9, pspec.knockdownMean)
                case .knockout:
                    kappa = pspec.koTranscriptRetention
                    activity = 0
                }
                if let i = actions.firstIndex(where: { $0.gene == gene }) {
                    actions[i].kappa *= kappa
                    actions[i].activity *= activity
                } else {
                    actions.append(TargetAction(gene: gene, kappa: kappa, activity: activity))
                }
            }
        }

        // Timing.
        let timePoint = plan.timePoints[location.timePoint]
        var tSample = timePoint
        if system.assumptions.sampleBeforeSteadyState {
            let decays = kinetics.decay.sorted()
            let tau = 1 / max(1e-9, decays[decays.count / 2])
            let u = 0.25 + 1.25 * rng.uniform()
            tSample = min(timePoint, lastChange(before: timePoint) + u * tau)
        }
        var tStart = -parameters.burnInHours
        var age = tSample - tStart
        let firstOn = steps.first(where: \.perturb)?.start ?? 0
        var onset = firstOn
        if system.regime == .inVivo {
            let mean = system.inVivo.deliveryDelayH
            if mean > 0 { onset += rng.gamma(shape: 4) * mean / 4 }
            let influx = system.inVivo.influxPerH
            if influx > 0 {
                let cap = parameters.ageCap(influxPerHour: influx)
                // Exponential ages (homeostatic turnover), truncated at `cap`.
                age = -Foundation.log(1 - rng.uniform() * (1 - Foundation.exp(-influx * cap))) / influx
                let born = tSample - age
                // A differentiating cell starts as a progenitor when it enters. A non-differentiating
                // cell inherits its lineage's state (self-renewing tissue): its age is metadata,
                // and it starts at the attractor before the burn-in like every other cell.
                tStart = system.dynamics == .differentiating ? born : -parameters.burnInHours
                // Cells that enter after delivery come from transduced progenitors: guides act at once.
                if born > onset { onset = -Double.infinity }
            }
        }
        let frozen = p < 0 && !system.assumptions.controlsRespondToMedium
        let doubletP = doubletProbability[location.batch]
        var doublet = false
        var partner = -1
        if doubletP > 0 && rng.uniform() < doubletP {
            doublet = true
            // The other cell comes from the same lane: batches are contiguous in the global order.
            let start = batchStart[location.batch]
            let count = plan.cellsPerBatch[location.batch]
            partner = start + Int(rng.next() % UInt64(max(1, count)))
        }
        return CellSetup(
            index: index, batch: location.batch, animal: system.regime == .inVivo ? animalOfBatch[location.batch] : 0,
            timePoint: location.timePoint, perturbation: p, guides: guideList, targets: actions,
            tStart: tStart, tSample: tSample, age: age, onset: onset, frozenMedium: frozen,
            doublet: doublet, partner: partner)
    }
}

/// A 10x-style barcode for a global cell index: 16 bases from a bijective 32-bit mix (unique for
/// up to 2³² cells), then `-` and the batch number, as cellranger aggr writes them.
public func cellBarcode(_ index: Int, batch: Int) -> String {
    var x = UInt32(truncatingIfNeeded: index)
    // Bijective on 32 bits: odd multiplications and xorshifts.
    x = (x ^ (x >> 16)) &* 0x7FEB_352D
    x = (x ^ (x >> 15)) &* 0x846C_A68B
    x = x ^ (x >> 16)
    let bases: [UInt8] = Array("ACGT".utf8)
    var out = [UInt8](repeating: 0, count: 16)
    for i in 0..<16 { out[i] = bases[Int((x >> UInt32(2 * (15 - i))) & 3)] }
    return String(decoding: out, as: UTF8.self) + "-\(batch + 1)"
}
