/// The input stage of layer l: X·U over all T·N rows at once, and back, dU and the gradient reaching the layer
/// below. Token input never forms X·U: the recurrence's first step adds U's token rows (step 1 in
/// docs/ARCHITECTURE.md), and dU is a scatter-add of rows (step 9). A bidirectional model's reverse direction reads
/// its input in reversed time (``Workspace/reversedInput`` and ``Workspace/reversedTokens``, which the engine fills).
struct InputStage<T: ElmanFloat> {
    let config: ModelConfig
    let layout: ParameterLayout

    /// The input term of Z for all steps: Z(1..T) = X(1..T)·U for dense input or a layer above the first; for
    /// token input, what the recurrence needs to gather U's rows itself.
    ///
    /// Eq. 74: Z(t) = X(t)·U + S(t−1)·W + b (its first term).
    func forward(layer l: Int, reverse: Bool = false, _ p: UnsafePointer<T>, _ ws: Workspace<T>,
                 into input: inout Recurrence.Input<T>) {
        let n = ws.size, h = config.hiddenSize, rows = ws.steps * n, width = config.inputWidth(layer: l)
        let z = ws.states(l, reverse: reverse) + n * h  // Z(1..T): T·N×H
        let u = p + layout.offset(.inputWeights(layer: l, reverse: reverse))
        if let x = source(layer: l, reverse: reverse, ws) {  // X or O_{l−1}: T·N×width, U: width×H
            T.gemm(.none, .none, m: rows, n: h, k: width, alpha: 1, a: x, lda: width, b: u, ldb: h, beta: 0, c: z, ldc: h)
        } else {  // one-hot X·U = rows of U, gathered step by step inside the recurrence
            input.tokens = (u, UnsafePointer(reverse ? ws.reversedTokens.pointer : ws.tokens.pointer))
        }
    }

    /// What layer l reads, T·N×width: dense X or the output of the layer below (in reversed time for the reverse
    /// direction); nil for tokens.
    private func source(layer l: Int, reverse: Bool, _ ws: Workspace<T>) -> UnsafeMutablePointer<T>? {
        if l == 0 && ws.dense.count == 0 { return nil }
        if reverse { return ws.reversedInput.pointer }
        return l > 0 ? ws.output(of: l - 1) : ws.dense.pointer
    }

    /// dU += X(1..T)ᵀ·dZ(1..T), and for a layer above the first, the gradient reaching the layer below,
    /// dS_{l−1} = dZ·U_lᵀ, written to `below`.
    ///
    /// Eq. 114: ∂L/∂U = Σ_t X(t)ᵀ·δ(t), summed over all steps in one product (a scatter-add of rows for tokens).
    func backward(layer l: Int, reverse: Bool = false, _ p: UnsafePointer<T>, _ grad: UnsafeMutablePointer<T>,
                  _ ws: Workspace<T>, dZ: UnsafePointer<T>, below: UnsafeMutablePointer<T>) {
        let n = ws.size, h = config.hiddenSize, rows = ws.steps * n, width = config.inputWidth(layer: l)
        let id = ParameterID.inputWeights(layer: l, reverse: reverse), dU = grad + layout.offset(id)
        guard let x = source(layer: l, reverse: reverse, ws) else {
            T.scatterAddRows(dZ, cols: h, indices: reverse ? ws.reversedTokens.pointer : ws.tokens.pointer, count: rows, into: dU)
            return
        }
        // Xᵀ or O_{l−1}ᵀ (∘ its dropout): width×T·N, dZ: T·N×H
        T.gemm(.transposed, .none, m: width, n: h, k: rows, alpha: 1, a: x, lda: width, b: dZ, ldb: h, beta: 1, c: dU, ldc: h)
        if l > 0 {  // dO_{l−1} = dZ·U_lᵀ: dZ: T·N×H, U_lᵀ: H×width
            T.gemm(.none, .transposed, m: rows, n: width, k: h, alpha: 1, a: dZ, lda: h, b: p + layout.offset(id), ldb: h,
                   beta: 0, c: below, ldc: width)
        }
    }
}
