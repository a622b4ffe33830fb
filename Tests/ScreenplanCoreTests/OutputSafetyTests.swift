import Foundation
import TestSupport
import Testing

@testable import ScreenplanCore

// MARK: - Issue 17: output safety and terminal escaping, at the library level

@Suite struct TerminalTextTests {
    @Test func controlCharactersAreShownEscaped() {
        #expect(TerminalText.escaped("GATA1") == "GATA1")
        #expect(TerminalText.escaped("né 基因") == "né 基因")
        #expect(TerminalText.escaped("a\u{1B}[2Jb") == "a\\e[2Jb")
        #expect(TerminalText.escaped("x\ny:1:1: forged") == "x\\ny:1:1: forged")
        #expect(TerminalText.escaped("\t\r\0\u{07}\u{9B}") == "\\t\\r\\0\\x07\\x9B")
    }

    @Test func anIssueIsOneLine() {
        let issue = DesignIssue(
            location: SourceLocation(file: "d.yaml", line: 3, column: 4), path: "name",
            message: "unknown gene `A\nd.yaml:1:1: name: forged`")
        #expect(!issue.description.contains("\n"))
    }

    @Test func manyIssuesPrintTwentyAndACount() {
        let issues = (0..<50).map {
            DesignIssue(location: SourceLocation(file: "f", line: $0 + 1, column: 1), path: "p", message: "m")
        }
        let lines = DesignValidationError(issues: issues).description.split(separator: "\n")
        #expect(lines.count == 21 && lines.last == "… and 30 more problems (the first 20 are shown)")
    }
}

@Suite struct OutputSafetyTests {
    @Test func protectedFoldersAreNeverReplaced() {
        for path in ["", "  ", "/", ".", NSHomeDirectory()] {
            #expect(throws: UnsafeOutputError.self, "\(path)") {
                try OutputSafety.checkDirectoryTarget(path, force: true)
            }
        }
    }

    @Test func onlyAPreviousOutputIsReplaced() throws {
        let root = temporaryDirectory("output-safety")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let out = root + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        #expect(throws: OutputExistsError.self) { try OutputSafety.checkDirectoryTarget(out, force: false) }
        #expect(throws: UnsafeOutputError.self) { try OutputSafety.checkDirectoryTarget(out, force: true) }
        try Data(#"{"generator": "screenplan", "format": "10x-mtx"}"#.utf8).write(
            to: URL(fileURLWithPath: out + "/run.json"))
        try OutputSafety.checkDirectoryTarget(out, force: true)
        // A design inside makes it an input's folder, and a foreign file makes it not an output.
        #expect(throws: UnsafeOutputError.self) {
            try OutputSafety.checkDirectoryTarget(out, force: true, inputs: [out + "/run.json"])
        }
        try Data("x".utf8).write(to: URL(fileURLWithPath: out + "/design.yaml"))
        #expect(throws: UnsafeOutputError.self) { try OutputSafety.checkDirectoryTarget(out, force: true) }
    }

    @Test func aReportNeverReplacesItsDesign() throws {
        let root = temporaryDirectory("output-safety")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Data("{}".utf8).write(to: URL(fileURLWithPath: root + "/s.json"))
        #expect(throws: UnsafeOutputError.self) {
            try OutputSafety.checkFileTarget(root + "/./s.json", inputs: [root + "/s.json"])
        }
        try OutputSafety.checkFileTarget(root + "/r.json", inputs: [root + "/s.json"])
    }

    @Test func writeAtomicallyDoesNotFollowAPlantedLink() throws {
        let root = temporaryDirectory("output-safety")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Data("precious".utf8).write(to: URL(fileURLWithPath: root + "/victim"))
        try FileManager.default.createSymbolicLink(
            atPath: root + "/.plan.md.tmp-\(getpid())", withDestinationPath: root + "/victim")
        try writeAtomically("# plan\n", to: root + "/plan.md")
        #expect(try String(contentsOfFile: root + "/victim", encoding: .utf8) == "precious")
        #expect(try String(contentsOfFile: root + "/plan.md", encoding: .utf8) == "# plan\n")
    }
}
