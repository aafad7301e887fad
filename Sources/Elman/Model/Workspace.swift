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

    init(config: ModelConfig, steps: Int, size: Int, denseInput: Bool) {
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
    }

    func fits(steps: Int, size: Int, denseInput: Bool) -> Bool {
        self.steps == steps && self.size == size && (dense.count > 0) == denseInput
    }

    /// Bytes held, for memory reports.
    var bytes: Int {
        let floats = states.reduce(0) { $0 + $1.count } + logits.count + grad.count + gradBelow.count
            + weights.count + realTargets.count + dense.count + transposedW.count
        return floats * MemoryLayout<T>.stride + (tokens.count + classTargets.count) * 4
    }
}
