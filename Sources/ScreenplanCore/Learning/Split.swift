// MARK: - Splitting perturbations into training, validation and held-out sets

/// A k-fold split of perturbations (never of cells: a held-out perturbation is entirely
/// unseen). Each fold is held out once; the rest is cut into training and a validation subset
/// for early stopping. Seeded through the `.learning` domain, so a split depends only on
/// (seed, number of perturbations, k, validation fraction).
public struct PerturbationSplit: Sendable, Equatable {
    public struct Fold: Sendable, Equatable {
        public var training: [Int]
        public var validation: [Int]
        public var heldOut: [Int]
    }

    public var folds: [Fold]

    /// - Parameters:
    ///   - count: number of perturbations.
    ///   - k: folds (at least 2, at most `count`).
    ///   - validationFraction: share of each fold's training perturbations kept for validation.
    public init(count: Int, folds k: Int, validationFraction: Double, seed: UInt64) {
        let k = max(2, min(k, count))
        var rng = RandomStream(seed: seed, domain: .learning, 1, UInt64(count))
        var order = Array(0..<count)
        order.shuffle(using: &rng)
        var folds: [Fold] = []
        for f in 0..<k {
            let heldOut = order.enumerated().filter { $0.offset % k == f }.map(\.element).sorted()
            var rest = order.enumerated().filter { $0.offset % k != f }.map(\.element)
            var vrng = RandomStream(seed: seed, domain: .learning, 2, UInt64(f))
            rest.shuffle(using: &vrng)
            let nValidation = min(rest.count - 1, max(1, Int((Double(rest.count) * validationFraction).rounded())))
            folds.append(
                Fold(
                    training: Array(rest[nValidation...]).sorted(),
                    validation: Array(rest[..<nValidation]).sorted(), heldOut: heldOut))
        }
        self.folds = folds
    }
}
