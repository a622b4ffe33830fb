import CZlib
import Foundation

// MARK: - Reading pilot data: errors and line-oriented (gzip or plain) text
//
// Every reader of `screenplan calibrate` streams: a file is read in 1 MiB chunks through zlib's
// gzread (which reads plain files unchanged), and each line is handed to the caller as raw bytes,
// so memory does not grow with the size of the file.

/// Bad calibration input: the file, the line (when there is one) and what is wrong. The command
/// prints it as `file:line: message` and exits with code 2.
public struct CalibrationInputError: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var message: String

    public init(file: String, line: Int? = nil, _ message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        line.map { "\(file):\($0): \(message)" } ?? "\(file): \(message)"
    }
}

/// Reads a text file (gzip-compressed or plain) line by line without holding it in memory.
final class LineReader {
    let path: String
    private let file: gzFile
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var eof = false
    /// 1-based number of the line last returned.
    private(set) var lineNumber = 0

    init(path: String) throws {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw CalibrationInputError(file: path, "no such file")
        }
        guard let f = gzopen(path, "rb") else { throw CalibrationInputError(file: path, "cannot be opened") }
        file = f
        gzbuffer(f, 1 << 20)
        buffer = [UInt8](repeating: 0, count: 1 << 20)
    }

    deinit { gzclose(file) }

    /// Calls `body` with the next line (without the newline or a trailing carriage return);
    /// returns false at the end of the file.
    func next<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) throws -> R? {
        while true {
            if let newline = findNewline() {
                lineNumber += 1
                var stop = newline
                if stop > start && buffer[stop - 1] == 13 { stop -= 1 }
                let s = start
                start = newline + 1
                return try buffer.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[s..<stop])) }
            }
            if eof {
                guard start < end else { return nil }
                lineNumber += 1
                var stop = end
                if buffer[stop - 1] == 13 { stop -= 1 }
                let s = start
                start = end
                return try buffer.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[s..<stop])) }
            }
            try refill()
        }
    }

    /// The next line as a String (for small tables).
    func nextString() throws -> String? {
        try next { String(decoding: $0, as: UTF8.self) }
    }

    private func findNewline() -> Int? {
        guard start < end else { return nil }
        return buffer.withUnsafeBufferPointer { b -> Int? in
            guard let p = memchr(b.baseAddress! + start, 10, end - start) else { return nil }
            return UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self) - b.baseAddress!
        }
    }

    private func refill() throws {
        if start > 0 {
            let n = end - start
            if n > 0 {
                buffer.withUnsafeMutableBufferPointer { b in _ = memmove(b.baseAddress!, b.baseAddress! + start, n) }
            }
            start = 0
            end = n
        }
        if end == buffer.count { buffer += [UInt8](repeating: 0, count: buffer.count) }
        let capacity = buffer.count - end
        let got = buffer.withUnsafeMutableBufferPointer { b in gzread(file, b.baseAddress! + end, UInt32(capacity)) }
        if got < 0 {
            throw CalibrationInputError(file: path, line: lineNumber + 1, "cannot be read (corrupt gzip data?)")
        }
        if got == 0 { eof = true }
        end += Int(got)
    }

    /// Every remaining line as text, split on tabs (small tables: gene lists, guide maps).
    static func table(_ path: String) throws -> [(line: Int, fields: [String])] {
        let reader = try LineReader(path: path)
        var rows: [(Int, [String])] = []
        while let text = try reader.nextString() {
            if text.isEmpty { continue }
            rows.append(
                (reader.lineNumber, text.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)))
        }
        return rows
    }
}

/// Parsing of whitespace-separated numbers in a byte line.
struct FieldScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    private mutating func skipSpace() {
        while position < bytes.count && (bytes[position] == 32 || bytes[position] == 9) { position += 1 }
    }

    /// The next unsigned integer, or nil when the field is missing or not a plain integer.
    mutating func integer() -> Int? {
        skipSpace()
        var value = 0
        var digits = 0
        while position < bytes.count {
            let c = bytes[position]
            guard c >= 48 && c <= 57 else { break }
            value = value &* 10 &+ Int(c - 48)
            digits += 1
            position += 1
        }
        guard digits > 0 && digits < 19 else { return nil }
        if position < bytes.count && bytes[position] != 32 && bytes[position] != 9 { return nil }
        return value
    }

    /// The next field as a number (integers fast, anything else through strtod).
    mutating func number() -> Double? {
        skipSpace()
        let begin = position
        var value = 0
        var digits = 0
        while position < bytes.count, bytes[position] >= 48 && bytes[position] <= 57 {
            value = value &* 10 &+ Int(bytes[position] - 48)
            digits += 1
            position += 1
        }
        if digits > 0 && digits < 16 && (position == bytes.count || bytes[position] == 32 || bytes[position] == 9) {
            return Double(value)
        }
        while position < bytes.count && bytes[position] != 32 && bytes[position] != 9 { position += 1 }
        guard position > begin else { return nil }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[begin..<position]), as: UTF8.self)
        return Double(text)
    }

    /// True when only whitespace remains.
    mutating func atEnd() -> Bool {
        skipSpace()
        return position == bytes.count
    }
}
