import Foundation
import Testing

@testable import ScreenplanCore

// The packed kernels of the dynamics step against their scalar definitions (Kinetics.hill and the
// exponential Euler–Maruyama formula of docs/model.md), on sizes that exercise the SIMD tails.

@Test func channelsAreOrderedInRunsOfOneHillCoefficient() throws {
    // Edges in an order that interleaves exponents: Kinetics must regroup them.
    let edges = [
        Edge(regulator: 0, target: 3, weight: 1, hillN: 4, halfResponse: 2),
        Edge(regulator: 1, target: 3, weight: -1, hillN: 2, halfResponse: 1),
        Edge(regulator: 2, target: 0, weight: 1, hillN: 1.5, halfResponse: 3),
        Edge(regulator: 0, target: 1, weight: 2, hillN: 2, halfResponse: 1),
        Edge(regulator: 1, target: 2, weight: 1, hillN: 4, halfResponse: 5),
    ]
    let network = Network(
        genes: ["a", "b", "c", "d"], basal: [1, 1, 1, 1], decay: [0.2, 0.2, 0.2, 0.2], edges: edges)
    let k = Kinetics(network)
    #expect(k.channelHill == [1.5, 2, 2, 4, 4])
    #expect(
        StepKernels.hillRuns(k.channelHill).map { [$0.start, $0.end, $0.code] } == [[0, 1, 0], [1, 3, 2], [3, 5, 4]])
    // W still maps each edge's weight to its own channel.
    for edge in edges {
        let ch = (0..<k.channelCount).first {
            k.regulators[k.channelRegulator[$0]] == edge.regulator && k.channelHill[$0] == edge.hillN
                && k.channelHalf[$0] == edge.halfResponse
        }!
        #expect(k.weights[edge.target, ch] == edge.weight)
    }
}

@Test func packedHillChannelsMatchTheScalarHillFunction() {
    var rng = RandomStream(seed: 7, domain: .network, 0)
    let exponents: [Double] = [1, 2, 3, 4, 1.7]
    // Runs of odd lengths (tails of the packed loops), and a regulator read by several channels.
    var hill: [Double] = []
    var regulator: [Int] = []
    var half: [Double] = []
    for (r, n) in exponents.enumerated() {
        for c in 0..<(2 * r + 3) {
            hill.append(n)
            regulator.append((r + c) % 6)
            half.append(0.5 + rng.uniform() * 4)
        }
    }
    let x = (0..<6).map { $0 == 5 ? 0 : rng.uniform() * 6 }  // a regulator at zero
    var h = [Double](repeating: .nan, count: hill.count)
    let invHalf = half.map { 1 / $0 }
    StepKernels.hillChannels(
        x: x, h: &h, count: hill.count, regulator: regulator, invHalf: invHalf,
        runs: StepKernels.hillRuns(hill))
    for ch in 0..<hill.count {
        let expected = Kinetics.hill(x[regulator[ch]], n: hill[ch], h: half[ch])
        // Same formula, rounding differs only in q = x·(1/h) against x/h: a few ulps.
        #expect(abs(h[ch] - expected) <= 1e-14)
    }
}

@Test func packedExponentialEulerUpdateMatchesTheScalarFormula() {
    var rng = RandomStream(seed: 11, domain: .network, 1)
    for count in [1, 3, 4, 7, 200, 203] {
        let x0 = (0..<count).map { $0 % 5 == 0 ? 0 : rng.uniform() * 10 }
        let s = (0..<count).map { _ in rng.uniform() * 4 - 2 }  // the GEMM output, either sign
        let input = (0..<count).map { _ in rng.uniform() }
        let xi = (0..<count).map { _ in rng.zigguratNormal() * 3 }  // large noise: some clip at 0
        let decay = (0..<count).map { _ in 0.05 + rng.uniform() }
        let dt = 0.7
        let sigma = 0.4
        let e = decay.map { Foundation.exp(-$0 * dt) }
        let production = zip(e, decay).map { (1 - $0) / $1 }
        let noise = decay.map { sigma * ((1 - Foundation.exp(-2 * $0 * dt)) / (2 * $0)).squareRoot() }
        for withInput in [true, false] {
            var x = x0
            if withInput {
                StepKernels.exponentialEulerUpdate(
                    x: &x, s: s, input: input, xi: xi, count: count, decayFactor: e,
                    productionFactor: production, noiseFactor: noise, decay: decay)
            } else {
                StepKernels.exponentialEulerUpdate(
                    x: &x, s: s.map { max(0, $0) }, input: nil, xi: xi, count: count,
                    decayFactor: e, productionFactor: production, noiseFactor: noise,
                    decay: decay)
            }
            for p in 0..<count {
                let prod = max(0, (withInput ? input[p] : 0) + s[p])
                let v = x0[p] * e[p] + prod * production[p] + noise[p] * (prod + decay[p] * x0[p]).squareRoot() * xi[p]
                // Identical operations in the same order: the packed lanes round exactly as scalars.
                #expect(x[p] == max(0, v))
            }
        }
    }
}
