/// A fixed block of zero-initialized memory with a stable address, for the engine's activations.
final class Buffer<T: Numeric> {
    let pointer: UnsafeMutablePointer<T>
    let count: Int

    init(count: Int) {
        self.count = count
        pointer = UnsafeMutablePointer<T>.allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { pointer.deallocate() }

    /// Copies `values` (at most `count` of them) to the start of the buffer.
    func copy(from values: [T]) {
        _ = UnsafeMutableBufferPointer(start: pointer, count: count).update(fromContentsOf: values.prefix(count))
    }
}

/// Every activation buffer one forward/backward pass needs, sized once for (T, N) and reused, so the
/// time loops allocate nothing.
final class Workspace<T: ElmanFloat> {
    let steps: Int
    let size: Int
    /// Per layer: S(0..T), (T+1)·N×H; S(t) is rows t·N ..< (t+1)·N.
    let states: [Buffer<T>]
    /// G, then dG: T·N×C.
    let logits: Buffer<T>
    /// dS then dZ of the layer being swept: T·N×H.
    let grad: Buffer<T>
    /// dS of the layer below (L > 1 only): T·N×H.
    let gradBelow: Buffer<T>
    /// Per-(t, n) loss weights: mask × reduction scale.
    let weights: Buffer<T>
    let tokens: Buffer<Int32>
    let classTargets: Buffer<Int32>
    /// The sigmoid head's 0/1 targets (T·N) or the linear head's values (T·N×C).
    let realTargets: Buffer<T>
    /// Dense X(1..T): T·N×D (empty for token input).
    let dense: Buffer<T>
    /// Wᵀ of the layer being swept backward: H×H, so that each backward step is a plain (NN) product.
    let transposedW: Buffer<T>
    /// b = b_ih + b_hh of the layer being run forward: H.
    let biasSum: Buffer<T>
    /// Dropout multipliers, L·T·N×(H or 2H), and, unidirectional, per layer S(1..T) ∘ multipliers, T·N×H (empty
    /// without dropout).
    let dropoutMask: Buffer<T>
    let dropped: [Buffer<T>]

    // Bidirectional models only (empty otherwise); the reverse direction runs in reversed time, where its step t
    // of sequence n is the sequence's step ρ_n(t) (``reversedRow(_:_:)``).
    /// Per layer, the reverse direction's S(0..T) in reversed time: (T+1)·N×H.
    let reversedStates: [Buffer<T>]
    /// Per layer, its output O(t) = [S(t), S_reverse(t)] ∘ dropout in natural time: T·N×2H.
    let outputs: [Buffer<T>]
    /// The reverse direction's input in reversed time (dense X, or the output of the layer below), then scratch for
    /// the gradient it sends down: T·N×max(D, 2H).
    let reversedInput: Buffer<T>
    /// The token ids in reversed time: T·N.
    let reversedTokens: Buffer<Int32>
    /// dS, then dZ, of the reverse direction in reversed time: T·N×H.
    let reversedGrad: Buffer<T>
    /// ∂L/∂O of the layer being swept: T·N×2H.
    let outputGrad: Buffer<T>
    /// Each sequence's length (N), T where the batch gives none.
    var lengths: [Int]

    /// H.
    let hidden: Int
    /// H or 2H: the width of a layer's output.
    let outputWidth: Int
    let bidirectional: Bool

    init(config: ModelConfig, steps: Int, size: Int, denseInput: Bool, dropout: Bool = false) {
        hidden = config.hiddenSize
        outputWidth = config.outputWidth
        bidirectional = config.bidirectional
        lengths = [Int](repeating: steps, count: size)
        self.steps = steps
        self.size = size
        let cells = steps * size
        let h = config.hiddenSize
        states = (0..<config.layers).map { _ in Buffer(count: (steps + 1) * size * h) }
        logits = Buffer(count: cells * config.outputSize)
        grad = Buffer(count: cells * h)
        gradBelow = Buffer(count: config.layers > 1 && !config.bidirectional ? cells * h : 0)
        weights = Buffer(count: cells)
        tokens = Buffer(count: denseInput ? 0 : cells)
        classTargets = Buffer(count: config.head.takesClassIDs ? cells : 0)
        realTargets = Buffer(count: cells * config.head.realTargetsPerCell(outputs: config.outputSize))
        dense = Buffer(count: denseInput ? cells * config.inputSize : 0)
        transposedW = Buffer(count: h * h)
        biasSum = Buffer(count: config.bias ? h : 0)
        dropoutMask = Buffer(count: dropout ? config.layers * cells * config.outputWidth : 0)
        dropped = dropout && !config.bidirectional ? (0..<config.layers).map { _ in Buffer(count: cells * h) } : []
        let two = config.bidirectional
        reversedStates = two ? (0..<config.layers).map { _ in Buffer(count: (steps + 1) * size * h) } : []
        outputs = two ? (0..<config.layers).map { _ in Buffer(count: cells * 2 * h) } : []
        reversedInput = Buffer(count: two ? cells * max(denseInput ? config.inputSize : 0, config.layers > 1 ? 2 * h : 0) : 0)
        reversedTokens = Buffer(count: two && !denseInput ? cells : 0)
        reversedGrad = Buffer(count: two ? cells * h : 0)
        outputGrad = Buffer(count: two ? cells * 2 * h : 0)
    }

