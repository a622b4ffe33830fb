import Foundation
import ScreenplanCore

// MARK: - The autosave side file: every edit is written there, so a crash loses nothing
//
// A design opened from `dir/NAME` autosaves to `dir/.NAME.screenplan-autosave` (next to it, so it
// follows the design when the folder moves); the embedded design, which has no folder, autosaves
// under `$XDG_STATE_HOME/screenplan/` (default `~/.local/state/screenplan/`). A save or a
// deliberate quit removes the side file; one left behind is offered for recovery on next start.

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

    /// The design in a side file, if there is one that reads as a valid design.
    public static func load(path: String, baseDirectory: String) -> Design? {
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

    /// Removes the side file; a missing file is not an error.
    public static func remove(path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }
}
