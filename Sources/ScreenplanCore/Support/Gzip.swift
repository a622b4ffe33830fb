import CVectorMath
import CZlib
import Foundation

// MARK: - gzip members with zlib
//
// Every chunk of output is compressed as a complete gzip member (header, deflate stream, CRC and
// size). A file made of several members is a valid gzip file (RFC 1952 §2.2), and concatenating
// the members of consecutive chunks gives the same bytes as compressing them in one run of
// members, which is what makes shards mergeable by concatenation. zlib writes mtime 0 and a
// fixed OS byte, so members are deterministic.

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

    /// What went wrong, without the `gzip:` prefix (merge quotes it for a damaged shard).
    public var message: String {
        switch self {
        case .zlib(let call, let status): status.map { "\(call) failed (\($0))" } ?? "\(call) failed"
        case .unfinished(let status): "deflate did not finish (\(status))"
        case .corrupt(let status): "corrupt data (\(status))"
        case .corruptAfter(let lines, let status): "corrupt gzip data after \(lines) lines (zlib status \(status))"
        case .truncated(let lines): "truncated: the file ends inside a gzip member after \(lines) lines"
        case .cannotOpen(let path): "cannot open \(path)"
        }
    }

    /// The message with its `gzip:` prefix, as the error is printed.
    public var description: String { "gzip: \(message)" }
}

public enum Gzip {
    /// One gzip member holding `bytes`, compressed with `deflateInit2` at `level` (0 = stored:
    /// its length depends only on the input length).
    public static func member(_ bytes: UnsafeBufferPointer<UInt8>, level: Int32 = 1) throws -> [UInt8] {
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

/// One gzip member compressed incrementally: text is formatted into a small staging buffer that
/// stays in cache and is handed to deflate whenever it fills, instead of formatting a block's
/// whole text (hundreds of MB for 1,024 cells × 2,000 genes) and compressing it afterwards. zlib's
/// output does not depend on how its input is split between `deflate(Z_NO_FLUSH)` calls, so the
/// member's bytes are those of `Gzip.member` on the whole text. The z_stream lives at a fixed
/// address (zlib's state points back to it).
final class GzipMemberStream {
    private let stream: UnsafeMutablePointer<z_stream>
    private var out: UnsafeMutablePointer<UInt8>
    private var outCapacity: Int
    private var produced = 0
    private var finished = false

    /// `expectedOutput`: a guess of the compressed size (the buffer doubles when it is exceeded).
    init(level: Int32 = 1, expectedOutput: Int) throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        outCapacity = max(4096, expectedOutput)
        out = .allocate(capacity: outCapacity)
        let status = deflateInit2_(
            stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
            Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deallocate()
            out.deallocate()
            throw GzipError.zlib(call: "deflateInit2", status: status)
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
        out.deallocate()
    }

    private func run(_ bytes: UnsafePointer<UInt8>?, count: Int, flush: Int32) throws {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: bytes)
        stream.pointee.avail_in = uInt(count)
        while true {
            if produced == outCapacity {
                let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: outCapacity * 2)
                grown.update(from: out, count: produced)
                out.deallocate()
                out = grown
                outCapacity *= 2
            }
            stream.pointee.next_out = out + produced
            stream.pointee.avail_out = uInt(outCapacity - produced)
            let status = deflate(stream, flush)
            produced = outCapacity - Int(stream.pointee.avail_out)
            if flush == Z_FINISH {
                if status == Z_STREAM_END { return }
                guard status == Z_OK || status == Z_BUF_ERROR else {
                    throw GzipError.zlib(call: "deflate", status: status)
                }
            } else {
                guard status == Z_OK || status == Z_BUF_ERROR else {
                    throw GzipError.zlib(call: "deflate", status: status)
                }
                if stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { return }
            }
        }
    }

    /// Compresses `count` bytes (no flush: deflate keeps what it needs for matching).
    func compress(_ bytes: UnsafePointer<UInt8>, count: Int) throws {
        precondition(!finished)
        if count > 0 { try run(bytes, count: count, flush: Z_NO_FLUSH) }
    }

    /// Ends the member and returns its bytes.
    func finish() throws -> [UInt8] {
        precondition(!finished)
        finished = true
        try run(nil, count: 0, flush: Z_FINISH)
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

    /// A real number in C's `%.6g` form (deterministic, 6 significant digits).
    public func append(real value: Double) {
        reserve(32)
        let n = (storage + count).withMemoryRebound(to: CChar.self, capacity: 32) {
            screenplan_format_g6($0, 32, value)
        }
        count += Int(min(31, max(0, n)))
    }
}
