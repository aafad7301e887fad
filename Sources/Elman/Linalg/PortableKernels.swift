import RealModule

/// Portable implementations of the ``ElmanFloat`` kernels, generic so that one text serves Float and
/// Double; the conformances call them with a concrete type, so the optimizer specializes them.
enum Portable {
    static func gemm<T: BinaryFloatingPoint>(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: T, a: UnsafePointer<T>, lda: Int, b: UnsafePointer<T>, ldb: Int,
        beta: T, c: UnsafeMutablePointer<T>, ldc: Int
    ) {
        for i in 0..<m {
            let ci = c + i * ldc
            if beta == 0 {
                for j in 0..<n { ci[j] = 0 }
            } else if beta != 1 {
                for j in 0..<n { ci[j] *= beta }
            }
        }
        if k == 0 || alpha == 0 { return }
        switch (transA, transB) {
        case (.none, .none):  // C[i,:] += α A[i,p] B[p,:]
            for i in 0..<m {
                let ci = c + i * ldc
                for p in 0..<k {
                    let s = alpha * a[i * lda + p]
                    if s == 0 { continue }
                    let bp = b + p * ldb
                    for j in 0..<n { ci[j] += s * bp[j] }
                }
            }
        case (.transposed, .none):  // A stored k×m: C[i,:] += α A[p,i] B[p,:]
            for p in 0..<k {
                let ap = a + p * lda
                let bp = b + p * ldb
                for i in 0..<m {
                    let s = alpha * ap[i]
                    if s == 0 { continue }
                    let ci = c + i * ldc
                    for j in 0..<n { ci[j] += s * bp[j] }
                }
            }
        case (.none, .transposed):  // B stored n×k: C[i,j] += α ⟨A[i,:], B[j,:]⟩
            for i in 0..<m {
                let ai = a + i * lda
                for j in 0..<n {
                    let bj = b + j * ldb
                    var s: T = 0
                    for p in 0..<k { s += ai[p] * bj[p] }
                    c[i * ldc + j] += alpha * s
                }
            }
        case (.transposed, .transposed):  // A stored k×m, B stored n×k
            for i in 0..<m {
                for j in 0..<n {
                    var s: T = 0
                    for p in 0..<k { s += a[p * lda + i] * b[j * ldb + p] }
                    c[i * ldc + j] += alpha * s
                }
            }
        }
    }

    static func activate<T: Real>(_ f: Nonlinearity, _ x: UnsafeMutablePointer<T>, count: Int) {
        switch f {
        case .tanh: for i in 0..<count { x[i] = T.tanh(x[i]) }
        case .relu: for i in 0..<count where !(x[i] > 0) { x[i] = 0 }
        }
    }

    static func multiplyByDerivative<T: Real>(
        _ f: Nonlinearity, _ grad: UnsafeMutablePointer<T>, output s: UnsafePointer<T>, count: Int
    ) {
        switch f {
        case .tanh: for i in 0..<count { grad[i] *= 1 - s[i] * s[i] }  // seed Eqs. 62, 107
        case .relu: for i in 0..<count where !(s[i] > 0) { grad[i] = 0 }
        }
    }

    static func softmaxCrossEntropy<T: Real & BinaryFloatingPoint>(
        _ logits: UnsafeMutablePointer<T>, rows: Int, classes: Int,
        targets: UnsafePointer<Int32>, weights: UnsafePointer<T>
    ) -> Double {
        var total: Double = 0
        for r in 0..<rows {
            let g = logits + r * classes
            let w = weights[r]
            if w == 0 {
                for j in 0..<classes { g[j] = 0 }
                continue
            }
            var m = g[0]
            for j in 1..<max(classes, 1) where g[j] > m { m = g[j] }
            let y = Int(targets[r])
            let shiftedTarget = g[y] - m
            var sum: T = 0
            for j in 0..<classes {
                let e = T.exp(g[j] - m)
                g[j] = e
                sum += e
            }
            // CE = log Σ_j exp(g_j − m) − (g_y − m)   (Eqs. 23, 34)
            total += Double(w) * (Double(T.log(sum)) - Double(shiftedTarget))
            let scale = w / sum
            for j in 0..<classes { g[j] *= scale }
            g[y] -= w  // w·(ŷ − y), Eq. 92
        }
        return total
    }

    static func sigmoidCrossEntropy<T: Real & BinaryFloatingPoint>(
        _ logits: UnsafeMutablePointer<T>, rows: Int,
        targets: UnsafePointer<T>, weights: UnsafePointer<T>
    ) -> Double {
        var total: Double = 0
        for r in 0..<rows {
            let w = weights[r]
            if w == 0 { logits[r] = 0; continue }
            let g = logits[r]
            let y = targets[r]
            // −y log σ(g) − (1 − y) log(1 − σ(g)) = max(g, 0) − g·y + log(1 + e^{−|g|})
            let loss = max(g, 0) - g * y + T.log(onePlus: T.exp(-abs(g)))
            total += Double(w) * Double(loss)
            let e = T.exp(-abs(g))
            let sigma = g >= 0 ? 1 / (1 + e) : e / (1 + e)
            logits[r] = w * (sigma - y)
        }
        return total
    }

    static func addRowVector<T: BinaryFloatingPoint>(
        _ x: UnsafeMutablePointer<T>, rows: Int, cols: Int, _ v: UnsafePointer<T>
    ) {
        for r in 0..<rows {
            let xr = x + r * cols
            for j in 0..<cols { xr[j] += v[j] }
        }
    }

    static func accumulateColumnSums<T: BinaryFloatingPoint>(
        _ x: UnsafePointer<T>, rows: Int, cols: Int, into out: UnsafeMutablePointer<T>
    ) {
        for r in 0..<rows {
            let xr = x + r * cols
            for j in 0..<cols { out[j] += xr[j] }
        }
    }

    /// out = xᵀ. x: rows×cols, out: cols×rows. In 16×16 tiles, so that neither side strides through memory.
    static func transpose<T>(_ x: UnsafePointer<T>, rows: Int, cols: Int, into out: UnsafeMutablePointer<T>) {
        let tile = 16
        for i0 in stride(from: 0, to: rows, by: tile) {
            for j0 in stride(from: 0, to: cols, by: tile) {
                for i in i0..<min(i0 + tile, rows) {
                    for j in j0..<min(j0 + tile, cols) { out[j * rows + i] = x[i * cols + j] }
                }
            }
        }
    }

    static func copyRow<T: BinaryFloatingPoint>(
        from row: UnsafePointer<T>, adding v: UnsafePointer<T>?, into out: UnsafeMutablePointer<T>, count: Int
    ) {
        if let v {
            for j in 0..<count { out[j] = row[j] + v[j] }
        } else {
            out.update(from: row, count: count)
        }
    }

    static func scatterAddRows<T: BinaryFloatingPoint>(
        _ src: UnsafePointer<T>, cols: Int, indices: UnsafePointer<Int32>, count: Int,
        into table: UnsafeMutablePointer<T>
    ) {
        for r in 0..<count {
            let dst = table + Int(indices[r]) * cols
            let s = src + r * cols
            for j in 0..<cols { dst[j] += s[j] }
        }
    }
}
