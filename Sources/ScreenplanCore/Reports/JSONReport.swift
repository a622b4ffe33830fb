import Foundation

// MARK: - JSON report (schema: docs/report-schema.json)

/// The JSON report: everything the other formats show, with sorted keys and a schema version.
public enum JSONReport {
    /// The document written, field for field (docs/report-schema.json describes each).
    struct Document: Encodable {
        var schema_version: String
        var generator: Generator
        var design: Design
        var design_figures: DesignFigures
        var analysis: AnalysisResult
        var layout: LayoutSummary
        var power_curves: [PowerCurve]
        var order: OrderList
        var assumptions: [Assumption]
    }

    struct Generator: Encodable {
        var name: String
        var version: String
    }

    /// Pretty-printed JSON with sorted keys and a final newline.
    /// - Throws: `EncodingError.invalidValue` for a non-finite number.
    public static func render(_ model: ReportModel) throws -> String {
        let doc = Document(
            schema_version: ReportModel.schemaVersion,
            generator: Generator(name: "screenplan", version: model.version),
            design: model.design, design_figures: DesignFigures(model.design), analysis: model.analysis,
            layout: model.layout, power_curves: model.powerCurves, order: model.order,
            assumptions: model.assumptions)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(doc), as: UTF8.self) + "\n"
    }
}
