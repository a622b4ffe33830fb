import Foundation

// MARK: - Per-cell annotations of a pilot: batch and cell type
//
// A TSV with a header line: the first column names the cell (barcode), the others are
// annotations such as `bio_rep` or `cell_type`. Cells are matched by barcode when the counts list
// barcodes, else by order (then the table must have exactly one row per cell).

/// Batch and cell-type labels per cell of the counts matrix.
public struct CellTable: Sendable {
    /// Cell names from the table's first column, in table order.
    public var names: [String]
    /// Per counts cell: batch index into `batches` (−1 when the cell has no row).
    public var batch: [Int32]
    public var batches: [String]
    /// Per counts cell: cell-type index into `cellTypes` (−1 when not given).
    public var cellType: [Int32]
    public var cellTypes: [String]

    /// Reads `path`, taking the batch from `batchColumn` and the cell type from `typeColumn`.
    public static func read(
        path: String, batchColumn: String?, typeColumn: String?,
        countCells: [String]?, cellCount: Int
    ) throws -> CellTable {
        let rows = try LineReader.table(path)
        guard let header = rows.first else { throw CalibrationInputError(file: path, "the cell table is empty") }
        func column(_ name: String?) throws -> Int? {
            guard let name else { return nil }
            guard let i = header.fields.firstIndex(of: name) else {
                throw CalibrationInputError(
                    file: path, line: header.line,
                    "no column `\(name)` (columns: \(header.fields.joined(separator: ", ")))")
            }
            return i
        }
        let bc = try column(batchColumn)
        let tc = try column(typeColumn)
        let body = Array(rows.dropFirst())
        var names: [String] = []
        var order: [Int]  // table row of each counts cell
        if let countCells {
            let index = Dictionary(body.enumerated().map { ($1.fields[0], $0) }, uniquingKeysWith: { a, _ in a })
            order = countCells.map { index[$0] ?? -1 }
        } else {
            guard body.count == cellCount else {
                throw CalibrationInputError(
                    file: path, line: body.last?.line,
                    "shape mismatch: the cell table has \(body.count) rows but the counts have \(cellCount) cells")
            }
            order = Array(0..<cellCount)
        }
        names = body.map { $0.fields[0] }
        func labels(_ col: Int?) throws -> ([Int32], [String]) {
            guard let col else { return ([Int32](repeating: -1, count: cellCount), []) }
            var values: [String] = []
            var index: [String: Int32] = [:]
            var perRow = [Int32](repeating: -1, count: body.count)
            for (r, row) in body.enumerated() {
                guard col < row.fields.count else {
                    throw CalibrationInputError(
                        file: path, line: row.line,
                        "the row has \(row.fields.count) columns, the header \(header.fields.count)")
                }
                let v = row.fields[col]
                let k =
                    index[v]
                    ?? {
                        values.append(v)
                        index[v] = Int32(values.count - 1)
                        return Int32(values.count - 1)
                    }()
                perRow[r] = k
            }
            return (order.map { $0 >= 0 ? perRow[$0] : -1 }, values)
        }
        let (b, bs) = try labels(bc)
        let (t, ts) = try labels(tc)
        return CellTable(names: names, batch: b, batches: bs, cellType: t, cellTypes: ts)
    }
}
