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
    /// Dropout multipliers, L·T·N×H, and per layer S(1..T) ∘ multipliers, T·N×H (empty without dropout).
    let dropoutMask: Buffer<T>
    let dropped: [Buffer<T>]

    /// H.
    let hidden: Int

    init(config: ModelConfig, steps: Int, size: Int, denseInput: Bool, dropout: Bool = false) {
        hidden = config.hiddenSize
        self.steps = steps
        self.size = size
        let cells = steps * size
        let h = config.hiddenSize
        states = (0..<config.layers).map { _ in Buffer(count: (steps + 1) * size * h) }
        logits = Buffer(count: cells * config.outputSize)
        grad = Buffer(count: cells * h)
        gradBelow = Buffer(count: config.layers > 1 ? cells * h : 0)
        weights = Buffer(count: cells)
        tokens = Buffer(count: denseInput ? 0 : cells)
        classTargets = Buffer(count: config.head == .softmax ? cells : 0)
        realTargets = Buffer(count: config.head == .sigmoid ? cells : config.head == .linear ? cells * config.outputSize : 0)
        dense = Buffer(count: denseInput ? cells * config.inputSize : 0)
        transposedW = Buffer(count: h * h)
        biasSum = Buffer(count: config.bias ? h : 0)
        dropoutMask = Buffer(count: dropout ? config.layers * cells * h : 0)
        dropped = dropout ? (0..<config.layers).map { _ in Buffer(count: cells * h) } : []
    }

    func fits(steps: Int, size: Int, denseInput: Bool, dropout: Bool) -> Bool {
        self.steps == steps && self.size == size && (dense.count > 0) == denseInput && dropped.isEmpty != dropout
    }

    var hasDropout: Bool { !dropped.isEmpty }

    /// Layer l's output as the layer above (or the head) reads it: S(1..T), or S(1..T) ∘ its dropout multipliers.
    /// T·N×H.
    func output(of l: Int) -> UnsafeMutablePointer<T> {
        hasDropout ? dropped[l].pointer : states[l].pointer + size * hidden
    }

    /// dropped[l] = S_l(1..T) ∘ M_l (after layer l's forward recurrence).
    func applyDropout(layer l: Int) {
        guard hasDropout else { return }
        let cells = dropped[l].count, s = states[l].pointer + states[l].count - cells, m = dropoutMask.pointer + l * cells
        let out = dropped[l].pointer
        for i in 0..<cells { out[i] = s[i] * m[i] }
    }

    /// g ← g ∘ M_l: a gradient with respect to layer l's dropped output, carried back through the multipliers.
    func maskGradient(_ g: UnsafeMutablePointer<T>, layer l: Int) {
        guard hasDropout else { return }
        let cells = dropped[l].count, m = dropoutMask.pointer + l * cells
        for i in 0..<cells { g[i] *= m[i] }
    }

    /// Bytes held, for memory reports.
    var bytes: Int {
        let floats = states.reduce(0) { $0 + $1.count } + logits.count + grad.count + gradBelow.count
            + weights.count + realTargets.count + dense.count + transposedW.count
        return floats * MemoryLayout<T>.stride + (tokens.count + classTargets.count) * 4
    }
}