    func fits(steps: Int, size: Int, denseInput: Bool, dropout: Bool) -> Bool {
        self.steps == steps && self.size == size && (dense.count > 0) == denseInput && hasDropout == dropout
    }

    var hasDropout: Bool { dropoutMask.count > 0 }

    /// Layer l's output as the layer above (or the head) reads it: S(1..T), or S(1..T) ∘ its dropout multipliers;
    /// bidirectional, O_l. T·N×(H or 2H).
    func output(of l: Int) -> UnsafeMutablePointer<T> {
        bidirectional ? outputs[l].pointer : hasDropout ? dropped[l].pointer : states[l].pointer + size * hidden
    }

    /// Layer l's S(0..T) in one direction ((T+1)·N×H); the reverse direction's in reversed time.
    func states(_ l: Int, reverse: Bool) -> UnsafeMutablePointer<T> {
        reverse ? reversedStates[l].pointer : states[l].pointer
    }

    /// Layer l's output ∘ M_l, after its forward recurrence: into dropped[l] (unidirectional), in place in O_l
    /// (bidirectional).
    func applyDropout(layer l: Int) {
        guard hasDropout else { return }
        let cells = steps * size * outputWidth, m = dropoutMask.pointer + l * cells
        let source = bidirectional ? outputs[l].pointer : states[l].pointer + size * hidden
        let out = output(of: l)
        for i in 0..<cells { out[i] = source[i] * m[i] }
    }

    /// g ← g ∘ M_l: a gradient with respect to layer l's dropped output, carried back through the multipliers.
    func maskGradient(_ g: UnsafeMutablePointer<T>, layer l: Int) {
        guard hasDropout else { return }
        let cells = steps * size * outputWidth, m = dropoutMask.pointer + l * cells
        for i in 0..<cells { g[i] *= m[i] }
    }

    /// The row of step t of sequence n in reversed time: ρ_n(t) = length_n − 1 − t within the sequence; steps
    /// past its end stay where they are. ρ is its own inverse.
    func reversedRow(_ t: Int, _ n: Int) -> Int {
        let length = lengths[n]
        return (t < length ? length - 1 - t : t) * size + n
    }

    /// dst(ρ_n(t), n) = src(t, n) (or += with `accumulate`) for rows `width` wide: between natural and reversed time.
    func reverseTime(_ src: UnsafePointer<T>, into dst: UnsafeMutablePointer<T>, width: Int, accumulate: Bool = false) {
        for t in 0..<steps {
            for n in 0..<size {
                let from = src + (t * size + n) * width, to = dst + reversedRow(t, n) * width
                if accumulate {
                    for j in 0..<width { to[j] += from[j] }
                } else {
                    to.update(from: from, count: width)
                }
            }
        }
    }

    /// Bytes held, for memory reports.
    var bytes: Int {
        let floats = states.reduce(0) { $0 + $1.count } + logits.count + grad.count + gradBelow.count
            + weights.count + realTargets.count + dense.count + transposedW.count + dropoutMask.count
            + dropped.reduce(0) { $0 + $1.count } + reversedStates.reduce(0) { $0 + $1.count }
            + outputs.reduce(0) { $0 + $1.count } + reversedInput.count + reversedGrad.count + outputGrad.count
        return floats * MemoryLayout<T>.stride + (tokens.count + classTargets.count + reversedTokens.count) * 4
    }
}
