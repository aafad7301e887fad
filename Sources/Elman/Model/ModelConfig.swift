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

    /// A configuration; ``validate()`` checks it.
    public init(
        inputSize: Int, hiddenSize: Int, outputSize: Int, layers: Int = 1, head: Head = .softmax,
        nonlinearity: Nonlinearity = .tanh, bias: Bool = true
    ) {
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.outputSize = outputSize
        self.layers = layers
        self.head = head
        self.nonlinearity = nonlinearity
        self.bias = bias
    }

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

    /// Input width of layer l: D for the first layer, H above it.
    public func inputWidth(layer: Int) -> Int { layer == 0 ? inputSize : hiddenSize }
}
