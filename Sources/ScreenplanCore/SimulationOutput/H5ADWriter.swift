import CHDF5
import Foundation

// MARK: - AnnData (.h5ad) writer, streaming
//
// Follows the AnnData on-disk specification (anndata.readthedocs.io, "On-disk format"):
//   /            attrs encoding-type "anndata", encoding-version "0.1.0"
//   /X           CSR matrix group: data (float32), indices and indptr (int64);
//                attrs encoding-type "csr_matrix", encoding-version "0.1.0", shape [n_obs, n_var]
//   /obs, /var   dataframes: attrs encoding-type "dataframe", encoding-version "0.2.0",
//                _index "_index", column-order [...]; an `_index` string array and one element
//                per column: categoricals (codes + categories, encoding "categorical" 0.2.0),
//                numeric or boolean arrays ("array" 0.2.0) or string arrays ("string-array"
//                0.2.0); var has `is_regulator` (bool)
//   /uns         dict of scalars (design YAML, seed, version)
//   /obsm /varm /obsp /varp /layers   empty dicts
// Rows are appended block by block into chunked, unlimited datasets, so memory holds one block
// plus the categories seen so far, whatever the number of cells. The file is written under a
// temporary name and renamed into place by `finish()`, so a crash never leaves a half file.

/// A per-cell metadata column of obs.
public struct H5ADColumn: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// Strings stored as a categorical; categories listed here come first in this order,
        /// others are added in order of first appearance.
        case categorical(categories: [String])
        /// Numbers stored as float64.
        case number
        /// Booleans (h5py's enum encoding).
        case boolean
        /// Free text (a string array, for values that need not repeat, e.g. a cell's guides).
        case string
    }

    public var name: String
    public var kind: Kind

    public init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }

    public static func categorical(_ name: String, categories: [String] = []) -> H5ADColumn {
        H5ADColumn(name: name, kind: .categorical(categories: categories))
    }

    public static func number(_ name: String) -> H5ADColumn { H5ADColumn(name: name, kind: .number) }
    public static func boolean(_ name: String) -> H5ADColumn { H5ADColumn(name: name, kind: .boolean) }
    public static func string(_ name: String) -> H5ADColumn { H5ADColumn(name: name, kind: .string) }
}

/// A block of cells: their names, metadata and counts as CSR rows.
public struct H5ADBlock: Sendable {
    /// Cell names (barcodes), one per row.
    public var obsNames: [String]
    /// Values of categorical and string columns, by column name, one per cell.
    public var categorical: [String: [String]]
    /// Values of numeric columns, by column name, one per cell.
    public var numeric: [String: [Double]]
    /// Values of boolean columns, by column name, one per cell.
    public var boolean: [String: [Bool]]
    /// Row pointers into `indices`/`data`, block-local: `indptr[0] == 0`, `indptr.count == cells + 1`.
    public var indptr: [Int]
    /// Gene (column) indices of the stored values, ascending within each row.
    public var indices: [Int32]
    /// Stored counts.
    public var data: [Float]

    public init(
        obsNames: [String], categorical: [String: [String]], numeric: [String: [Double]],
        boolean: [String: [Bool]] = [:], indptr: [Int], indices: [Int32], data: [Float]
    ) {
        self.obsNames = obsNames
        self.categorical = categorical
        self.numeric = numeric
        self.boolean = boolean
        self.indptr = indptr
        self.indices = indices
        self.data = data
    }

    public var cellCount: Int { obsNames.count }
}

/// A scalar stored in uns.
public enum H5ADScalar: Equatable, Sendable {
    case string(String)
    case integer(Int64)
    case unsigned(UInt64)
    case number(Double)
}

