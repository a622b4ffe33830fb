import ArgumentParser
import Foundation
import ScreenplanCore

// The entry point maps argument-parser outcomes onto screenplan's exit codes: 0 success,
// 1 runtime failure, 2 invalid input or usage (argument-parser's own default is 64).
var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.isEmpty { arguments = ["tui"] }
do {
    var command = try Screenplan.parseAsRoot(arguments)
    try command.run()
    fflush(nil)
    exit(0)
} catch let error as DesignValidationError {
    fflush(nil)
    FileHandle.standardError.write(Data((error.description + "\n").utf8))
    exit(2)
} catch let error as UnsafeOutputError {
    fflush(nil)
    FileHandle.standardError.write(Data(("screenplan: " + error.description + "\n").utf8))
    exit(2)
} catch let error as CommandFailure {
    fflush(nil)
    FileHandle.standardError.write(Data(("screenplan: " + terminalSafe(error.message) + "\n").utf8))
    exit(error.code)
} catch {
    fflush(nil)
    let code = Screenplan.exitCode(for: error)
    let message = Screenplan.fullMessage(for: error)
    if code == .success {
        print(message)
        fflush(nil)
        exit(0)
    }
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(code == .validationFailure ? 2 : (code.rawValue == 0 ? 1 : (code.rawValue == 64 ? 2 : code.rawValue)))
}
