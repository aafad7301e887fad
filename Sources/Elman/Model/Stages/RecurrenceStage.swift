/// The recurrence of layer l, the only part that runs step by step: forward S(t) from S(t−1), back δ(t) = ∂L/∂Z(t)
/// from δ(t+1) in one sweep from t = T down to 1, then dW and db over all steps at once.
struct RecurrenceStage<T: ElmanFloat> {
    let config: ModelConfig
    let layout: ParameterLayout

    /// S(1..T) of layer l in place over Z(1..T), which holds the input term (or nothing, for tokens).
    ///
    /// Eq. 74: Z(t) = X(t)·U + S(t−1)·W + b.
    /// Eq. 75: S(t) = f(Z(t)).
    func forward(layer l: Int, reverse: Bool = false, _ p: UnsafePointer<T>, _ ws: Workspace<T>, input: Recurrence.Input<T>) {
        var input = input
        if config.bias {  // b = b_ih + b_hh: H
            let bi = p + layout.offset(.inputBias(layer: l, reverse: reverse))
            let bh = p + layout.offset(.hiddenBias(layer: l, reverse: reverse)), b = ws.biasSum.pointer
            for j in 0..<config.hiddenSize { b[j] = bi[j] + bh[j] }
            input.bias = UnsafePointer(b)
        }
        Recurrence.forward(config.nonlinearity, states: ws.states(l, reverse: reverse),
                           w: p + layout.offset(.recurrentWeights(layer: l, reverse: reverse)),
                           steps: ws.steps, rows: ws.size, hidden: config.hiddenSize, input: input)
    }

    /// δ(t) in place over dS(t) (∂L/∂S(t) from the layer's output), for t = T down to 1.
    ///
    /// Eq. 107: δ(t) = (∂L/∂S(t) + δ(t+1)·Wᵀ) ∘ f′(Z(t)).
    /// Eq. 108: f′ of tanh from its output, 1 − S(t) ∘ S(t). The seed prints (I − S) ∘ S, the sigmoid's
    /// derivative; corrected here (docs/SEED_NOTES.md, mistake 4).
    /// Eq. 109: δ(T) = ∂L/∂S(T) ∘ f′(Z(T)), where the sweep starts.
    func backward(layer l: Int, reverse: Bool = false, _ p: UnsafePointer<T>, _ ws: Workspace<T>,
                  grad dS: UnsafeMutablePointer<T>) {
        let h = config.hiddenSize
        let wT = ws.transposedW.pointer  // H×H
        Portable.transpose(p + layout.offset(.recurrentWeights(layer: l, reverse: reverse)), rows: h, cols: h, into: wT)
        Recurrence.backward(config.nonlinearity, grad: dS, states: ws.states(l, reverse: reverse), transposedW: wT,
                            steps: ws.steps, rows: ws.size, hidden: h)
    }

    /// dW += S(0..T−1)ᵀ·δ(1..T), and each bias half += Σ_t,n δ(t), over all steps in one product.
    ///
    /// Eq. 112: ∂L/∂W = Σ_t S(t−1)ᵀ·δ(t).
    func weightGradients(layer l: Int, reverse: Bool = false, _ grad: UnsafeMutablePointer<T>, _ ws: Workspace<T>,
                         dZ: UnsafePointer<T>) {
        let h = config.hiddenSize, rows = ws.steps * ws.size
        // S(0..T−1)ᵀ: H×T·N, dZ: T·N×H
        T.gemm(.transposed, .none, m: h, n: h, k: rows, alpha: 1, a: ws.states(l, reverse: reverse), lda: h, b: dZ, ldb: h,
               beta: 1, c: grad + layout.offset(.recurrentWeights(layer: l, reverse: reverse)), ldc: h)
        if config.bias {  // ∂L/∂b_ih = ∂L/∂b_hh = Σ_t,n δ(t)
            T.accumulateColumnSums(dZ, rows: rows, cols: h, into: grad + layout.offset(.hiddenBias(layer: l, reverse: reverse)))
            T.accumulateColumnSums(dZ, rows: rows, cols: h, into: grad + layout.offset(.inputBias(layer: l, reverse: reverse)))
        }
    }
}
