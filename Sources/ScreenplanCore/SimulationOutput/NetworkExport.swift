import Foundation

// MARK: - Writing a network back out (edge list and genes table)

extension NetworkFile {
    /// Writes `regulator target weight hill_n half_response` (absolute half-response) and
    /// `gene basal decay`, the formats `read` accepts, so a generated network can be inspected,
    /// edited, reused, or handed to another implementation (the NumPy benchmark reads it).
    public static func write(_ network: Network, edgesPath: String, genesPath: String) throws {
        let e = ByteBuffer()
        e.append("regulator\ttarget\tweight\thill_n\thalf_response\n")
        for edge in network.edges {
            e.appendRow { row in
                row.field(network.genes[edge.regulator])
                row.field(network.genes[edge.target])
                row.field("\(edge.weight)")
                row.field("\(edge.hillN)")
                row.field("\(edge.halfResponse)")
            }
        }
        let g = ByteBuffer()
        g.append("gene\tbasal\tdecay\n")
        for (i, name) in network.genes.enumerated() {
            g.appendRow { row in
                row.field(name)
                row.field("\(network.basal[i])")
                row.field("\(network.decay[i])")
            }
        }
        try writeAtomically(Data(e.bytes), to: edgesPath)
        try writeAtomically(Data(g.bytes), to: genesPath)
    }
}
