import Foundation
import ScreenplanCore
import ScreenplanTUI

// MARK: - Helpers shared by the test targets

/// The repository root (tests run from it under `swift test`; found from this file otherwise).
public let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// Path of a sample screen.
public func sampleScreen(_ name: String) -> String {
    repositoryRoot + "/sample-screens/" + name
}

/// All sample screens in the repository.
public func allSampleScreens() -> [String] {
    let folder = repositoryRoot + "/sample-screens"
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".json") }.sorted().map { folder + "/" + $0 }
}

/// A screen small enough to fit the learnability models in seconds (80 genes, 24 targets), shared
/// by the `fit` command's tests and the learnability tests.
public let tinyLearnabilityScreen = """
    name: tiny learnability screen
    system:
      genes: 80
      network: {seed: 5, regulators: 16}
    perturbations: {targets: 24}
    sampling: {cells_per_perturbation: 40}
    measurement: {measured_genes: 120, mrna_per_cell: 60000}
    batching: {batches: 3}
    """

/// A fresh temporary directory, removed by the caller.
public func temporaryDirectory(_ label: String = "screenplan-test") -> String {
    let path = NSTemporaryDirectory() + "\(label)-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Line-by-line diff of two multi-line strings, for readable snapshot failures.
public func snapshotDiff(expected: String, actual: String) -> String? {
    let e = expected.components(separatedBy: "\n")
    let a = actual.components(separatedBy: "\n")
    var out: [String] = []
    for i in 0..<max(e.count, a.count) {
        let el = i < e.count ? e[i] : "<none>"
        let al = i < a.count ? a[i] : "<none>"
        if el != al { out.append("line \(i + 1):\n  expected: |\(el)|\n  actual:   |\(al)|") }
    }
    return out.isEmpty ? nil : out.joined(separator: "\n")
}

/// The built screenplan binary: $SCREENPLAN_BIN, or the newer of the release and debug builds of
/// this checkout (`swift test` rebuilds only the debug one, so an older release build is stale).
public func screenplanBinary() -> String {
    if let path = ProcessInfo.processInfo.environment["SCREENPLAN_BIN"], FileManager.default.fileExists(atPath: path) {
        return path
    }
    func modified(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }
    let builds = ["release", "debug"].map { repositoryRoot + "/.build/\($0)/screenplan" }
        .compactMap { path in modified(path).map { (path, $0) } }
    return builds.max { $0.1 < $1.1 }?.0 ?? repositoryRoot + "/.build/debug/screenplan"
}

/// The result of running a command.
public struct CommandResult {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs the screenplan binary with arguments, capturing both streams.
@discardableResult
public func runScreenplan(
    _ arguments: [String], environment: [String: String]? = nil,
    currentDirectory: String? = nil
) throws -> CommandResult {
    try runProcess(screenplanBinary(), arguments, environment: environment, currentDirectory: currentDirectory)
}

/// Runs any executable, capturing both streams (read concurrently so large output cannot block).
public func runProcess(
    _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
    currentDirectory: String? = nil
) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Standard error is drained on another thread so neither pipe can fill and block the child.
    final class Sink: @unchecked Sendable { var data = Data() }
    let errSink = Sink()
    let group = DispatchGroup()
    group.enter()
    let errHandle = err.fileHandleForReading
    DispatchQueue.global().async {
        errSink.data = errHandle.readDataToEndOfFile()
        group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    let errData = errSink.data
    process.waitUntilExit()
    return CommandResult(
        status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self))
}

/// The Python of the independent clients: SCREENPLAN_PYTHON (`make test` sets it to the virtual
/// environment's), else `python3` on the PATH.
public var pythonExecutable: String {
    ProcessInfo.processInfo.environment["SCREENPLAN_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } ?? "python3"
}

/// Runs Tests/python/checks.py (independent checks of output files with Python's jsonschema,
/// anndata and headless Chromium) with `arguments`; status 0 means every check passed.
@discardableResult
public func runPythonCheck(_ arguments: [String]) throws -> CommandResult {
    try runProcess("/usr/bin/env", [pythonExecutable, repositoryRoot + "/Tests/python/checks.py"] + arguments)
}

/// A small in vitro screen (20 targets, 4 lanes, half of them with controls) that analyses in
/// well under a second: the CLI tests run it through the binary, the command tests in process.
public let smallScreen = """
    name: small screen
    system:
      genes: 200
      network: {seed: 3, regulators: 40}
    perturbations:
      targets: 20
    sampling:
      cells_per_perturbation: 100
    measurement:
      measured_genes: 500
    batching:
      batches: 4
      controls_in_fraction: 0.5
    """
