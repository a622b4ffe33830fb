import Foundation

// MARK: - Report formats and the one entry point that renders and writes them

/// The formats `screenplan report` writes, chosen by the output file's extension.
public enum ReportFormat: String, CaseIterable, Sendable {
    case markdown = "md"
    case html
    case json
    case csv
    case tsv

    /// The file extensions accepted, in the order help texts list them.
    public static var extensions: [String] { allCases.map(\.rawValue) }

    /// The format for a file name's extension (case-insensitive), or nil when it is not a report.
    public init?(path: String) {
        let ext = (path as NSString).pathExtension.lowercased()
        self.init(rawValue: ext)
    }
}

/// Renders report models into text. Pure: the same model gives the same bytes.
public enum ReportRenderer {
    /// The report of `model` in `format`.
    /// - Throws: `EncodingError` when the JSON holds a non-finite number (NaN power, infinite sd).
    public static func render(_ model: ReportModel, as format: ReportFormat) throws -> String {
        switch format {
        case .markdown: return MarkdownReport.render(model)
        case .html: return HTMLReport.render(model)
        case .json: return try JSONReport.render(model)
        case .csv: return PerturbationTable.render(model.analysis.perturbations, separator: ",")
        case .tsv: return PerturbationTable.render(model.analysis.perturbations, separator: "\t")
        }
    }

    /// Renders `model` in the format given by `path`'s extension and writes it atomically.
    /// - Returns: the format written.
    /// - Throws: `ReportPathError` for an unknown extension; `FileWriteError` when writing fails.
    @discardableResult
    public static func write(_ model: ReportModel, to path: String) throws -> ReportFormat {
        guard let format = ReportFormat(path: path) else { throw ReportPathError(path: path) }
        try writeAtomically(try render(model, as: format), to: path)
        return format
    }
}

/// The output path has no report extension.
public struct ReportPathError: Error, CustomStringConvertible {
    public var path: String

    public init(path: String) { self.path = path }

    public var description: String {
        "\(path): unknown report format; use one of " + ReportFormat.extensions.map { "." + $0 }.joined(separator: ", ")
    }
}
