import RealModule

/// Spectral quantities of the recurrence: the spectral radius and largest singular value of W, and the
/// norms of the step Jacobians diag(f′(z_i))·W through which BPTT multiplies the gradient (seed Eq. 62).
///
/// Hand-written because no dependency the project allows has an eigenvalue solver (swift-numerics has
/// none, and LAPACK is not guaranteed at run time); both estimates need only GEMM.
public enum Spectral {
    /// ρ(A) for a square A by Gelfand's formula ρ = lim ‖A^k‖^{1/k}, with k = 2^squarings reached by
    /// repeated squaring, renormalized each time, and the ratio ‖A^{2k}‖/‖A^k‖ = ρ^k taken at the end so
    /// that constant factors cancel. Works for complex dominant pairs, where power iteration on a vector
    /// does not converge; for a defective A (Jordan blocks) the error falls only like (log k)/k, 1e-5 at 2^20.
    public static func spectralRadius<T: ElmanFloat>(_ a: Matrix<T>, squarings: Int = 20) -> Double {
        guard a.rows == a.cols else { return .nan }  // ρ is defined for square matrices only
        let n = a.rows
        var b = a.storage
        var logNorm = normalize(&b)  // log ‖A^(2^j)‖_F, j = 0
        if logNorm == -.infinity { return 0 }
        guard logNorm.isFinite else { return .nan }
        var product = [T](repeating: 0, count: n * n)
        var power = 1.0, previous = logNorm
        for _ in 0..<max(1, squarings) {
            b.withUnsafeBufferPointer { bb in
                product.withUnsafeMutableBufferPointer { pb in
                    let p = bb.baseAddress.unsafelyUnwrapped
                    T.gemm(.none, .none, m: n, n: n, k: n, alpha: 1, a: p, lda: n, b: p, ldb: n, beta: 0,
                           c: pb.baseAddress.unsafelyUnwrapped, ldc: n)  // B·B: n×n
                }
            }
            let scale = normalize(&product)
            if scale == -.infinity { return 0 }  // A^k = 0: nilpotent
            previous = logNorm
            logNorm = 2 * logNorm + scale
            power *= 2
            swap(&b, &product)
        }
        // log‖A^{2k}‖ − log‖A^k‖ = k·log ρ + o(1) once A^k ≈ ρ^k·P (P the spectral projector): the constant
        // log‖P‖ cancels, which the plain log‖A^{2k}‖ / 2k keeps as an error of log‖P‖ / 2k.
        return Double.exp((logNorm - previous) / (power / 2))
    }

    /// σ_max(A) = √ρ(AᵀA).
    public static func maxSingularValue<T: ElmanFloat>(_ a: Matrix<T>, squarings: Int = 20) -> Double {
        var gram = [T](repeating: 0, count: a.cols * a.cols)
        a.storage.withUnsafeBufferPointer { ab in
            gram.withUnsafeMutableBufferPointer { gb in
                T.gemm(.transposed, .none, m: a.cols, n: a.cols, k: a.rows, alpha: 1, a: ab.baseAddress.unsafelyUnwrapped,
                       lda: a.cols, b: ab.baseAddress.unsafelyUnwrapped, ldb: a.cols, beta: 0,
                       c: gb.baseAddress.unsafelyUnwrapped, ldc: a.cols)  // Aᵀ·A: cols×cols
            }
        }
        return spectralRadius(Matrix(rows: a.cols, cols: a.cols, storage: gram), squarings: squarings).squareRoot()
    }

    /// ‖diag(f′(S_r))·Wᵀ‖₂ for each row S_r of `states` (R×H): the factor by which one step back in time
    /// can stretch a gradient at most. Power iteration on all rows at once (two GEMMs per iteration):
    /// v ← ((v ∘ d)·Wᵀ·W) ∘ d, with d = f′(S_r). Converges from below.
    static func stepJacobianNorms<T: ElmanFloat>(recurrent w: UnsafePointer<T>, hidden h: Int,
                                                        states: UnsafePointer<T>, rows: Int,
                                                        nonlinearity: Nonlinearity, iterations: Int = 30) -> [Double] {
        guard rows > 0 else { return [] }
        var d = [T](repeating: 1, count: rows * h)  // f′(S_r), row by row
        d.withUnsafeMutableBufferPointer { T.multiplyByDerivative(nonlinearity, $0.baseAddress.unsafelyUnwrapped, output: states, count: rows * h) }
        var g = SeededGenerator(seed: 12345)
        var v = (0..<(rows * h)).map { _ in T(g.nextUnit() + 0.5) }
        var p = [T](repeating: 0, count: rows * h)
        var sigma = [Double](repeating: 0, count: rows)
        for _ in 0..<iterations {
            for r in 0..<rows {  // normalize each row
                let norm = v.withUnsafeBufferPointer { euclideanNorm(UnsafeBufferPointer(rebasing: $0[(r * h)..<((r + 1) * h)])) }
                let inv = norm > 0 ? T(1 / norm) : 0
                for j in 0..<h { v[r * h + j] *= inv * d[r * h + j] }
            }
            v.withUnsafeBufferPointer { vb in
                p.withUnsafeMutableBufferPointer { pb in
                    T.gemm(.none, .transposed, m: rows, n: h, k: h, alpha: 1, a: vb.baseAddress.unsafelyUnwrapped, lda: h,
                           b: w, ldb: h, beta: 0, c: pb.baseAddress.unsafelyUnwrapped, ldc: h)  // (v∘d)·Wᵀ: R×H
                }
            }
            p.withUnsafeBufferPointer { pb in  // ‖(v∘d)·Wᵀ‖ = σ estimate for the unit v
                for r in 0..<rows { sigma[r] = euclideanNorm(UnsafeBufferPointer(rebasing: pb[(r * h)..<((r + 1) * h)])) }
            }
            p.withUnsafeBufferPointer { pb in
                v.withUnsafeMutableBufferPointer { vb in
                    T.gemm(.none, .none, m: rows, n: h, k: h, alpha: 1, a: pb.baseAddress.unsafelyUnwrapped, lda: h,
                           b: w, ldb: h, beta: 0, c: vb.baseAddress.unsafelyUnwrapped, ldc: h)  // ·W: R×H
                }
            }
            for i in 0..<(rows * h) { v[i] *= d[i] }
        }
        return sigma
    }

    /// Scales `x` to unit Frobenius norm; returns the log of the norm it had (−∞ for zero).
    private static func normalize<T: ElmanFloat>(_ x: inout [T]) -> Double {
        var maxAbs = 0.0
        for v in x { maxAbs = max(maxAbs, abs(Double(v))) }
        guard maxAbs > 0, maxAbs.isFinite else { return maxAbs > 0 ? .infinity : -.infinity }
        var s = 0.0
        for v in x { let u = Double(v) / maxAbs; s += u * u }
        let norm = maxAbs * s.squareRoot()
        let inv = T(1 / norm)
        for i in x.indices { x[i] *= inv }
        return Double.log(norm)
    }
}
