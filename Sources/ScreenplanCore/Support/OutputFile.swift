import Foundation

/// A file written sequentially with an unbuffered descriptor (chunks are large).
final class OutputFile {
    let fd: Int32
    let path: String

    init(_ url: URL) throws {
        path = url.path
        // A new file in the run's own temporary folder: never an existing file or a planted link.
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        if fd < 0 { throw FileWriteError(path: path, reason: String(cString: strerror(errno))) }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { b in
            var done = 0
            while done < b.count {
                let r = Foundation.write(fd, b.baseAddress! + done, b.count - done)
                if r < 0 { throw FileWriteError(path: path, reason: String(cString: strerror(errno))) }
                done += r
            }
        }
    }

    func write(_ bytes: [UInt8], at offset: Int) throws {
        try bytes.withUnsafeBytes { b in
            let r = pwrite(fd, b.baseAddress!, b.count, off_t(offset))
            if r != b.count { throw FileWriteError(path: path, reason: String(cString: strerror(errno))) }
        }
    }

    func close() throws {
        if Foundation.close(fd) != 0 { throw FileWriteError(path: path, reason: String(cString: strerror(errno))) }
    }
}
