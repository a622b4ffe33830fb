import ArgumentParser
import Foundation
import ScreenplanCommands
import ScreenplanCore

// The entry point maps argument-parser outcomes onto screenplan's exit codes: 0 success,
// 1 runtime failure, 2 invalid input or usage (argument-parser's own default is 64).
/// Exits with `code`; after a failed HDF5 close, without running libhdf5's exit handler, which
/// would crash on the half-closed file (output is flushed first either way).
func terminate(_ code: Int32) -> Never {
    fflush(nil)
    if HDF5Library.closeFailed { _exit(code) }
    exit(code)
}

var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.isEmpty { arguments = ["tui"] }
do {
    var command = try Screenplan.parseAsRoot(arguments)
    try command.run()
    fflush(nil)
    terminate(0)
} catch let error as DesignValidationError {
    fflush(nil)
    FileHandle.standardError.write(Data((error.description + "\n").utf8))
    terminate(2)
} catch let error as UnsafeOutputError {
    fflush(nil)
    FileHandle.standardError.write(Data(("screenplan: " + error.description + "\n").utf8))
    terminate(2)
} catch let error as CommandFailure {
    fflush(nil)
    FileHandle.standardError.write(Data(("screenplan: " + terminalSafe(error.message) + "\n").utf8))
    terminate(error.code)
} catch {
    fflush(nil)
    if let failure = CommandFailure.wrapped(in: error) {
        // An option value or option group refused in screenplan's words (SharedOptions.swift).
        FileHandle.standardError.write(Data(("screenplan: " + terminalSafe(failure.message) + "\n").utf8))
        terminate(failure.code)
    }
    let code = Screenplan.exitCode(for: error)
    let message = Screenplan.fullMessage(for: error)
    if code == .success {
        print(message)
        fflush(nil)
        terminate(0)
    }
    FileHandle.standardError.write(Data((message + "\n").utf8))
    terminate(code == .validationFailure ? 2 : (code.rawValue == 0 ? 1 : (code.rawValue == 64 ? 2 : code.rawValue)))
}
