import CVectorMath
import Foundation
import Testing

@testable import ScreenplanCore

// states.mtx.gz, cells.tsv and the other text outputs write reals as C's `%.6g`; the converter
// that replaced printf (CVectorMath.h) must print the same text.

private func printfG6(_ value: Double) -> String {
    var buffer = [CChar](repeating: 0, count: 64)
    let n = buffer.withUnsafeMutableBufferPointer { screenplan_format_g6_printf($0.baseAddress!, 64, value) }
    return String(decoding: buffer[0..<Int(n)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

private func appendedG6(_ value: Double) -> String {
    let buffer = ByteBuffer(capacity: 64)
    buffer.append(real: value)
    return String(decoding: buffer.bytes, as: UTF8.self)
}

@Test func realsAreWrittenAsPrintfWritesThem() {
    // Exact ties (half to even), carries into the next power of ten, the fixed/exponent switch
    // at 1e-4 and 1e6, negative values, zero, and values outside the fast range.
    let special: [Double] = [
        0, -0.0, 1, -1, 0.5, 1.5, 123456.5, 123457.5, 1_234_565, 999_999.5, 9_999_995, 999_999,
        1_000_000, 100_000, 0.0001, 0.00009999995, 0.0001234565, 1e-5, 2.5e-7, 0.1, 0.3, 7.0000005,
        1e29, 1e30, 1e-20, 1e-21, 5e-324, 1.7976931348623157e308, -3.25, .infinity, -.infinity, .nan,
    ]
    for v in special { #expect(appendedG6(v) == printfG6(v), "\(v)") }
    var rng = RandomStream(seed: 3, domain: .measurement, 1)
    var mismatches: [String] = []
    for i in 0..<300_000 {
        var v = Foundation.exp(rng.uniform() * 70 - 35)
        if i % 3 == 0 { v = (v * 1e4).rounded() / 1e4 }  // short decimals
        if i % 5 == 0 { v = Double(Int(rng.uniform() * 1e8)) / Double(1 << (i % 20)) }  // dyadic ties
        if i % 7 == 0 { v = -v }
        let a = appendedG6(v)
        let b = printfG6(v)
        if a != b { mismatches.append("\(v): \(a) vs \(b)") }
    }
    #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
}
