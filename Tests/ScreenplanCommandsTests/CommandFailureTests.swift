import ArgumentParser
import ScreenplanCommands
import ScreenplanCore
import Testing

// A refusal thrown by an option's transform or an option group's validate() reaches the user in
// screenplan's words: argument-parser wraps it, `CommandFailure.wrapped(in:)` finds it again.

private struct Probe: ParsableCommand {
    struct Threads: ParsableArguments {
        @Option var threads: Int?
        func validate() throws {
            if let threads, threads < 1 {
                throw CommandFailure.input("--threads must be in [1, 1024] (got \(threads))")
            }
        }
    }

    @Option(transform: { text in
        guard let layout = LayoutStrategy(rawValue: text), layout != .explicit else {
            throw CommandFailure.input(LayoutStrategy.refusal(text))
        }
        return layout
    })
    var layout: LayoutStrategy?

    @OptionGroup var threads: Threads
}

@Suite struct CommandFailureTests {
    func failure(_ arguments: [String]) -> CommandFailure? {
        do {
            _ = try Probe.parse(arguments)
            return nil
        } catch {
            #expect(!(error is CommandFailure), "argument-parser handed the failure back unwrapped")
            return CommandFailure.wrapped(in: error)
        }
    }

    @Test func aTransformsRefusalIsFoundInsideTheParseError() throws {
        let found = try #require(failure(["--layout", "explicit"]))
        #expect(found.code == 2)
        #expect(
            found.message
                == "layout `explicit` is written in the design (batching.explicit_cells), not chosen on the command line"
        )
        #expect(
            try #require(failure(["--layout", "zigzag"])).message.hasPrefix("unknown layout `zigzag`; valid: pooled"))
    }

    @Test func anOptionGroupsRefusalIsFoundToo() throws {
        #expect(try #require(failure(["--threads", "0"])).message == "--threads must be in [1, 1024] (got 0)")
    }

    @Test func argumentParsersOwnErrorsAreNotMistakenForOne() {
        #expect(failure(["--threads", "x"]) == nil)
        #expect(failure(["--unknown"]) == nil)
        #expect(failure(["--layout", "pooled", "--threads", "4"]) == nil)
    }
}
