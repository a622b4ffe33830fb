import CHDF5
import Foundation

// MARK: - Counts from an .h5ad file (AnnData on HDF5)
//
// AnnData stores cells as observations (rows) and genes as variables. The counts are taken from
// `layers/counts`, else `X`, else `raw/X` (with `raw/var` names), the first whose leading values
// are whole numbers: a file whose candidates all hold non-integer values is normalised and is
// refused. Sparse matrices (`csr_matrix`, `csc_matrix` groups of data/indices/indptr) and dense
// datasets are read in slabs of 1 Mi values, so memory does not grow with the number of cells.

/// A counts matrix read from an .h5ad file.
public final class H5ADCounts: CountMatrix {
    public let path: String
    public let features: [String]
    public let cells: [String]?
    public let cellCount: Int
    public let entryCount: Int
    /// The HDF5 path of the matrix used (`layers/counts`, `X` or `raw/X`).
    public let matrixPath: String
    private let kind: Kind

    enum Kind { case csr, csc, dense }

    static let slab = 1 << 20

    public init(path: String) throws {
        self.path = path
        guard HDF5.initialised else {
            throw CalibrationInputError(file: path, "the HDF5 library cannot be initialised")
        }
        let file = H5Fopen(path, sp_h5f_acc_rdonly(), sp_h5p_default())
        guard file >= 0 else { throw CalibrationInputError(file: path, "not an HDF5 (.h5ad) file") }
        defer { H5Fclose(file) }
        let obs = try H5ADCounts.index(file, group: "obs", path: path)
        let candidates = ["layers/counts", "X", "raw/X"].filter { H5ADCounts.exists(file, $0) }
        guard !candidates.isEmpty else { throw CalibrationInputError(file: path, "holds no X, layers/counts or raw/X") }
        var chosen: (String, Kind, Int, [String])? = nil
        var rejected: [String] = []
        for candidate in candidates {
            let vars = try H5ADCounts.index(file, group: candidate == "raw/X" ? "raw/var" : "var", path: path)
            let kind = try H5ADCounts.kind(file, candidate, path: path)
            let dataPath = kind == .dense ? candidate : candidate + "/data"
            let probe = try H5ADCounts.readDoubles(file, dataPath, start: 0, count: 100_000, path: path)
            if let bad = probe.first(where: { $0 < 0 || $0 != $0.rounded() }) {
                rejected.append("\(candidate) holds \(bad)")
                continue
            }
            let nnz = kind == .dense ? obs.count * vars.count : try H5ADCounts.length(file, dataPath, path: path)
            chosen = (candidate, kind, nnz, vars)
            break
        }
        guard let (matrix, kind, nnz, vars) = chosen else {
            throw CalibrationInputError(
                file: path,
                "the counts are normalised (\(rejected.joined(separator: "; "))): calibrate needs raw UMI counts in layers/counts, X or raw/X"
            )
        }
        matrixPath = matrix
        self.kind = kind
        features = vars
        cells = obs
        cellCount = obs.count
        entryCount = nnz
        if kind != .dense {
            let indptr = try H5ADCounts.length(file, matrix + "/indptr", path: path)
            let expected = (kind == .csr ? obs.count : vars.count) + 1
            guard indptr == expected else {
                throw CalibrationInputError(
                    file: path,
                    "shape mismatch: \(matrix)/indptr has \(indptr) entries but \(kind == .csr ? "obs" : "var") has \(expected - 1) rows"
                )
            }
        }
        if vars.isEmpty || obs.isEmpty || nnz == 0 {
            throw CalibrationInputError(
                file: path, "the matrix \(matrix) is empty (\(obs.count) cells × \(vars.count) genes)")
        }
    }

