import RealModule

/// Seed §1, literally: the scalar RNN binary classifier, in Double.
///
///     s_t = tanh(U x_t + W s_{t−1})     (Eq. 1)
///     ŷ_t = sigm(V s_t)                 (Eq. 2)
///     E_t = −y_t log ŷ_t                (Eq. 3, the seed's loss) or the full binary cross-entropy
///
/// The gradients follow the seed's route, the sum over k of path products (Eqs. 11–18), which costs
/// O(T²). Teaching code and a test oracle; the production path is ``Engine``.
package enum SeedScalarRNN {
    public struct Parameters: Equatable, Sendable {
        public var u: Double, w: Double, v: Double
        public init(u: Double, w: Double, v: Double) { self.u = u; self.w = w; self.v = v }
    }

    public enum Loss: Sendable, CaseIterable {
        /// Eq. 3 as printed: −y log ŷ, only the positive-class half (seed mistake 1).
        case seedEq3
        /// −y log ŷ − (1 − y) log(1 − ŷ).
        case binaryCrossEntropy
    }

    public enum Chain: Sendable, CaseIterable {
        /// ∂s_i/∂s_{i−1} = (1 − s_i²)·W.
        case corrected
        /// Eqs. 13–15 as printed: ∂s_i/∂s_{i−1} = W, so ∂s_t/∂s_k = W^{t−k} (seed mistake 2).
        case seedEq15
    }

    /// s_0 … s_T and ŷ_1 … ŷ_T (index 0 of `yHat` is step 1).
    public struct Forward: Sendable {
        public var s: [Double]
        public var yHat: [Double]
    }

    /// Eqs. 1–2.
    public static func forward(x: [Double], s0: Double, _ p: Parameters) -> Forward {
        var s = [s0]
        var yHat: [Double] = []
        for xt in x {
            let st = Double.tanh(p.u * xt + p.w * s[s.count - 1])  // Eq. 1
            s.append(st)
            yHat.append(sigmoid(p.v * st))  // Eq. 2
        }
        return Forward(s: s, yHat: yHat)
    }

    /// Σ_t E_t (Eq. 3 or the full binary cross-entropy), computed from the logit for stability.
    public static func loss(x: [Double], y: [Double], s0: Double, _ p: Parameters, _ kind: Loss) -> Double {
        let f = forward(x: x, s0: s0, p)
        var total = 0.0
        for t in 0..<x.count {
            let g = p.v * f.s[t + 1]
            let logYHat = -softplus(-g)  // log σ(g)
            let log1mYHat = -softplus(g)  // log(1 − σ(g))
            total += kind == .seedEq3 ? -y[t] * logYHat : -y[t] * logYHat - (1 - y[t]) * log1mYHat
        }
        return total
    }

    /// (∂E/∂U, ∂E/∂W, ∂E/∂V) for E = Σ_t E_t by the path sum of Eqs. 4, 5, 11–18.
    public static func gradients(x: [Double], y: [Double], s0: Double, _ p: Parameters, loss kind: Loss,
                                 chain: Chain = .corrected) -> Parameters {
        let f = forward(x: x, s0: s0, p)
        let s = f.s
        var dU = 0.0, dW = 0.0, dV = 0.0
        for t in 1...x.count {
            let yHat = f.yHat[t - 1], yt = y[t - 1]
            // ∂E_t/∂g_t with g_t = V s_t: ŷ − y for the full loss; (−y/ŷ)·ŷ(1 − ŷ) for Eq. 3.
            let dG = kind == .binaryCrossEntropy ? yHat - yt : -yt * (1 - yHat)
            dV += dG * s[t]  // Eq. 4
            let dS = dG * p.v  // ∂E_t/∂ŷ_t · ∂ŷ_t/∂s_t  (Eqs. 5, 17)
            var path = 1.0  // ∂s_t/∂s_k, starting at k = t (Eq. 9: ∂s_t/∂s_t = 1)
            for k in stride(from: t, through: 1, by: -1) {
                let tanhDerivative = 1 - s[k] * s[k]
                dW += dS * path * tanhDerivative * s[k - 1]  // Eqs. 11, 16: ∂s_k/∂W = (1 − s_k²)·s_{k−1}
                dU += dS * path * tanhDerivative * x[k - 1]  // Eq. 18:      ∂s_k/∂U = (1 − s_k²)·x_k
                // Eq. 13: extend the path by ∂s_k/∂s_{k−1}
                path *= chain == .corrected ? tanhDerivative * p.w : p.w
            }
        }
        return Parameters(u: dU, w: dW, v: dV)
    }

    static func sigmoid(_ g: Double) -> Double { g >= 0 ? 1 / (1 + .exp(-g)) : Double.exp(g) / (1 + .exp(g)) }
    static func softplus(_ g: Double) -> Double { max(g, 0) + .log(onePlus: .exp(-abs(g))) }
}
