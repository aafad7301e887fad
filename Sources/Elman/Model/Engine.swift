/// The result of one forward pass over a batch.
public struct Evaluation<T: ElmanFloat>: Sendable {
    /// The reduced loss (sum or mean over the unmasked (t, n)).
    public var loss: Double
    /// Σ mask: the number of (t, n) that count.
    public var weight: Double
    /// S(T) of every layer, L×N×H: the h0 of the next chunk in truncated BPTT. With lengths, each sequence's state
    /// at its last step; bidirectional, both directions' final states, 2L×N×H as `nn.RNN`'s h_n.
    public var finalState: [T]
}

/// The production forward and backward pass: batched, one O(T) backward sweep, every product but the H×H
/// recurrence hoisted over all T·N rows (docs/ARCHITECTURE.md, one training step). The pass is three stages,
/// each a forward/backward pair: `InputStage`, `RecurrenceStage`, `OutputStage`.
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
        if gradient.config != config || gradient.values.count != layout.count { gradient = Parameters(config: config) }
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
                       initialState: [T]? = nil, lengths: [Int]? = nil) throws -> (logits: [T], finalState: [T]) {
        let targets: Batch<T>.Targets = config.head.placeholderTargets(cells: steps * size, outputs: config.outputSize)
        let mask = lengths.map { lengths in
            (0..<(steps * size)).map { i in i / size < lengths[i % size] ? T(1) : 0 }
        }
        let batch = Batch(steps: steps, size: size, inputs: inputs, targets: targets, mask: mask, initialState: initialState,
                          lengths: lengths)
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
        guard params.values.count == layout.count else {  // the kernels read exactly layout.count values
            throw ElmanError("parameters: \(params.values.count) values; this engine's model has \(layout.count)")
        }
        try batch.validate(for: config)
        let dense: Bool
        if case .dense = batch.inputs { dense = true } else { dense = false }
        let ws: Workspace<T>
        let dropout = batch.dropout != nil
        if let existing = workspace, existing.fits(steps: batch.steps, size: batch.size, denseInput: dense, dropout: dropout) {
            ws = existing
        } else {
            ws = Workspace(config: config, steps: batch.steps, size: batch.size, denseInput: dense, dropout: dropout)
            workspace = ws
        }
        let cells = batch.steps * batch.size
        switch batch.inputs {
        case .tokens(let ids): ws.tokens.copy(from: ids)
        case .dense(let x): ws.dense.copy(from: x)
        }
        switch batch.targets {
        case .classes(let y): ws.classTargets.copy(from: y)
        case .binary(let y), .values(let y): ws.realTargets.copy(from: y)
        }
        if let m = batch.dropout { ws.dropoutMask.copy(from: m) }
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
        ws.lengths = batch.lengths ?? [Int](repeating: batch.steps, count: batch.size)
        let layerState = batch.size * config.hiddenSize
        for l in 0..<config.layers {
            for direction in 0..<config.directions {  // h0 as nn.RNN orders it: layer by layer, forward first
                let s0 = ws.states(l, reverse: direction == 1), first = (l * config.directions + direction) * layerState
                if let h0 = batch.initialState {
                    for i in 0..<layerState { s0[i] = h0[first + i] }
                } else {
                    s0.update(repeating: 0, count: layerState)
                }
            }
        }
        if config.bidirectional, ws.tokens.count > 0 {
            let ids = ws.tokens.pointer, reversed = ws.reversedTokens.pointer
            for t in 0..<batch.steps {
                for n in 0..<batch.size { reversed[ws.reversedRow(t, n)] = ids[t * batch.size + n] }
            }
        }
        return (ws, total)
    }

    // MARK: - Forward: steps 1–4 of docs/ARCHITECTURE.md, stage by stage

    var inputStage: InputStage<T> { InputStage(config: config, layout: layout) }
    var recurrenceStage: RecurrenceStage<T> { RecurrenceStage(config: config, layout: layout) }
    var outputStage: OutputStage<T> { OutputStage(config: config, layout: layout) }

    private func forward(_ p: UnsafePointer<T>, _ ws: Workspace<T>, weight: Double) -> Evaluation<T> {
        let final = project(p, ws)
        let loss = outputStage.loss(ws)
        phaseTimer?.lap("softmax + cross-entropy + dG")
        return Evaluation(loss: loss, weight: weight, finalState: final)
    }

    /// Every layer's S(1..T) and the logits G; returns the final state of every layer (L×N×H, or 2L×N×H).
    private func project(_ p: UnsafePointer<T>, _ ws: Workspace<T>) -> [T] {
        if config.bidirectional {
            projectBidirectional(p, ws)
        } else {
            projectUnidirectional(p, ws)
        }
        let layerState = ws.size * config.hiddenSize, h = config.hiddenSize
        var final = [T](repeating: 0, count: config.layers * config.directions * layerState)
        for l in 0..<config.layers {
            for direction in 0..<config.directions {
                let states = ws.states(l, reverse: direction == 1), first = (l * config.directions + direction) * layerState
                for n in 0..<ws.size {  // S(length_n) of sequence n; for the reverse direction, in reversed time
                    let row = states + (ws.lengths[n] * ws.size + n) * h
                    for j in 0..<h { final[first + n * h + j] = row[j] }
                }
            }
        }
        return final
    }

    private func projectUnidirectional(_ p: UnsafePointer<T>, _ ws: Workspace<T>) {
        for l in 0..<config.layers {
            var input = Recurrence.Input<T>()
            inputStage.forward(layer: l, p, ws, into: &input)
            phaseTimer?.lap("input projection X·U")
            recurrenceStage.forward(layer: l, p, ws, input: input)
            ws.applyDropout(layer: l)
            phaseTimer?.lap("forward recurrence")
        }
        outputStage.forward(p, ws)
        phaseTimer?.lap("output projection G = S·V")
    }

    // MARK: - Backward: steps 5–9 of docs/ARCHITECTURE.md, the stages in reverse

    private func backward(_ p: UnsafePointer<T>, _ grad: UnsafeMutablePointer<T>, _ ws: Workspace<T>) {
        guard !config.bidirectional else { return backwardBidirectional(p, grad, ws) }
        outputStage.weightGradients(grad, ws)
        phaseTimer?.lap("dV, dc")
        var dS = ws.grad.pointer, dBelow = ws.gradBelow.pointer  // T·N×H each
        outputStage.backward(p, ws, into: dS)
        ws.maskGradient(dS, layer: config.layers - 1)
        phaseTimer?.lap("dS = dG·Vᵀ")
        for l in stride(from: config.layers - 1, through: 0, by: -1) {
            recurrenceStage.backward(layer: l, p, ws, grad: dS)  // dS becomes δ = dZ
            phaseTimer?.lap("backward recurrence")
            recurrenceStage.weightGradients(layer: l, grad, ws, dZ: dS)
            phaseTimer?.lap("dW, db")
            inputStage.backward(layer: l, p, grad, ws, dZ: dS, below: dBelow)
            if l > 0 { ws.maskGradient(dBelow, layer: l - 1) }
            phaseTimer?.lap("dU")
            swap(&dS, &dBelow)  // the layer below continues from dS_{l−1}
        }
    }
}
