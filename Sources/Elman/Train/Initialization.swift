import RealModule

/// How the weights start. Biases start at zero except under `uniform`, PyTorch's default.
public enum Initialization: String, Sendable, Codable, CaseIterable {
    /// PyTorch's `nn.RNN`/`nn.Linear` default: every value uniform in [−1/√H, 1/√H].
    case uniform
    /// Glorot & Bengio (2010): each matrix uniform in ±√(6 / (fan_in + fan_out)).
    case xavier
    /// W orthogonal (Saxe et al. 2014): every singular value 1, so ∏ W neither grows nor shrinks; U, V Xavier.
    case orthogonal
    /// W = I, the rest uniform: the identity-initialized relu RNN (Le, Jaitly & Hinton 2015).
    case identity

    /// The default for a nonlinearity: identity for relu, uniform for tanh.
    public static func standard(for f: Nonlinearity) -> Initialization { f == .relu ? .identity : .uniform }

    /// Fresh parameters for `config`.
    public func parameters<T: ElmanFloat>(_ config: ModelConfig, generator g: inout SeededGenerator) -> Parameters<T> {
        var p = Parameters<T>(config: config, generator: &g)
        guard self != .uniform else { return p }
        for entry in p.layout.entries {
            let range = entry.offset..<(entry.offset + entry.count)
            switch (self, entry.id) {
            case (.identity, .recurrentWeights):
                for i in range { p.values[i] = 0 }
                for i in 0..<entry.rows { p.values[entry.offset + i * entry.cols + i] = 1 }  // H×H
            case (.identity, _):
                break
            case (.orthogonal, .recurrentWeights):
                p.values.replaceSubrange(range, with: Self.orthogonal(entry.rows, &g).map { T($0) })  // H×H
            case (_, .inputBias), (_, .hiddenBias), (_, .outputBias):
                for i in range { p.values[i] = 0 }
            default:  // Xavier for every other matrix
                let bound = (6 / Double(entry.rows + entry.cols)).squareRoot()
                for i in range { p.values[i] = T(g.uniform(-bound, bound)) }
            }
        }
        return p
    }

    /// An n×n orthogonal matrix, row-major: Gram–Schmidt (applied twice, for accuracy) on Gaussian rows.
    static func orthogonal(_ n: Int, _ g: inout SeededGenerator) -> [Double] {
        var q = (0..<(n * n)).map { _ in
            Double.sqrt(-2 * Double.log(1 - g.nextUnit())) * Double.cos(2 * Double.pi * g.nextUnit())
        }
        for i in 0..<n {
            for _ in 0..<2 {
                for j in 0..<i {
                    var dot = 0.0
                    for k in 0..<n { dot += q[i * n + k] * q[j * n + k] }
                    for k in 0..<n { q[i * n + k] -= dot * q[j * n + k] }
                }
            }
            var norm = 0.0
            for k in 0..<n { norm += q[i * n + k] * q[i * n + k] }
            norm = norm.squareRoot()
            for k in 0..<n { q[i * n + k] /= norm }
        }
        return q
    }
}
