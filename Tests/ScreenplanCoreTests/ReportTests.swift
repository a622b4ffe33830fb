import Foundation
import TestSupport
import Testing

@testable import ScreenplanCore

// Report renderers against hand-built analysis results (ReportFixtures.swift).

@Suite struct ReportRendererTests {
    @Test func everyFormatIsWrittenForEverySampleScreenAndIsDeterministic() throws {
        let designs = try ReportFixture.sampleDesigns()
        #expect(!designs.isEmpty)
        let dir = temporaryDirectory("screenplan-reports")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (path, design) in designs {
            let model = ReportFixture.model(design)
            let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            for format in ReportFormat.allCases {
                let out = "\(dir)/\(stem).\(format.rawValue)"
                #expect(try ReportRenderer.write(model, to: out) == format)
                let written = try String(contentsOfFile: out, encoding: .utf8)
                // Rendering again, from a model built again, gives the same bytes.
                #expect(written == (try ReportRenderer.render(ReportFixture.model(design), as: format)), "\(out)")
                #expect(written.hasSuffix("\n"))
            }
        }
    }

    @Test func jsonValidatesAgainstTheDocumentedSchema() throws {
        let dir = temporaryDirectory("screenplan-json")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var files: [String] = []
        for (i, (_, design)) in try ReportFixture.sampleDesigns().enumerated() {
            let file = "\(dir)/report-\(i).json"
            try ReportRenderer.write(ReportFixture.model(design), to: file)
            files.append(file)
        }
        // An animal-batched variant exercises the unpriced order lines (null costs).
        var animals = try ReportFixture.sampleDesigns()[0].1
        animals.batching.unit = .animal
        animals.batching.batches = 6
        try ReportRenderer.write(ReportFixture.model(animals), to: "\(dir)/animals.json")
        files.append("\(dir)/animals.json")
        let check = try runPythonCheck(["json", repositoryRoot + "/docs/report-schema.json"] + files)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")

        let doc =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: files[0]))) as! [String: Any]
        #expect(doc["schema_version"] as? String == ReportModel.schemaVersion)
        let analysis = doc["analysis"] as! [String: Any]
        #expect(
            (analysis["perturbations"] as! [Any]).count == (try ReportFixture.sampleDesigns()[0].1.perturbationCount))
    }

    @Test func perturbationTableQuotesFieldsAndHasOneRowPerPerturbation() throws {
        let design = try ReportFixture.sampleDesigns()[0].1
        let model = ReportFixture.model(design)
        let csv = try ReportRenderer.render(model, as: .csv)
        let lines = csv.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == design.perturbationCount + 1)
        #expect(
            lines[0]
                == "perturbation,target,cells,batches,target_effect_log2,target_sd_log2,power,sampling_power,guide_effect_probability,de_genes,flags,target_umis_per_control_cell"
        )
        // Perturbation 3 carries a flag with a comma and quotes (fixture), which CSV must quote.
        #expect(
            lines[4].hasSuffix(
                ",\"few cells, \"\"QC\"\", loss\",\(String(format: "%.4f", model.analysis.perturbations[3].targetUmis))"
            ))
        let p = model.analysis.perturbations[0]
        #expect(
            lines[1]
                == "\(p.name),\(p.target),\(p.cells),\(p.batches),-0.400000,0.120000,\(String(format: "%.6f", p.power)),\(String(format: "%.6f", p.samplingPower)),\(String(format: "%.6f", p.guideEffectProbability)),1.00,,\(String(format: "%.4f", p.targetUmis))"
        )
        let tsv = try ReportRenderer.render(model, as: .tsv)
        let tsvLines = tsv.split(separator: "\n")
        #expect(tsvLines.count == design.perturbationCount + 1)
        #expect(tsvLines.allSatisfy { $0.split(separator: "\t", omittingEmptySubsequences: false).count == 12 })
    }

    @Test func markdownHasEverySectionAndWellFormedTables() throws {
        var design = try ReportFixture.sampleDesigns()[0].1
        design.name = "pipe | test"
        let md = MarkdownReport.render(ReportFixture.model(design))
        for heading in [
            "# Screen design report: pipe | test", "## Summary", "## What to order", "## Design", "## Layout",
            "## Error budget", "## Power", "### Lowest-power perturbations", "## Recommendations",
            "## Model assumptions",
        ] {
            #expect(md.contains("\n\(heading)\n") || md.hasPrefix(heading + "\n"), "\(heading)")
        }
        // In each table every row has as many unescaped pipes as its header.
        var expected: Int? = nil
        for line in md.split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix("|") else {
                expected = nil
                continue
            }
            let pipes = line.replacingOccurrences(of: "\\|", with: "").filter { $0 == "|" }.count
            if let e = expected { #expect(pipes == e, "\(line)") } else { expected = pipes }
        }
        #expect(md.contains("Apply: `sampling.cells_per_perturbation` = `200`"))
    }

    @Test func htmlIsSelfContained() throws {
        let design = try ReportFixture.sampleDesigns()[0].1
        let html = HTMLReport.render(ReportFixture.model(design))
        #expect(!html.lowercased().contains("<script"))
        #expect(html.contains("Content-Security-Policy"))
        #expect(html.components(separatedBy: "<svg ").count - 1 == 4)  // cost, layout, error budget, one power curve
        // Text from the analysis is escaped.
        #expect(html.contains("&lt;already the case&gt; &amp; check"))
        #expect(html.contains("@media print"))
    }

    @Test func htmlRendersInHeadlessChromium() throws {
        let design = try ReportFixture.sampleDesigns()[0].1
        // SCREENPLAN_KEEP_ARTIFACTS=DIR keeps the report and its screenshot for a look.
        let keep = ProcessInfo.processInfo.environment["SCREENPLAN_KEEP_ARTIFACTS"]
        let dir = keep ?? temporaryDirectory("screenplan-html")
        defer { if keep == nil { try? FileManager.default.removeItem(atPath: dir) } }
        try ReportRenderer.write(ReportFixture.model(design), to: "\(dir)/report.html")
        try ReportRenderer.write(ReportFixture.model(design), to: "\(dir)/report.md")
        let check = try runPythonCheck(["html", "\(dir)/report.html", "\(dir)/report.png"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    }

    @Test func unknownExtensionListsTheValidOnes() throws {
        #expect(ReportFormat(path: "x/report.MD") == .markdown)
        #expect(ReportFormat(path: "report.pdf") == nil)
        #expect(ReportFormat(path: "report") == nil)
        let model = ReportFixture.model(try ReportFixture.sampleDesigns()[0].1)
        #expect {
            try ReportRenderer.write(model, to: "/tmp/report.pdf")
        } throws: { error in
            "\(error)" == "/tmp/report.pdf: unknown report format; use one of .md, .html, .json, .csv, .tsv"
        }
    }
}

