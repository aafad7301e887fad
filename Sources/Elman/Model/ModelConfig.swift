/// The output layer and its loss.
public enum Head: String, Sendable, Codable, CaseIterable {
    /// Softmax over C classes with cross-entropy (seed §2–3).
    case softmax
    /// One logit, sigmoid, binary cross-entropy (seed §1, with the full loss; see SEED_NOTES).
    case sigmoid
    /// C outputs as they are, squared error ½‖G − Y‖² (regression and forecasting).
    case linear
}

/// How the per-(t, n) losses are combined.
public enum Reduction: String, Sendable, Codable, CaseIterable {
    /// Σ over unmasked (t, n), as the seed's Eqs. 71–73 and 78.
    case sum
    /// The sum divided by the number (total mask weight) of unmasked (t, n).
    case mean
}

/// The shape and options of a stacked Elman network. Letters as in docs/ARCHITECTURE.md: D input, H hidden,
/// C classes, L layers.
public struct ModelConfig: Codable, Equatable, Sendable {
    /// D: vocabulary size for token input, feature count for dense input.
    public var inputSize: Int
    /// H.
    public var hiddenSize: Int
    /// C: classes (1 for the sigmoid head).
    public var outputSize: Int
    /// L ≥ 1; layer l > 0 takes the hidden states of layer l − 1 as its input.
    public var layers: Int
    /// Softmax over the outputs, or the seed §1's sigmoid with one output.
    public var head: Head
    /// The recurrence's f.
    public var nonlinearity: Nonlinearity
    /// Hidden bias b and output bias c. Off gives exactly the seed's model.
    public var bias: Bool
    /// A second, reverse direction in every layer with its own weights, run from each sequence's last real step
    /// back to its first, as `nn.RNN(bidirectional: True)`: each layer's output is both directions' states side by
    /// side (2H), and the layer above and the head read all 2H.
    public var bidirectional: Bool
    /// What the head reads of a bidirectional model (a unidirectional model's head reads S(t) either way).
    public var readout: Readout

    /// A configuration; ``validate()`` checks it.
    public init(
        inputSize: Int, hiddenSize: Int, outputSize: Int, layers: Int = 1, head: Head = .softmax,
        nonlinearity: Nonlinearity = .tanh, bias: Bool = true, bidirectional: Bool = false,
        readout: Readout = .everyStep
    ) {
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.outputSize = outputSize
        self.layers = layers
        self.head = head
        self.nonlinearity = nonlinearity
        self.bias = bias
        self.bidirectional = bidirectional
        self.readout = readout
    }

    /// 2 for a bidirectional model, else 1.
    public var directions: Int { bidirectional ? 2 : 1 }

    /// The width of each layer's output, which the layer above and the head read: H, or 2H when bidirectional.
    public var outputWidth: Int { directions * hiddenSize }

    /// Throws unless every size is positive and the head fits the output size.
    public func validate() throws {
        for (name, value) in [("input size", inputSize), ("hidden size", hiddenSize),
                              ("output size", outputSize), ("layers", layers)] where value < 1 {
            throw ElmanError("model config: \(name) is \(value); expected a positive integer")
        }
        if head == .sigmoid && outputSize != 1 {
            throw ElmanError("model config: the sigmoid head has one output, got output size \(outputSize)")
        }
        if head == .linear && outputSize < 1 {
            throw ElmanError("model config: the linear head needs at least 1 output, got \(outputSize)")
        }
        if head == .softmax && outputSize < 2 {
            throw ElmanError("model config: the softmax head needs at least 2 classes, got \(outputSize)")
        }
    }

    /// Input width of layer l: D for the first layer, the output width (H or 2H) above it.
    public func inputWidth(layer: Int) -> Int { layer == 0 ? inputSize : outputWidth }
}

/// What the head of a bidirectional model reads at step t.
public enum Readout: String, Sendable, Codable, CaseIterable {
    /// Both directions' states at t, `nn.RNN`'s `output[t]`: a prediction per step.
    case everyStep
    /// The forward state at t beside the reverse direction's final state (the one after it has read the whole
    /// sequence back to its first step): at a sequence's last step this is `nn.RNN`'s `h_n` of both directions,
    /// what sequence classifiers read.
    case finalState
}

extension ModelConfig {
    private enum CodingKeys: String, CodingKey {
        case inputSize, hiddenSize, outputSize, layers, head, nonlinearity, bias, bidirectional, readout
    }

    /// Decodes a config; files written before bidirectional layers existed lack the last two keys and are
    /// unidirectional.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(inputSize: try c.decode(Int.self, forKey: .inputSize), hiddenSize: try c.decode(Int.self, forKey: .hiddenSize),
                  outputSize: try c.decode(Int.self, forKey: .outputSize), layers: try c.decode(Int.self, forKey: .layers),
                  head: try c.decode(Head.self, forKey: .head), nonlinearity: try c.decode(Nonlinearity.self, forKey: .nonlinearity),
                  bias: try c.decode(Bool.self, forKey: .bias),
                  bidirectional: try c.decodeIfPresent(Bool.self, forKey: .bidirectional) ?? false,
                  readout: try c.decodeIfPresent(Readout.self, forKey: .readout) ?? .everyStep)
    }
}
