import Foundation

// MARK: - Checks of system.cell_types and analysis.cell_type

extension DesignValidator {
    /// How far the fractions may sum from 1 (rounded published fractions: 0.6 + 0.15 + … ).
    public static let cellTypeFractionTolerance = 0.01

    /// Names unique and non-empty, fractions in (0, 1] summing to 1 within
    /// `cellTypeFractionTolerance`, every profile readable, `analysis.cell_type` a type's name.
    static func validateCellTypes(_ loaded: LoadedDesign) -> [DesignIssue] {
        var issues: [DesignIssue] = []
        let d = loaded.design
        func issue(_ path: String, _ message: String) {
            issues.append(DesignIssue(location: loaded.location(of: path), path: path, message: message))
        }
        let types = d.system.cellTypes.types
        var seen = Set<String>()
        for (i, t) in types.enumerated() {
            let path = "system.cell_types.types[\(i)]"
            if t.name.trimmingCharacters(in: .whitespaces).isEmpty {
                issue(path + ".name", "needs a name, e.g. `name: hepatocyte`")
            } else if !seen.insert(t.name).inserted {
                issue(path + ".name", "cell type `\(t.name)` is listed twice")
            } else if t.name == CellTypeAssignment.pooledName {
                issue(
                    path + ".name",
                    "`\(CellTypeAssignment.pooledName)` is reserved for all cells pooled; choose another name")
            }
            if !(t.fraction > 0) {
                issue(
                    path + ".fraction",
                    "must be > 0 (a type with no cells has no power to predict); remove the type instead")
            }
            if let file = t.profile {
                let resolved = resolve(file, against: d.baseDirectory)
                if !FileManager.default.isReadableFile(atPath: resolved) {
                    issue(path + ".profile", "cannot read `\(resolved)`: no such file or not readable")
                } else {
                    do {
                        _ = try CellTypeExpression.profiles(path: resolved, type: t.name, design: d)
                    } catch {
                        issue(path + ".profile", "cannot be used: \(error)")
                    }
                }
            }
        }
        if !types.isEmpty {
            let sum = types.reduce(0) { $0 + $1.fraction }
            if abs(sum - 1) > cellTypeFractionTolerance {
                issue(
                    "system.cell_types.types",
                    String(
                        format: "the fractions sum to %.4g; they must sum to 1 (within %.2g)", sum,
                        cellTypeFractionTolerance))
            }
        }
        if !(d.system.cellTypes.concentration > 0) {
            issue("system.cell_types.concentration", "must be > 0")
        }
        if let chosen = d.analysis.cellType, !types.contains(where: { $0.name == chosen }) {
            var message =
                types.isEmpty
                ? "names cell type `\(chosen)` but system.cell_types lists none"
                : "unknown cell type `\(chosen)`; system.cell_types lists \(types.map(\.name).joined(separator: ", "))"
            if let guess = suggestion(for: chosen, among: types.map(\.name)) { message += "; did you mean `\(guess)`?" }
            issue("analysis.cell_type", message)
        }
        return issues
    }
}
