import Foundation
import ScreenplanCommands
import ScreenplanCore
import TestSupport
import Testing

// `screenplan compare` in process: which layouts it compares, that each column is exactly what
// `analyze` says of that layout, and what it refuses before analysing anything.

func design(_ text: String) throws -> Design {
    try DesignLoader.load(text: text, file: "small.yaml").design
}

@Suite struct ComparisonTests {
    @Test func defaultLayoutsStartWithTheDesignsOwnAndFollowTheRegime() throws {
        var d = try design(smallScreen)
        #expect(Comparison.defaultLayouts(of: d) == [.pooled, .subLibraries, .confounded, .balancedIncomplete])
        d.batching.layout = .confounded
        #expect(Comparison.defaultLayouts(of: d) == [.confounded, .pooled, .subLibraries, .balancedIncomplete])
        // The liver screen is in vivo: per-animal joins; the design's explicit matrix never does.
        let liver = try DesignLoader.load(path: sampleScreen("liver-invivo-crispr.yaml")).design
        let layouts = Comparison.defaultLayouts(of: liver)
        #expect(layouts.first == liver.batching.layout && layouts.contains(.perAnimal))
        #expect(Set(layouts).count == layouts.count && !layouts.contains(.explicit))
        d.batching.layout = .explicit
        #expect(!Comparison.defaultLayouts(of: d).contains(.explicit))
    }

    @Test func eachLayoutColumnIsTheAnalysisOfThatLayout() throws {
        let d = try design(smallScreen)
        let entries = try Comparison.layouts(of: d, [.pooled, .confounded])
        #expect(entries.map(\.label) == ["pooled", "confounded"])
        for (entry, layout) in zip(entries, [LayoutStrategy.pooled, .confounded]) {
            let alone = try Analyzer().analyze(d, layout: layout)
            #expect(entry == CompareEntry(label: layout.rawValue, result: alone))
        }
        // Confounding batch with perturbation adds variance: the confounded column is less precise.
        #expect(entries[1].medianSd > entries[0].medianSd)
        // The JSON is {"layouts": [...]} and reads back to the same entries; the text names both.
        let json = try Comparison.render(entries, json: true)
        #expect(try JSONDecoder().decode(Comparison.Output.self, from: Data(json.utf8)).layouts == entries)
        let text = try Comparison.render(entries, json: false)
        #expect(text.contains("pooled") && text.contains("confounded"))
    }

    @Test func twoDesignsAreAAndBEachOnItsOwnLayout() throws {
        let a = try design(smallScreen)
        let b = try design(
            smallScreen.replacingOccurrences(of: "cells_per_perturbation: 100", with: "cells_per_perturbation: 300"))
        let entries = try Comparison.designs(a, b)
        #expect(entries.map(\.label) == ["A", "B"])
        #expect(entries[1].summary.cost > entries[0].summary.cost)
        #expect(entries[1].summary.medianPower >= entries[0].summary.medianPower)
        #expect(entries[0] == CompareEntry(label: "A", result: try Analyzer().analyze(a)))
    }

    @Test func aLayoutTheReplicatesCannotFillIsRefusedBeforeAnyAnalysis() throws {
        var d = try design(smallScreen)
        d.batching.replicates = 6
        #expect(throws: Never.self) { try Comparison.layouts(of: d, [.pooled]) }
        do {
            _ = try Comparison.layouts(of: d, [.pooled, .balancedIncomplete])
            Issue.record("balanced-incomplete with 6 replicates in 4 batches was compared")
        } catch let failure as CommandFailure {
            #expect(failure.code == 2)
            #expect(failure.message == "layout `balanced-incomplete` needs batching.replicates ≤ batching.batches")
        }
    }
}
