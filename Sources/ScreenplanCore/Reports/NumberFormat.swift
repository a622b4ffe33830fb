import Foundation

// MARK: - Stable number formatting for reports
//
// Reports must be byte-identical for the same design and version, on any machine and locale, so
// numbers are formatted here with C-locale printf formats and a fixed thousands separator, never
// with a locale-aware formatter.

/// Locale-independent number formatting shared by the report renderers.
public enum ReportNumber {
    /// An integer with "," between thousands: 1234567 → "1,234,567".
    public static func integer(_ value: Int) -> String {
        formatThousands(Double(value))
    }

    /// A fixed-point number with `digits` decimals and thousands separators; never "-0.00".
    public static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "n/a" : (value > 0 ? "∞" : "-∞") }
        // A value that rounds to zero is written without a sign.
        let roundsToZero = abs(value) * pow(10, Double(digits)) < 0.5
        return formatThousands(roundsToZero ? 0 : value, decimals: digits)
    }

    /// A share (0…1) as a percentage with one decimal: 0.8316 → "83.2%".
    public static func percent(_ share: Double, _ digits: Int = 1) -> String {
        fixed(share * 100, digits) + "%"
    }

    /// An amount of money with two decimals and its currency: "12,345.00 USD".
    public static func money(_ amount: Double, _ currency: String) -> String {
        fixed(amount, 2) + " " + currency
    }

    /// A count that may be fractional: integers without decimals, others with `digits`.
    public static func quantity(_ value: Double, _ digits: Int = 2) -> String {
        if value.isFinite && value == value.rounded() && abs(value) < 1e15 { return integer(Int(value)) }
        return fixed(value, digits)
    }

    /// A compact value for plain numbers such as effect sizes: three significant digits
    /// ("%.3g"), never "-0".
    public static func short(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "n/a" : (value > 0 ? "∞" : "-∞") }
        let text = String(format: "%.3g", value)
        return text == "-0" ? "0" : text
    }
}
