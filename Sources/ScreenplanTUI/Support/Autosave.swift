import Foundation
import ScreenplanCore

// MARK: - The autosave side file: every edit is written there, so a crash loses nothing
//
// A design opened from `dir/NAME` autosaves to `dir/.NAME.screenplan-autosave` (next to it, so it
// follows the design when the folder moves); the embedded design, which has no folder, autosaves
// under `$XDG_STATE_HOME/screenplan/` (default `~/.local/state/screenplan/`). A save or a
// deliberate quit removes the side file; one left behind is offered for recovery on next start.
//
// When the design's folder cannot be written (read-only, full), the side file goes to the
// user's state folder instead (`$XDG_STATE_HOME/screenplan/`, named after the side file's full
// path), the status line says so at once, and recovery and removal look in both places.

/// Where the side file lives, and writing, reading and removing it.
public enum Autosave {
    /// Where the side file of a design lives.
    public static func path(for document: DesignDocument, environment: [String: String]) -> String {
        if let path = document.path {
            let url = URL(fileURLWithPath: path)
            return url.deletingLastPathComponent().appendingPathComponent(
                ".\(url.lastPathComponent).screenplan-autosave"
            ).path
        }
        let state: String
        if let xdg = environment["XDG_STATE_HOME"], xdg.hasPrefix("/") {
            state = xdg
        } else {
            state = (environment["HOME"] ?? NSTemporaryDirectory()) + "/.local/state"
        }
        return state + "/screenplan/" + document.displayName + ".screenplan-autosave"
    }

    /// The user's state folder for screenplan: `$XDG_STATE_HOME/screenplan`, else
    /// `~/.local/state/screenplan` (the XDG Base Directory default).
    public static func stateDirectory(environment: [String: String]) -> String {
        if let xdg = environment["XDG_STATE_HOME"], xdg.hasPrefix("/") { return xdg + "/screenplan" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.local/state/screenplan"
    }

    /// Where the side file `path` goes when its own folder cannot be written: the state folder,
    /// under a name made from the full path (`/` written as `%2F`), so two designs of the same
    /// name in different folders never share it. Nil when `path` is in the state folder already.
    public static func fallbackPath(
        for path: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String? {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let state = stateDirectory(environment: environment)
        if absolute.hasPrefix(state + "/") { return nil }
        let name = absolute.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "/", with: "%2F")
        return state + "/" + name
    }

    /// What an autosave did: written where asked, written to the state folder instead, or not
    /// written at all (the edits are then only in memory).
    public enum Outcome: Equatable, Sendable {
        case written
        case fellBack(path: String, reason: String)
        case failed(reason: String)
    }

    /// Writes the side file, or its fallback in the state folder when that fails.
    public static func write(_ design: Design, to path: String, environment: [String: String]) -> Outcome {
        do {
            try write(design, to: path)
            if let fallback = fallbackPath(for: path, environment: environment) { remove(single: fallback) }
            return .written
        } catch {
            let reason = "\(error)"
            guard let fallback = fallbackPath(for: path, environment: environment) else {
                return .failed(reason: reason)
            }
            do {
                try write(design, to: fallback)
                return .fellBack(path: fallback, reason: reason)
            } catch {
                return .failed(reason: reason + "; also \(error)")
            }
        }
    }

    /// The design of the newer of the side file and its state-folder fallback, if either reads
    /// as a valid design.
    public static func load(
        path: String, baseDirectory: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> Design? {
        let candidates = [path] + [fallbackPath(for: path, environment: environment)].compactMap { $0 }
        let dated = candidates.compactMap { candidate -> (Date, String)? in
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: candidate),
                let date = attributes[.modificationDate] as? Date
            else { return nil }
            return (date, candidate)
        }.sorted { $0.0 > $1.0 }
        for (_, candidate) in dated {
            if let design = loadSingle(path: candidate, baseDirectory: baseDirectory) { return design }
        }
        return nil
    }

    /// The design in one side file, if it reads as a valid design.
    static func loadSingle(path: String, baseDirectory: String) -> Design? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            let loaded = try? DesignLoader.load(text: text, file: path, baseDirectory: baseDirectory)
        else {
            return nil
        }
        var design = loaded.design
        design.baseDirectory = baseDirectory
        return design
    }

    /// Writes the design to the side file (creating its folder), atomically.
    public static func write(_ design: Design, to path: String) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try writeAtomically(try design.yamlText(), to: path)
    }

    /// Removes the side file and its state-folder fallback; a missing file is not an error.
    public static func remove(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        remove(single: path)
        if let fallback = fallbackPath(for: path, environment: environment) { remove(single: fallback) }
    }

    static func remove(single path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }
}