/// The writer was given inconsistent data: which part of it, with the sizes that disagree.
public enum H5ADError: Error, Equatable, Sendable, CustomStringConvertible {
    /// One is_regulator flag per gene is needed.
    case regulatorFlags(genes: Int, flags: Int)
    /// obs column names repeat or use the reserved `_index`.
    case columnNames([String])
    /// `append` after `finish`.
    case appendAfterFinish
    /// A block's CSR arrays do not fit together.
    case blockShape(cells: Int, rowPointers: Int, lastPointer: Int, indices: Int, values: Int)
    /// Row pointers decrease at a cell (global index).
    case rowPointersDecrease(cell: Int)
    /// A gene index outside the genes.
    case geneIndex(Int32, genes: Int32)
    /// An obs column is missing from a block or has the wrong length.
    case column(name: String, cells: Int)

    /// The sentence a user reads (the command prints it; tests check its wording).
    public var message: String {
        switch self {
        case .regulatorFlags(let genes, let flags): "\(genes) genes but \(flags) is_regulator flags"
        case .columnNames(let names): "obs column names must be unique and not `_index`: \(names)"
        case .appendAfterFinish: "append after finish"
        case .blockShape(let n, let pointers, let last, let indices, let values):
            "block of \(n) cells has \(pointers) row pointers ending at \(last), \(indices) indices and \(values) values"
        case .rowPointersDecrease(let cell): "row pointers decrease at cell \(cell)"
        case .geneIndex(let bad, let g): "gene index \(bad) outside 0..<\(g)"
        case .column(let name, let n): "obs column `\(name)` missing or not \(n) values long"
        }
    }

    /// The message with its `h5ad:` prefix, as the error is printed.
    public var description: String { "h5ad: \(message)" }
}

/// Streams cells into an .h5ad file. Not thread-safe; use from one task.
///
/// ```
/// let w = try H5ADWriter(path: "sim.h5ad", genes: names, isRegulator: flags, columns: [...])
/// for block in blocks { try w.append(block) }
/// try w.finish(uns: [("design", .string(yaml)), ("seed", .unsigned(seed))])
/// ```
public final class H5ADWriter {
    public let path: String
    public let genes: [String]
    public let columns: [H5ADColumn]
    /// Cells written so far.
    public private(set) var cellCount = 0
    /// Stored values written so far.
    public private(set) var storedCount = 0

    private let temporaryPath: String
    private var file: hid_t = -1
    private var groups: [hid_t] = []
    private var obsGroup: hid_t = -1
    private var xGroup: hid_t = -1
    private var data: HDF5AppendableArray!
    private var indices: HDF5AppendableArray!
    private var indptr: HDF5AppendableArray!
    private var obsIndex: HDF5AppendableArray!
    private var codes: [String: HDF5AppendableArray] = [:]
    private var numbers: [String: HDF5AppendableArray] = [:]
    private var texts: [String: HDF5AppendableArray] = [:]
    private var flags: [String: HDF5AppendableArray] = [:]
    private var categoryIndex: [String: [String: Int32]] = [:]
    private var categoryList: [String: [String]] = [:]
    private var finished = false

