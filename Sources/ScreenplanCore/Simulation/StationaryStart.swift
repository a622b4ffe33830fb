import COpenBLAS
import Foundation

// MARK: - Starting a cell where its past no longer matters
//
// A cell of a non-differentiating system forgets where it started after a few relaxation times:
// the deviation from its start decays like e^{−λ_min t}, with λ_min the slowest relaxation rate
// of the system: the Jacobian is block triangular (downstream genes do not feed back), so its
// eigenvalues are those of the regulator block at the attractor and −γ of each downstream gene,
// and λ_min is the smallest −Re(eigenvalue) among them. Integrating a cell from the
// attractor before the burn-in through the whole protocol therefore does the same as integrating
// it from the attractor over only the last `stationaryWindowRelaxations`/λ_min hours before its
// sampling time, under the same protocol, guides and medium (both are functions of time), up to
// a memory of e^{−stationaryWindowRelaxations} of the start (e^{−10} ≈ 5·10⁻⁵).
//
// In vitro and in vivo (see `stationaryWindow`). Systems whose history matters keep the full path:
// differentiating systems (the lineage a cell
// commits to depends on its path), bistable switches (a perturbation may flip a cell into the
// other attractor and hysteresis keeps it there), and cells sampled before steady state
// (`sample_before_steady_state`, whose point is that they have not relaxed).

extension SimulationModel {
    /// The slowest relaxation rate (per hour) at the initial attractors: the smallest −Re(λ) over
    /// the eigenvalues λ of the regulator Jacobian (LAPACK dgeev), per animal, and the decay rates
    /// of the downstream genes (the other eigenvalues of the block-triangular whole). nil when it
    /// cannot be computed or is not positive (no stable attractor to relax to).
    static func slowestRelaxationRate(kinetics k: Kinetics, attractors: [[Double]], inputs: [[Double]]) -> Double? {
        let gr = k.regulatorCount
        var slowest = Double.infinity
        for i in 0..<k.geneCount where k.regulatorPosition[i] < 0 { slowest = min(slowest, k.decay[i]) }
        guard gr > 0 else { return slowest.isFinite && slowest > 0 ? slowest : nil }
        let none = PerturbationAction.none(genes: k.geneCount)
        for (a, xr) in attractors.enumerated() {
            let (_, jacobian) = k.regulatorField(xr, input: inputs[min(a, inputs.count - 1)], action: none)
            var data = jacobian.data
            var wr = [Double](repeating: 0, count: gr)
            var wi = [Double](repeating: 0, count: gr)
            var left = [Double](repeating: 0, count: 1)
            var right = [Double](repeating: 0, count: 1)
            let info = LAPACKE_dgeev(
                LAPACK_COL_MAJOR, Int8(UInt8(ascii: "N")), Int8(UInt8(ascii: "N")),
                sp_lapack_int(gr), &data, sp_lapack_int(gr), &wr, &wi,
                &left, 1, &right, 1)
            guard info == 0 else { return nil }
            for re in wr { slowest = min(slowest, -re) }
        }
        return slowest.isFinite && slowest > 0 ? slowest : nil
    }

    /// Hours of the protocol a cell must be integrated for before its sampling time, or nil when
    /// the full path is needed (see the top of this file, and `SimulationOptions.stationaryStart`).
    func stationaryWindow(options: SimulationOptions) -> Double? {
        let system = design.system
        // In vivo as in vitro: a non-differentiating tissue's cells inherit their lineage's state
        // and start at the attractor before the burn-in, like cultured cells. (An earlier round
        // kept the full path in vivo after one Monte Carlo check gave a median variance ratio of
        // 1.14; over four seeds the shortcut and the full path give 0.89–1.14 and 0.94–1.05,
        // means 0.99 and 0.99: seed-to-seed sampling error of the median, not a bias; docs/simulate.md.)
        guard options.stationaryStart, system.dynamics == .nonDifferentiating,
            !system.assumptions.bistablePerturbation, !system.assumptions.sampleBeforeSteadyState,
            let rate = slowestRelaxationRatePerH
        else { return nil }
        return options.stationaryWindowRelaxations / rate
    }
}