    public func forEachEntry(_ body: (Int32, Int32, Int32) throws -> Void) throws {
        let file = H5Fopen(path, sp_h5f_acc_rdonly(), sp_h5p_default())
        guard file >= 0 else { throw CalibrationInputError(file: path, "cannot be reopened") }
        defer { H5Fclose(file) }
        let nf = features.count
        func check(_ v: Double, _ location: String) throws -> Int32 {
            guard v >= 0, v == v.rounded(), v < 2e9 else {
                throw CalibrationInputError(
                    file: path,
                    "\(matrixPath) holds \(v) at \(location): calibrate needs raw UMI counts, not normalised values")
            }
            return Int32(v)
        }
        switch kind {
        case .dense:
            let rowsPerSlab = max(1, H5ADCounts.slab / max(1, nf))
            var row = 0
            while row < cellCount {
                let n = min(rowsPerSlab, cellCount - row)
                let values = try H5ADCounts.readDenseRows(file, matrixPath, row: row, rows: n, cols: nf, path: path)
                for r in 0..<n {
                    for g in 0..<nf {
                        let v = values[r * nf + g]
                        if v != 0 {
                            try body(Int32(g), Int32(row + r), try check(v, "cell \(row + r + 1), gene \(g + 1)"))
                        }
                    }
                }
                row += n
            }
        case .csr, .csc:
            let indptr = try H5ADCounts.readInt64(file, matrixPath + "/indptr", start: 0, count: Int.max, path: path)
            let outer = indptr.count - 1
            var major = 0
            var start = 0
            while start < entryCount {
                let n = min(H5ADCounts.slab, entryCount - start)
                let data = try H5ADCounts.readDoubles(file, matrixPath + "/data", start: start, count: n, path: path)
                let index = try H5ADCounts.readInt64(file, matrixPath + "/indices", start: start, count: n, path: path)
                for k in 0..<n {
                    let position = start + k
                    while major < outer && Int(indptr[major + 1]) <= position { major += 1 }
                    let minor = Int(index[k])
                    let (g, c) = kind == .csr ? (minor, major) : (major, minor)
                    guard g >= 0 && g < nf && c >= 0 && c < cellCount else {
                        throw CalibrationInputError(
                            file: path, "\(matrixPath)/indices[\(position)] = \(minor) is outside the matrix")
                    }
                    let v = data[k]
                    if v != 0 { try body(Int32(g), Int32(c), try check(v, "cell \(c + 1), gene \(g + 1)")) }
                }
                start += n
            }
        }
    }

    // MARK: HDF5 helpers

    static func exists(_ file: hid_t, _ path: String) -> Bool {
        var prefix = ""
        for part in path.split(separator: "/") {
            prefix += (prefix.isEmpty ? "" : "/") + part
            if H5Lexists(file, prefix, sp_h5p_default()) <= 0 { return false }
        }
        return true
    }

    static func kind(_ file: hid_t, _ name: String, path: String) throws -> Kind {
        if exists(file, name + "/indptr") {
            let encoding = attributeString(file, name, "encoding-type") ?? ""
            if encoding.hasPrefix("csc") { return .csc }
            if encoding.hasPrefix("csr") { return .csr }
            // Older files without the attribute: h5sparse's `h5sparse_format`.
            return (attributeString(file, name, "h5sparse_format") ?? "csr").hasPrefix("csc") ? .csc : .csr
        }
        return .dense
    }

