import Foundation

/// The measured genes outside the network (`measurement.measured_genes` beyond the modelled
/// genes): `BG00001`, `BG00002`, … with fixed levels basal/decay and a log-normal spread of
/// `basal_log_sd`, drawn from the stream (network seed, network, 5000). The simulator measures
/// them and the analysis predicts their shares from this one draw, so both see the same genes.
public struct BackgroundGenes: Equatable, Sendable {
    /// Names, in measured-gene order after the modelled genes.
    public var names: [String]
    /// Expression levels (molecules at steady state, no regulation), one per name.
    public var levels: [Double]

    /// The background genes of `design` when its network models `modelled` genes (none when the
    /// design measures no more genes than that).
    public init(_ design: Design, modelled: Int) {
        let spec = design.system.network
        let measured = design.measurement.measuredGenes
        let count = max(0, measured - modelled)
        let width = max(5, String(max(measured, modelled)).count)
        var rng = RandomStream(seed: spec.seed, domain: .network, 5000)
        names = (0..<count).map { i in
            let digits = String(i + 1)
            return "BG" + String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        levels = (0..<count).map { _ in spec.basal * Foundation.exp(spec.basalLogSd * rng.normal()) / spec.decayPerH }
    }
}
