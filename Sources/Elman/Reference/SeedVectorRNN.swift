import RealModule

/// Seed §2, literally: one sequence, column vectors, softmax and cross-entropy, in Double.
///
///     z_t = U x_t + W s_{t−1}    (Eq. 19)      x_t: D×1, s_t: H×1
///     s_t = tanh(z_t)            (Eq. 20)      U: H×D, W: H×H, V: C×H
///     g_t = V s_t                (Eq. 21)
///     ŷ_t = softmax(g_t)         (Eq. 22)
///     L_t = −y_tᵀ log ŷ_t        (Eq. 23)
///
/// (The seed calls the input size M and the hidden size D here; this code uses D and H as docs/ARCHITECTURE.md.)
/// Gradients by the seed's path sum over k (Eqs. 57, 65–69), O(T²).
package enum SeedVectorRNN {
    public struct Parameters: Equatable, Sendable {
        /// H×D.
        public var u: Matrix<Double>
        /// H×H.
        public var w: Matrix<Double>
        /// C×H.
        public var v: Matrix<Double>
        public init(u: Matrix<Double>, w: Matrix<Double>, v: Matrix<Double>) { self.u = u; self.w = w; self.v = v }
    }

    public enum Chain: Sendable, CaseIterable {
        /// ∂s_t/∂s_k = diag(1 − s_t²)W · diag(1 − s_{t−1}²)W ⋯ diag(1 − s_{k+1}²)W, in that order (Eqs. 58–62).
        case corrected
        /// Eq. 63 as printed: W^{t−k} ∏ diag(1 − s_i²), as if the matrices commuted (seed mistake 3).
        case seedEq63
    }

    /// Eq. 34 with the denominator over j = 1…C (the seed prints the sum's lower limit as "i = j").
    public static func softmax(_ g: [Double]) -> [Double] {
        let m = g.max() ?? 0
        let e = g.map { Double.exp($0 - m) }
        let sum = e.reduce(0, +)
        return e.map { $0 / sum }
    }

    /// Eq. 34 read as printed, the denominator summing j from i to C: not a distribution (seed mistake 5).
    public static func seedEq34Softmax(_ g: [Double]) -> [Double] {
        g.indices.map { i in Double.exp(g[i]) / g[i...].reduce(0) { $0 + Double.exp($1) } }
    }

    /// Eqs. 19–22: s_0…s_T and ŷ_1…ŷ_T.
    public static func forward(x: [[Double]], s0: [Double], _ p: Parameters) -> (s: [[Double]], yHat: [[Double]]) {
        var s = [s0]
        var yHat: [[Double]] = []
        for xt in x {
            let z = p.u * .column(xt) + p.w * .column(s[s.count - 1])  // Eq. 19
            let st = z.storage.map { Double.tanh($0) }  // Eq. 20
            s.append(st)
            yHat.append(softmax((p.v * .column(st)).storage))  // Eqs. 21–22
        }
        return (s, yHat)
    }

    /// Σ_t L_t (Eqs. 23, 30, 71) for one-hot targets given as class ids.
    public static func loss(x: [[Double]], y: [Int], s0: [Double], _ p: Parameters) -> Double {
        let f = forward(x: x, s0: s0, p)
        return zip(f.yHat, y).reduce(0) { $0 - Double.log($1.0[$1.1]) }
    }

    /// (∂L/∂U, ∂L/∂W, ∂L/∂V) for L = Σ_t L_t (Eqs. 71–73) by the path sum over k.
    public static func gradients(x: [[Double]], y: [Int], s0: [Double], _ p: Parameters,
                                 chain: Chain = .corrected) -> Parameters {
        let f = forward(x: x, s0: s0, p)
        let h = p.w.rows
        var dU = Matrix<Double>(rows: p.u.rows, cols: p.u.cols)
        var dW = Matrix<Double>(rows: h, cols: h)
        var dV = Matrix<Double>(rows: p.v.rows, cols: p.v.cols)
        let tanhDerivative = f.s.map { Matrix.diagonal($0.map { 1 - $0 * $0 }) }  // Eq. 62
        for t in 1...x.count {
            var dG = f.yHat[t - 1]
            dG[y[t - 1]] -= 1  // Eq. 44: (ŷ_t − y_t)ᵀ
            dV += Matrix.column(dG) * Matrix(rows: 1, cols: h, storage: f.s[t])  // Eq. 54: (ŷ − y) s_tᵀ
            let dLdS = Matrix(rows: 1, cols: dG.count, storage: dG) * p.v  // Eq. 56: 1×H
            var path = Matrix<Double>.identity(h)  // ∂s_t/∂s_k at k = t
            var diagonalProduct = Matrix<Double>.identity(h)  // ∏_{i=k+1}^{t} diag(1 − s_i²), for Eq. 63
            for k in stride(from: t, through: 1, by: -1) {
                let sToK: Matrix<Double>
                switch chain {
                case .corrected: sToK = path
                case .seedEq63: sToK = power(p.w, t - k) * diagonalProduct
                }
                // Eqs. 64–69: ∂L_t/∂z_k = ∂L_t/∂s_t · ∂s_t/∂s_k · ∂s_k/∂z_k  (1×H)
                let dZ = dLdS * sToK * tanhDerivative[k]
                // Eq. 70 with y = z_k: ∂L/∂W = (s_{k−1} · ∂L/∂z_k)ᵀ, ∂L/∂U = (x_k · ∂L/∂z_k)ᵀ
                dW += (Matrix.column(f.s[k - 1]) * dZ).transposed
                dU += (Matrix.column(x[k - 1]) * dZ).transposed
                path = path * tanhDerivative[k] * p.w  // Eqs. 58–60: · ∂s_k/∂s_{k−1}
                diagonalProduct = diagonalProduct * tanhDerivative[k]
            }
        }
        return Parameters(u: dU, w: dW, v: dV)
    }

    /// ‖∂L_t/∂s_k‖ for every loss term t = 1…T and k = t, t−1, …, 1 (entry [t−1][t−k]), each by the explicit
    /// product of step Jacobians (Eqs. 56, 58–62, corrected): O(T²) matrix products. The oracle for
    /// ``LagProfile``.
    public static func lagNorms(x: [[Double]], y: [Int], s0: [Double], _ p: Parameters) -> [[Double]] {
        let f = forward(x: x, s0: s0, p)
        let h = p.w.rows
        return (1...x.count).map { t in
            var dG = f.yHat[t - 1]
            dG[y[t - 1]] -= 1  // Eq. 44
            let dLdS = Matrix(rows: 1, cols: dG.count, storage: dG) * p.v  // Eq. 56: 1×H
            var path = Matrix<Double>.identity(h)
            return stride(from: t, through: 1, by: -1).map { k in
                let g = dLdS * path  // ∂L_t/∂s_k = ∂L_t/∂s_t · ∂s_t/∂s_k
                path = path * Matrix.diagonal(f.s[k].map { 1 - $0 * $0 }) * p.w  // · ∂s_k/∂s_{k−1}
                return g.storage.reduce(0) { $0 + $1 * $1 }.squareRoot()
            }
        }
    }

    /// ∂L/∂g for L = −yᵀ log softmax(g) with any target vector y: Eq. 42, (Σ_k y_k)·ŷ − y.
    /// Eq. 43, ŷ − y, is this only when Σ_k y_k = 1 (seed note 8).
    public static func crossEntropyGradient(logits g: [Double], target y: [Double]) -> [Double] {
        let yHat = softmax(g)
        let total = y.reduce(0, +)
        return zip(yHat, y).map { total * $0 - $1 }
    }

    static func power(_ m: Matrix<Double>, _ n: Int) -> Matrix<Double> {
        (0..<n).reduce(Matrix.identity(m.rows)) { acc, _ in acc * m }
    }
}