    /// A string attribute of an object (variable or fixed length), nil when absent.
    static func attributeString(_ file: hid_t, _ object: String, _ name: String) -> String? {
        guard H5Aexists_by_name(file, object, name, sp_h5p_default()) > 0 else { return nil }
        let a = H5Aopen_by_name(file, object, name, sp_h5p_default(), sp_h5p_default())
        guard a >= 0 else { return nil }
        defer { H5Aclose(a) }
        let t = H5Aget_type(a)
        defer { H5Tclose(t) }
        guard H5Tget_class(t) == H5T_STRING else { return nil }
        if H5Tis_variable_str(t) > 0 {
            var p: UnsafeMutablePointer<CChar>? = nil
            guard let mem = try? HDF5.utf8StringType() else { return nil }
            defer { H5Tclose(mem) }
            guard H5Aread(a, mem, &p) >= 0, let p else { return nil }
            defer { H5free_memory(p) }
            return String(cString: p)
        }
        let size = H5Tget_size(t)
        var bytes = [UInt8](repeating: 0, count: size + 1)
        guard H5Aread(a, t, &bytes) >= 0 else { return nil }
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// The index (names) of `obs`, `var` or `raw/var`: the dataset the group's `_index`
    /// attribute names, else `_index`.
    static func index(_ file: hid_t, group: String, path: String) throws -> [String] {
        let column = attributeString(file, group, "_index") ?? "_index"
        let name = group + "/" + column
        guard exists(file, name) else { throw CalibrationInputError(file: path, "has no \(name) (the \(group) names)") }
        return try readStrings(file, name, path: path)
    }

    static func openDataset(_ file: hid_t, _ name: String, path: String) throws -> hid_t {
        let d = H5Dopen2(file, name, sp_h5p_default())
        guard d >= 0 else { throw CalibrationInputError(file: path, "cannot open dataset \(name)") }
        return d
    }

    static func length(_ file: hid_t, _ name: String, path: String) throws -> Int {
        let d = try openDataset(file, name, path: path)
        defer { H5Dclose(d) }
        let s = H5Dget_space(d)
        defer { H5Sclose(s) }
        return Int(H5Sget_simple_extent_npoints(s))
    }

    static func readStrings(_ file: hid_t, _ name: String, path: String) throws -> [String] {
        let d = try openDataset(file, name, path: path)
        defer { H5Dclose(d) }
        let space = H5Dget_space(d)
        defer { H5Sclose(space) }
        let n = Int(H5Sget_simple_extent_npoints(space))
        let t = H5Dget_type(d)
        defer { H5Tclose(t) }
        guard H5Tget_class(t) == H5T_STRING else {
            throw CalibrationInputError(file: path, "\(name) is not a list of names")
        }
        if H5Tis_variable_str(t) > 0 {
            let mem = try HDF5.utf8StringType()
            defer { H5Tclose(mem) }
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: n)
            guard H5Dread(d, mem, sp_h5s_all(), sp_h5s_all(), sp_h5p_default(), &pointers) >= 0 else {
                throw CalibrationInputError(file: path, "cannot read \(name)")
            }
            let result = pointers.map { $0.map { String(cString: $0) } ?? "" }
            H5Dvlen_reclaim(mem, space, sp_h5p_default(), &pointers)
            return result
        }
        let size = H5Tget_size(t)
        var bytes = [UInt8](repeating: 0, count: n * size)
        guard H5Dread(d, t, sp_h5s_all(), sp_h5s_all(), sp_h5p_default(), &bytes) >= 0 else {
            throw CalibrationInputError(file: path, "cannot read \(name)")
        }
        return (0..<n).map { i in
            String(decoding: bytes[(i * size)..<((i + 1) * size)].prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    static func readSlab<T: BitwiseCopyable>(
        _ file: hid_t, _ name: String, start: Int, count: Int, zero: T, memType: hid_t, path: String
    ) throws -> [T] {
        let d = try openDataset(file, name, path: path)
        defer { H5Dclose(d) }
        let fileSpace = H5Dget_space(d)
        defer { H5Sclose(fileSpace) }
        let total = Int(H5Sget_simple_extent_npoints(fileSpace))
        let n = max(0, min(count, total - start))
        if n == 0 { return [] }
        var offset = [hsize_t(start)]
        var size = [hsize_t(n)]
        guard H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &offset, nil, &size, nil) >= 0 else {
            throw CalibrationInputError(file: path, "cannot select \(name)[\(start)..<\(start + n)]")
        }
        let memSpace = H5Screate_simple(1, &size, nil)
        defer { H5Sclose(memSpace) }
        var out = [T](repeating: zero, count: n)
        guard H5Dread(d, memType, memSpace, fileSpace, sp_h5p_default(), &out) >= 0 else {
            throw CalibrationInputError(file: path, "cannot read \(name)")
        }
        return out
    }

    static func readDoubles(_ file: hid_t, _ name: String, start: Int, count: Int, path: String) throws -> [Double] {
        if (try? kind(file, name, path: path)) == .dense, H5ADCounts.rank(file, name) == 2 {
            return try readDenseRows(file, name, row: 0, rows: 1, cols: nil, path: path)
        }
        return try readSlab(
            file, name, start: start, count: count, zero: 0.0, memType: sp_h5t_native_double(), path: path)
    }

    static func readInt64(_ file: hid_t, _ name: String, start: Int, count: Int, path: String) throws -> [Int64] {
        try readSlab(file, name, start: start, count: count, zero: Int64(0), memType: sp_h5t_native_int64(), path: path)
    }

    static func rank(_ file: hid_t, _ name: String) -> Int {
        let d = H5Dopen2(file, name, sp_h5p_default())
        guard d >= 0 else { return 0 }
        defer { H5Dclose(d) }
        let s = H5Dget_space(d)
        defer { H5Sclose(s) }
        return Int(H5Sget_simple_extent_ndims(s))
    }

    /// `rows` rows of a dense 2-D dataset from `row` (all columns).
    static func readDenseRows(_ file: hid_t, _ name: String, row: Int, rows: Int, cols: Int?, path: String) throws
        -> [Double]
    {
        let d = try openDataset(file, name, path: path)
        defer { H5Dclose(d) }
        let fileSpace = H5Dget_space(d)
        defer { H5Sclose(fileSpace) }
        var dims = [hsize_t](repeating: 0, count: 2)
        guard H5Sget_simple_extent_ndims(fileSpace) == 2 else {
            throw CalibrationInputError(file: path, "\(name) is not a 2-D matrix")
        }
        H5Sget_simple_extent_dims(fileSpace, &dims, nil)
        let ncol = Int(dims[1])
        if let cols, cols != ncol {
            throw CalibrationInputError(file: path, "shape mismatch: \(name) has \(ncol) columns, var has \(cols)")
        }
        let n = max(0, min(rows, Int(dims[0]) - row))
        var offset = [hsize_t(row), 0]
        var size = [hsize_t(n), hsize_t(ncol)]
        H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &offset, nil, &size, nil)
        let memSpace = H5Screate_simple(2, &size, nil)
        defer { H5Sclose(memSpace) }
        var out = [Double](repeating: 0, count: n * ncol)
        guard H5Dread(d, sp_h5t_native_double(), memSpace, fileSpace, sp_h5p_default(), &out) >= 0 else {
            throw CalibrationInputError(file: path, "cannot read \(name)")
        }
        return out
    }
}
