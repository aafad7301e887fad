/// One parameter tensor of the model, in the engine's layout (docs/ARCHITECTURE.md, Parameters).
///
/// The four tensors of a layer exist once per direction: `reverse` picks a bidirectional model's reverse direction.
public enum ParameterID: Hashable, Sendable {
    /// U of layer l: (D, H or 2H)×H.
    case inputWeights(layer: Int, reverse: Bool = false)
    /// W of layer l: H×H.
    case recurrentWeights(layer: Int, reverse: Bool = false)
    /// b_ih of layer l: H. nn.RNN's two bias vectors are both parameters, as in PyTorch: the recurrence adds
    /// b = b_ih + b_hh, and each half gets ∂L/∂b, so the sum trains as it does in `nn.RNN`.
    case inputBias(layer: Int, reverse: Bool = false)
    /// b_hh of layer l: H.
    case hiddenBias(layer: Int, reverse: Bool = false)
    /// V: (H or 2H)×C.
    case outputWeights
    /// c: C.
    case outputBias

    /// Short name used in tables: U_l0, W_l0, bi_l0, b_l0, their reverse twins U_l0_reverse, …, then V and c.
    public var shortName: String {
        func suffix(_ reverse: Bool) -> String { reverse ? "_reverse" : "" }
        switch self {
        case .inputWeights(let l, let r): return "U_l\(l)" + suffix(r)
        case .recurrentWeights(let l, let r): return "W_l\(l)" + suffix(r)
        case .inputBias(let l, let r): return "bi_l\(l)" + suffix(r)
        case .hiddenBias(let l, let r): return "b_l\(l)" + suffix(r)
        case .outputWeights: return "V"
        case .outputBias: return "c"
        }
    }
}

/// Where each tensor lives in the flat parameter vector.
public struct ParameterLayout: Equatable, Sendable {
    public struct Entry: Equatable, Sendable {
        public let id: ParameterID
        public let rows: Int
        public let cols: Int
        public let offset: Int
        public var count: Int { rows * cols }
    }

    public let entries: [Entry]
    public let count: Int

    public init(_ config: ModelConfig) {
        var entries: [Entry] = []
        var offset = 0
        func add(_ id: ParameterID, _ rows: Int, _ cols: Int) {
            entries.append(Entry(id: id, rows: rows, cols: cols, offset: offset))
            offset += rows * cols
        }
        let h = config.hiddenSize
        for l in 0..<config.layers {
            for reverse in config.bidirectional ? [false, true] : [false] {  // nn.RNN's order
                add(.inputWeights(layer: l, reverse: reverse), config.inputWidth(layer: l), h)
                add(.recurrentWeights(layer: l, reverse: reverse), h, h)
                if config.bias {
                    add(.inputBias(layer: l, reverse: reverse), 1, h)
                    add(.hiddenBias(layer: l, reverse: reverse), 1, h)
                }
            }
        }
        add(.outputWeights, config.outputWidth, config.outputSize)
        if config.bias { add(.outputBias, 1, config.outputSize) }
        self.entries = entries
        self.count = offset
    }

    public func entry(_ id: ParameterID) -> Entry? { entries.first { $0.id == id } }

    /// Offset of a tensor the config guarantees to exist.
    func offset(_ id: ParameterID) -> Int {
        guard let e = entry(id) else { preconditionFailure("no tensor \(id.shortName) in this layout") }
        return e.offset
    }
}

/// All parameters (or all gradients) of a model as one flat vector, tensor after tensor, so that
/// optimizers, clipping and checkpoints each work with a single loop.
public struct Parameters<T: ElmanFloat>: Equatable, Sendable {
    public let config: ModelConfig
    public let layout: ParameterLayout
    /// Every tensor, one after another (``layout``); always `layout.count` values. Read-only outside the
    /// library: set values through ``init(config:values:)`` or ``setMatrix(_:_:)``, which check sizes.
    public internal(set) var values: [T]

    /// All zeros.
    public init(config: ModelConfig) {
        self.config = config
        self.layout = ParameterLayout(config)
        self.values = Array(repeating: 0, count: layout.count)
    }

    /// Parameters with the given values, in ``layout`` order; throws unless there are exactly as many as the
    /// layout has, all finite.
    public init(config: ModelConfig, values: [T]) throws {
        try config.validate()
        self.init(config: config)
        guard values.count == layout.count else {
            throw ElmanError("parameters: \(values.count) values for a model of \(layout.count) (\(config.hiddenSize) hidden, "
                + "\(config.layers) layers)")
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw ElmanError("parameters: value \(values[bad]) at index \(bad) is not finite")
        }
        self.values = values
    }

    /// PyTorch's `nn.RNN` / `nn.Linear` default: every value uniform in [−1/√H, 1/√H].
    public init(config: ModelConfig, generator: inout SeededGenerator) {
        self.init(config: config)
        let bound = 1 / Double(config.hiddenSize).squareRoot()
        for i in values.indices { values[i] = T(generator.uniform(-bound, bound)) }
    }

    public func matrix(_ id: ParameterID) -> Matrix<T>? {
        guard let e = layout.entry(id) else { return nil }
        return Matrix(rows: e.rows, cols: e.cols, storage: Array(values[e.offset..<(e.offset + e.count)]))
    }

    /// Replaces a tensor; throws unless the model has it with the matrix's shape.
    public mutating func setMatrix(_ id: ParameterID, _ m: Matrix<T>) throws {
        guard let e = layout.entry(id) else { throw ElmanError("setMatrix: this model has no tensor \(id.shortName)") }
        guard e.rows == m.rows, e.cols == m.cols else {
            throw ElmanError("setMatrix: \(id.shortName) is \(e.rows)×\(e.cols); the matrix is \(m.rows)×\(m.cols)")
        }
        values.replaceSubrange(e.offset..<(e.offset + e.count), with: m.storage)
    }

    /// The same parameters in another precision.
    public func converted<U: ElmanFloat>(to: U.Type) -> Parameters<U> {
        var p = Parameters<U>(config: config)
        p.values = values.map { U($0) }
        return p
    }
}

extension Parameters {
    /// ‖·‖₂ of each tensor, in layout order, under its short name (U_l0, W_l0, bi_l0, b_l0, V, c).
    public func tensorNorms() -> [(name: String, norm: Double)] {
        layout.entries.map { e in (e.id.shortName, euclideanNorm(values[e.offset..<(e.offset + e.count)])) }
    }
}
