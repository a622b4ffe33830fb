import CHDF5
import Foundation

// MARK: - A thin layer over the HDF5 C library
//
// One Swift function per kind of HDF5 object the AnnData writer needs. Every call's status is
// checked: a negative id or status becomes an `HDF5Error` naming the operation and the object,
// and HDF5's own error-stack printing is turned off (screenplan reports errors itself).
// The serial HDF5 build is not thread-safe: one writer belongs to one thread at a time.

/// An HDF5 call failed.
public struct HDF5Error: Error, CustomStringConvertible {
    public var operation: String
    public var object: String
    public var description: String { "HDF5: \(operation) failed for \(object)" }
}

/// The state of libhdf5 in this process, for the exit path.
public enum HDF5Library {
    /// A file could not be closed (its last writes failed, e.g. on a full disk). libhdf5 keeps
    /// such a file half-closed, and its atexit handler then segfaults closing it again (issue 17),
    /// so the process must leave with `_exit` after flushing its own output.
    nonisolated(unsafe) public static var closeFailed = false
}

enum HDF5 {
    /// Fails once when the library cannot be initialised; otherwise silences the error stack.
    static let initialised: Bool = {
        guard H5open() >= 0 else { return false }
        sp_h5_silence_errors()
        return true
    }()

    @discardableResult
    static func check(_ id: hid_t, _ operation: String, _ object: String) throws -> hid_t {
        if id < 0 { throw HDF5Error(operation: operation, object: object) }
        return id
    }

    static func check(_ status: herr_t, _ operation: String, _ object: String) throws {
        if status < 0 { throw HDF5Error(operation: operation, object: object) }
    }

    // MARK: Types

    /// Variable-length UTF-8 string type (what h5py writes for `str`). Caller closes it.
    static func utf8StringType() throws -> hid_t {
        let t = try check(H5Tcopy(sp_h5t_c_s1()), "H5Tcopy", "string type")
        try check(H5Tset_size(t, sp_h5t_variable()), "H5Tset_size", "string type")
        try check(H5Tset_cset(t, H5T_CSET_UTF8), "H5Tset_cset", "string type")
        return t
    }

    /// h5py's boolean: an int8 enum with FALSE = 0 and TRUE = 1. Caller closes it.
    static func boolType() throws -> hid_t {
        let t = try check(H5Tenum_create(sp_h5t_native_int8()), "H5Tenum_create", "bool type")
        var no: Int8 = 0
        var yes: Int8 = 1
        try check(H5Tenum_insert(t, "FALSE", &no), "H5Tenum_insert", "bool type")
        try check(H5Tenum_insert(t, "TRUE", &yes), "H5Tenum_insert", "bool type")
        return t
    }

    // MARK: Groups and attributes

    static func createGroup(_ parent: hid_t, _ name: String) throws -> hid_t {
        let plist = try check(H5Pcreate(sp_h5p_group_create()), "H5Pcreate", name)
        defer { H5Pclose(plist) }
        try check(H5Pset_obj_track_times(plist, false), "H5Pset_obj_track_times", name)
        return try check(H5Gcreate2(parent, name, sp_h5p_default(), plist, sp_h5p_default()), "H5Gcreate2", name)
    }

    /// Dataset creation properties without modification times, so the same data give the same
    /// bytes. Caller closes it.
    static func datasetPlist(_ name: String) throws -> hid_t {
        let plist = try check(H5Pcreate(sp_h5p_dataset_create()), "H5Pcreate", name)
        try check(H5Pset_obj_track_times(plist, false), "H5Pset_obj_track_times", name)
        return plist
    }

    static func createDataset(_ parent: hid_t, _ name: String, _ type: hid_t, _ space: hid_t) throws -> hid_t {
        let plist = try datasetPlist(name)
        defer { H5Pclose(plist) }
        return try check(
            H5Dcreate2(parent, name, type, space, sp_h5p_default(), plist, sp_h5p_default()), "H5Dcreate2", name)
    }

