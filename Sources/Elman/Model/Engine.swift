/// The result of one forward pass over a batch.
public struct Evaluation<T: ElmanFloat>: Sendable {
    /// The reduced loss (sum or mean over the unmasked (t, n)).
    public var loss: Double
    /// Σ mask: the number of (t, n) that count.
    public var weight: Double
    /// S(T) of every layer, L×N×H: the h0 of the next chunk in truncated BPTT.
    public var finalState: [T]
}

/// The production forward and backward pass: batched, one O(T) backward sweep, with the hoisted
/// structure of DESIGN.md §4. Only the H×H recurrence runs step by step.
///
/// An engine owns its workspace; it is not safe to use one engine from two threads at once.
public final class Engine<T: ElmanFloat> {
    /// The model the engine computes.
    public let config: ModelConfig
    private let layout: ParameterLayout
    private var workspace: Workspace<T>?
    /// When set, every pass adds the time of each of its phases to it.
    package var phaseTimer: PhaseTimer?

    /// An engine for `config` (validated); its workspace is sized by the first batch.
    public init(config: ModelConfig) throws {
        try config.validate()
        self.config = config
        self.layout = ParameterLayout(config)
    }

    /// Forward pass and loss.
    public func evaluate(_ params: Parameters<T>, _ batch: Batch<T>, reduction: Reduction = .sum) throws
        -> Evaluation<T>
    {
        let (ws, weight) = try prepare(params, batch, reduction)
        return params.values.withUnsafeBufferPointer { p in
            forward(p.baseAddress.unsafelyUnwrapped, ws, weight: weight)
        }
    }

    /// Forward pass, loss, and the exact gradient of the loss with respect to every parameter (BPTT).
    /// `gradient` is overwritten (resized to the model's layout if needed).
    public func gradient(_ params: Parameters<T>, _ batch: Batch<T>, reduction: Reduction = .sum,
                         into gradient: inout Parameters<T>) throws -> Evaluation<T> {
        phaseTimer?.start()
        let (ws, weight) = try prepare(params, batch, reduction)
        phaseTimer?.lap("copy batch in")
        if gradient.config != config { gradient = Parameters(config: config) }
        return params.values.withUnsafeBufferPointer { pb in
            gradient.values.withUnsafeMutableBufferPointer { gb in
                let p = pb.baseAddress.unsafelyUnwrapped
                let result = forward(p, ws, weight: weight)
                let g = gb.baseAddress.unsafelyUnwrapped
                g.update(repeating: 0, count: gb.count)
                phaseTimer?.lap("zero gradient")
                backward(p, g, ws)
                return result
            }
        }
    }

    /// The logits G(t) of every step (T·N×C, time-major) and the final state, without a loss:
    /// for sampling and prediction.
    public func logits(_ params: Parameters<T>, inputs: Batch<T>.Inputs, steps: Int, size: Int,
                       initialState: [T]? = nil) throws -> (logits: [T], finalState: [T]) {
        let targets: Batch<T>.Targets = config.head == .softmax
            ? .classes([Int32](repeating: 0, count: steps * size))
            : .binary([T](repeating: 0, count: steps * size))
        let batch = Batch(steps: steps, size: size, inputs: inputs, targets: targets, initialState: initialState)
        let (ws, _) = try prepare(params, batch, .sum)
        let final = params.values.withUnsafeBufferPointer { project(UnsafePointer($0.baseAddress.unsafelyUnwrapped), ws) }
        return (Array(UnsafeBufferPointer(start: ws.logits.pointer, count: ws.logits.count)), final)
    }

    /// The top layer's S(0..T) ((T+1)·N×H) and the logits buffer (T·N×C) of the last pass: after
    /// ``evaluate(_:_:reduction:)`` the latter holds w·∂L_{t,n}/∂G(t)_n. Nil before any pass.
    func withLastPass<R>(_ body: (_ states: UnsafePointer<T>, _ logits: UnsafePointer<T>) -> R) -> R? {
        guard let ws = workspace else { return nil }
        return body(ws.states[config.layers - 1].pointer, ws.logits.pointer)
    }

    /// Bytes of activation memory the last batch shape needed.
    public var workspaceBytes: Int { workspace?.bytes ?? 0 }

    // MARK: - Set-up

