/// The output stage: logits for all T·N rows at once and the loss fused with its gradient; back, dV, dc and the
/// gradient reaching the top layer's states.
struct OutputStage<T: ElmanFloat> {
    let config: ModelConfig
    let layout: ParameterLayout

    /// G = S_top(1..T)·V (+ c) into the logits buffer.
    ///
    /// Eq. 76: G(t) = S(t)·V + c.
    func forward(_ p: UnsafePointer<T>, _ ws: Workspace<T>) {
        let n = ws.size, h = config.outputWidth, c = config.outputSize, rows = ws.steps * n
        let top = ws.output(of: config.layers - 1)  // S(1..T) or O (∘ its dropout): T·N×H, or T·N×2H when bidirectional
        // S: T·N×H, V: H×C, G: T·N×C (2H for H when bidirectional)
        T.gemm(.none, .none, m: rows, n: c, k: h, alpha: 1, a: top, lda: h, b: p + layout.offset(.outputWeights), ldb: c,
               beta: 0, c: ws.logits.pointer, ldc: c)
        if config.bias { T.addRowVector(ws.logits.pointer, rows: rows, cols: c, p + layout.offset(.outputBias)) }
    }

    /// The weighted loss Σ w·L(t, n), overwriting G with w·∂L/∂G in place.
    ///
    /// Eq. 77: Ŷ(t) = softmax(G(t)).
    /// Eq. 78: L = −Σ_t Σ_n log Ŷ(t)_{n, y}.
    /// Eq. 92: ∂L/∂G(t) = Ŷ(t) − Y(t).
    func loss(_ ws: Workspace<T>) -> Double {
        let rows = ws.steps * ws.size
        switch config.head {
        case .softmax:
            return T.softmaxCrossEntropy(ws.logits.pointer, rows: rows, classes: config.outputSize,
                                         targets: ws.classTargets.pointer, weights: ws.weights.pointer)
        case .sigmoid:  // the seed's §1 head, with the full binary cross-entropy (docs/SEED_NOTES.md, mistake 1)
            return T.sigmoidCrossEntropy(ws.logits.pointer, rows: rows, targets: ws.realTargets.pointer,
                                         weights: ws.weights.pointer)
        case .linear:
            return squaredError(ws.logits.pointer, rows: rows, cols: config.outputSize, targets: ws.realTargets.pointer,
                                weights: ws.weights.pointer)
        }
    }

    /// The linear head's loss Σ_r w_r·½‖G_r − Y_r‖², overwriting G with its gradient w_r·(G_r − Y_r); rows with
    /// w_r = 0 are zeroed and their targets not read. G, Y: rows×cols.
    private func squaredError(_ g: UnsafeMutablePointer<T>, rows: Int, cols: Int, targets y: UnsafePointer<T>,
                              weights w: UnsafePointer<T>) -> Double {
        var total = 0.0
        for r in 0..<rows {
            let row = g + r * cols, target = y + r * cols, weight = w[r]
            guard weight != 0 else {
                row.update(repeating: 0, count: cols)
                continue
            }
            var sum = 0.0
            for j in 0..<cols {
                let d = row[j] - target[j]
                sum += Double(d * d)
                row[j] = weight * d
            }
            total += Double(weight) * 0.5 * sum
        }
        return total
    }

    /// dV += S_top(1..T)ᵀ·dG and dc += Σ rows of dG.
    ///
    /// Eq. 100: ∂L/∂V = Σ_t S(t)ᵀ·∂L/∂G(t).
    func weightGradients(_ grad: UnsafeMutablePointer<T>, _ ws: Workspace<T>) {
        let n = ws.size, h = config.outputWidth, c = config.outputSize, rows = ws.steps * n
        let top = ws.output(of: config.layers - 1)
        let dG = UnsafePointer(ws.logits.pointer)  // T·N×C
        // S(1..T)ᵀ: H×T·N, dG: T·N×C
        T.gemm(.transposed, .none, m: h, n: c, k: rows, alpha: 1, a: top, lda: h, b: dG, ldb: c, beta: 1,
               c: grad + layout.offset(.outputWeights), ldc: c)
        if config.bias { T.accumulateColumnSums(dG, rows: rows, cols: c, into: grad + layout.offset(.outputBias)) }
    }

    /// dS = dG·Vᵀ for all steps, into `dS` (T·N×H, or ∂L/∂O: T·N×2H when bidirectional).
    ///
    /// Eq. 104: ∂L/∂S(t) = ∂L/∂G(t)·Vᵀ (the part through the output of the same step).
    func backward(_ p: UnsafePointer<T>, _ ws: Workspace<T>, into dS: UnsafeMutablePointer<T>) {
        let rows = ws.steps * ws.size, h = config.outputWidth, c = config.outputSize
        // dG: T·N×C, Vᵀ: C×H (2H when bidirectional)
        T.gemm(.none, .transposed, m: rows, n: h, k: c, alpha: 1, a: ws.logits.pointer, lda: c,
               b: p + layout.offset(.outputWeights), ldb: c, beta: 0, c: dS, ldc: h)
    }
}
