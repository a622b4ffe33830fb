import Foundation

/// A failure with a message and an exit code, printed without a stack trace.
public struct CommandFailure: Error {
    /// What the user reads after `screenplan: ` on standard error.
    public var message: String
    /// The exit code: 2 invalid input or usage, 1 runtime failure.
    public var code: Int32

    public init(message: String, code: Int32) {
        self.message = message
        self.code = code
    }

    /// Invalid input or usage (exit 2).
    public static func input(_ message: String) -> CommandFailure { CommandFailure(message: message, code: 2) }
    /// A failure of the work itself (exit 1).
    public static func runtime(_ message: String) -> CommandFailure { CommandFailure(message: message, code: 1) }

    /// The failure an option's `transform` or an option group's `validate()` threw, when
    /// argument-parser hands it back wrapped in its own parse error: the user then sees
    /// screenplan's message and exit code (`screenplan: --format: …`, 2) instead of the generic
    /// "The value … is invalid" with a usage line. argument-parser keeps the thrown error as a
    /// payload of its (internal) error value, so it is found by reflection, a few levels deep.
    public static func wrapped(in error: Error) -> CommandFailure? {
        func find(_ value: Any, depth: Int) -> CommandFailure? {
            if let failure = value as? CommandFailure { return failure }
            guard depth > 0 else { return nil }
            for child in Mirror(reflecting: value).children {
                if let failure = find(child.value, depth: depth - 1) { return failure }
            }
            return nil
        }
        return find(error, depth: 6)
    }
}
