// MARK: - W_r's rows grouped by their number of nonzeros
//
// The sparse production S = W_r·H loops over a row's nonzeros; with one to three regulators per
// gene, a loop of unpredictable length per row costs more in branch misses than in arithmetic. Rows
// ordered by length let the kernel (screenplan_sparse_rows) run one fixed-length loop per group.

/// The rows of a `SparseRows` ordered by their number of nonzeros (stably), in groups of equal length.
struct SparseRowGroups: Sendable {
    /// Rows in group order.
    let rowOrder: [Int]
    /// Per group: its rows' number of nonzeros and its range [begin, end) of `rowOrder`.
    let length: [Int]
    let begin: [Int]
    let end: [Int]
    /// The nonzeros row by row in `rowOrder`'s order.
    let column: [Int]
    let value: [Double]

    init(_ sparse: SparseRows) {
        let rows = sparse.rowStart.count - 1
        let rowLength = (0..<rows).map { sparse.rowStart[$0 + 1] - sparse.rowStart[$0] }
        let order = (0..<rows).sorted { (rowLength[$0], $0) < (rowLength[$1], $1) }
        var length: [Int] = []
        var begin: [Int] = []
        var end: [Int] = []
        var column: [Int] = []
        var value: [Double] = []
        for (i, row) in order.enumerated() {
            if length.last != rowLength[row] {
                length.append(rowLength[row])
                begin.append(i)
                end.append(i)
            }
            end[end.count - 1] = i + 1
            for q in sparse.rowStart[row]..<sparse.rowStart[row + 1] {
                column.append(sparse.column[q])
                value.append(sparse.value[q])
            }
        }
        rowOrder = order
        self.length = length
        self.begin = begin
        self.end = end
        self.column = column
        self.value = value
    }
}
