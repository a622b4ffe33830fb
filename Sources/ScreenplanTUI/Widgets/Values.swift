// MARK: - Field values as people write them

/// A field value for display and editing: YAML's scientific forms of plain numbers
/// (`6e-1`, `3e+0`) become `0.6` and `3`; everything else is shown as written. Both read back
/// as the same number, so editing the displayed text never changes a value by accident.
func displayValue(_ text: String) -> String {
    guard text.contains("e") || text.contains("E"), let x = Double(text), x.isFinite else { return text }
    if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
    let plain = "\(x)"
    return plain.count <= text.count + 4 ? plain : text
}