@Suite struct OrderListTests {
    /// The K562 sample screen by hand: 2,000 perturbations × 150 cells + √2000 × 150 = 6,708
    /// controls = 306,708 cells after QC; / 0.8 → 383,385 loaded over 28 lanes.
    @Test func k562OrderMatchesHandComputation() throws {
        let design = try DesignLoader.load(path: sampleScreen("k562-essential-crispri.yaml")).design
        let o = OrderList(design: design)
        #expect(design.cellsLoaded == 383_385)
        #expect(o.line("lanes")?.quantity == 28)
        #expect(o.line("lanes")?.cost == 19_600)
        #expect(o.line("kits")?.quantity == 4)  // ⌈28 / 8⌉
        #expect(o.line("kits")?.cost == 22_400)
        #expect(o.line("cells_per_lane")?.quantity == 13_693)  // ⌈383,385 / 28⌉
        #expect(o.line("cells")?.quantity == 383_385)
        // 383,385 × 25,000 reads = 9,584.625 million reads; 3 flow cells of 4.1e9.
        #expect(abs((o.line("reads")?.quantity ?? 0) - 9_584.625) < 1e-9)
        #expect(o.line("flow_cells")?.quantity == 3)
        // Model: 19,600 + 34,504.65 + 32,683.571_25 = 86,788.221_25 USD; purchase: 22,400 + 34,504.65 + 42,000.
        #expect(abs(o.modelTotal - 86_788.221_25) < 1e-6)
        #expect(abs(o.purchaseTotal - 98_904.65) < 1e-6)
        #expect(o.currency == "USD")
    }

    @Test func animalsArePricedPerAnimalAndLanesAreCounted() throws {
        var design = try DesignLoader.load(path: sampleScreen("k562-essential-crispri.yaml")).design
        design.batching.unit = .animal
        design.batching.batches = 6
        let o = OrderList(design: design)
        #expect(o.line("batches")?.cost == 6 * design.cost.perBatch)
        // 383,385 / 6 = 63,898 cells per animal → 4 lanes of 20,000 each → 24 lanes, 3 kits.
        #expect(o.line("lanes")?.quantity == 24)
        #expect(o.line("lanes")?.cost == nil)
        #expect(o.line("kits")?.quantity == 3)
        #expect(o.line("kits")?.cost == nil)
        #expect(o.line("cells_per_lane")?.quantity == 15_975)  // ⌈383,385 / 24⌉
    }
}

@Suite struct ReportPieceTests {
    @Test func numbersAreLocaleFreeAndStable() {
        #expect(ReportNumber.integer(1_234_567) == "1,234,567")
        #expect(ReportNumber.integer(-1000) == "-1,000")
        #expect(ReportNumber.integer(999) == "999")
        #expect(ReportNumber.fixed(-0.0001, 2) == "0.00")
        #expect(ReportNumber.fixed(-12345.678, 1) == "-12,345.7")
        #expect(ReportNumber.percent(0.8316) == "83.2%")
        #expect(ReportNumber.money(86_788.221_25, "USD") == "86,788.22 USD")
        #expect(ReportNumber.quantity(28) == "28")
        #expect(ReportNumber.quantity(9_584.626) == "9,584.63")
        #expect(ReportNumber.fixed(.nan, 2) == "n/a")
    }

