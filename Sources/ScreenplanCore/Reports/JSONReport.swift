import Foundation

// MARK: - JSON report (schema: docs/report-schema.json)

/// The JSON report: everything the other formats show, with sorted keys and a schema version.
public enum JSONReport {
    /// The document written, field for field (docs/report-schema.json describes each).
    struct Document: Encodable {
        var schemaVersion: String
        var generator: Generator
        var design: Design
        var designFigures: DesignFigures
        var analysis: AnalysisResult
        var layout: LayoutSummary
        var powerCurves: [PowerCurve]
        var order: OrderList
        var assumptions: [Assumption]

        /// The keys of the file format (snake_case), kept when the properties were renamed.
        enum CodingKeys: String, CodingKey {
            case schemaVersion = "schema_version"
            case generator
            case design
            case designFigures = "design_figures"
            case analysis
            case layout
            case powerCurves = "power_curves"
            case order
            case assumptions
        }
    }

    struct Generator: Encodable {
        var name: String
        var version: String
    }

    /// Pretty-printed JSON with sorted keys and a final newline.
    /// - Throws: `EncodingError.invalidValue` for a non-finite number.
    public static func render(_ model: ReportModel) throws -> String {
        let doc = Document(
            schemaVersion: ReportModel.schemaVersion,
            generator: Generator(name: "screenplan", version: model.version),
            design: model.design, designFigures: DesignFigures(model.design), analysis: model.analysis,
            layout: model.layout, powerCurves: model.powerCurves, order: model.order,
            assumptions: model.assumptions)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(doc), as: UTF8.self) + "\n"
    }
}
