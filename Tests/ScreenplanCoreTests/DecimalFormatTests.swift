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

@Test func exactConverterMatchesPrintfAtTheEdgesOfItsRange() {
    // The integer path covers 2^-47…2^20 within 1e-14…1e6; values around its limits, powers of
    // two and ten, and their neighbours one ulp away.
    var values: [Double] = []
    for e in -16...7 {
        let p = Foundation.pow(10.0, Double(e))
        values += [p, p.nextUp, p.nextDown, p * 0.9999995, p * 9.999995, p * 1.000005]
    }
    for b in -49...21 {
        let p = Foundation.ldexp(1.0, b)
        values += [p, p.nextUp, p.nextDown]
    }
    var rng = RandomStream(seed: 5, domain: .measurement, 2)
    for _ in 0..<100_000 {
        // State-like values: six significant digits plus half a unit of the sixth (a decimal
        // tie, never exact in binary), and the doubles next to it.
        let m = Double(100_000 + Int(rng.uniform() * 900_000)) + 0.5
        let v = m * Foundation.pow(10.0, Double(Int(rng.uniform() * 16) - 18))
        values += [v, v.nextUp, v.nextDown]
    }
    var mismatches: [String] = []
    for v in values where appendedG6(v) != printfG6(v) {
        mismatches.append("\(v): \(appendedG6(v)) vs \(printfG6(v))")
    }
    #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
}

@Test func statesMembersHoldEveryStateColumnByColumn() throws {
    // states.mtx.gz's block text is a Matrix Market array: every state, zeros included, cell by
    // cell in gene order, values as %.6g, whatever the staging buffer's member boundaries
    // (3,000 cells: several members).
    let rows = 37
    let cols = 3_000
    var rng = RandomStream(seed: 9, domain: .measurement, 3)
    var data = [Double](repeating: 0, count: rows * cols)
    for k in data.indices where rng.uniform() < 0.8 { data[k] = Foundation.exp(rng.uniform() * 20 - 8) }
    let (member, entries) = try TenXWriter.compressedStates(data, rows: rows, cells: cols)
    var expected = ""
    for j in 0..<cols {
        for i in 0..<rows { expected += printfG6(data[j * rows + i]) + "\n" }
    }
    #expect(entries == rows * cols)
    #expect(String(decoding: try Gzip.decompress(member), as: UTF8.self) == expected)
}
