import CLibdeflate
import CVectorMath
import CZlib
import Foundation

// MARK: - gzip members with libdeflate (and zlib for stored members and reading)
//
// Every chunk of output is compressed as a complete gzip member (header, deflate stream, CRC and
// size). A file made of several members is a valid gzip file (RFC 1952 §2.2), and concatenating
// the members of consecutive chunks gives the same bytes as compressing them in one run of
// members, which is what makes shards mergeable by concatenation. zlib and libdeflate write mtime 0
// and a fixed OS byte, so members are deterministic.

/// A gzip stream could not be made or read: which zlib call failed and its status, or where a
/// damaged file stops making sense.
public enum GzipError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A zlib call returned an error status (nil when the caller only knows it failed).
    case zlib(call: String, status: Int32?)
    /// `deflate` stopped before the end of the stream.
    case unfinished(status: Int32)
    /// Inflating found data that is not gzip.
    case corrupt(status: Int32)
    /// Counting lines found data that is not gzip after `lines` complete lines.
    case corruptAfter(lines: Int, status: Int32)
    /// The file ends inside a member, after `lines` complete lines.
    case truncated(lines: Int)
    /// The file cannot be opened.
    case cannotOpen(path: String)
    /// A libdeflate call failed (it reports no status).
    case libdeflate(call: String)

    /// What went wrong, without the `gzip:` prefix (merge quotes it for a damaged shard).
    public var message: String {
        switch self {
        case .zlib(let call, let status): status.map { "\(call) failed (\($0))" } ?? "\(call) failed"
        case .unfinished(let status): "deflate did not finish (\(status))"
        case .corrupt(let status): "corrupt data (\(status))"
        case .corruptAfter(let lines, let status): "corrupt gzip data after \(lines) lines (zlib status \(status))"
        case .truncated(let lines): "truncated: the file ends inside a gzip member after \(lines) lines"
        case .cannotOpen(let path): "cannot open \(path)"
        case .libdeflate(let call): "\(call) failed"
        }
    }

    /// The message with its `gzip:` prefix, as the error is printed.
    public var description: String { "gzip: \(message)" }
}

public enum Gzip {
    /// One gzip member holding `bytes`, compressed with `deflateInit2` at `level` (0 = stored:
    /// its length depends only on the input length).
    ///
    /// Levels 1–12 compress with libdeflate (its level 1 is about twice as fast as zlib's and
    /// smaller); level 0 writes stored blocks with zlib.
    public static func member(_ bytes: UnsafeBufferPointer<UInt8>, level: Int32 = 1) throws -> [UInt8] {
        if level > 0 {
            let members = try GzipMembers(level: level, expectedOutput: bytes.count / 2 + 64)
            if let base = bytes.baseAddress, bytes.count > 0 { try members.compress(base, count: bytes.count) }
            return try members.finish()
        }
        var stream = z_stream()
        var status = deflateInit2_(
            &stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
            Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw GzipError.zlib(call: "deflateInit2", status: status) }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(bytes.count))) + 32
        var out = [UInt8](repeating: 0, count: bound)
        let produced: Int = out.withUnsafeMutableBufferPointer { ob in
            stream.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress)
            stream.avail_in = uInt(bytes.count)
            stream.next_out = ob.baseAddress
            stream.avail_out = uInt(ob.count)
            status = deflate(&stream, Z_FINISH)
            return ob.count - Int(stream.avail_out)
        }
        guard status == Z_STREAM_END else { throw GzipError.unfinished(status: status) }
        out.removeLast(out.count - produced)
        return out
    }

    public static func member(_ bytes: [UInt8], level: Int32 = 1) throws -> [UInt8] {
        try bytes.withUnsafeBufferPointer { try member($0, level: level) }
    }

    public static func member(_ buffer: ByteBuffer, level: Int32 = 1) throws -> [UInt8] {
        try buffer.withUnsafeBytes { try member($0, level: level) }
    }

    /// Decompresses a (multi-member) gzip file, for tests and merges that need to look inside.
    public static func decompress(_ data: [UInt8]) throws -> [UInt8] {
        var result: [UInt8] = []
        var offset = 0
        while offset < data.count {
            var stream = z_stream()
            var status = inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
            guard status == Z_OK else { throw GzipError.zlib(call: "inflateInit2", status: status) }
            defer { inflateEnd(&stream) }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            try data.withUnsafeBufferPointer { db in
                stream.next_in = UnsafeMutablePointer(mutating: db.baseAddress! + offset)
                stream.avail_in = uInt(data.count - offset)
                repeat {
                    let produced: Int = chunk.withUnsafeMutableBufferPointer { cb in
                        stream.next_out = cb.baseAddress
                        stream.avail_out = uInt(cb.count)
                        status = inflate(&stream, Z_NO_FLUSH)
                        return cb.count - Int(stream.avail_out)
                    }
                    guard status == Z_OK || status == Z_STREAM_END else {
                        throw GzipError.corrupt(status: status)
                    }
                    result.append(contentsOf: chunk[0..<produced])
                } while status != Z_STREAM_END
                offset = data.count - Int(stream.avail_in)
            }
        }
        return result
    }
}

