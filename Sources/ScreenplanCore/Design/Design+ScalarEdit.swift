import Foundation
import Yams

// MARK: - Setting one scalar field without writing the design
//
// `Design.setting` reads an edit through the file's reader and validator by writing the whole
// design to YAML, replacing the value and reading it all back: a genome-scale design (thousands
// of combinations) takes tens of milliseconds per edit, and every recommendation's measured
// effect is such an edit. When the field is a scalar of a section and the design is known to
// read back as itself (it was loaded, or made by an edit), the same reader code reads a tree of
// that one field into a copy of the design, and the same validator checks the result. Any
// refusal takes the YAML path, so the message and its location are those of the file.

extension Design {
    /// Designs known to be exactly what reading their YAML gives (loaded from text, or made by
    /// `setting`): every field has passed the reader's type and range checks. A small recent
    /// set; a design not in it is edited through the YAML path.
    static let readBack = RecentCache<Design, Bool>(capacity: 8)

    /// Records `design` as one the reader accepted field by field.
    static func noteReadBack(_ design: Design) {
        readBack.store(design, true)
    }

    /// The design with the scalar field at `path` set to `text`, read and validated as the file
    /// reader would; nil when this fast path does not apply or the edit is refused (the caller
    /// then takes the YAML path, which gives the refusal its location in the file).
    func settingScalar(_ path: String, to text: String) -> Design? {
        guard !path.contains("["), let info = FieldCatalog.info(for: path), info.type != "section",
            !info.type.hasPrefix("list"), !info.type.hasPrefix("mapping")
        else { return nil }
        guard let composed = try? Yams.compose(yaml: text), case .scalar = composed,
            Design.readBack.value(self) != nil
        else { return nil }
        var tree = composed
        for key in Design.components(path).reversed() { tree = Node([(Node(key), tree)]) }
        let reader = DesignReader(file: "(edit)")
        var edited = self
        reader.read(root: tree, into: &edited)
        guard reader.issues.isEmpty,
            DesignValidator.validate(LoadedDesign(design: edited, file: "(edit)", locations: reader.locations))
                .isEmpty
        else { return nil }
        return edited
    }
}
