import Foundation

// MARK: - Output safety: what a writer may create, replace or never touch
//
// A mistyped or empty `--out` with `--force` must never empty a user's folder, a planted
// symbolic link must never redirect a write, and no command may overwrite a file it is reading.
// The rules (docs/reliability.md):
//
// - `--force` replaces only a directory that holds a previous screenplan output: a run.json that
//   screenplan wrote (its `generator` marker, or the format/design_hash pair of older versions)
//   and no file screenplan does not write. Never "", ".", "/", the home folder, the current
//   folder, or a folder that holds an input of the run (the design, its network files, a shard).
// - A target that is a symbolic link is refused (the rename would replace the link, not the
//   folder it points to; a dangling link says so).
// - The nearest existing folder above the target must be writable, checked before any work.
// - Temporary files are created exclusively (mkstemp: O_CREAT|O_EXCL, which does not follow a
//   planted link) next to the target, and renamed into place.

/// An output path that screenplan refuses to write or replace, with the reason (exit 2).
public struct UnsafeOutputError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var reason: String
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { "output `\(TerminalText.escaped(path))`: \(reason)" }
}

public enum OutputSafety {
    /// The value of run.json's `generator` key: marks a directory as a screenplan output.
    public static let generator = "screenplan"

    /// The files a simulation output directory may hold (10x and h5ad layouts).
    public static let outputFiles: Set<String> = [
        "matrix.mtx.gz", "barcodes.tsv.gz", "features.tsv.gz", "cells.tsv", "truth.tsv",
        "states.mtx.gz", "run.json", "simulation.h5ad",
    ]

    /// Checks a directory output (`simulate --out`, `merge --out`) before any work is done.
    /// - Parameters:
    ///   - inputs: files and folders the run reads; the target may not be or contain any of them.
    /// - Throws: `OutputExistsError` when it exists without `force`; `UnsafeOutputError` otherwise.
    public static func checkDirectoryTarget(_ path: String, force: Bool, inputs: [String] = []) throws {
        let target = try checkedPath(path)
        // Leftovers of killed runs first: a killed --force swap's previous output is put back.
        TemporaryDirectory.removeAbandonedSiblings(of: URL(fileURLWithPath: target))
        var info = stat()
        if lstat(target, &info) == 0 {
            if (info.st_mode & S_IFMT) == S_IFLNK { throw linkError(path, target) }
            guard force else { throw OutputExistsError(path: path) }
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                throw UnsafeOutputError(
                    path: path,
                    reason: "is a file, not a previous screenplan output folder; --force replaces only those")
            }
            try checkNotProtected(path, target, inputs: inputs)
            try checkPreviousOutput(path, target)
        } else {
            try checkNotProtected(path, target, inputs: inputs)
        }
        try checkWritableParent(path, target)
    }

    /// Checks a file output (`report -o`, exports) before any work is done.
    /// - Throws: `UnsafeOutputError` for an empty path, a folder, an input of the run, a dangling
    ///   link or a folder that cannot be written.
    public static func checkFileTarget(_ path: String, inputs: [String] = []) throws {
        let target = try checkedPath(path)
        var info = stat()
        if lstat(target, &info) == 0 {
            if (info.st_mode & S_IFMT) == S_IFDIR {
                throw UnsafeOutputError(path: path, reason: "is a folder; give a file name")
            }
            if (info.st_mode & S_IFMT) == S_IFLNK, stat(target, &info) != 0 { throw linkError(path, target) }
            for input in inputs where sameFile(target, input) {
                throw UnsafeOutputError(
                    path: path,
                    reason:
                        "is an input of this run (`\(TerminalText.escaped(input))`); writing it would replace it — choose another name"
                )
            }
        }
        try checkWritableParent(path, target)
    }

    /// True when `directory` holds a previous screenplan output and nothing else.
    public static func isPreviousOutput(_ directory: String) -> Bool {
        (try? checkPreviousOutput(directory, directory)) != nil
    }

    // MARK: Rules

    /// The absolute, standardized path; refuses an empty or all-blank path (an unset `$OUTDIR`).
    static func checkedPath(_ path: String) throws -> String {
        guard !path.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw UnsafeOutputError(path: path, reason: "is empty (an unset variable?); give a folder name")
        }
        return URL(fileURLWithPath: path).standardizedFileURL.path
    }

    static func linkError(_ path: String, _ target: String) -> UnsafeOutputError {
        let destination = (try? FileManager.default.destinationOfSymbolicLink(atPath: target)) ?? "?"
        var info = stat()
        let dangling = stat(target, &info) != 0
        return UnsafeOutputError(
            path: path,
            reason: dangling
                ? "is a dangling symbolic link (to `\(TerminalText.escaped(destination))`, which does not exist); remove it or give another name"
                : "is a symbolic link (to `\(TerminalText.escaped(destination))`); give the folder itself")
    }

    /// Refuses "/", the home folder, the current folder and anything holding an input.
    static func checkNotProtected(_ path: String, _ target: String, inputs: [String]) throws {
        let real = realPath(target)
        var protected: [(String, String)] = [
            ("/", "the root folder"), (realPath(FileManager.default.currentDirectoryPath), "the current folder"),
        ]
        if let home = ProcessInfo.processInfo.environment["HOME"], !home.isEmpty {
            protected.append((realPath(home), "the home folder"))
        }
        protected.append((realPath(NSHomeDirectory()), "the home folder"))
        for (folder, name) in protected where real == folder {
            throw UnsafeOutputError(path: path, reason: "is \(name); screenplan never writes or replaces it")
        }
        for input in inputs where !input.isEmpty {
            let inputReal = realPath(URL(fileURLWithPath: input).standardizedFileURL.path)
            if inputReal == real || inputReal.hasPrefix(real.hasSuffix("/") ? real : real + "/") {
                throw UnsafeOutputError(
                    path: path,
                    reason: "holds `\(TerminalText.escaped(input))`, an input of this run; choose another folder")
            }
        }
    }

    /// The directory must hold a run.json screenplan wrote and only files screenplan writes.
    static func checkPreviousOutput(_ path: String, _ target: String) throws {
        let fm = FileManager.default
        let runJSON = (target as NSString).appendingPathComponent("run.json")
        guard let data = fm.contents(atPath: runJSON),
            let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            json["generator"] as? String == generator
                || (json["format"] is String && json["design_hash"] is String)
        else {
            throw UnsafeOutputError(
                path: path,
                reason:
                    "exists and is not a previous screenplan output (no run.json written by screenplan); --force replaces only those"
            )
        }
        let entries = (try? fm.contentsOfDirectory(atPath: target)) ?? []
        let foreign = entries.filter { !outputFiles.contains($0) }.sorted()
        guard foreign.isEmpty else {
            let shown = foreign.prefix(5).map { "`\(TerminalText.escaped($0))`" }.joined(separator: ", ")
            throw UnsafeOutputError(
                path: path,
                reason:
                    "holds files screenplan did not write (\(shown)\(foreign.count > 5 ? ", …" : "")); --force replaces only a previous output"
            )
        }
    }

    /// The nearest existing folder above `target` must be a writable directory.
    static func checkWritableParent(_ path: String, _ target: String) throws {
        var folder = (target as NSString).deletingLastPathComponent
        var info = stat()
        while !folder.isEmpty && folder != "/" && lstat(folder, &info) != 0 {
            folder = (folder as NSString).deletingLastPathComponent
        }
        if folder.isEmpty { folder = "/" }
        guard stat(folder, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw UnsafeOutputError(path: path, reason: "`\(TerminalText.escaped(folder))` is not a folder")
        }
        // A real probe (a directory made and removed) rather than access(2), which says yes to
        // root on a read-only or special file system.
        var probe = Array(
            ((folder as NSString).appendingPathComponent(".screenplan-probe-\(getpid())-XXXXXX")).utf8CString)
        guard let made = probe.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw UnsafeOutputError(
                path: path,
                reason: "cannot write in `\(TerminalText.escaped(folder))`: \(String(cString: strerror(errno)))")
        }
        rmdir(made)
    }

    /// The path with symbolic links resolved (the path itself when it does not exist).
    static func realPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Whether two paths name the same existing file (device and inode).
    static func sameFile(_ a: String, _ b: String) -> Bool {
        var sa = stat()
        var sb = stat()
        guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    // MARK: Temporary siblings

    /// Whether a process with this id is gone (so its temporary files are abandoned).
    static func processIsGone(_ pid: Int32) -> Bool {
        pid > 0 && kill(pid, 0) != 0 && errno == ESRCH
    }

    /// Removes `.NAME.tmp-PID…` siblings of `path` left by dead processes (a SIGKILL or a power
    /// loss during `writeAtomically`).
    static func removeAbandonedTemporaryFiles(of path: String) {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let prefix = ".\(url.lastPathComponent).tmp-"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for entry in entries where entry.hasPrefix(prefix) {
            guard let pid = Int32(entry.dropFirst(prefix.count).prefix { $0 != "-" }), processIsGone(pid) else {
                continue
            }
            unlink((folder as NSString).appendingPathComponent(entry))
        }
    }
}

