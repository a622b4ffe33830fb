import Foundation
import Testing

@_spi(Testing) @testable import ScreenplanCore

// The speed work of the analysis changes no number: closed forms agree with the bisection they
// replace, and every cache returns what computing again returns (docs/batching.md, section 11).

@Test func skewedDetectableClosedFormMatchesTheBisection() {
    var closedUsed = 0
    var cases = 0
    for sd in [0.02, 0.1, 0.4, 1.5] {
        for spread in [0.0, 0.05, 0.3] {
            for nullRatio in [0.7, 1.0, 1.3] {
                for skew in [-0.8, -0.1, 0.05, 0.3, 1.2, 4.0] {
                    for level in [0.05, 1e-3, 1e-6] {
                        for power in [0.5, 0.8, 0.95] {
                            let z = Normal.quantile(1 - level / 2)
                            let nullSD = sd * nullRatio
                            let exact = Normal.detectableByBisection(
                                power: power, sd: sd, critical: z, spread: spread,
                                nullSD: nullSD, nullSkewness: skew)
                            let fast = Normal.detectable(
                                power: power, sd: sd, critical: z, spread: spread, nullSD: nullSD,
                                nullSkewness: skew)
                            cases += 1
                            let closed = Normal.skewedClosedForm(
                                power: power, sd: sd, critical: z, spread: spread, nullSD: nullSD,
                                nullSkewness: skew)
                            #expect(
                                abs(fast - exact) <= 1e-9 * exact,
                                "sd \(sd) spread \(spread) skew \(skew) level \(level) power \(power)")
                            if let closed {
                                closedUsed += 1
                                // It is the size the power function says.
                                let p = Normal.power(
                                    effect: -closed, sd: sd, critical: z, spread: spread, nullSD: nullSD,
                                    nullSkewness: skew)
                                #expect(abs(p - power) < 1e-9)
                            }
                            // The analysis' usual case (multiple-testing levels, target power 0.8, sampling noise at
                            // least the guide spread) takes it; where the spread dominates, power exceeds
                            // the target at d = 0 and the bisection answers.
                            if level <= 1e-3 && power == 0.8 && abs(skew) <= 0.3 && spread <= sd {
                                #expect(
                                    closed != nil,
                                    "sd \(sd) spread \(spread) null \(nullRatio) skew \(skew) level \(level)")
                            }
                        }
                    }
                }
            }
        }
    }
    #expect(closedUsed > cases / 5)
}

/// Every field an evaluation's cached parts could miss: layout, contrast and model fields.
private func variants(_ d: Design) -> [Design] {
    var out = [d]
    var e = d
    e.sampling.cellsPerPerturbation += 17
    out.append(e)
    e = d
    e.batching.batchEffectSd = 0.3
    out.append(e)  // contrasts, same layout key
    e = d
    e.batching.interactionSd = 0.08
    out.append(e)  // error model only
    e = d
    e.measurement.readsPerCell *= 0.5
    out.append(e)  // every gene's mean
    e = d
    e.batching.controlsInFraction = 0.5
    out.append(e)  // some lanes without controls
    out.append(d)  // back to the first (cache hit)
    return out
}

@Test(arguments: [DifferentialTest.glm, .pseudobulk])
func cachedEvaluationsEqualFreshOnes(test: DifferentialTest) throws {
    let shared = Analyzer()
    let designs = variants(smallDesign { $0.analysis.test = test })
    for (i, d) in (designs + designs.reversed()).enumerated() {
        let cached = try shared.evaluate(d)
        let fresh = try Analyzer().evaluate(d)
        #expect(cached.rows.count == fresh.rows.count)
        for (a, b) in zip(cached.rows, fresh.rows) {
            #expect(
                a.power == b.power && a.components == b.components && a.testNullSkewness == b.testNullSkewness
                    && a.flags == b.flags, "variant \(i % designs.count): \(a.name)")
        }
        #expect(cached.medianPower == fresh.medianPower && cached.cost == fresh.cost && cached.layout == fresh.layout)
    }
}

@Test func editingAnEditedDesignStartsFromItsOwnFields() throws {
    var d = smallDesign()
    let first = try d.setting("measurement.reads_per_cell", to: "12000")
    #expect(first.measurement.readsPerCell == 12000)
    // A struct edit after a cached tree: the next edit must see it, not the cached tree.
    d.sampling.cellsPerPerturbation = 77
    let second = try d.setting("measurement.reads_per_cell", to: "12000")
    #expect(second.sampling.cellsPerPerturbation == 77 && second.measurement.readsPerCell == 12000)
    #expect(d.fields().first { $0.path == "sampling.cells_per_perturbation" }?.value == "77")
    // The same edit twice gives the same design.
    #expect(try d.setting("batching.batches", to: "6") == d.setting("batching.batches", to: "6"))
}

@Test func recentCacheKeepsTheMostRecentlyUsed() {
    let cache = RecentCache<Int, String>(capacity: 2)
    cache.store(1, "a")
    cache.store(2, "b")
    #expect(cache.value(1) == "a")  // 1 is now the most recent
    cache.store(3, "c")  // evicts 2
    #expect(cache.value(2) == nil && cache.value(1) == "a" && cache.value(3) == "c" && cache.count == 2)
}

