import Foundation

// MARK: - The measurement operator M_b (model reference section 3)
//
// For cell c in batch b: library size ℓ_c ~ LogNormal(log ℓ̃_b, s_ℓ²) with ℓ̃_b = mrna_per_cell ×
// saturation × e^{batch_library_sd·ξ_b}; π_c = softmax_g(log c_cg + β_bg) over the measured genes
// (modelled genes, then background genes at fixed levels); λ_cg = ℓ_c · q · π_cg; counts
// y_cg ~ NB(λ_cg, θ) (`countNegativeBinomial`: inversion below a mean of 40, Gamma–Poisson
// above), optionally zero-inflated with π₀(λ) = rate·e^{−λ/midpoint}.
// A multiplet's library holds both cells' molecules and `doubletLibraryRatio` times the reads.
// Guides are detected independently with probability `guide_capture`.

extension SimulationModel {
    /// Counts of one real cell, appended to the CSR arrays; returns the library size.
    ///
    /// `counted`: when given, only the measured genes it marks get counts (see
    /// `SimulationOptions.countedGenes`); the other genes' sum enters the library size as one
    /// negative-binomial draw with the sum's mean and variance.
    func measure(
        cell: CellSetup, state: Matrix, column j: Int, partnerColumn: Int?, options: SimulationOptions,
        rng: inout RandomStream, weights: inout [Double], geneIndices: inout [Int32], counts: inout [Int32],
        counted: UnsafePointer<Bool>? = nil, batch: CountBatch? = nil
    ) -> Int {
        let m = design.measurement
        let g = geneCount
        let gm = measuredGeneCount
        let bf = batchFactor[cell.batch]
        let modelled = min(g, gm)
        // The cell's type scales its genes' expression shares and sets their θ (CellTypeAssignment).
        let type = cellTypes.hasProfiles ? cellTypes.type(ofCell: cell.index, batch: cell.batch, seed: seed) : 0
        let typeFactor = cellTypes.factor[type]
        var total = 0.0
        state.data.withUnsafeBufferPointer { sb in
            let c = sb.baseAddress! + j * g
            let c2 = partnerColumn.map { sb.baseAddress! + $0 * g }
            for i in 0..<modelled {
                var v = c[i]
                if let c2 { v += c2[i] }
                let w = v * bf[i]
                weights[i] = w
                total += w
            }
        }
        let doubletFactor = partnerColumn == nil ? 1.0 : 2.0
        for i in modelled..<gm {
            let w = doubletFactor * backgroundLevels[i - g] * bf[i]
            weights[i] = w
            total += w
        }
        if let typeFactor {
            total = 0
            for i in 0..<gm {
                weights[i] *= typeFactor[i]
                total += weights[i]
            }
        }
        var library = batchLibrary[cell.batch] * Foundation.exp(m.librarySizeSd * rng.zigguratNormal())
        if partnerColumn != nil { library *= parameters.doubletLibraryRatio }
        let scale = total > 0 ? library * m.captureEfficiency / total : 0
        let theta = cellTypes.dispersion[type] ?? measuredDispersion
        let zeroInflation = m.dropout == .zeroInflation && m.dropoutRate > 0
        var size = 0
        // Zero inflation acts gene by gene, so a zero-inflated measurement draws every gene.
        let counted = zeroInflation ? nil : counted
        var restMean = 0.0
        var restExcessVariance = 0.0
        // Room for every gene is appended once and the unused part dropped afterwards, so an entry
        // is two stores (no capacity or uniqueness check per entry).
        let first = geneIndices.count
        geneIndices.append(contentsOf: repeatElement(0, count: gm))
        counts.append(contentsOf: repeatElement(0, count: gm))
        var entries = 0
        geneIndices.withUnsafeMutableBufferPointer { gib in
            counts.withUnsafeMutableBufferPointer { ctb in
                let gi = gib.baseAddress! + first
                let ct = ctb.baseAddress! + first
                if let batch, !zeroInflation, batch.capacity >= gm {
                    // The same draws as the loop below, the searches four at a time
                    // (`countNegativeBinomials`): the counted genes' means first, in gene order.
                    var drawn = 0
                    for i in 0..<gm {
                        let lambda = weights[i] * scale
                        if lambda <= 0 { continue }
                        if let counted, !counted[i] {
                            restMean += lambda
                            if theta[i].isFinite { restExcessVariance += lambda * lambda / theta[i] }
                            continue
                        }
                        batch.means[drawn] = lambda
                        batch.sizes[drawn] = theta[i]
                        batch.genes[drawn] = Int32(i)
                        drawn += 1
                    }
                    rng.countNegativeBinomials(
                        means: batch.means, sizes: batch.sizes, count: drawn, into: batch.counts, batch: batch)
                    for d in 0..<drawn {
                        let y = batch.counts[d]
                        if y > 0 {
                            gi[entries] = batch.genes[d]
                            ct[entries] = Int32(clamping: y)
                            entries += 1
                            size += y
                        }
                    }
                    return
                }
                for i in 0..<gm {
                    let lambda = weights[i] * scale
                    if lambda <= 0 { continue }
                    if let counted, !counted[i] {
                        // NB(λ, θ): variance λ + λ²/θ; the sum of independent ones adds both parts.
                        restMean += lambda
                        if theta[i].isFinite { restExcessVariance += lambda * lambda / theta[i] }
                        continue
                    }
                    var y = rng.countNegativeBinomial(mean: lambda, size: theta[i])
                    if y > 0 && zeroInflation
                        && rng.uniform() < m.dropoutRate * Foundation.exp(-lambda / m.dropoutMidpoint)
                    {
                        y = 0
                    }
                    if y > 0 {
                        gi[entries] = Int32(i)
                        ct[entries] = Int32(clamping: y)
                        entries += 1
                        size += y
                    }
                }
            }
        }
        geneIndices.removeLast(gm - entries)
        counts.removeLast(gm - entries)
        if restMean > 0 {
            // Gamma–Poisson with the sum's mean and variance (Poisson when no gene is overdispersed,
            // which is then exact: a sum of Poissons is Poisson).
            size += rng.countNegativeBinomial(
                mean: restMean,
                size: restExcessVariance > 0 ? restMean * restMean / restExcessVariance : .infinity)
        }
        return size
    }
}