/// Writes `data` to a new, exclusively created temporary file next to `path` (mkstemp: a planted
/// file or link of the same name makes it pick another name, never follow it), then renames it
/// over `path`. The file gets mode 0644 less the umask, as a plain create would.
func writeExclusivelyThenRename(_ data: Data, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let folder = url.deletingLastPathComponent().path
    OutputSafety.removeAbandonedTemporaryFiles(of: path)
    var template = Array(
        ((folder as NSString).appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-XXXXXX")).utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    if fd < 0 { throw FileWriteError(path: path, reason: String(cString: strerror(errno))) }
    let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    var ok = false
    defer {
        if !ok { unlink(temporary) }
    }
    let mask = umask(0)
    umask(mask)
    fchmod(fd, 0o644 & ~mask)
    let failure: String? = data.withUnsafeBytes { raw -> String? in
        var done = 0
        while done < raw.count {
            let r = Foundation.write(fd, raw.baseAddress! + done, raw.count - done)
            if r < 0 {
                if errno == EINTR { continue }
                return String(cString: strerror(errno))
            }
            done += r
        }
        return nil
    }
    if let failure {
        close(fd)
        throw FileWriteError(path: path, reason: failure)
    }
    if fsync(fd) != 0 && errno != EINVAL {
        let reason = String(cString: strerror(errno))
        close(fd)
        throw FileWriteError(path: path, reason: reason)
    }
    if close(fd) != 0 { throw FileWriteError(path: path, reason: String(cString: strerror(errno))) }
    if rename(temporary, path) != 0 { throw FileWriteError(path: path, reason: String(cString: strerror(errno))) }
    ok = true
}
