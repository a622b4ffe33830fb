import ScreenplanCore

// MARK: - Terminal plots: braille line plots (2×4 dots per cell) with an ASCII twin

/// Draws `points` (x ascending, y in [0, 1]) as a line in the rectangle, with y labels on the left
/// and ticked x values underneath. `marker` draws a vertical tick at that x (the design's value);
/// `target` a dashed horizontal line at that power (the design's target power).
///
/// Braille packs 2 × 4 dots into a cell, so a 40 × 8 plot has 80 × 32 dots of resolution; ASCII
/// terminals get one `*` per column instead.
func plot(
    _ points: [PowerPoint], into buffer: inout Buffer, x: Int, y: Int, width: Int, height: Int,
    xLabel: String, format: (Double) -> String, marker: Double? = nil, target: Double? = nil, glyphs: Glyphs
) {
    let labelWidth = 5
    let w = width - labelWidth - 1
    let h = height - 1
    guard w >= 4, h >= 2 else { return }
    func rowOf(_ power: Double) -> Int { Int(((1 - min(1, max(0, power))) * Double(h - 1)).rounded()) }
    // y ticks: 0, 0.5, 1 and the target power (which wins a shared row).
    var yTicks: [(Int, String, Role)] = [(rowOf(1), "1.0", .dim), (rowOf(0.5), "0.5", .dim), (rowOf(0), "0.0", .dim)]
    if let target {
        yTicks.removeAll { $0.0 == rowOf(target) }
        yTicks.append((rowOf(target), fixed(target, 2), .warning))
    }
    for (row, label, role) in yTicks {
        buffer.put(leftPad(label, labelWidth - 1), x: x, y: y + row, role: role)
    }
    for row in 0..<h { buffer.put(String(glyphs.vertical), x: x + labelWidth - 1, y: y + row, role: .border) }
    guard let first = points.first, let last = points.last, last.x > first.x else {
        buffer.put("no curve", x: x + labelWidth + 1, y: y + h / 2, role: .dim)
        return
    }
    let span = last.x - first.x
    // x ticks: the ends and three between, each labelled where it does not touch its neighbour;
    // the axis name goes at the right end when there is room.
    var used = -1
    let name = xLabel
    let nameX = x + width - name.count - 1
    for k in 0...4 {
        let value = first.x + span * Double(k) / 4
        let column = x + labelWidth + min(w - 1, Int(Double(k) / 4 * Double(w - 1) + 0.5))
        let label = format(value)
        var at = k == 4 ? column - label.count + 1 : (k == 0 ? column : column - label.count / 2)
        at = max(x + labelWidth, at)
        guard at > used + 1, at + label.count <= x + width else { continue }
        buffer.put(glyphs.braille ? "┴" : "+", x: column, y: y + h - 1, role: .border)
        buffer.put(label, x: at, y: y + h, role: .dim)
        used = at + label.count
    }
    if nameX > used + 1 {
        buffer.put(name, x: nameX, y: y + h, role: .dim)
    }
    if let target {
        let row = y + rowOf(target)
        for column in 0..<w where buffer[x + labelWidth + column, row].symbol == " " {
            buffer.put(glyphs.braille ? "╌" : "-", x: x + labelWidth + column, y: row, role: .warning)
        }
    }

    if let marker, marker >= first.x, marker <= last.x {
        let column = x + labelWidth + min(w - 1, Int((marker - first.x) / span * Double(w - 1) + 0.5))
        for row in 0..<h where buffer[column, y + row].symbol == " " {
            buffer.put(glyphs.braille ? "┊" : ":", x: column, y: y + row, role: .dim)
        }
    }

    if glyphs.braille {
        let dotsW = w * 2
        let dotsH = h * 4
        var dots = [[Bool]](repeating: [Bool](repeating: false, count: dotsW), count: dotsH)
        func pixel(_ p: PowerPoint) -> (Int, Int) {
            let px = Int(((p.x - first.x) / span * Double(dotsW - 1)).rounded())
            let py = Int(((1 - min(1, max(0, p.power))) * Double(dotsH - 1)).rounded())
            return (px, py)
        }
        var previous = pixel(first)
        for p in points {
            let current = pixel(p)
            let steps = max(abs(current.0 - previous.0), abs(current.1 - previous.1), 1)
            for t in 0...steps {
                let dx = previous.0 + (current.0 - previous.0) * t / steps
                let dy = previous.1 + (current.1 - previous.1) * t / steps
                dots[dy][dx] = true
            }
            previous = current
        }
        let bits: [[UInt32]] = [[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]]
        for row in 0..<h {
            for column in 0..<w {
                var code: UInt32 = 0
                for dy in 0..<4 { for dx in 0..<2 where dots[row * 4 + dy][column * 2 + dx] { code |= bits[dy][dx] } }
                if code != 0, let scalar = Unicode.Scalar(0x2800 + code) {
                    buffer[x + labelWidth + column, y + row] = Cell(Character(scalar), role: .accent)
                }
            }
        }
    } else {
        for column in 0..<w {
            let at = first.x + span * Double(column) / Double(max(1, w - 1))
            let value = interpolate(points, at: at)
            let row = Int(((1 - min(1, max(0, value))) * Double(h - 1)).rounded())
            buffer[x + labelWidth + column, y + row] = Cell("*", role: .accent)
        }
    }
}

/// Linear interpolation of the curve at `x`.
func interpolate(_ points: [PowerPoint], at x: Double) -> Double {
    guard let upper = points.firstIndex(where: { $0.x >= x }) else { return points.last?.power ?? 0 }
    if upper == 0 { return points[0].power }
    let a = points[upper - 1]
    let b = points[upper]
    return a.power + (b.power - a.power) * (x - a.x) / max(1e-12, b.x - a.x)
}

/// A horizontal bar of `fraction` × `width` cells, in eighths where the glyphs allow.
func bar(_ fraction: Double, width: Int, glyphs: Glyphs) -> String {
    let eighths = Int((min(1, max(0, fraction)) * Double(width * 8)).rounded())
    var text = String(repeating: glyphs.barEighths[8], count: eighths / 8)
    if eighths % 8 > 0 {
        let partial = glyphs.barEighths[eighths % 8]
        if partial != " " { text.append(partial) }
    }
    return text
}
