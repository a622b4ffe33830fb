// MARK: - Where things are on screen, shared by render and update (scrolling, mouse clicks)
//
// Row 0 is the tab bar, row height-2 the status or input line, row height-1 the key bar; each
// screen lays out rows 1 … height-3.

enum Geometry {
    /// First row of the design tree, and how many tree rows fit.
    static let treeTop = 2
    static func treeRows(height: Int) -> Int { max(1, height - 5) }
    /// Width of the tree pane (the headline panel takes the rest).
    static func treeWidth(width: Int) -> Int { width >= 120 ? width - 52 : width * 3 / 5 }

    /// First perturbation row of the layout heat map, and how many fit.
    static let layoutTop = 4
    static func layoutRows(height: Int) -> Int { max(1, height - 8) }
    /// Columns of the perturbation name, and of one batch cell.
    static let layoutNameWidth = 12
    static let layoutCellWidth = 2
    static func layoutBatchColumns(width: Int) -> Int { max(1, (width - layoutNameWidth - 12) / layoutCellWidth) }

    /// First row of the recommendations list on the Analysis screen, and how many fit.
    static func recommendationsTop(height: Int) -> Int { height >= 40 ? 21 : 13 }
    /// Tall screens keep 12 rows (8 recommendations, the detail) and show the weakest
    /// perturbations' table under them.
    static func recommendationRows(height: Int) -> Int {
        height >= 40 ? 12 : max(1, height - 3 - recommendationsTop(height: height))
    }

    /// Rows of the Analysis screen's per-perturbation table (from row 4).
    static func tableRows(height: Int, top: Int = 2) -> Int { max(1, height - 3 - top - 2) }

    /// First row of the job list (Simulate) and of the format list (Export).
    static let jobsTop = 3
    static let formatsTop = 3
}
