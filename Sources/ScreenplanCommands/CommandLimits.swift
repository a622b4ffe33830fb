import Foundation
import ScreenplanCore

/// Most worker threads a command accepts: far above any machine screenplan runs on, and small
/// enough that per-thread buffers (`--threads 9223372036854775807`) cannot exhaust memory.
public let maxThreads = 1024

/// Refuses an output folder before any work (empty, protected, foreign, dangling, read-only, or
/// holding an input); exit 2 with the reason.
public func checkOutputFolder(_ out: String, force: Bool, inputs: [String]) throws {
    do {
        try OutputSafety.checkDirectoryTarget(out, force: force, inputs: inputs)
    } catch let error as UnsafeOutputError {
        throw CommandFailure.input(error.description)
    } catch let error as OutputExistsError {
        throw CommandFailure.input(error.description)
    }
}

/// The files a run reads: the design and the network files it names.
public func runInputs(_ design: String, _ loaded: LoadedDesign) -> [String] {
    let d = loaded.design
    return [design]
        + [d.system.network.file, d.system.network.genesFile].compactMap { $0 }
        .map { DesignValidator.resolve($0, against: d.baseDirectory) }
}

/// Text for the terminal with the control characters of user strings (gene, medium and design
/// names) shown escaped, line by line, so a name cannot move the cursor or forge a line.
public func terminalSafe(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { TerminalText.escaped(String($0)) }
        .joined(separator: "\n")
}

/// A numerical failure of the model on a design that validated, with the fields that set it:
/// the validator's ranges keep every field finite, but a combination (strong activation with
/// little decay, say) can still leave the network without a finite steady state.
public func modelFailureHint(_ error: Error) -> String? {
    guard error is SteadyStateError || error is LAPACKError else { return nil }
    return "\(error): the network's kinetics have no finite steady state; check system.network "
        + "(weight_mean, half_response, hill_n, basal, decay_per_h), the media's inputs, or the weights of system.network.file"
}