    /// Calls `body` with C strings for `strings` (valid only during the call).
    static func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) throws -> R) rethrows -> R {
        let owned = strings.map { strdup($0) }
        defer { owned.forEach { free($0) } }
        return try body(owned.map { UnsafePointer($0) })
    }

    /// A scalar variable-length UTF-8 string attribute.
    static func setAttribute(_ object: hid_t, _ name: String, string value: String) throws {
        let type = try utf8StringType()
        defer { H5Tclose(type) }
        let space = try check(H5Screate(H5S_SCALAR), "H5Screate", name)
        defer { H5Sclose(space) }
        let attr = try check(
            H5Acreate2(object, name, type, space, sp_h5p_default(), sp_h5p_default()), "H5Acreate2", name)
        defer { H5Aclose(attr) }
        try withCStrings([value]) { ptrs in
            try check(ptrs.withUnsafeBufferPointer { H5Awrite(attr, type, $0.baseAddress) }, "H5Awrite", name)
        }
    }

    /// A one-dimensional attribute of variable-length UTF-8 strings (may be empty).
    static func setAttribute(_ object: hid_t, _ name: String, strings values: [String]) throws {
        let type = try utf8StringType()
        defer { H5Tclose(type) }
        var dims: [hsize_t] = [hsize_t(values.count)]
        let space = try check(H5Screate_simple(1, &dims, nil), "H5Screate_simple", name)
        defer { H5Sclose(space) }
        let attr = try check(
            H5Acreate2(object, name, type, space, sp_h5p_default(), sp_h5p_default()), "H5Acreate2", name)
        defer { H5Aclose(attr) }
        if values.isEmpty { return }
        try withCStrings(values) { ptrs in
            try check(ptrs.withUnsafeBufferPointer { H5Awrite(attr, type, $0.baseAddress) }, "H5Awrite", name)
        }
    }

    /// A one-dimensional int64 attribute (e.g. a matrix shape).
    static func setAttribute(_ object: hid_t, _ name: String, integers values: [Int64]) throws {
        var dims: [hsize_t] = [hsize_t(values.count)]
        let space = try check(H5Screate_simple(1, &dims, nil), "H5Screate_simple", name)
        defer { H5Sclose(space) }
        let attr = try check(
            H5Acreate2(object, name, sp_h5t_std_i64le(), space, sp_h5p_default(), sp_h5p_default()), "H5Acreate2", name)
        defer { H5Aclose(attr) }
        try check(
            values.withUnsafeBufferPointer { H5Awrite(attr, sp_h5t_native_int64(), $0.baseAddress) }, "H5Awrite", name)
    }

    /// A scalar boolean attribute (h5py's enum encoding).
    static func setAttribute(_ object: hid_t, _ name: String, bool value: Bool) throws {
        let type = try boolType()
        defer { H5Tclose(type) }
        let space = try check(H5Screate(H5S_SCALAR), "H5Screate", name)
        defer { H5Sclose(space) }
        let attr = try check(
            H5Acreate2(object, name, type, space, sp_h5p_default(), sp_h5p_default()), "H5Acreate2", name)
        defer { H5Aclose(attr) }
        var v: Int8 = value ? 1 : 0
        try check(H5Awrite(attr, type, &v), "H5Awrite", name)
    }

    /// Sets AnnData's `encoding-type` and `encoding-version` attributes.
    static func setEncoding(_ object: hid_t, _ type: String, _ version: String) throws {
        try setAttribute(object, "encoding-type", string: type)
        try setAttribute(object, "encoding-version", string: version)
    }

    // MARK: Fixed-size datasets

    /// A one-dimensional dataset written in one call. `fileType` is the stored type, `memType`
    /// the type of `values` in memory.
    static func writeArray<T: BitwiseCopyable>(
        _ parent: hid_t, _ name: String, _ values: [T], fileType: hid_t, memType: hid_t
    ) throws -> hid_t {
        var dims: [hsize_t] = [hsize_t(values.count)]
        let space = try check(H5Screate_simple(1, &dims, nil), "H5Screate_simple", name)
        defer { H5Sclose(space) }
        let d = try createDataset(parent, name, fileType, space)
        if !values.isEmpty {
            try check(
                values.withUnsafeBufferPointer {
                    H5Dwrite(d, memType, sp_h5s_all(), sp_h5s_all(), sp_h5p_default(), $0.baseAddress)
                }, "H5Dwrite", name)
        }
        return d
    }

    /// A one-dimensional dataset of variable-length UTF-8 strings.
    static func writeStrings(_ parent: hid_t, _ name: String, _ values: [String]) throws -> hid_t {
        let type = try utf8StringType()
        defer { H5Tclose(type) }
        var dims: [hsize_t] = [hsize_t(values.count)]
        let space = try check(H5Screate_simple(1, &dims, nil), "H5Screate_simple", name)
        defer { H5Sclose(space) }
        let d = try createDataset(parent, name, type, space)
        if !values.isEmpty {
            try withCStrings(values) { ptrs in
                try check(
                    ptrs.withUnsafeBufferPointer {
                        H5Dwrite(d, type, sp_h5s_all(), sp_h5s_all(), sp_h5p_default(), $0.baseAddress)
                    }, "H5Dwrite", name)
            }
        }
        return d
    }

    /// A scalar string dataset (AnnData "string").
    static func writeScalarString(_ parent: hid_t, _ name: String, _ value: String) throws -> hid_t {
        let type = try utf8StringType()
        defer { H5Tclose(type) }
        let space = try check(H5Screate(H5S_SCALAR), "H5Screate", name)
        defer { H5Sclose(space) }
        let d = try createDataset(parent, name, type, space)
        try withCStrings([value]) { ptrs in
            try check(
                ptrs.withUnsafeBufferPointer {
                    H5Dwrite(d, type, sp_h5s_all(), sp_h5s_all(), sp_h5p_default(), $0.baseAddress)
                }, "H5Dwrite", name)
        }
        return d
    }

    /// A scalar numeric dataset (AnnData "numeric-scalar").
    static func writeScalar<T: BitwiseCopyable>(
        _ parent: hid_t, _ name: String, _ value: T, fileType: hid_t, memType: hid_t
    ) throws -> hid_t {
        let space = try check(H5Screate(H5S_SCALAR), "H5Screate", name)
        defer { H5Sclose(space) }
        let d = try createDataset(parent, name, fileType, space)
        var v = value
        try check(H5Dwrite(d, memType, sp_h5s_all(), sp_h5s_all(), sp_h5p_default(), &v), "H5Dwrite", name)
        return d
    }
}

