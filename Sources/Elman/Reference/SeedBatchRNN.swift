import RealModule

/// Seed §3, literally: N sequences at once, row-major, in Double.
///
///     Z(t) = X(t)·U + S(t−1)·W      (Eq. 74)    X(t): N×D, S(t): N×H
///     S(t) = tanh(Z(t))             (Eq. 75)    U: D×H, W: H×H, V: H×C
///     G(t) = S(t)·V                 (Eq. 76)
///     Ŷ(t) = softmax(G(t))          (Eq. 77)
///     L(t) = −Σ_i Σ_j Y(t)_ij log Ŷ(t)_ij   (Eq. 78)
///
/// Gradients by the seed's route: for every loss term L(t), walk back over k = t…1 with Eqs. 108–109
/// and add Eqs. 112 and 114 at each k (Eqs. 101, 110–114): O(T²).
package enum SeedBatchRNN {
    public struct Parameters: Equatable, Sendable {
        /// D×H.
        public var u: Matrix<Double>
        /// H×H.
        public var w: Matrix<Double>
        /// H×C.
        public var v: Matrix<Double>
        public init(u: Matrix<Double>, w: Matrix<Double>, v: Matrix<Double>) { self.u = u; self.w = w; self.v = v }
    }

    /// ∂S/∂Z as used in Eq. 108.
    public enum TanhDerivative: Sendable, CaseIterable {
        /// 1 − S ∘ S, as Eq. 107 itself says.
        case corrected
        /// Eq. 108 as printed with 1 a matrix of ones: (1 − S) ∘ S, the sigmoid's derivative (seed mistake 4).
        case seedEq108
        /// Eq. 108 with "I" read as the identity matrix: (I − S) ∘ S.
        case seedEq108Identity
    }

    public enum Chain: Sendable, CaseIterable {
        /// Eq. 111: ∂S(k)/∂Z(k) is applied at every k.
        case corrected
        /// Eqs. 102 and 110 as printed: ∂S(k)/∂Z(k) is missing from the terms k < t (seed mistake 7).
        case seedEq110
    }

    /// Eqs. 74–77: S(0…T) and Ŷ(1…T).
    public static func forward(x: [Matrix<Double>], s0: Matrix<Double>, _ p: Parameters)
        -> (s: [Matrix<Double>], yHat: [Matrix<Double>])
    {
        var s = [s0]
        var yHat: [Matrix<Double>] = []
        for xt in x {
            let st = (xt * p.u + s[s.count - 1] * p.w).map { Double.tanh($0) }  // Eqs. 74–75
            s.append(st)
            let g = st * p.v  // Eq. 76: N×C
            var y = g
            for i in 0..<g.rows {  // Eq. 77, row by row
                for (j, value) in SeedVectorRNN.softmax(g.row(i)).enumerated() { y[i, j] = value }
            }
            yHat.append(y)
        }
        return (s, yHat)
    }

    /// Σ_t L(t) (Eq. 78) for targets given as class ids, y[t][i].
    public static func loss(x: [Matrix<Double>], y: [[Int]], s0: Matrix<Double>, _ p: Parameters) -> Double {
        let f = forward(x: x, s0: s0, p)
        var total = 0.0
        for (yHat, yt) in zip(f.yHat, y) {
            for (i, cls) in yt.enumerated() { total -= Double.log(yHat[i, cls]) }
        }
        return total
    }

    /// (∂L/∂U, ∂L/∂W, ∂L/∂V) for L = Σ_t L(t) by the O(T²) route of Eqs. 100–114.
    public static func gradients(x: [Matrix<Double>], y: [[Int]], s0: Matrix<Double>, _ p: Parameters,
                                 derivative: TanhDerivative = .corrected, chain: Chain = .corrected)
        -> Parameters
    {
        let f = forward(x: x, s0: s0, p)
        var dU = Matrix<Double>(rows: p.u.rows, cols: p.u.cols)
        var dW = Matrix<Double>(rows: p.w.rows, cols: p.w.cols)
        var dV = Matrix<Double>(rows: p.v.rows, cols: p.v.cols)
        let dSdZ: [Matrix<Double>] = f.s.map { s in
            switch derivative {
            case .corrected: return s.map { 1 - $0 * $0 }  // Eq. 107
            case .seedEq108: return s.map { 1 - $0 }.hadamard(s)
            case .seedEq108Identity:
                var ones = Matrix<Double>(rows: s.rows, cols: s.cols)
                for i in 0..<min(s.rows, s.cols) { ones[i, i] = 1 }
                return (ones - s).hadamard(s)
            }
        }
        for t in 1...x.count {
            var dG = f.yHat[t - 1]  // Eq. 92: Ŷ(t) − Y(t)
            for (i, cls) in y[t - 1].enumerated() { dG[i, cls] -= 1 }
            dV += f.s[t].transposed * dG  // Eq. 100
            var dS = dG * p.v.transposed  // Eq. 104: ∂L(t)/∂S(t), N×H
            for k in stride(from: t, through: 1, by: -1) {
                let dZ = dS.hadamard(dSdZ[k])  // Eq. 108: ∂L(t)/∂Z(k)
                let used = (chain == .seedEq110 && k < t) ? dS : dZ
                dW += f.s[k - 1].transposed * used  // Eq. 112: S(k−1)ᵀ ∂L(t)/∂Z(k)
                dU += x[k - 1].transposed * used  // Eq. 114: X(k)ᵀ ∂L(t)/∂Z(k)
                dS = dZ * p.w.transposed  // Eq. 109: ∂L(t)/∂S(k−1)
            }
        }
        return Parameters(u: dU, w: dW, v: dV)
    }
}
