/// One batch of N sequences of T steps, stored time-major: element (t, n) is at index t·N + n.
public struct Batch<T: ElmanFloat>: Sendable {
    /// The inputs X(1..T): token ids (one-hot rows) or dense vectors, time-major.
    public enum Inputs: Sendable {
        /// Token ids in [0, D): T·N values. Computed as a row gather of U, never a one-hot product.
        case tokens([Int32])
        /// Dense features: T·N·D values, X(t) = rows t·N ..< (t+1)·N.
        case dense([T])
    }

    /// The targets: class ids for a softmax head, 0/1 values for a sigmoid head, time-major.
    public enum Targets: Sendable {
        /// Class ids in [0, C) for the softmax head: T·N values.
        case classes([Int32])
        /// Probabilities in [0, 1] for the sigmoid head: T·N values.
        case binary([T])
        /// Real values for the linear head: T·N·C values, Y(t) = rows t·N ..< (t+1)·N.
        case values([T])
    }

    /// T.
    public var steps: Int
    /// N.
    public var size: Int
    /// X(1..T), T·N entries (or T·N×D values), time-major.
    public var inputs: Inputs
    /// Y(1..T), T·N entries, time-major.
    public var targets: Targets
    /// T·N non-negative weights; a (t, n) counts in the loss where its weight is non-zero. Nil: all ones.
    public var mask: [T]?
    /// S(0) for every layer (and direction, forward first, as `nn.RNN`'s h0): L·N·H values, 2·L·N·H when
    /// bidirectional. Nil: zeros.
    public var initialState: [T]?
    /// Dropout: L·T·N·H multipliers (L·T·N·2H when bidirectional; 0, or 1/(1 − p) for inverted scaling), layer by
    /// layer, applied to each layer's output where it feeds the layer above or the head, as `nn.RNN`'s `dropout` and
    /// a dropout before the head. Nil: none (evaluation, sampling, prediction).
    public var dropout: [T]?
    /// Each sequence's length in steps (N values in 1...T), as a packed sequence: the reverse direction of a
    /// bidirectional model starts at a sequence's last real step, and the final state is taken there. Steps past a
    /// sequence's length must have mask 0. Nil: every sequence has T steps.
    public var lengths: [Int]?

    public init(steps: Int, size: Int, inputs: Inputs, targets: Targets, mask: [T]? = nil,
                initialState: [T]? = nil, dropout: [T]? = nil, lengths: [Int]? = nil) {
        self.dropout = dropout
        self.lengths = lengths
        self.steps = steps
        self.size = size
        self.inputs = inputs
        self.targets = targets
        self.mask = mask
        self.initialState = initialState
    }

    /// Throws a one-line error unless every array has the count and the values the config expects.
    public func validate(for config: ModelConfig) throws {
        guard steps >= 1, size >= 1 else {
            throw ElmanError("batch: \(steps) steps × \(size) sequences; expected at least 1 × 1")
        }
        let cells = steps * size
        func expectCount(_ name: String, _ count: Int, _ expected: Int, _ shape: String) throws {
            if count != expected {
                throw ElmanError("batch: '\(name)' has \(count) values; expected \(expected) (\(shape))")
            }
        }
        switch inputs {
        case .tokens(let ids):
            try expectCount("inputs", ids.count, cells, "T×N = \(steps)×\(size)")
            if let bad = ids.firstIndex(where: { $0 < 0 || Int($0) >= config.inputSize }) {
                throw ElmanError("batch: input token \(ids[bad]) at (t=\(bad / size), n=\(bad % size)) "
                    + "is outside the vocabulary [0, \(config.inputSize))")
            }
        case .dense(let x):
            try expectCount("inputs", x.count, cells * config.inputSize,
                            "T×N×D = \(steps)×\(size)×\(config.inputSize)")
            if let bad = x.firstIndex(where: { !$0.isFinite }) {
                throw ElmanError("batch: input value \(x[bad]) at flat index \(bad) is not finite")
            }
        }
        if let mask {
            try expectCount("mask", mask.count, cells, "T×N")
            if let bad = mask.firstIndex(where: { !($0 >= 0) || !$0.isFinite }) {
                throw ElmanError("batch: mask value \(mask[bad]) at (t=\(bad / size), n=\(bad % size)); "
                    + "expected a finite weight ≥ 0")
            }
        }
        func counts(_ i: Int) -> Bool { mask.map { $0[i] != 0 } ?? true }
        switch (targets, config.head) {
        case (.classes(let y), .softmax):
            try expectCount("targets", y.count, cells, "T×N")
            if let bad = y.indices.first(where: { counts($0) && (y[$0] < 0 || Int(y[$0]) >= config.outputSize) }) {
                throw ElmanError("batch: target \(y[bad]) at (t=\(bad / size), n=\(bad % size)) is outside "
                    + "the classes [0, \(config.outputSize))")
            }
        case (.binary(let y), .sigmoid):
            try expectCount("targets", y.count, cells, "T×N")
            if let bad = y.indices.first(where: { counts($0) && !(y[$0] >= 0 && y[$0] <= 1) }) {
                throw ElmanError("batch: target \(y[bad]) at (t=\(bad / size), n=\(bad % size)); the sigmoid "
                    + "head expects a value in [0, 1]")
            }
        case (.values(let y), .linear):
            try expectCount("targets", y.count, cells * config.outputSize, "T×N×C = \(steps)×\(size)×\(config.outputSize)")
            if let bad = y.indices.first(where: { counts($0 / config.outputSize) && !y[$0].isFinite }) {
                throw ElmanError("batch: target value \(y[bad]) at flat index \(bad) is not finite")
            }
        case (.classes, .sigmoid), (.values, .sigmoid):
            throw ElmanError("batch: the sigmoid head expects T×N float 0/1 targets")
        case (.binary, .softmax), (.values, .softmax):
            throw ElmanError("batch: the softmax head expects integer class ids as targets, got floats")
        case (.classes, .linear), (.binary, .linear):
            throw ElmanError("batch: the linear head expects T×N×C float targets")
        }
        if let lengths {
            try expectCount("lengths", lengths.count, size, "N")
            if let bad = lengths.firstIndex(where: { !(1...steps).contains($0) }) {
                throw ElmanError("batch: sequence \(bad) has length \(lengths[bad]); expected 1...\(steps) (T)")
            }
            for (n, length) in lengths.enumerated() {
                if let t = (length..<steps).first(where: { counts($0 * size + n) }) {
                    throw ElmanError("batch: sequence \(n) has length \(length) but step t=\(t) counts in the loss; "
                        + "expected mask 0 past a sequence's end")
                }
            }
        }
        let width = config.outputWidth, letter = config.bidirectional ? "2H" : "H"
        if let dropout {
            try expectCount("dropout", dropout.count, config.layers * cells * width,
                            "L×T×N×\(letter) = \(config.layers)×\(steps)×\(size)×\(width)")
            if let bad = dropout.firstIndex(where: { !($0 >= 0) || !$0.isFinite }) {
                throw ElmanError("batch: dropout multiplier \(dropout[bad]) at flat index \(bad); expected a finite value ≥ 0")
            }
        }
        if let h0 = initialState {
            let states = config.layers * config.directions
            try expectCount("h0", h0.count, states * size * config.hiddenSize,
                            "\(config.bidirectional ? "2L" : "L")×N×H = \(states)×\(size)×\(config.hiddenSize)")
            if let bad = h0.firstIndex(where: { !$0.isFinite }) {
                throw ElmanError("batch: h0 value \(h0[bad]) at flat index \(bad) is not finite")
            }
        }
    }
}