    /// Creates the file (under a temporary name until `finish()`) and writes var.
    /// - Parameters:
    ///   - genes: gene names (var index), in column order.
    ///   - isRegulator: for each gene, whether it regulates others in the network.
    ///   - columns: the obs columns every block carries.
    ///   - chunk: elements per HDF5 chunk of the growing datasets.
    /// - Throws: `H5ADError` for inconsistent inputs, `HDF5Error` when the file cannot be made.
    public init(path: String, genes: [String], isRegulator: [Bool], columns: [H5ADColumn], chunk: Int = 65_536) throws {
        guard HDF5.initialised else { throw HDF5Error(operation: "H5open", object: path) }
        guard genes.count == isRegulator.count else {
            throw H5ADError.regulatorFlags(genes: genes.count, flags: isRegulator.count)
        }
        let names = columns.map(\.name)
        guard Set(names).count == names.count, !names.contains("_index") else {
            throw H5ADError.columnNames(names)
        }
        self.path = path
        self.genes = genes
        self.columns = columns
        let url = URL(fileURLWithPath: path)
        temporaryPath =
            url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())").path
        let f = try HDF5.check(
            H5Fcreate(temporaryPath, sp_h5f_acc_trunc(), sp_h5p_default(), sp_h5p_default()), "H5Fcreate", path)
        file = f
        do {
            try HDF5.setEncoding(f, "anndata", "0.1.0")
            // X: CSR, grown row block by row block.
            xGroup = try HDF5.createGroup(f, "X")
            try HDF5.setEncoding(xGroup, "csr_matrix", "0.1.0")
            data = try HDF5AppendableArray(
                xGroup, "data", fileType: sp_h5t_ieee_f32le(), memType: sp_h5t_native_float(), chunk: chunk)
            // Indices share indptr's int64 type: scipy's sparse routines need one index type, and
            // the stored-value count of a large screen can pass 2^31.
            indices = try HDF5AppendableArray(
                xGroup, "indices", fileType: sp_h5t_std_i64le(), memType: sp_h5t_native_int64(), chunk: chunk)
            indptr = try HDF5AppendableArray(
                xGroup, "indptr", fileType: sp_h5t_std_i64le(), memType: sp_h5t_native_int64(), chunk: max(1, chunk / 4)
            )
            try indptr.append([Int64(0)])
            // obs: index and columns grow with the cells; categories are written at the end.
            obsGroup = try HDF5.createGroup(f, "obs")
            let stringType = try HDF5.utf8StringType()
            obsIndex = try HDF5AppendableArray(
                obsGroup, "_index", fileType: stringType, memType: stringType,
                ownsMemType: true, chunk: max(1, chunk / 16))
            for column in columns {
                switch column.kind {
                case .categorical(let categories):
                    var index: [String: Int32] = [:]
                    var list: [String] = []
                    for c in categories where index[c] == nil {
                        index[c] = Int32(list.count)
                        list.append(c)
                    }
                    categoryIndex[column.name] = index
                    categoryList[column.name] = list
                    let g = try HDF5.createGroup(obsGroup, column.name)
                    groups.append(g)
                    try HDF5.setEncoding(g, "categorical", "0.2.0")
                    try HDF5.setAttribute(g, "ordered", bool: false)
                    codes[column.name] = try HDF5AppendableArray(
                        g, "codes", fileType: sp_h5t_std_i32le(),
                        memType: sp_h5t_native_int32(), chunk: max(1, chunk / 4))
                case .number:
                    numbers[column.name] = try HDF5AppendableArray(
                        obsGroup, column.name, fileType: sp_h5t_ieee_f64le(),
                        memType: sp_h5t_native_double(), chunk: max(1, chunk / 8))
                case .boolean:
                    let type = try HDF5.boolType()
                    flags[column.name] = try HDF5AppendableArray(
                        obsGroup, column.name, fileType: type, memType: type,
                        ownsMemType: true, chunk: max(1, chunk / 4))
                case .string:
                    let type = try HDF5.utf8StringType()
                    texts[column.name] = try HDF5AppendableArray(
                        obsGroup, column.name, fileType: type, memType: type,
                        ownsMemType: true, chunk: max(1, chunk / 16))
                }
            }
            try writeVar(isRegulator: isRegulator)
            for name in ["obsm", "varm", "obsp", "varp", "layers"] {
                let g = try HDF5.createGroup(f, name)
                try HDF5.setEncoding(g, "dict", "0.1.0")
                H5Gclose(g)
            }
        } catch {
            closeAll()
            unlink(temporaryPath)
            throw error
        }
    }

    deinit {
        if !finished {
            closeAll()
            unlink(temporaryPath)
        }
    }

    // MARK: - Appending cells

    /// Appends a block of cells.
    /// - Throws: `H5ADError` when the block is inconsistent (lengths, pointers, gene indices or
    ///   missing columns); `HDF5Error` when writing fails.
    /// - Complexity: O(cells + stored values of the block).
    public func append(_ block: H5ADBlock) throws {
        guard !finished else { throw H5ADError.appendAfterFinish }
        let n = block.cellCount
        guard block.indptr.count == n + 1, block.indptr.first == 0, block.indptr.last == block.data.count,
            block.indices.count == block.data.count
        else {
            throw H5ADError.blockShape(
                cells: n, rowPointers: block.indptr.count, lastPointer: block.indptr.last ?? -1,
                indices: block.indices.count, values: block.data.count)
        }
        for i in 0..<n where block.indptr[i] > block.indptr[i + 1] {
            throw H5ADError.rowPointersDecrease(cell: cellCount + i)
        }
        let g = Int32(genes.count)
        if let bad = block.indices.first(where: { $0 < 0 || $0 >= g }) {
            throw H5ADError.geneIndex(bad, genes: g)
        }
        var blockCodes: [String: [Int32]] = [:]
        for column in columns {
            switch column.kind {
            case .categorical:
                guard let values = block.categorical[column.name], values.count == n else {
                    throw H5ADError.column(name: column.name, cells: n)
                }
                var index = categoryIndex[column.name] ?? [:]
                var list = categoryList[column.name] ?? []
                var out = [Int32](repeating: 0, count: n)
                for (i, v) in values.enumerated() {
                    if let c = index[v] {
                        out[i] = c
                    } else {
                        let c = Int32(list.count)
                        index[v] = c
                        list.append(v)
                        out[i] = c
                    }
                }
                categoryIndex[column.name] = index
                categoryList[column.name] = list
                blockCodes[column.name] = out
            case .number:
                guard let values = block.numeric[column.name], values.count == n else {
                    throw H5ADError.column(name: column.name, cells: n)
                }
            case .boolean:
                guard let values = block.boolean[column.name], values.count == n else {
                    throw H5ADError.column(name: column.name, cells: n)
                }
            case .string:
                guard let values = block.categorical[column.name], values.count == n else {
                    throw H5ADError.column(name: column.name, cells: n)
                }
            }
        }
        try data.append(block.data)
        try indices.append(block.indices.map { Int64($0) })
        let offset = Int64(storedCount)
        try indptr.append(block.indptr.dropFirst().map { Int64($0) + offset })
        try obsIndex.append(strings: block.obsNames)
        // In column order (not dictionary order), so the same blocks give the same bytes.
        for column in columns {
            if let values = blockCodes[column.name] { try codes[column.name]!.append(values) }
            if let array = numbers[column.name] { try array.append(block.numeric[column.name]!) }
            if let array = flags[column.name] { try array.append(block.boolean[column.name]!.map { Int8($0 ? 1 : 0) }) }
            if let array = texts[column.name] { try array.append(strings: block.categorical[column.name]!) }
        }
        cellCount += n
        storedCount += block.data.count
    }

    // MARK: - Finishing

    /// Writes the categories, the matrix shape, obs attributes and uns; closes the file and
    /// moves it to `path`.
    /// - Parameter uns: unstructured metadata, written in this order (keys must be unique).
    public func finish(uns: [(String, H5ADScalar)]) throws {
        guard !finished else { return }
        do {
            try HDF5.setAttribute(xGroup, "shape", integers: [Int64(cellCount), Int64(genes.count)])
            try HDF5.setEncoding(obsGroup, "dataframe", "0.2.0")
            try HDF5.setAttribute(obsGroup, "_index", string: "_index")
            try HDF5.setAttribute(obsGroup, "column-order", strings: columns.map(\.name))
            try HDF5.setEncoding(obsIndex.id, "string-array", "0.2.0")
            for column in columns {
                switch column.kind {
                case .categorical:
                    let g = try HDF5.check(H5Gopen2(obsGroup, column.name, sp_h5p_default()), "H5Gopen2", column.name)
                    defer { H5Gclose(g) }
                    let c = try HDF5.writeStrings(g, "categories", categoryList[column.name] ?? [])
                    try HDF5.setEncoding(c, "string-array", "0.2.0")
                    H5Dclose(c)
                    try HDF5.setEncoding(codes[column.name]!.id, "array", "0.2.0")
                case .number:
                    try HDF5.setEncoding(numbers[column.name]!.id, "array", "0.2.0")
                case .boolean:
                    try HDF5.setEncoding(flags[column.name]!.id, "array", "0.2.0")
                case .string:
                    try HDF5.setEncoding(texts[column.name]!.id, "string-array", "0.2.0")
                }
            }
            let u = try HDF5.createGroup(file, "uns")
            defer { H5Gclose(u) }
            try HDF5.setEncoding(u, "dict", "0.1.0")
            for (key, value) in uns {
                let d: hid_t
                switch value {
                case .string(let s):
                    d = try HDF5.writeScalarString(u, key, s)
                    try HDF5.setEncoding(d, "string", "0.2.0")
                case .integer(let v):
                    d = try HDF5.writeScalar(u, key, v, fileType: sp_h5t_std_i64le(), memType: sp_h5t_native_int64())
                    try HDF5.setEncoding(d, "numeric-scalar", "0.2.0")
                case .unsigned(let v):
                    d = try HDF5.writeScalar(u, key, v, fileType: sp_h5t_std_u64le(), memType: sp_h5t_native_uint64())
                    try HDF5.setEncoding(d, "numeric-scalar", "0.2.0")
                case .number(let v):
                    d = try HDF5.writeScalar(u, key, v, fileType: sp_h5t_ieee_f64le(), memType: sp_h5t_native_double())
                    try HDF5.setEncoding(d, "numeric-scalar", "0.2.0")
                }
                H5Dclose(d)
            }
        } catch {
            closeAll()
            unlink(temporaryPath)
            finished = true
            throw error
        }
        let closed = closeAll()
        finished = true
        guard closed else {
            unlink(temporaryPath)
            throw FileWriteError(path: path, reason: "the HDF5 file could not be completed (is the disk full?)")
        }
        if rename(temporaryPath, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw FileWriteError(path: path, reason: reason)
        }
    }

    // MARK: - Pieces

    private func writeVar(isRegulator: [Bool]) throws {
        let v = try HDF5.createGroup(file, "var")
        defer { H5Gclose(v) }
        try HDF5.setEncoding(v, "dataframe", "0.2.0")
        try HDF5.setAttribute(v, "_index", string: "_index")
        try HDF5.setAttribute(v, "column-order", strings: ["is_regulator"])
        let index = try HDF5.writeStrings(v, "_index", genes)
        try HDF5.setEncoding(index, "string-array", "0.2.0")
        H5Dclose(index)
        let boolType = try HDF5.boolType()
        defer { H5Tclose(boolType) }
        let flags = try HDF5.writeArray(
            v, "is_regulator", isRegulator.map { Int8($0 ? 1 : 0) }, fileType: boolType, memType: boolType)
        try HDF5.setEncoding(flags, "array", "0.2.0")
        H5Dclose(flags)
    }

    /// Closes everything; false when the file itself could not be closed (its last writes
    /// failed, e.g. on a full disk), so the caller must not keep it.
    @discardableResult
    private func closeAll() -> Bool {
        guard file >= 0 else { return true }
        data?.close()
        indices?.close()
        indptr?.close()
        obsIndex?.close()
        for column in columns {
            codes[column.name]?.close()
            numbers[column.name]?.close()
            flags[column.name]?.close()
            texts[column.name]?.close()
        }
        for g in groups { H5Gclose(g) }
        if obsGroup >= 0 { H5Gclose(obsGroup) }
        if xGroup >= 0 { H5Gclose(xGroup) }
        let status = H5Fclose(file)
        file = -1
        if status < 0 { HDF5Library.closeFailed = true }
        return status >= 0
    }
}
