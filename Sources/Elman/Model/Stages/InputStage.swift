/// The input stage of layer l: X·U over all T·N rows at once, and back, dU and the gradient reaching the layer
/// below. Token input never forms X·U: the recurrence's first step adds U's token rows (step 1 in
/// docs/ARCHITECTURE.md), and dU is a scatter-add of rows (step 9).
struct InputStage<T: ElmanFloat> {
    let config: ModelConfig
    let layout: ParameterLayout

    /// The input term of Z for all steps: Z(1..T) = X(1..T)·U for dense input or a layer above the first; for
    /// token input, what the recurrence needs to gather U's rows itself.
    ///
    /// Eq. 74: Z(t) = X(t)·U + S(t−1)·W + b (its first term).
    func forward(layer l: Int, _ p: UnsafePointer<T>, _ ws: Workspace<T>, into input: inout Recurrence.Input<T>) {
        let n = ws.size, h = config.hiddenSize, rows = ws.steps * n
        let z = ws.states[l].pointer + n * h  // Z(1..T): T·N×H
        let u = p + layout.offset(.inputWeights(layer: l))
        if l > 0 {  // S_{l−1}(1..T): T·N×H, U_l: H×H
            T.gemm(.none, .none, m: rows, n: h, k: h, alpha: 1, a: ws.output(of: l - 1), lda: h, b: u, ldb: h,
                   beta: 0, c: z, ldc: h)
        } else if ws.dense.count > 0 {  // X: T·N×D, U: D×H
            T.gemm(.none, .none, m: rows, n: h, k: config.inputSize, alpha: 1, a: ws.dense.pointer, lda: config.inputSize,
                   b: u, ldb: h, beta: 0, c: z, ldc: h)
        } else {  // one-hot X·U = rows of U, gathered step by step inside the recurrence
            input.tokens = (u, UnsafePointer(ws.tokens.pointer))
        }
    }

    /// dU += X(1..T)ᵀ·dZ(1..T), and for a layer above the first, the gradient reaching the layer below,
    /// dS_{l−1} = dZ·U_lᵀ, written to `below`.
    ///
    /// Eq. 114: ∂L/∂U = Σ_t X(t)ᵀ·δ(t), summed over all steps in one product (a scatter-add of rows for tokens).
    func backward(layer l: Int, _ p: UnsafePointer<T>, _ grad: UnsafeMutablePointer<T>, _ ws: Workspace<T>,
                  dZ: UnsafePointer<T>, below: UnsafeMutablePointer<T>) {
        let n = ws.size, h = config.hiddenSize, rows = ws.steps * n
        let dU = grad + layout.offset(.inputWeights(layer: l))
        if l > 0 {
            let input = ws.output(of: l - 1)  // S_{l−1}(1..T) (∘ its dropout): T·N×H
            T.gemm(.transposed, .none, m: h, n: h, k: rows, alpha: 1, a: input, lda: h, b: dZ, ldb: h, beta: 1, c: dU, ldc: h)
            // dS_{l−1} = dZ·U_lᵀ: dZ: T·N×H, U_lᵀ: H×H
            T.gemm(.none, .transposed, m: rows, n: h, k: h, alpha: 1, a: dZ, lda: h,
                   b: p + layout.offset(.inputWeights(layer: l)), ldb: h, beta: 0, c: below, ldc: h)
        } else if ws.dense.count > 0 {  // Xᵀ: D×T·N, dZ: T·N×H
            T.gemm(.transposed, .none, m: config.inputSize, n: h, k: rows, alpha: 1, a: ws.dense.pointer,
                   lda: config.inputSize, b: dZ, ldb: h, beta: 1, c: dU, ldc: h)
        } else {
            T.scatterAddRows(dZ, cols: h, indices: ws.tokens.pointer, count: rows, into: dU)
        }
    }
}