/// A run of gzip members compressed chunk by chunk: text is formatted into a small staging
/// buffer that stays in cache, and each full buffer becomes one gzip member (libdeflate, which
/// compresses whole buffers only, about twice as fast as zlib's level 1 on Matrix Market text),
/// instead of formatting a block's whole text (hundreds of MB for 1,024 cells × 2,000 genes) and
/// compressing it afterwards. A sequence of members is one valid gzip file (RFC 1952 §2.2) that
/// gzip, zlib, Python, scanpy and R read as the concatenated text; the members depend only on
/// the chunks, so a block's bytes do not depend on the shard or thread that made it.
final class GzipMembers {
    private let compressor: OpaquePointer
    private var out: UnsafeMutablePointer<UInt8>
    private var outCapacity: Int
    private var produced = 0
    private var members = 0
    private var finished = false

    /// `expectedOutput`: a guess of the compressed size (the buffer grows when it is exceeded).
    init(level: Int32 = 1, expectedOutput: Int) throws {
        guard let c = libdeflate_alloc_compressor(level) else {
            throw GzipError.libdeflate(call: "libdeflate_alloc_compressor(\(level))")
        }
        compressor = c
        outCapacity = max(4096, expectedOutput)
        out = .allocate(capacity: outCapacity)
    }

    deinit {
        libdeflate_free_compressor(compressor)
        out.deallocate()
    }

    /// Compresses `count` bytes as one member (nothing for an empty chunk).
    func compress(_ bytes: UnsafePointer<UInt8>, count: Int) throws {
        precondition(!finished)
        if count > 0 { try member(bytes, count: count) }
    }

    private func member(_ bytes: UnsafePointer<UInt8>?, count: Int) throws {
        let bound = libdeflate_gzip_compress_bound(compressor, count)
        if produced + bound > outCapacity {
            let capacity = max(outCapacity * 2, produced + bound)
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
            grown.update(from: out, count: produced)
            out.deallocate()
            out = grown
            outCapacity = capacity
        }
        let written = libdeflate_gzip_compress(compressor, bytes, count, out + produced, outCapacity - produced)
        guard written > 0 else { throw GzipError.libdeflate(call: "libdeflate_gzip_compress") }
        produced += written
        members += 1
    }

    /// Ends the run and returns its bytes (one empty member when nothing was compressed, so every
    /// block still has a member).
    func finish() throws -> [UInt8] {
        precondition(!finished)
        finished = true
        if members == 0 {
            var empty: UInt8 = 0
            try member(&empty, count: 0)
        }
        return Array(UnsafeBufferPointer(start: out, count: produced))
    }
}

/// A growable byte buffer with fast decimal formatting, for the text formats. A class holding raw
/// storage, so appending a digit is a store and a bounds check, not an array append.
public final class ByteBuffer {
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    public private(set) var count = 0

    public init(capacity: Int = 1024) {
        self.capacity = max(64, capacity)
        storage = .allocate(capacity: self.capacity)
    }

    deinit { storage.deallocate() }

    /// The bytes written so far (a copy).
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: storage, count: count)) }

    /// Calls `body` with the bytes written so far, without copying.
    public func withUnsafeBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage, count: count))
    }

    @inline(__always)
    private func reserve(_ extra: Int) {
        if count + extra <= capacity { return }
        var newCapacity = capacity * 2
        while newCapacity < count + extra { newCapacity *= 2 }
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        grown.update(from: storage, count: count)
        storage.deallocate()
        storage = grown
        capacity = newCapacity
    }

    @inline(__always)
    public func append(_ value: Int) {
        reserve(21)
        if value < 0 {
            storage[count] = UInt8(ascii: "-")
            count += 1
            append(-value)
            return
        }
        if value < 10 {
            storage[count] = UInt8(48 + value)
            count += 1
            return
        }
        var digits = 0
        var v = value
        while v > 0 {
            digits += 1
            v /= 10
        }
        v = value
        var i = count + digits - 1
        while v > 0 {
            storage[i] = UInt8(48 + v % 10)
            v /= 10
            i -= 1
        }
        count += digits
    }

    @inline(__always)
    public func append(byte: UInt8) {
        reserve(1)
        storage[count] = byte
        count += 1
    }

    public func append(_ text: String) {
        var t = text
        t.withUTF8 { u in
            reserve(u.count)
            (storage + count).update(from: u.baseAddress!, count: u.count)
            count += u.count
        }
    }

    /// A real number in C's `%.6g` form (deterministic, 6 significant digits; exact integer
    /// conversion, CVectorMath/ScreenplanFormat.c).
    public func append(real value: Double) {
        reserve(32)
        let n = (storage + count).withMemoryRebound(to: CChar.self, capacity: 32) {
            screenplan_format_g6_exact($0, value)
        }
        count += Int(min(31, max(0, n)))
    }
}
