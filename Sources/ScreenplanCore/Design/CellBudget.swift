import Foundation

// MARK: - A design's cells: loaded, recovered, assignable (one definition for every consumer)
//
// validate (the capacity check), analyze (cost and the assignable share of cells), cost, the
// TUI headline and the report all read this type, so they cannot disagree, at any MOI. At MOI > 1
// a cell carries about MOI guides, so the perturbed cell–guide slots (K × cells per perturbation
// × time points) need slots/MOI cells; controls are cells of their own. docs/batching.md, §2.

/// The cells a design or a layout needs and what an analysis can use of them.
public struct CellBudget: Equatable, Sendable {
    /// Perturbed cell–guide slots after QC (K × cells per perturbation × time points, or the
    /// layout's sum): the "cells" of each perturbation the analysis counts.
    public var perturbedSlots: Double
    /// Control cells after QC (non-targeting cells; at high MOI they also carry targeting guides'
    /// complement role, but are counted as cells of their own).
    public var controlCells: Double
    /// Guides per cell: MOI when > 1, else 1 (low MOI: one guide per transduced cell).
    public var guidesPerCell: Double
    /// Fraction of loaded cells that pass QC.
    public var qcPassFraction: Double
    /// Batches the cells are loaded on.
    public var batches: Int

    /// From the design's own numbers (before a layout exists).
    public init(_ d: Design) {
        self.init(perturbedSlots: Double(d.perturbedCells), controlCells: Double(d.controlCells), design: d)
    }

    /// From a layout's cell matrix (the analysis and the simulator sample exactly this).
    public init(_ d: Design, layout: Layout) {
        self.init(
            perturbedSlots: Double(layout.cells.reduce(0, +)), controlCells: Double(layout.controls.reduce(0, +)),
            design: d, batches: layout.batchCount)
    }

    init(perturbedSlots: Double, controlCells: Double, design d: Design, batches: Int? = nil) {
        self.perturbedSlots = perturbedSlots
        self.controlCells = controlCells
        guidesPerCell = d.perturbations.moi > 1 ? d.perturbations.moi : 1
        qcPassFraction = d.sampling.qcPassFraction
        self.batches = batches ?? d.batching.batches
    }

    /// Perturbed cells after QC: slots / guides per cell.
    public var perturbedCells: Double { perturbedSlots / guidesPerCell }

    /// Cells recovered after QC (perturbed cells + controls).
    public var recovered: Double { perturbedCells + controlCells }

    /// Cells to load so that `recovered` pass QC (rounded up).
    public var loaded: Int { saturatingInt((recovered / max(1e-9, qcPassFraction)).rounded(.up)) }

    /// Cells loaded per batch (for the multiplet rate).
    public var loadedPerBatch: Double { Double(loaded) / Double(max(1, batches)) }

    /// Share of recovered cells that carry a targeting guide.
    public var perturbedShare: Double { recovered > 0 ? perturbedCells / recovered : 0 }

    /// Multiplet rate of a lane: `doublet_rate_per_cell` × cells loaded per lane (at most 0.5).
    public func multipletRate(_ d: Design) -> Double {
        min(0.5, d.measurement.doubletRatePerCell * loadedPerBatch)
    }

    /// Share of a perturbation's cells an analysis can assign to it: its guide detected
    /// (`guide_capture` q) and, at low MOI, not a multiplet whose partner's targeting guide is
    /// detected too (ambiguous, dropped): q·(1 − d·f·q). At high MOI every cell with p's guide
    /// detected is p's (q).
    public func assignableFraction(_ d: Design) -> Double {
        let q = d.measurement.guideCapture
        return d.perturbations.moi > 1 ? q : q * (1 - multipletRate(d) * perturbedShare * q)
    }

    /// Share of the control cells an analysis keeps: as perturbed cells at low MOI (a detected
    /// non-targeting guide, not ambiguous); every cell lacking the guide at high MOI (1).
    public func controlAssignableFraction(_ d: Design) -> Double {
        d.perturbations.moi > 1 ? 1 : assignableFraction(d)
    }

    /// Cells an analysis can assign (perturbed cells and controls).
    public func assignable(_ d: Design) -> Double {
        perturbedCells * assignableFraction(d) + controlCells * controlAssignableFraction(d)
    }
}
