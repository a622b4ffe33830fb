import ArgumentParser
import Foundation
import ScreenplanCommands
import ScreenplanCore

/// `screenplan validate DESIGN...`: exit 0 when every design is valid, 2 otherwise.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check design files; print `file:line:column: field.path: message` for each problem.")

    @Argument(help: "Design files (YAML or JSON).")
    var designs: [String]

    @Flag(help: "Print nothing for valid designs.")
    var quiet = false

    func validate() throws {
        if designs.isEmpty { throw ValidationError("give at least one design file") }
    }

    func run() throws {
        var all: [DesignIssue] = []
        for path in designs {
            do {
                let loaded = try DesignLoader.load(path: path)
                // Fields with no effect: warnings on stderr, the design stays valid.
                for warning in DesignValidator.warnings(loaded) {
                    FileHandle.standardError.write(Data((warning.description + "\n").utf8))
                }
                if !quiet {
                    let d = loaded.design
                    print(
                        terminalSafe("\(path)")
                            + ": ok (\(d.perturbationCount) perturbations, \(d.cellsLoaded) cells loaded in \(d.batching.batches) \(d.batching.unit.rawValue)s)"
                    )
                }
            } catch let error as DesignValidationError {
                all += error.issues
            }
        }
        if !all.isEmpty { throw DesignValidationError(issues: all) }
    }
}
