import ArgumentParser
import Foundation
import ScreenplanCommands
import ScreenplanCore

/// `screenplan merge SHARD_DIR... --out DIR`: joins `simulate --shard` outputs into one output,
/// identical to an unsharded run.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the shard outputs of `simulate --shard I/N` into the unsharded output.")

    @Argument(help: "Shard output directories (all N shards, any order).")
    var shards: [String]

    @Option(name: .long, help: "Output directory (must not exist unless --force).")
    var out: String

    @Flag(name: .long, help: "Replace an existing output directory.")
    var force = false

    func validate() throws {
        if shards.isEmpty { throw ValidationError("give the shard directories to merge") }
    }

    func run() throws {
        do {
            try TenXWriter.merge(shards: shards, into: out, force: force)
            print("merged \(shards.count) shards into \(out)")
        } catch let error as OutputExistsError {
            throw CommandFailure.input(error.description)
        } catch let error as UnsafeOutputError {
            throw CommandFailure.input(error.description)
        } catch let error as MergeError {
            throw CommandFailure.input(error.description)
        } catch {
            throw CommandFailure.runtime("merge failed: \(error)")
        }
    }
}
