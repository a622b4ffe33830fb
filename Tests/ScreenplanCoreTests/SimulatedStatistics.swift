import Foundation

// The statistics the labs' engines compute, on simulated cells, for the tests that check a power
// model against brute force: one copy each, so two tests cannot check against two versions.

/// Mann–Whitney U of `a` against `b` (mid-ranks for ties) and the tie correction
/// 1 − Σ(t³ − t)/(n³ − n) of the rank sum's null variance, as scanpy's wilcoxon applies it.
func rankSum(_ a: [Double], _ b: [Double]) -> (u: Double, tieFactor: Double) {
    let all = (a.map { ($0, true) } + b.map { ($0, false) }).sorted { $0.0 < $1.0 }
    var rankP = 0.0
    var ties = 0.0
    var i = 0
    let nTotal = Double(all.count)
    while i < all.count {
        var j = i
        while j + 1 < all.count && all[j + 1].0 == all[i].0 { j += 1 }
        let rank = Double(i + j + 2) / 2
        for k in i...j where all[k].1 { rankP += rank }
        let t = Double(j - i + 1)
        ties += t * t * t - t
        i = j + 1
    }
    return (rankP - Double(a.count) * Double(a.count + 1) / 2, 1 - ties / (nTotal * nTotal * nTotal - nTotal))
}

/// SCEPTRE's union-fit score pieces for counts `y` with library factors `l`, the first
/// `perturbed` cells perturbed: the null mean fitted on all cells (Poisson fit, offset l), the
/// NB(mixing) score u of the perturbed cells, their information and the total information
/// (z = u / √(ip − ip²/total)).
func unionFitScore(_ y: [Double], _ l: [Double], perturbed np: Int, mixing: Double) -> (
    u: Double, ip: Double, total: Double
) {
    let fitted = y.reduce(0, +) / l.reduce(0, +)
    var u = 0.0
    var ip = 0.0
    var total = 0.0
    for c in 0..<y.count {
        let mu = fitted * l[c]
        let d = 1 + mu * mixing
        if c < np {
            u += (y[c] - mu) / d
            ip += mu / d
        }
        total += mu / d
    }
    return (u, ip, total)
}
