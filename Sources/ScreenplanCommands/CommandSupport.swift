import Foundation
import ScreenplanCore

// MARK: - Shared by the analysis commands

/// Loads and validates a design file; validation errors propagate (exit 2).
/// A missing file is reported as `FILE:1:1: (file): no such file`, located like every problem.
public func loadDesign(_ path: String) throws -> Design {
    return try DesignLoader.load(path: path).design
}

/// Runs analysis work, turning model failures into runtime failures (exit 1).
public func runtime<T>(_ work: () throws -> T) throws -> T {
    do {
        return try work()
    } catch let error as DesignValidationError {
        throw error
    } catch let error as CommandFailure {
        throw error
    } catch {
        throw CommandFailure.runtime("analysis failed: \(modelFailureHint(error) ?? "\(error)")")
    }
}

/// Pretty-printed JSON with sorted keys; non-finite numbers are written as null by the caller's
/// types (none are produced: an unreachable target is nil).
public func jsonText<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
