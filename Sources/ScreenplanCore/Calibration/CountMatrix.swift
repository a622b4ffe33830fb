import Foundation

// MARK: - Count matrices: Matrix Market, 10x directories, .h5ad
//
// A `CountMatrix` is a features × cells matrix of whole-number counts (genes or gRNAs) with the
// feature names and, when known, the cell barcodes. `forEachEntry` streams its nonzero entries
// once per call; nothing but the names is held in memory. A Matrix Market file may be stored
// features × cells (10x, Seurat) or cells × features (scanpy's `mmwrite` of `adata.X`): the
// orientation is the one whose dimensions match the name lists.

/// A streamed matrix of counts, features × cells.
public protocol CountMatrix {
    /// The file (or directory) read, for messages.
    var path: String { get }
    /// Feature names (gene symbols or gRNA ids), one per row.
    var features: [String] { get }
    /// Cell barcodes, when the input lists them.
    var cells: [String]? { get }
    /// Number of cells (columns).
    var cellCount: Int { get }
    /// Nonzero entries announced by the file.
    var entryCount: Int { get }
    /// Calls `body(feature, cell, count)` for every nonzero entry, in file order. Throws
    /// `CalibrationInputError` for non-integer or negative counts and out-of-range indices.
    func forEachEntry(_ body: (Int32, Int32, Int32) throws -> Void) throws
}

/// Opens a counts input: a 10x directory, an .h5ad file, or a Matrix Market file with its
/// feature list (`features`) and optional barcodes.
public enum CountMatrixReader {
    public static func open(
        _ path: String, features: String? = nil, barcodes: String? = nil,
        role: String = "genes"
    ) throws -> CountMatrix {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CalibrationInputError(file: path, "no such file or directory")
        }
        if isDirectory.boolValue { return try tenX(path, role: role) }
        if path.hasSuffix(".h5ad") || path.hasSuffix(".h5") { return try H5ADCounts(path: path) }
        let featuresPath = try features ?? sibling(of: path, role: role)
        return try MatrixMarketCounts(path: path, featuresPath: featuresPath, barcodesPath: barcodes)
    }

    /// A 10x directory: matrix.mtx[.gz] with features.tsv[.gz] (or genes.tsv) and barcodes.tsv[.gz].
    static func tenX(_ dir: String, role: String) throws -> CountMatrix {
        func first(_ names: [String]) -> String? {
            names.map { (dir as NSString).appendingPathComponent($0) }.first {
                FileManager.default.fileExists(atPath: $0)
            }
        }
        guard let matrix = first(["matrix.mtx.gz", "matrix.mtx"]) else {
            throw CalibrationInputError(file: dir, "a 10x directory needs matrix.mtx or matrix.mtx.gz")
        }
        guard let features = first(["features.tsv.gz", "features.tsv", "genes.tsv.gz", "genes.tsv"]) else {
            throw CalibrationInputError(file: dir, "a 10x directory needs features.tsv[.gz] or genes.tsv")
        }
        return try MatrixMarketCounts(
            path: matrix, featuresPath: features,
            barcodesPath: first(["barcodes.tsv.gz", "barcodes.tsv"]))
    }

    /// The feature list next to a bare Matrix Market file: `genes.txt`, `features.tsv`… (or
    /// `grnas.txt` for guides), or `<name>.genes.txt`.
    static func sibling(of path: String, role: String) throws -> String {
        let dir = (path as NSString).deletingLastPathComponent
        var stem = (path as NSString).lastPathComponent
        for suffix in [".gz", ".mtx"] where stem.hasSuffix(suffix) { stem = String(stem.dropLast(suffix.count)) }
        let names =
            role == "guides"
            ? ["\(stem).grnas.txt", "grnas.txt", "guides.txt", "features.tsv.gz", "features.tsv"]
            : ["\(stem).genes.txt", "genes.txt", "features.tsv.gz", "features.tsv", "genes.tsv"]
        for name in names {
            let p = dir.isEmpty ? name : (dir as NSString).appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: p) { return p }
        }
        throw CalibrationInputError(
            file: path,
            "a Matrix Market file needs its \(role == "guides" ? "gRNA" : "gene") list: none of \(names.joined(separator: ", ")) is next to it (or pass --\(role == "guides" ? "guide" : "gene")-names)"
        )
    }

    /// The gRNA list next to a bare Matrix Market gRNA file (for messages naming its lines).
    public static func siblingPath(of path: String) throws -> String { try sibling(of: path, role: "guides") }

    /// Names from a list file: one a line, or the second column of a 10x features table (the
    /// symbol) when it has several columns.
    static func names(_ path: String) throws -> [String] {
        let rows = try LineReader.table(path)
        return rows.map { row in
            let f = row.fields
            return f.count >= 2 && !f[1].isEmpty ? f[1] : f[0]
        }
    }
}

