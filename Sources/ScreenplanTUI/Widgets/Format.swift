import Foundation

// MARK: - Number formatting for screens (locale-independent, so snapshots are stable)

/// An integer with thousands separators: 310385 → "310,385".
func grouped(_ n: Int) -> String {
    let digits = String(abs(n))
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return (n < 0 ? "-" : "") + out
}

/// A fixed-point number.
func fixed(_ x: Double, _ digits: Int) -> String {
    String(format: "%.\(digits)f", x)
}

/// An amount of money with its currency: "USD 123,456".
func money(_ amount: Double, _ currency: String) -> String {
    "\(currency) \(grouped(Int(amount.rounded())))"
}

/// Seconds as "1 h 02 min", "3 min 05 s" or "12 s".
func duration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    if s >= 3600 { return "\(s / 3600) h \(String(format: "%02d", (s % 3600) / 60)) min" }
    if s >= 60 { return "\(s / 60) min \(String(format: "%02d", s % 60)) s" }
    return "\(s) s"
}

/// `text` cut to `width` columns with an ellipsis.
func clip(_ text: String, _ width: Int, ellipsis: String) -> String {
    guard width > 0 else { return "" }
    guard text.count > width else { return text }
    if width <= ellipsis.count { return String(text.prefix(width)) }
    return String(text.prefix(width - ellipsis.count)) + ellipsis
}

/// `text` padded on the left to `width` columns.
func leftPad(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(0, width - text.count)) + text
}

/// Splits `text` into lines of at most `width` columns at spaces.
func wrap(_ text: String, _ width: Int) -> [String] {
    guard width > 0 else { return [] }
    var lines: [String] = []
    var line = ""
    for word in text.split(separator: " ") {
        if line.isEmpty {
            line = String(word)
        } else if line.count + 1 + word.count <= width {
            line += " " + word
        } else {
            lines.append(line)
            line = String(word)
        }
        while line.count > width {
            lines.append(String(line.prefix(width)))
            line = String(line.dropFirst(width))
        }
    }
    if !line.isEmpty { lines.append(line) }
    return lines
}
