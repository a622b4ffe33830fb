import Foundation

// MARK: - One streamed pass over the counts: per-gene sums by group of cells
//
// For every group of cells (all cells; control cells of each batch; each cell type) and every
// gene the pass accumulates Σy, Σy², Σℓy, Σy/ℓ, Σy²/ℓ² and the number of nonzero cells, where ℓ
// is the cell's library size (UMIs over all genes); per group also n, Σℓ, Σℓ². Size factors
// s = ℓ/ℓ̄ need the mean ℓ̄, known only at the end, so the raw ℓ is accumulated and the sums
// are rescaled afterwards. A cell's library needs all its entries: when the file lists each cell's
// entries together (10x, CSR .h5ad) one pass buffers one cell at a time; otherwise a first pass
// sums the libraries and a second accumulates. Memory: O(groups × genes) doubles plus O(cells)
// integers, whatever the number of cells.

/// Sums for one group of cells.
struct GroupSums {
    var cells = 0
    var sumL = 0.0, sumL2 = 0.0
    var y: [Double], y2: [Double], ly: [Double], yOverL: [Double], y2OverL2: [Double]
    var nonzero: [Int32]

    init(genes: Int) {
        y = [Double](repeating: 0, count: genes)
        y2 = y
        ly = y
        yOverL = y
        y2OverL2 = y
        nonzero = [Int32](repeating: 0, count: genes)
    }

    mutating func add(gene g: Int, count v: Double, library l: Double) {
        y[g] += v
        y2[g] += v * v
        ly[g] += l * v
        let r = v / l
        yOverL[g] += r
        y2OverL2[g] += r * r
        nonzero[g] += 1
    }