/// A Matrix Market coordinate file (`%%MatrixMarket matrix coordinate integer|real|pattern general`).
public final class MatrixMarketCounts: CountMatrix {
    public let path: String
    public let features: [String]
    public let cells: [String]?
    public let cellCount: Int
    public let entryCount: Int
    /// True when rows are cells and columns features.
    let transposed: Bool
    let pattern: Bool

    public init(path: String, featuresPath: String, barcodesPath: String?) throws {
        self.path = path
        features = try CountMatrixReader.names(featuresPath)
        cells = try barcodesPath.map { try LineReader.table($0).map { $0.fields[0] } }
        let reader = try LineReader(path: path)
        guard let header = try reader.nextString() else { throw CalibrationInputError(file: path, "the file is empty") }
        let words = header.lowercased().split(separator: " ").map(String.init)
        guard words.count >= 4, words[0] == "%%matrixmarket", words[1] == "matrix", words[2] == "coordinate" else {
            throw CalibrationInputError(file: path, line: 1, "not a Matrix Market coordinate file (header `\(header)`)")
        }
        guard ["integer", "real", "pattern", "double"].contains(words[3]) else {
            throw CalibrationInputError(
                file: path, line: 1, "Matrix Market field `\(words[3])` is not counts (integer, real or pattern)")
        }
        pattern = words[3] == "pattern"
        var size: (Int, Int, Int)? = nil
        while size == nil,
            let parsed = try reader.next({ bytes -> (Int, Int, Int)?? in
                if bytes.isEmpty || bytes[0] == 37 { return .some(nil) }
                var s = FieldScanner(bytes)
                guard let r = s.integer(), let c = s.integer(), let n = s.integer(), s.atEnd() else { return .none }
                return .some((r, c, n))
            })
        {
            guard let value = parsed else {
                throw CalibrationInputError(
                    file: path, line: reader.lineNumber, "the size line must be `rows columns entries`")
            }
            size = value
        }
        guard let (rows, cols, nnz) = size else { throw CalibrationInputError(file: path, "no size line") }
        if let cells {
            if rows == features.count && cols == cells.count {
                transposed = false
            } else if rows == cells.count && cols == features.count {
                transposed = true
            } else {
                throw CalibrationInputError(
                    file: path, line: reader.lineNumber,
                    "shape mismatch: the matrix is \(rows) × \(cols) but there are \(features.count) features (\(featuresPath)) and \(cells.count) cells (\(barcodesPath!))"
                )
            }
        } else if rows == features.count {
            transposed = false
        } else if cols == features.count {
            transposed = true
        } else {
            throw CalibrationInputError(
                file: path, line: reader.lineNumber,
                "shape mismatch: the matrix is \(rows) × \(cols) but \(featuresPath) lists \(features.count) features")
        }
        cellCount = transposed ? rows : cols
        entryCount = nnz
        if features.isEmpty || cellCount == 0 || nnz == 0 {
            throw CalibrationInputError(
                file: path, line: reader.lineNumber, "the matrix is empty (\(rows) × \(cols), \(nnz) entries)")
        }
    }

    public func forEachEntry(_ body: (Int32, Int32, Int32) throws -> Void) throws {
        let reader = try LineReader(path: path)
        var sizeSeen = false
        var count = 0
        let nf = features.count
        let nc = cellCount
        let file = path
        let isPattern = pattern
        let t = transposed
        while let ok = try reader.next({ bytes -> Bool in
            if bytes.isEmpty || bytes[0] == 37 { return true }
            if !sizeSeen {
                sizeSeen = true
                return true
            }
            var s = FieldScanner(bytes)
            guard let a = s.integer(), let b = s.integer() else {
                throw CalibrationInputError(file: file, line: reader.lineNumber, "an entry must be `row column value`")
            }
            var v = 1
            if !isPattern {
                guard let x = s.number(), s.atEnd() else {
                    throw CalibrationInputError(
                        file: file, line: reader.lineNumber, "an entry must be `row column value`")
                }
                guard x >= 0, x == x.rounded(), x < 2e9 else {
                    throw CalibrationInputError(
                        file: file, line: reader.lineNumber,
                        "count \(x) is not a whole non-negative number: calibrate needs raw UMI counts, not normalised values"
                    )
                }
                v = Int(x)
            }
            let (f, c) = t ? (b, a) : (a, b)
            guard f >= 1 && f <= nf && c >= 1 && c <= nc else {
                throw CalibrationInputError(
                    file: file, line: reader.lineNumber,
                    "entry (\(a), \(b)) is outside the \(t ? nc : nf) × \(t ? nf : nc) matrix")
            }
            count += 1
            if v > 0 { try body(Int32(f - 1), Int32(c - 1), Int32(v)) }
            return true
        }) { _ = ok }
        if count != entryCount {
            throw CalibrationInputError(
                file: path, line: reader.lineNumber,
                "the size line announces \(entryCount) entries but the file holds \(count)")
        }
    }
}
