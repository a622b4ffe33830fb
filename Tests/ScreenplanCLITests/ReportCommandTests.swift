import Foundation
import TestSupport
import Testing

// `screenplan report` through the real binary: every format for every sample screen, the JSON
// against its schema, the HTML in headless Chromium, determinism, and exit codes.

private let formats = ["md", "html", "json", "csv", "tsv"]

@Test func reportWritesEveryFormatForEverySampleScreen() throws {
    let dir = temporaryDirectory("screenplan-report-cli")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var jsonFiles: [String] = []
    for screen in allSampleScreens() {
        let stem = ((screen as NSString).lastPathComponent as NSString).deletingPathExtension
        let outputs = formats.map { "\(dir)/\(stem).\($0)" }
        let r = try runScreenplan(["report", screen] + outputs.flatMap { ["-o", $0] })
        #expect(r.status == 0, "\(screen): \(r.stderr)")
        for out in outputs {
            let text = try String(contentsOfFile: out, encoding: .utf8)
            #expect(!text.isEmpty, "\(out)")
        }
        let json =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(stem).json")))
            as? [String: Any]
        let analysis = try #require(json?["analysis"] as? [String: Any])
        let perturbations = try #require(analysis["perturbations"] as? [[String: Any]])
        // The order list prices exactly what the analysis costs.
        let order = try #require(json?["order"] as? [String: Any])
        let summary = try #require(analysis["summary"] as? [String: Any])
        let modelTotal = try #require(order["model_total"] as? Double)
        let cost = try #require(summary["cost"] as? Double)
        #expect(abs(modelTotal - cost) <= 1e-9 * max(1, cost), "\(screen): order \(modelTotal) vs analysis \(cost)")
        // One CSV/TSV row per perturbation, plus the header.
        for ext in ["csv", "tsv"] {
            let lines = try String(contentsOfFile: "\(dir)/\(stem).\(ext)", encoding: .utf8).split(separator: "\n")
            #expect(lines.count == perturbations.count + 1, "\(stem).\(ext)")
        }
        let md = try String(contentsOfFile: "\(dir)/\(stem).md", encoding: .utf8)
        #expect(md.contains("## What to order") && md.contains("sequencing flow cells"))
        jsonFiles.append("\(dir)/\(stem).json")
        let html = try runPythonCheck(["html", "\(dir)/\(stem).html", "\(dir)/\(stem).png"])
        #expect(html.status == 0, "\(html.stdout)\(html.stderr)")
    }
    #expect(!jsonFiles.isEmpty)
    let check = try runPythonCheck(["json", repositoryRoot + "/docs/report-schema.json"] + jsonFiles)
    #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
}

@Test func reportIsDeterministic() throws {
    let dir = temporaryDirectory("screenplan-report-cli")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let screen = sampleScreen("k562-essential-crispri.yaml")
    for run in ["a", "b"] {
        let r = try runScreenplan(
            ["report", screen, "--no-solve"] + formats.flatMap { ["-o", "\(dir)/\(run).\($0)"] })
        #expect(r.status == 0, "\(r.stderr)")
    }
    for ext in formats {
        let a = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/a.\(ext)"))
        let b = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/b.\(ext)"))
        #expect(a == b, "report.\(ext) differs between two runs")
    }
}

@Test func reportRefusesUnknownExtensionsWithExitTwo() throws {
    let dir = temporaryDirectory("screenplan-report-cli")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let r = try runScreenplan(["report", sampleScreen("k562-essential-crispri.yaml"), "-o", "\(dir)/report.pdf"])
    #expect(r.status == 2)
    #expect(
        r.stderr.contains("report.pdf: unknown report format; use one of .md, .html, .json, .csv, .tsv"), "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: "\(dir)/report.pdf"))
    let none = try runScreenplan(["report", sampleScreen("k562-essential-crispri.yaml")])
    #expect(none.status == 2)
    let missing = try runScreenplan(["report", "\(dir)/missing.yaml", "-o", "\(dir)/r.md"])
    #expect(missing.status == 2)
    #expect(missing.stderr.contains("no such file"))
    let badLayout = try runScreenplan([
        "report", sampleScreen("k562-essential-crispri.yaml"), "--layout", "zigzag", "-o", "\(dir)/r.md",
    ])
    #expect(badLayout.status == 2)
}
