import CZlib
import Foundation

// MARK: - Verifying a shard before merging it
//
// `merge` concatenates gzip members byte for byte, so a truncated or corrupted shard would give
// a corrupt merged matrix that only fails (or, worse, silently loses cells) when a reader opens
// it. Each shard is therefore read once before merging: every gzip member must inflate with a
// valid CRC and length, the files must end on a member boundary, and the line counts must match
// what the shard's run.json says it wrote.

extension Gzip {
    /// Counts the lines of a multi-member gzip file, streaming (constant memory).
    /// - Throws: `GzipError` when a member is corrupt or the file ends inside a member.
    public static func countLines(path: String) throws -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw GzipError.cannotOpen(path: path)
        }
        defer { try? handle.close() }
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw GzipError.zlib(call: "inflateInit2", status: nil)
        }
        defer { inflateEnd(&stream) }
        var lines = 0
        var inMember = false
        var out = [UInt8](repeating: 0, count: 1 << 18)
        while true {
            let chunk = [UInt8]((try? handle.read(upToCount: 1 << 22)) ?? Data())
            if chunk.isEmpty { break }
            try chunk.withUnsafeBufferPointer { input in
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                stream.avail_in = uInt(input.count)
                while stream.avail_in > 0 {
                    inMember = true
                    var status: Int32 = Z_OK
                    let produced: Int = out.withUnsafeMutableBufferPointer { ob in
                        stream.next_out = ob.baseAddress
                        stream.avail_out = uInt(ob.count)
                        status = inflate(&stream, Z_NO_FLUSH)
                        return ob.count - Int(stream.avail_out)
                    }
                    for i in 0..<produced where out[i] == 10 { lines += 1 }
                    switch status {
                    case Z_STREAM_END:
                        inMember = false
                        guard inflateReset(&stream) == Z_OK else {
                            throw GzipError.zlib(call: "inflateReset", status: nil)
                        }
                    case Z_OK, Z_BUF_ERROR:
                        continue
                    default:
                        throw GzipError.corruptAfter(lines: lines, status: status)
                    }
                }
            }
        }
        if inMember { throw GzipError.truncated(lines: lines) }
        return lines
    }
}

extension TenXWriter {
    /// Checks one shard's files against its run.json before it is merged.
    /// - Throws: `MergeError` naming the shard, the file and what is wrong.
    static func verifyShard(_ dir: URL, record: RunRecord, display: String) throws {
        let cells = record.cells
        let entries = record.entries
        let genes = record.genes
        var expected: [(String, Int, Bool)] = [
            ("matrix.mtx.gz", 2 + entries, true), ("barcodes.tsv.gz", cells, true),
            ("features.tsv.gz", genes, true), ("cells.tsv", cells + 1, false),
        ]
        if record.states {
            expected.append(("states.mtx.gz", 2 + record.stateEntries, true))
        }
        for (name, lines, gzip) in expected {
            let path = dir.appendingPathComponent(name).path
            guard FileManager.default.fileExists(atPath: path) else {
                throw MergeError.missingFile(shard: display, file: name)
            }
            let found: Int
            do {
                found = gzip ? try Gzip.countLines(path: path) : try countPlainLines(path)
            } catch let error as GzipError {
                throw MergeError.damaged(shard: display, file: name, error)
            }
            guard found == lines else {
                throw MergeError.lineCount(shard: display, file: name, found: found, expected: lines)
            }
        }
        guard FileManager.default.fileExists(atPath: dir.appendingPathComponent("truth.tsv").path) else {
            throw MergeError.missingFile(shard: display, file: "truth.tsv")
        }
    }

    /// Newlines in a plain file, streaming.
    static func countPlainLines(_ path: String) throws -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw GzipError.cannotOpen(path: path) }
        defer { try? handle.close() }
        var lines = 0
        while let chunk = try handle.read(upToCount: 1 << 22), !chunk.isEmpty {
            chunk.withUnsafeBytes { raw in for byte in raw where byte == 10 { lines += 1 } }
        }
        return lines
    }
}