    /// One cell's entries at once (the hot path of the one-pass read): raw pointers, no
    /// per-entry bounds or exclusivity checks.
    mutating func add(genes: UnsafePointer<Int32>, counts: UnsafePointer<Int32>, count n: Int, library l: Double) {
        let inverse = 1 / l
        y.withUnsafeMutableBufferPointer { y in
            y2.withUnsafeMutableBufferPointer { y2 in
                ly.withUnsafeMutableBufferPointer { ly in
                    yOverL.withUnsafeMutableBufferPointer { yl in
                        y2OverL2.withUnsafeMutableBufferPointer { y2l in
                            nonzero.withUnsafeMutableBufferPointer { nz in
                                let py = y.baseAddress!
                                let py2 = y2.baseAddress!
                                let ply = ly.baseAddress!
                                let pyl = yl.baseAddress!
                                let py2l = y2l.baseAddress!
                                let pnz = nz.baseAddress!
                                for k in 0..<n {
                                    let g = Int(genes[k])
                                    let v = Double(counts[k])
                                    py[g] += v
                                    py2[g] += v * v
                                    ply[g] += l * v
                                    let r = v * inverse
                                    pyl[g] += r
                                    py2l[g] += r * r
                                    pnz[g] += 1
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    mutating func addCell(library l: Double) {
        cells += 1
        sumL += l
        sumL2 += l * l
    }

    mutating func merge(_ o: GroupSums) {
        cells += o.cells
        sumL += o.sumL
        sumL2 += o.sumL2
        for g in y.indices {
            y[g] += o.y[g]
            y2[g] += o.y2[g]
            ly[g] += o.ly[g]
            yOverL[g] += o.yOverL[g]
            y2OverL2[g] += o.y2OverL2[g]
            nonzero[g] += o.nonzero[g]
        }
    }
}

/// The entries of the cell being read, in raw storage (the per-entry path of the pass).
final class CellBuffer {
    var genes: UnsafeMutablePointer<Int32>
    var counts: UnsafeMutablePointer<Int32>
    var capacity = 4096
    var count = 0
    var current = -1
    private var seen: [Bool]

    init(cells: Int) {
        genes = .allocate(capacity: capacity)
        counts = .allocate(capacity: capacity)
        seen = [Bool](repeating: false, count: cells)
    }

    deinit {
        genes.deallocate()
        counts.deallocate()
    }

    /// Starts cell `c`; false when its entries were seen before (cells not contiguous).
    func start(_ c: Int) -> Bool {
        if seen[c] { return false }
        seen[c] = true
        current = c
        count = 0
        return true
    }

    @inline(__always)
    func append(_ g: Int32, _ v: Int32) {
        if count == capacity { grow() }
        genes[count] = g
        counts[count] = v
        count += 1
    }

    private func grow() {
        let n = capacity * 2
        let g = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        let c = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        g.update(from: genes, count: count)
        c.update(from: counts, count: count)
        genes.deallocate()
        counts.deallocate()
        genes = g
        counts = c
        capacity = n
    }
}

/// Normalised (size-factor-corrected) sums of one gene over one guide's cells.
struct TargetSums {
    var cells = 0
    var yOverL = 0.0, y2OverL2 = 0.0
}

/// The result of the pass.
struct CountPass {
    var library: [Int32]
    var all: GroupSums
    /// Control cells of each batch (all cells of the batch when no guides are given).
    var batchControls: [GroupSums]
    var types: [GroupSums]
    /// Per gRNA: its target gene's sums over the cells assigned to it.
    var guideTargets: [TargetSums]
    var onePass: Bool

    /// Streams `matrix` once (or twice when cells are not contiguous).
    static func run(
        _ matrix: CountMatrix, batch: [Int32], batches: Int, isControl: [Bool],
        cellType: [Int32], types: Int, cellGuide: [Int32], guideTargetGene: [Int32],
        progress: ((String) -> Void)? = nil
    ) throws -> CountPass {
        let genes = matrix.features.count
        let cells = matrix.cellCount
        var pass = CountPass(
            library: [Int32](repeating: 0, count: cells), all: GroupSums(genes: genes),
            batchControls: (0..<batches).map { _ in GroupSums(genes: genes) },
            types: (0..<types).map { _ in GroupSums(genes: genes) },
            guideTargets: [TargetSums](repeating: TargetSums(), count: guideTargetGene.count),
            onePass: true)
        func accumulate(_ c: Int, _ g: Int, _ v: Double, _ l: Double) {
            pass.all.add(gene: g, count: v, library: l)
            let b = Int(batch[c])
            if b >= 0 && isControl[c] { pass.batchControls[b].add(gene: g, count: v, library: l) }
            let t = Int(cellType[c])
            if t >= 0 { pass.types[t].add(gene: g, count: v, library: l) }
            let k = Int(cellGuide[c])
            if k >= 0 && guideTargetGene[k] == Int32(g) {
                let r = v / l
                pass.guideTargets[k].yOverL += r
                pass.guideTargets[k].y2OverL2 += r * r
            }
        }
        // One pass, one cell at a time; falls back when a cell's entries are not contiguous.
        struct NotContiguous: Error {}
        let buffer = CellBuffer(cells: cells)
        func flush() {
            let current = buffer.current
            guard current >= 0 else { return }
            let n = buffer.count
            var l = 0
            for k in 0..<n { l += Int(buffer.counts[k]) }
            pass.library[current] = Int32(clamping: l)
            if l > 0 {
                let ld = Double(l)
                pass.all.add(genes: buffer.genes, counts: buffer.counts, count: n, library: ld)
                let b = Int(batch[current])
                if b >= 0 && isControl[current] {
                    pass.batchControls[b].add(genes: buffer.genes, counts: buffer.counts, count: n, library: ld)
                }
                let t = Int(cellType[current])
                if t >= 0 { pass.types[t].add(genes: buffer.genes, counts: buffer.counts, count: n, library: ld) }
                let k = Int(cellGuide[current])
                if k >= 0, guideTargetGene[k] >= 0 {
                    let target = guideTargetGene[k]
                    for e in 0..<n where buffer.genes[e] == target {
                        let r = Double(buffer.counts[e]) / ld
                        pass.guideTargets[k].yOverL += r
                        pass.guideTargets[k].y2OverL2 += r * r
                    }
                }
            }
            buffer.count = 0
        }
        do {
            try matrix.forEachEntry { g, c, v in
                if Int(c) != buffer.current {
                    flush()
                    if !buffer.start(Int(c)) { throw NotContiguous() }
                }
                buffer.append(g, v)
            }
            flush()
        } catch is NotContiguous {
            progress?("cells are not contiguous in \(matrix.path): reading it twice")
            pass = CountPass(
                library: [Int32](repeating: 0, count: cells), all: GroupSums(genes: genes),
                batchControls: (0..<batches).map { _ in GroupSums(genes: genes) },
                types: (0..<types).map { _ in GroupSums(genes: genes) },
                guideTargets: [TargetSums](repeating: TargetSums(), count: guideTargetGene.count),
                onePass: false)
            var lib = [Int](repeating: 0, count: cells)
            try matrix.forEachEntry { _, c, v in lib[Int(c)] += Int(v) }
            pass.library = lib.map { Int32(clamping: $0) }
            try matrix.forEachEntry { g, c, v in
                let l = lib[Int(c)]
                accumulate(Int(c), Int(g), Double(v), Double(l))
            }
        }
        // Cell totals per group.
        for c in 0..<cells where pass.library[c] > 0 {
            let l = Double(pass.library[c])
            pass.all.addCell(library: l)
            let b = Int(batch[c])
            if b >= 0 && isControl[c] { pass.batchControls[b].addCell(library: l) }
            let t = Int(cellType[c])
            if t >= 0 { pass.types[t].addCell(library: l) }
            let k = Int(cellGuide[c])
            if k >= 0 && guideTargetGene[k] >= 0 { pass.guideTargets[k].cells += 1 }
        }
        return pass
    }
}