@Test func chunkedYAMLOfLongListsIsTheWholeEncoding() throws {
    // Names a YAML reader would take for numbers, booleans or null are quoted the same way.
    let awkward = ["1e5", "true", "null", "007", "a: b", "#x", "-", "NO", "1.5", "x y", "Ü", "~"]
    var d = smallDesign()
    d.perturbations.combinations = (0..<700).map { i in
        [awkward[i % awkward.count] + (i % 3 == 0 ? "" : "\(i)"), "G\(i)"]
    }
    d.perturbations.targetGenes = (0..<300).map { awkward[$0 % awkward.count] + "\($0 / awkward.count)" }
    let chunked = try d.yamlText()
    #expect(chunked == (try d.yamlTextEncodedWhole()))
    let (read, _) = DesignLoader.decode(text: chunked, file: "(test)")
    #expect(read.perturbations.combinations == d.perturbations.combinations)
    #expect(read.perturbations.targetGenes == d.perturbations.targetGenes)
    // Only one long list.
    d.perturbations.targetGenes = []
    #expect(try d.yamlText() == d.yamlTextEncodedWhole())
}

/// `MultipleTestingLevel.solve` as it was before the target's draws were made once per solve and
/// an unchanged level skipped its second pass: the reference the faster one must equal exactly.
private func referenceSolve(
    effects: [Double], sds: [Double], spreads: [Double], nullSDs: [Double], nullSkews: [Double],
    targetCurvature: Double, targetGuideOffsets: [Double], targetOtherSpread: Double,
    testable m: Int, alpha: Double, method: MultipleTesting
) -> (level: Double, powers: [Double]) {
    let m = max(1, m)
    var t = method == .none ? alpha : alpha / Double(m)
    func powers(_ t: Double) -> [Double] {
        let z = Normal.quantile(1 - t / 2)
        var out = (0..<effects.count).map { i in
            Normal.power(
                effect: effects[i], sd: sds[i], critical: z, spread: spreads[i], nullSD: nullSDs[i],
                nullSkewness: nullSkews[i])
        }
        if (targetCurvature != 0 || !targetGuideOffsets.isEmpty) && !effects.isEmpty {
            let rest = targetGuideOffsets.isEmpty ? spreads[0] : targetOtherSpread
            let linear = targetCurvature == 0
            func h(_ x: Double) -> Double {
                linear ? x : Foundation.expm1(targetCurvature * x * M_LN2) / targetCurvature
            }
            let e0 = effects[0]
            if !((rest > 0 && !linear) || !targetGuideOffsets.isEmpty) || abs(e0) <= 1e-9 || h(e0) == 0 {
                out[0] = Normal.power(
                    effect: e0, sd: sds[0], critical: z, spread: rest, nullSD: nullSDs[0], nullSkewness: nullSkews[0])
            } else {
                var sum = 0.0
                let nodes = targetGuideOffsets.isEmpty ? Normal.spreadNodes.map { rest * $0 } : targetGuideOffsets
                for o in nodes {
                    let e = e0 * h(e0 + o) / h(e0)
                    sum += Normal.power(
                        effect: e, sd: sds[0], critical: z, spread: targetGuideOffsets.isEmpty ? 0 : rest,
                        nullSD: nullSDs[0], nullSkewness: nullSkews[0])
                }
                out[0] = sum / Double(nodes.count)
            }
        }
        return out
    }
    var pw = powers(t)
    if method == .bh {
        let m1 = min(effects.count, m)
        for _ in 0..<30 {
            let r = pw.reduce(0, +) + Double(m - m1) * t
            let next = min(alpha, alpha * max(1, r) / Double(m))
            if abs(next - t) <= 1e-2 * t {
                t = next
                break
            }
            t = next
            pw = powers(t)
        }
        pw = powers(t)
    }
    return (t, pw)
}

@Test func multipleTestingLevelEqualsTheReferenceExactly() {
    var rng = RandomStream(seed: 12, domain: .layout, 3)
    func uniform() -> Double { Double(rng.next() >> 11) / Double(1 << 53) }
    var unchangedLevels = 0
    for case_ in 0..<400 {
        let genes = 1 + Int(rng.next() % 40)
        let effects = (0..<genes).map { _ in (uniform() - 0.6) * (uniform() < 0.3 ? 3 : 0.2) }
        let sds = (0..<genes).map { _ in 0.02 + 0.5 * uniform() }
        let spreads = (0..<genes).map { _ in uniform() < 0.5 ? 0 : 0.2 * uniform() }
        let nullSDs = sds.map { $0 * (0.8 + 0.4 * uniform()) }
        let skews = (0..<genes).map { _ in uniform() < 0.5 ? 0 : uniform() - 0.3 }
        let kappa = [0, 1, -0.7, 2.5][case_ % 4]
        let offsets = case_ % 3 == 0 ? [] : (0..<64).map { _ in 0.4 * (uniform() - 0.5) }
        let other = case_ % 2 == 0 ? 0 : 0.1 * uniform()
        for method in [MultipleTesting.bh, .bonferroni, .none] {
            let m = genes + Int(rng.next() % 3000)
            let alpha = [0.05, 0.1, 1e-3][case_ % 3]
            let fast = MultipleTestingLevel.solve(
                effects: effects, sds: sds, spreads: spreads, nullSDs: nullSDs, nullSkews: skews,
                targetCurvature: kappa, targetGuideOffsets: offsets, targetOtherSpread: other, testable: m,
                alpha: alpha, method: method)
            let slow = referenceSolve(
                effects: effects, sds: sds, spreads: spreads, nullSDs: nullSDs, nullSkews: skews,
                targetCurvature: kappa, targetGuideOffsets: offsets, targetOtherSpread: other, testable: m,
                alpha: alpha, method: method)
            #expect(fast.level == slow.level && fast.powers == slow.powers, "case \(case_) \(method)")
            if method == .bh && fast.level == alpha / Double(m) { unchangedLevels += 1 }
        }
    }
    // Both paths of the iteration are exercised: levels that move and levels that stay.
    #expect(unchangedLevels > 20 && unchangedLevels < 380)
}