    @Test func layoutGroupingKeepsEveryCell() {
        let names = (0..<2000).map { "P\($0)" }
        let cells = names.indices.map { p in (0..<7).map { ($0 + p) % 3 } }
        let l = LayoutSummary.grouping(
            name: "pooled", unit: "lane", perturbations: names, cells: cells,
            controls: Array(repeating: 10, count: 7), maxRows: 40)
        #expect(l.rows.count == 40)
        #expect(l.rows.allSatisfy { $0.perturbations == 50 })
        #expect(l.rows[0].label == "P0…P49")
        let total: Int = cells.reduce(0) { $0 + $1.reduce(0, +) }
        let perturbed: Int = l.perturbedCells.reduce(0, +)
        #expect(perturbed == total)
        let fromRows: Double = l.rows.reduce(0.0) { $0 + $1.meanCells.reduce(0, +) * Double($1.perturbations) }
        #expect(abs(fromRows - Double(total)) < 1e-6)
        #expect(l.batchLabels == (1...7).map { "lane \($0)" })
    }

    @Test func niceTicksAreRound() {
        #expect(SVGPlots.niceTicks(25, 600) == [100, 200, 300, 400, 500, 600])
        #expect(SVGPlots.niceTicks(0, 1) == [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0])
    }
}

@Suite struct ReportFromAnalysisTests {
    private static let small = """
        name: small report screen
        system:
          genes: 200
          network: {seed: 3, regulators: 40}
        perturbations:
          targets: 20
          moi: 3
        sampling:
          cells_per_perturbation: 100
        measurement:
          measured_genes: 500
        batching:
          batches: 4
          controls_in_fraction: 0.5
        """

    @Test func theOrderListPricesWhatTheAnalysisCosts() throws {
        let design = try DesignLoader.load(text: Self.small, file: "small.yaml").design
        let model = try ReportModel.build(design: design, solve: false)
        let breakdown = try #require(model.analysis.costBreakdown)
        // High MOI: a cell carries ~MOI guides, so fewer cells than perturbed slots are loaded;
        // the design's count, the analysis's and the order agree (CellBudget).
        #expect(model.order.line("cells")?.quantity == Double(breakdown.cellsLoaded))
        #expect(breakdown.cellsLoaded == design.cellsLoaded)
        #expect(Double(breakdown.cellsLoaded) < Double(design.perturbedCells) / design.sampling.qcPassFraction)
        #expect(abs(model.order.modelTotal - model.analysis.summary.cost) < 1e-9 * model.analysis.summary.cost)
        #expect(model.order.line("kits")?.quantity == Double(breakdown.kits))
        #expect(model.order.line("flow_cells")?.quantity == Double(breakdown.flowCells))
        #expect(model.layout.rows.count == 20)
        #expect(model.layout.controlCells.filter { $0 > 0 }.count == 2)
        #expect(model.powerCurves.map(\.id) == ["power-vs-cells", "power-vs-effect", "downstream-power"])
        let cellsCurve = model.powerCurves[0].series[0].points
        #expect(cellsCurve.map(\.x) == [25, 50, 75, 100, 150, 200, 300, 400])
        // More cells never lose power.
        #expect(zip(cellsCurve, cellsCurve.dropFirst()).allSatisfy { $0.power <= $1.power + 1e-12 })
        #expect(cellsCurve.first { $0.x == 100 }?.power == model.analysis.summary.medianPower)
        // The downstream gene: one series per depth, more cells and more reads never lose power,
        // and each label names the target-power contour.
        let downstream = model.powerCurves[2]
        #expect(downstream.series.count == ReportModel.downstreamReadFactors.count)
        for series in downstream.series {
            #expect(zip(series.points, series.points.dropFirst()).allSatisfy { $0.power <= $1.power + 1e-12 })
            #expect(series.label.contains("reads per cell"))
        }
        for (shallow, deep) in zip(downstream.series, downstream.series.dropFirst()) {
            #expect(zip(shallow.points, deep.points).allSatisfy { $0.power <= $1.power + 1e-9 })
        }
        #expect(model.analysis.mdeByExpressionDecile?.count == 10)
    }

    @Test func writeDesignPicksTheFormatFromTheExtension() throws {
        let design = try DesignLoader.load(text: Self.small, file: "small.yaml").design
        let dir = temporaryDirectory("screenplan-report-design")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try ReportRenderer.write(design: design, to: "\(dir)/r.tsv", solve: false) == .tsv)
        let lines = try String(contentsOfFile: "\(dir)/r.tsv", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 21)
        #expect(throws: ReportPathError.self) { try ReportRenderer.write(design: design, to: "\(dir)/r.docx") }
    }
}
