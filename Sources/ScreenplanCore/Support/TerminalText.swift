import Foundation

/// Text from a user's files (gene names, media, currencies, paths) shown on a terminal or in an
/// error message: control characters would let a gene name move the cursor, clear the screen or
/// forge a diagnostic line, so they are shown escaped instead (`\e`, `\n`, `\t`, `\r`, `\0`,
/// `\x07`, `\u{9B}`).
public enum TerminalText {
    /// `text` with every control character (C0, DEL, C1) and line/paragraph separator written
    /// as an escape; printable text, including non-ASCII letters, is unchanged.
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar) else {
                out.unicodeScalars.append(scalar)
                continue
            }
            switch scalar.value {
            case 0x1B: out += "\\e"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x00: out += "\\0"
            case 0x5C: out += "\\\\"
            case let v where v < 0x100: out += String(format: "\\x%02X", v)
            default: out += String(format: "\\u{%X}", scalar.value)
            }
        }
        return out
    }

    /// Whether a scalar would act on the terminal rather than print.
    static func needsEscape(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x20 || s.value == 0x7F || (0x80...0x9F).contains(s.value)
            || s.value == 0x2028 || s.value == 0x2029
    }
}