    /// Validates, sizes the workspace and copies the batch in; returns it with Σ mask.
    private func prepare(_ params: Parameters<T>, _ batch: Batch<T>, _ reduction: Reduction) throws
        -> (Workspace<T>, Double)
    {
        guard params.config == config else {
            throw ElmanError("parameters are for a different model config than this engine")
        }
        try batch.validate(for: config)
        let dense: Bool
        if case .dense = batch.inputs { dense = true } else { dense = false }
        let ws: Workspace<T>
        if let existing = workspace, existing.fits(steps: batch.steps, size: batch.size, denseInput: dense) {
            ws = existing
        } else {
            ws = Workspace(config: config, steps: batch.steps, size: batch.size, denseInput: dense)
            workspace = ws
        }
        let cells = batch.steps * batch.size
        switch batch.inputs {
        case .tokens(let ids): ws.tokens.copy(from: ids)
        case .dense(let x): ws.dense.copy(from: x)
        }
        switch batch.targets {
        case .classes(let y): ws.classTargets.copy(from: y)
        case .binary(let y): ws.binaryTargets.copy(from: y)
        }
        let w = ws.weights.pointer
        var total: Double = 0
        for i in 0..<cells {
            w[i] = batch.mask?[i] ?? 1
            total += Double(w[i])
        }
        if reduction == .mean {
            let scale: T = total > 0 ? T(1 / total) : 0
            for i in 0..<cells { w[i] *= scale }
        }
        let layerState = batch.size * config.hiddenSize
        for l in 0..<config.layers {
            let s0 = ws.states[l].pointer
            if let h0 = batch.initialState {
                for i in 0..<layerState { s0[i] = h0[l * layerState + i] }
            } else {
                s0.update(repeating: 0, count: layerState)
            }
        }
        return (ws, total)
    }

    // MARK: - Forward (DESIGN.md §4, steps 1–4)

    private func forward(_ p: UnsafePointer<T>, _ ws: Workspace<T>, weight: Double) -> Evaluation<T> {
        let final = project(p, ws)
        let g = ws.logits.pointer  // T·N×C
        let rows = ws.steps * ws.size
        // (4) loss fused with dG, in place   (Eqs. 77–78, 92)
        phaseTimer?.lap("output projection G = S·V")
        let loss: Double
        switch config.head {
        case .softmax:
            loss = T.softmaxCrossEntropy(g, rows: rows, classes: config.outputSize, targets: ws.classTargets.pointer,
                                         weights: ws.weights.pointer)
        case .sigmoid:
            loss = T.sigmoidCrossEntropy(g, rows: rows, targets: ws.binaryTargets.pointer,
                                         weights: ws.weights.pointer)
        }
        phaseTimer?.lap("softmax + cross-entropy + dG")
        return Evaluation(loss: loss, weight: weight, finalState: final)
    }

    /// Steps 1–3: every layer's S(1..T) and the logits G; returns S(T) of every layer (L×N×H).
    private func project(_ p: UnsafePointer<T>, _ ws: Workspace<T>) -> [T] {
        let n = ws.size, steps = ws.steps, h = config.hiddenSize, c = config.outputSize
        let rows = steps * n
        for l in 0..<config.layers {
            let s = ws.states[l].pointer
            let z = s + n * h  // Z(1..T) and then S(1..T): T·N×H
            let u = p + layout.offset(.inputWeights(layer: l))
            let w = p + layout.offset(.recurrentWeights(layer: l))
            // (1) input projection for all T·N rows at once: Z = X·U   (Eq. 74, first term)
            var input = Recurrence.Input<T>()
            if config.bias { input.bias = p + layout.offset(.hiddenBias(layer: l)) }
            if l == 0 {
                if ws.dense.count > 0 {  // X: T·N×D, U: D×H
                    T.gemm(.none, .none, m: rows, n: h, k: config.inputSize, alpha: 1, a: ws.dense.pointer,
                           lda: config.inputSize, b: u, ldb: h, beta: 0, c: z, ldc: h)
                } else {  // one-hot X·U = rows of U, gathered step by step inside the recurrence
                    input.tokens = (u, UnsafePointer(ws.tokens.pointer))
                }
            } else {  // S_{l−1}(1..T): T·N×H, U_l: H×H
                let below = ws.states[l - 1].pointer + n * h
                T.gemm(.none, .none, m: rows, n: h, k: h, alpha: 1, a: below, lda: h, b: u, ldb: h,
                       beta: 0, c: z, ldc: h)
            }
            phaseTimer?.lap("input projection X·U")
            // (2) the recurrence: Z(t) += (b +) S(t−1)·W; S(t) = f(Z(t))   (Eqs. 74–75)
            Recurrence.forward(config.nonlinearity, states: s, w: w, steps: steps, rows: n, hidden: h, input: input)
            phaseTimer?.lap("forward recurrence")
        }
        // (3) output projection for all steps: G = S(1..T)·V (+ c)   (Eq. 76)
        let top = ws.states[config.layers - 1].pointer + n * h  // T·N×H
        let g = ws.logits.pointer  // T·N×C
        T.gemm(.none, .none, m: rows, n: c, k: h, alpha: 1, a: top, lda: h, b: p + layout.offset(.outputWeights),
               ldb: c, beta: 0, c: g, ldc: c)  // S: T·N×H, V: H×C
        if config.bias { T.addRowVector(g, rows: rows, cols: c, p + layout.offset(.outputBias)) }
        var final: [T] = []
        final.reserveCapacity(config.layers * n * h)
        for l in 0..<config.layers {
            let last = ws.states[l].pointer + steps * n * h
            final.append(contentsOf: UnsafeBufferPointer(start: last, count: n * h))
        }
        return final
    }

