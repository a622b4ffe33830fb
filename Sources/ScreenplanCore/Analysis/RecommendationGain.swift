import Foundation

// MARK: - What a recommendation improves, in its own quantity
//
// Median power and cost are stated for every recommendation, but some improve neither: fewer
// cells per lane lower the multiplet rate (the cells an analysis drops or mixes), and at high
// power that barely moves the median. Such a recommendation states its gain in the quantity it
// improves, measured on the design and on the edited design like its power and cost.

/// A quantity a recommendation improves, before and after applying it.
public struct RecommendationGain: Codable, Equatable, Sendable {
    /// What is improved, e.g. "multiplet rate per lane".
    public var quantity: String
    public var before: Double
    public var after: Double
    /// Unit of `before` and `after` (e.g. "%", "log2²").
    public var unit: String

    public init(quantity: String, before: Double, after: Double, unit: String) {
        self.quantity = quantity
        self.before = before
        self.after = after
        self.unit = unit
    }

    /// "multiplet rate per lane 20.5% → 6.0%".
    public var text: String {
        func value(_ x: Double) -> String {
            let number = unit == "%" ? String(format: "%.1f", x) : String(format: "%.3g", x)
            return unit == "%" ? number + "%" : number + " " + unit
        }
        return "\(quantity) \(value(before)) → \(value(after))"
    }
}

extension Recommendations {
    /// The gain of recommendation `id` from `before` to `after` (the evaluations of the design and
    /// of the edited design); nil for recommendations whose gain is their power or cost.
    static func gain(of id: String, before: Evaluation, after: Evaluation) -> RecommendationGain? {
        switch id {
        case "doublet-rate":
            func rate(_ e: Evaluation) -> Double {
                100 * CellBudget(e.design, layout: e.layout).multipletRate(e.design)
            }
            return RecommendationGain(
                quantity: "multiplet rate per lane", before: rate(before), after: rate(after), unit: "%")
        case "control-cells-sqrt-k":
            return RecommendationGain(
                quantity: "typical variance", before: before.medianVariance, after: after.medianVariance,
                unit: "log2²")
        default:
            return nil
        }
    }
}
