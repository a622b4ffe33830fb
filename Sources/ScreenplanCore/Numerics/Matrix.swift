import COpenBLAS

// MARK: - Column-major dense matrices handed to CBLAS/LAPACK without copies

/// A dense column-major matrix: element (i, j) lives at `data[i + j * rows]`, which is the
/// layout CBLAS (CblasColMajor) and LAPACK expect, so routines receive `data` directly.
public struct Matrix: Equatable, Sendable {
    public let rows: Int
    public let cols: Int
    /// The storage, read-only outside this file: writes go through the subscript or
    /// `withUnsafeMutableBufferPointer`, so its size stays rows × cols whoever holds the matrix.
    public private(set) var data: [Double]

    public init(rows: Int, cols: Int, repeating value: Double = 0) {
        precondition(rows >= 0 && cols >= 0)
        self.rows = rows
        self.cols = cols
        data = [Double](repeating: value, count: rows * cols)
    }

    public init(rows: Int, cols: Int, data: [Double]) {
        precondition(data.count == rows * cols, "matrix data has \(data.count) values, need \(rows * cols)")
        self.rows = rows
        self.cols = cols
        self.data = data
    }

    @inline(__always)
    public subscript(i: Int, j: Int) -> Double {
        get { data[i + j * rows] }
        set { data[i + j * rows] = newValue }
    }

    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, cols: n)
        for i in 0..<n { m[i, i] = 1 }
        return m
    }

    /// Column j as an array (a copy; for tests and small reads).
    public func column(_ j: Int) -> [Double] { Array(data[(j * rows)..<((j + 1) * rows)]) }

    /// Runs `body` on the column-major storage (rows × cols values), without a copy: the pointer
    /// CBLAS and LAPACK take. The pointer is valid only inside `body`.
    @inline(__always)
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Double>) throws -> R) rethrows -> R {
        try data.withUnsafeBufferPointer(body)
    }

    /// Runs `body` on the mutable column-major storage, without a copy (unless the storage is
    /// shared with another matrix, which is copied once first): for kernels and BLAS outputs. The
    /// buffer keeps its size; the pointer is valid only inside `body`.
    @inline(__always)
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Double>) throws -> R)
        rethrows -> R
    {
        try data.withUnsafeMutableBufferPointer { try body($0) }
    }

    /// −M, element by element (a new matrix).
    public static prefix func - (m: Matrix) -> Matrix {
        Matrix(rows: m.rows, cols: m.cols, data: m.data.map { -$0 })
    }
}

// MARK: - BLAS

public enum BLAS {
    /// C ← α·op(A)·op(B) + β·C with `cblas_dgemm` (column-major). Sizes are checked, then the
    /// arrays are passed to OpenBLAS as they are.
    public static func gemm(
        _ a: Matrix, transposeA: Bool = false, _ b: Matrix, transposeB: Bool = false,
        into c: inout Matrix, alpha: Double = 1, beta: Double = 0
    ) {
        let m = transposeA ? a.cols : a.rows
        let k = transposeA ? a.rows : a.cols
        let kb = transposeB ? b.cols : b.rows
        let n = transposeB ? b.rows : b.cols
        precondition(k == kb && c.rows == m && c.cols == n, "gemm: incompatible shapes")
        guard m > 0, n > 0 else { return }
        let ldc = max(1, c.rows)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    gemm(
                        m: m, n: n, k: k, alpha: alpha, a: pa.baseAddress!, lda: max(1, a.rows),
                        transposeA: transposeA, b: pb.baseAddress!, ldb: max(1, b.rows),
                        transposeB: transposeB, beta: beta, c: pc.baseAddress!, ldc: ldc)
                }
            }
        }
    }

    /// Raw `cblas_dgemm` on column-major buffers, for callers that hold sub-blocks of storage.
    @inline(__always)
    public static func gemm(
        m: Int, n: Int, k: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int, transposeA: Bool = false,
        b: UnsafePointer<Double>, ldb: Int, transposeB: Bool = false, beta: Double,
        c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dgemm(
            CblasColMajor, transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), Int32(k), alpha, a,
            Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Number of threads OpenBLAS uses (its own pool).
    public static var threads: Int {
        Int(openblas_get_num_threads())
    }

    /// Sets OpenBLAS's thread count (results do not depend on it; speed does).
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }
}

// MARK: - LAPACK

/// A LAPACK routine reported failure through `info`.
public struct LAPACKError: Error, CustomStringConvertible, Equatable {
    public var routine: String
    public var info: Int
    public var description: String {
        info > 0
            ? "\(routine): the matrix is singular (U(\(info),\(info)) is exactly zero)"
            : "\(routine): argument \(-info) had an illegal value"
    }
}

/// An LU factorisation (from `dgetrf`) reused for many right-hand sides.
public struct LUFactorization: Sendable {
    public let n: Int
    var lu: [Double]
    var pivots: [sp_lapack_int]

    /// Factorises a square matrix with `LAPACKE_dgetrf`. Throws when it is singular.
    public init(_ a: Matrix) throws {
        precondition(a.rows == a.cols, "LU needs a square matrix")
        n = a.rows
        lu = a.data
        pivots = [sp_lapack_int](repeating: 0, count: max(1, n))
        let size = n
        let info = lu.withUnsafeMutableBufferPointer { pa in
            pivots.withUnsafeMutableBufferPointer { pp in
                LAPACKE_dgetrf(
                    LAPACK_COL_MAJOR, sp_lapack_int(size), sp_lapack_int(size), pa.baseAddress,
                    sp_lapack_int(max(1, size)), pp.baseAddress)
            }
        }
        if info != 0 { throw LAPACKError(routine: "dgetrf", info: Int(info)) }
    }

    /// Solves A X = B for all columns of B at once with `LAPACKE_dgetrs`.
    public func solve(_ b: Matrix) throws -> Matrix {
        precondition(b.rows == n, "right-hand side has \(b.rows) rows, need \(n)")
        var x = b
        guard b.cols > 0 else { return x }
        var factors = lu
        var piv = pivots
        let size = n
        let info = factors.withUnsafeMutableBufferPointer { pa in
            piv.withUnsafeMutableBufferPointer { pp in
                x.withUnsafeMutableBufferPointer { px in
                    LAPACKE_dgetrs(
                        LAPACK_COL_MAJOR, Int8(UInt8(ascii: "N")), sp_lapack_int(size),
                        sp_lapack_int(b.cols), pa.baseAddress, sp_lapack_int(max(1, size)),
                        pp.baseAddress, px.baseAddress, sp_lapack_int(max(1, size)))
                }
            }
        }
        if info != 0 { throw LAPACKError(routine: "dgetrs", info: Int(info)) }
        return x
    }

    /// Solves A x = b for one vector.
    public func solve(_ b: [Double]) throws -> [Double] {
        try solve(Matrix(rows: n, cols: 1, data: b)).data
    }
}