    // MARK: - Backward (DESIGN.md §4, steps 5–9): one sweep from t = T down to 1

    private func backward(_ p: UnsafePointer<T>, _ grad: UnsafeMutablePointer<T>, _ ws: Workspace<T>) {
        let n = ws.size, steps = ws.steps, h = config.hiddenSize, c = config.outputSize
        let rows = steps * n
        let dG = UnsafePointer(ws.logits.pointer)  // T·N×C, already ∂L/∂G
        let top = ws.states[config.layers - 1].pointer + n * h  // T·N×H
        // (5) dV = S(1..T)ᵀ·dG (Eq. 100 summed over t), dc = column sums of dG
        T.gemm(.transposed, .none, m: h, n: c, k: rows, alpha: 1, a: top, lda: h, b: dG, ldb: c, beta: 1,
               c: grad + layout.offset(.outputWeights), ldc: c)  // S(1..T)ᵀ: H×T·N, dG: T·N×C
        phaseTimer?.lap("dV")
        if config.bias { T.accumulateColumnSums(dG, rows: rows, cols: c, into: grad + layout.offset(.outputBias)) }
        phaseTimer?.lap("dc")
        // (6) dS = dG·Vᵀ for all steps (Eq. 104)
        var dS = ws.grad.pointer
        var dBelow = ws.gradBelow.pointer
        T.gemm(.none, .transposed, m: rows, n: h, k: c, alpha: 1, a: dG, lda: c,
               b: p + layout.offset(.outputWeights), ldb: c, beta: 0, c: dS, ldc: h)  // dG: T·N×C, Vᵀ: C×H
        phaseTimer?.lap("dS = dG·Vᵀ")
        for l in stride(from: config.layers - 1, through: 0, by: -1) {
            let s = ws.states[l].pointer
            let w = p + layout.offset(.recurrentWeights(layer: l))
            // (7) dZ(t) = (dS(t) + dZ(t+1)·Wᵀ) ∘ f′(S(t)), in place over dS   (Eqs. 107–109, corrected)
            let wT = ws.transposedW.pointer  // H×H
            Portable.transpose(w, rows: h, cols: h, into: wT)
            Recurrence.backward(config.nonlinearity, grad: dS, states: s, transposedW: wT, steps: steps, rows: n,
                                hidden: h)
            phaseTimer?.lap("backward recurrence")
            let dZ = UnsafePointer(dS)  // T·N×H
            // (8) dW = S(0..T−1)ᵀ·dZ(1..T) (Eq. 112 summed), db = column sums of dZ
            T.gemm(.transposed, .none, m: h, n: h, k: rows, alpha: 1, a: s, lda: h, b: dZ, ldb: h, beta: 1,
                   c: grad + layout.offset(.recurrentWeights(layer: l)), ldc: h)
            phaseTimer?.lap("dW")
            if config.bias {
                T.accumulateColumnSums(dZ, rows: rows, cols: h, into: grad + layout.offset(.hiddenBias(layer: l)))
            }
            phaseTimer?.lap("db")
            // (9) dU = X(1..T)ᵀ·dZ (Eq. 114 summed): a scatter-add of rows for tokens
            let dU = grad + layout.offset(.inputWeights(layer: l))
            if l == 0 {
                if ws.dense.count > 0 {  // Xᵀ: D×T·N, dZ: T·N×H
                    T.gemm(.transposed, .none, m: config.inputSize, n: h, k: rows, alpha: 1, a: ws.dense.pointer,
                           lda: config.inputSize, b: dZ, ldb: h, beta: 1, c: dU, ldc: h)
                } else {
                    T.scatterAddRows(dZ, cols: h, indices: ws.tokens.pointer, count: rows, into: dU)
                }
            } else {
                let below = ws.states[l - 1].pointer + n * h  // S_{l−1}(1..T): T·N×H
                T.gemm(.transposed, .none, m: h, n: h, k: rows, alpha: 1, a: below, lda: h, b: dZ, ldb: h,
                       beta: 1, c: dU, ldc: h)
                // dS_{l−1} = dZ·U_lᵀ: the gradient reaching the layer below
                T.gemm(.none, .transposed, m: rows, n: h, k: h, alpha: 1, a: dZ, lda: h,
                       b: p + layout.offset(.inputWeights(layer: l)), ldb: h, beta: 0, c: dBelow, ldc: h)
                swap(&dS, &dBelow)
            }
            phaseTimer?.lap("dU")
        }
    }
}
