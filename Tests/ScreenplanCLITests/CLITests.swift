import Foundation
import TestSupport
import Testing

// The built binary is run as a user would: exit codes, stdout and stderr.

/// Text that would betray a crash or a stack trace instead of a message.
private let crashMarkers = ["Fatal error", "Stack dump", "Backtrace", "0x0000", "Swift/", "Current stack trace"]

private func expectNoCrashText(_ result: CommandResult, sourceLocation: SourceLocation = #_sourceLocation) {
    for marker in crashMarkers {
        #expect(!result.stderr.contains(marker), "stderr: \(result.stderr)", sourceLocation: sourceLocation)
        #expect(!result.stdout.contains(marker), "stdout: \(result.stdout)", sourceLocation: sourceLocation)
    }
}

@Suite struct ValidateCommand {
    @Test func validSampleScreensExitZero() throws {
        let result = try runScreenplan(["validate"] + allSampleScreens())
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty)
        for path in allSampleScreens() { #expect(result.stdout.contains("\(path): ok (")) }
    }

    @Test func quietPrintsNothingForValidDesigns() throws {
        let result = try runScreenplan(["validate", "--quiet", sampleScreen("k562-essential-crispri.yaml")])
        #expect(result.status == 0)
        #expect(result.stdout.isEmpty)
    }

    @Test func invalidDesignExitsTwoWithTheLocatedMessage() throws {
        let folder = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/bad.yaml"
        try "name: bad\nbatching:\n  batches: 0\nmeasurement:\n  capture_efficency: 0.1\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let result = try runScreenplan(["validate", path])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(
            result.stderr == """
                \(path):3:12: batching.batches: must be in [1, 10000] (got 0)
                \(path):5:3: measurement.capture_efficency: unknown key `capture_efficency`; did you mean `capture_efficiency`?

                """)
        expectNoCrashText(result)
    }

    @Test func oneInvalidAmongValidExitsTwo() throws {
        let folder = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/nan.yaml"
        try "measurement:\n  mrna_per_cell: .nan\n".write(toFile: path, atomically: true, encoding: .utf8)
        let result = try runScreenplan(["validate", sampleScreen("k562-essential-crispri.yaml"), path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(path):2:18: measurement.mrna_per_cell: must be a finite number, not `.nan`"))
    }

    @Test func absurdDesignIsRefusedNotCrashed() throws {
        let folder = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/huge.yaml"
        try "system:\n  genes: 100000000000\n".write(toFile: path, atomically: true, encoding: .utf8)
        let result = try runScreenplan(["validate", path])
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("\(path):2:10: system.genes: this design would need about "))
        expectNoCrashText(result)
    }

    @Test func jsonDesignIsAccepted() throws {
        let folder = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/screen.json"
        try #"{"name": "json", "perturbations": {"targets": 40}, "batching": {"batches": 4}}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        let result = try runScreenplan(["validate", path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\(path): ok (40 perturbations"))
    }

    @Test func missingFileExitsTwo() throws {
        let result = try runScreenplan(["validate", "/nonexistent/design.yaml"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("/nonexistent/design.yaml:1:1: (file): no such file"))
        expectNoCrashText(result)
    }

    @Test func syntaxErrorExitsTwo() throws {
        let folder = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/syntax.yaml"
        try "name: [x\nfoo: 1\n".write(toFile: path, atomically: true, encoding: .utf8)
        let result = try runScreenplan(["validate", path])
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("\(path):2:4: (syntax): "))
        expectNoCrashText(result)
    }
}

@Suite struct Usage {
    @Test func unknownFlagIsAUsageError() throws {
        let result = try runScreenplan(["validate", "--no-such-flag", sampleScreen("k562-essential-crispri.yaml")])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--no-such-flag"))
        expectNoCrashText(result)
    }

    @Test func unknownCommandIsAUsageError() throws {
        let result = try runScreenplan(["frobnicate", "a", "b"])
        #expect(result.status == 2)
        expectNoCrashText(result)
    }

    @Test func validateWithoutFilesIsAUsageError() throws {
        let result = try runScreenplan(["validate"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("Usage"))
    }

    @Test func helpExitsZero() throws {
        let result = try runScreenplan(["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("validate"))
        #expect(result.stdout.contains("Exit codes"))
    }

    @Test func versionExitsZero() throws {
        let result = try runScreenplan(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout.range(of: #"^\d+\.\d+\.\d+\n$"#, options: .regularExpression) != nil)
    }
}
