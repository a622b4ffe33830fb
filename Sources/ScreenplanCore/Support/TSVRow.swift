/// One row of a tab-separated file being appended to a `ByteBuffer`: the row puts the tab between
/// fields and the newline at the end, so every TSV screenplan writes (cells.tsv, truth.tsv,
/// features.tsv.gz, the exported network) separates its fields in one place.
public struct TSVRow: ~Copyable {
    private let buffer: ByteBuffer
    private var empty = true

    fileprivate init(_ buffer: ByteBuffer) { self.buffer = buffer }

    @inline(__always)
    private mutating func separate() {
        if !empty { buffer.append(byte: 9) }
        empty = false
    }

    /// A text field, as it is (fields hold no tabs or newlines: names, states, media).
    @inline(__always)
    public mutating func field(_ text: String) {
        separate()
        buffer.append(text)
    }

    /// An integer field in decimal.
    @inline(__always)
    public mutating func field(_ value: Int) {
        separate()
        buffer.append(value)
    }

    /// A real field in the shortest form that reads back the same double (`ByteBuffer.append(real:)`).
    @inline(__always)
    public mutating func field(real value: Double) {
        separate()
        buffer.append(real: value)
    }
}

extension ByteBuffer {
    /// Appends one tab-separated row: `fields` adds the fields in order, the row ends with a newline.
    @inline(__always)
    public func appendRow(_ fields: (inout TSVRow) -> Void) {
        var row = TSVRow(self)
        fields(&row)
        append(byte: 10)
    }
}
