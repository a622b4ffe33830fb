import Foundation

// MARK: - The one owner of "which network does this design describe"
//
// A design's network is read from its file (`system.network.file`, with an optional genes
// table), stands for an expression profile's genes (a profile and no file), or is generated from
// the network seed. Validation, the analysis, the simulator, Monte Carlo and the TUI all ask here,
// so they see the same network; a file is read once per content (path, size and modification
// time) and its problems are reported at file:line, next to the design field that named it.

/// Loads the network a design describes, once per file content.
public enum NetworkLoader {
    /// The network of a loaded design; problems with its file are `DesignValidationError`s at the
    /// file's line and column, referring to the design's `system.network.file` location.
    public static func network(for loaded: LoadedDesign) throws -> Network {
        try network(loaded.design, referencedAt: loaded.location(of: "system.network.file"))
    }

    /// The network of a design without its source text (the TUI's edited copy, Monte Carlo): the
    /// same network; a file's problems are located in the file only.
    public static func network(for design: Design) throws -> Network {
        try network(design, referencedAt: nil)
    }

    static func network(_ design: Design, referencedAt: SourceLocation?) throws -> Network {
        let spec = design.system.network
        if let file = spec.file {
            return try read(
                edgesPath: DesignValidator.resolve(file, against: design.baseDirectory),
                genesPath: spec.genesFile.map { DesignValidator.resolve($0, against: design.baseDirectory) },
                defaults: NetworkFile.Defaults(spec), referencedAt: referencedAt)
        }
        if let profiled = try ExpressionProfile.network(for: design) { return profiled }
        return NetworkGenerator.generate(design.system)
    }

    /// What identifies a file's content without reading it.
    struct FileStamp: Equatable {
        var path: String
        var size: UInt64
        var modified: Date?

        init?(_ path: String?) {
            guard let path, let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
                return nil
            }
            self.path = path
            size = (attributes[.size] as? NSNumber)?.uint64Value ?? 0
            modified = attributes[.modificationDate] as? Date
        }
    }

    struct Key: Equatable {
        var edges: FileStamp
        var genes: FileStamp?
        var defaults: NetworkFile.Defaults
    }

    /// The most recently read files' networks: a TUI session re-analyses the same design many
    /// times, and a few entries cover a comparison of designs.
    static let cacheLimit = 4
    private static let cache = Locked([(key: Key, network: Network)]())

    /// Reads (or recalls) a network file. A file that does not exist or cannot be read is never
    /// cached, so its error names the design field each time.
    static func read(
        edgesPath: String, genesPath: String?, defaults: NetworkFile.Defaults, referencedAt: SourceLocation?
    ) throws -> Network {
        let genesStamp = FileStamp(genesPath)
        guard let edgesStamp = FileStamp(edgesPath), genesPath == nil || genesStamp != nil else {
            return try NetworkFile.read(
                edgesPath: edgesPath, genesPath: genesPath, defaults: defaults, referencedAt: referencedAt)
        }
        let key = Key(edges: edgesStamp, genes: genesStamp, defaults: defaults)
        if let hit = cache.withLock({ entries in entries.first { $0.key == key }?.network }) { return hit }
        let network = try NetworkFile.read(
            edgesPath: edgesPath, genesPath: genesPath, defaults: defaults, referencedAt: referencedAt)
        cache.withLock { entries in
            entries.removeAll { $0.key == key }
            entries.append((key, network))
            if entries.count > cacheLimit { entries.removeFirst(entries.count - cacheLimit) }
        }
        return network
    }
}