// MARK: - Extendable one-dimensional datasets

/// A chunked, unlimited one-dimensional dataset that grows by appending, so writers never hold
/// more than one block in memory.
final class HDF5AppendableArray {
    let id: hid_t
    let name: String
    private(set) var count: Int = 0
    private let memType: hid_t
    private let ownsMemType: Bool

    /// - Parameters:
    ///   - fileType: stored type; `memType`: in-memory type of appended values (closed on
    ///     `close()` when `ownsMemType`).
    ///   - chunk: elements per chunk; `deflate`: gzip level (0 = none).
    init(
        _ parent: hid_t, _ name: String, fileType: hid_t, memType: hid_t, ownsMemType: Bool = false,
        chunk: Int = 65_536, deflate: UInt32 = 1
    ) throws {
        self.name = name
        self.memType = memType
        self.ownsMemType = ownsMemType
        var dims: [hsize_t] = [0]
        var maxdims: [hsize_t] = [sp_h5s_unlimited()]
        let space = try HDF5.check(H5Screate_simple(1, &dims, &maxdims), "H5Screate_simple", name)
        defer { H5Sclose(space) }
        let plist = try HDF5.datasetPlist(name)
        defer { H5Pclose(plist) }
        var chunkDims: [hsize_t] = [hsize_t(max(1, chunk))]
        try HDF5.check(H5Pset_chunk(plist, 1, &chunkDims), "H5Pset_chunk", name)
        if deflate > 0 { try HDF5.check(H5Pset_deflate(plist, deflate), "H5Pset_deflate", name) }
        id = try HDF5.check(
            H5Dcreate2(parent, name, fileType, space, sp_h5p_default(), plist, sp_h5p_default()), "H5Dcreate2", name)
    }

    /// Appends values laid out as `memType` (`count` elements at `pointer`).
    func append(_ pointer: UnsafeRawPointer?, count n: Int) throws {
        guard n > 0 else { return }
        var size: [hsize_t] = [hsize_t(count + n)]
        try HDF5.check(H5Dset_extent(id, &size), "H5Dset_extent", name)
        let file = try HDF5.check(H5Dget_space(id), "H5Dget_space", name)
        defer { H5Sclose(file) }
        var start: [hsize_t] = [hsize_t(count)]
        var length: [hsize_t] = [hsize_t(n)]
        try HDF5.check(
            H5Sselect_hyperslab(file, H5S_SELECT_SET, &start, nil, &length, nil), "H5Sselect_hyperslab", name)
        let mem = try HDF5.check(H5Screate_simple(1, &length, nil), "H5Screate_simple", name)
        defer { H5Sclose(mem) }
        try HDF5.check(H5Dwrite(id, memType, mem, file, sp_h5p_default(), pointer), "H5Dwrite", name)
        count += n
    }

    func append<T: BitwiseCopyable>(_ values: [T]) throws {
        try values.withUnsafeBufferPointer { try append(UnsafeRawPointer($0.baseAddress), count: values.count) }
    }

    /// Appends strings (the dataset must have been created with a variable-length string type).
    func append(strings values: [String]) throws {
        try HDF5.withCStrings(values) { ptrs in
            try ptrs.withUnsafeBufferPointer { try append(UnsafeRawPointer($0.baseAddress), count: values.count) }
        }
    }

    func close() {
        H5Dclose(id)
        if ownsMemType { H5Tclose(memType) }
    }
}
