import Elman

/// The graphs of models that read symbols: language models and sequence classifiers.
enum TextGraphs {
    /// `tokens` [batch, time] int64 → one-hot, time-major [time, batch, V] float.
    ///
    /// One-hot rows through the RNN's W equal Elman's embedding lookup exactly: each output sums one product
    /// u·1 and zeros, so no rounding differs. (A `Gather` of U's rows would need an identity W after it.) An id
    /// outside 0..<V gives a zero row, no error.
    static func oneHot(_ b: inout GraphBuilder, vocabulary: Int) -> String {
        let timeMajor = b.op("Transpose", ["tokens"], [Attribute.ints("perm", [1, 0])])
        return b.op("OneHot", [timeMajor, b.int64s("depth", [vocabulary], dims: []), b.floats("off_on", [0, 1], dims: [2])],
                    [Attribute.int("axis", -1)])
    }

    static func tokenInputs(_ b: inout GraphBuilder, _ model: TrainedModel) {
        let level = model.vocabulary.level.rawValue
        b.input("tokens", .int64, [.named("batch"), .named("time")],
                doc: "Symbol ids: each \(level) of the text (metadata `vocabulary`, `level` \(level)) as its index in `symbols`; "
                    + "a symbol not in the vocabulary is `<unk>`'s id where it has one. Pad after each sequence's end with any id.")
        b.input("lengths", .int32, [.named("batch")],
                doc: "Each sequence's length in steps, 1 … time; steps after it are padding, which never reaches a result.")
    }

    /// A language model: logits at every step and the state after each sequence's last step.
    static func languageModel(_ b: inout GraphBuilder, _ model: TrainedModel) {
        let config = model.config, states = config.layers * config.directions
        tokenInputs(&b, model)
        b.input("initial_state", .float, [.fixed(states), .named("batch"), .fixed(config.hiddenSize)],
                doc: "The hidden state before the first step, layer by layer: zeros to start, or a previous call's final_state "
                    + "to continue a text.")
        let x = oneHot(&b, vocabulary: config.inputSize)
        let stack = RecurrentStack(&b, x: x, params: model.params, lengths: "lengths", initial: "initial_state")
        let logits = head(&b, stack.output, model.params)
        b.node("Transpose", [logits], outputs: ["logits"], [Attribute.ints("perm", [1, 0, 2])])
        b.node("Concat", stack.finalStates, outputs: ["final_state"], [Attribute.int("axis", 0)])
        b.output("logits", .float, [.named("batch"), .named("time"), .fixed(config.outputSize)],
                 doc: "Unnormalized log-probabilities of the next symbol after each step (softmax over the last axis gives its "
                    + "distribution, in vocabulary order); values at padding steps mean nothing.")
        b.output("final_state", .float, [.fixed(states), .named("batch"), .fixed(config.hiddenSize)],
                 doc: "The hidden state after each sequence's last real step: feed it back as initial_state to continue.")
    }

    /// A sequence classifier: the head at each sequence's last real step.
    static func classifier(_ b: inout GraphBuilder, _ model: TrainedModel, labels: [String]) {
        let config = model.config
        tokenInputs(&b, model)
        let x = oneHot(&b, vocabulary: config.inputSize)
        let stack = RecurrentStack(&b, x: x, params: model.params, lengths: "lengths", initial: nil)
        let last = stack.finalStates[config.layers - 1]  // [dirs, N, H]
        let features: String
        if !config.bidirectional {
            features = b.op("Squeeze", [last, b.int64s("axis", [0])])
        } else if config.readout == .finalState {  // both directions' h_n: [2, N, H] → [N, 2H]
            let t = b.op("Transpose", [last], [Attribute.ints("perm", [1, 0, 2])])
            features = b.op("Reshape", [t, b.int64s("shape", [0, -1])])
        } else {  // the reverse direction's output at the last real step, which has read that step only
            let forward = b.op("Gather", [last, b.int64s("index", [0], dims: [])], [Attribute.int("axis", 0)])
            let reverse = b.op("Gather", [stack.lastY, b.int64s("index", [1], dims: [])], [Attribute.int("axis", 1)])
            let batchMajor = b.op("Transpose", [reverse], [Attribute.ints("perm", [1, 0, 2])])
            let lastIndex = b.op("Sub", [b.op("Cast", ["lengths"], [Attribute.int("to", Int(Onnx_TensorProto.DataType.int64.rawValue))]),
                                         b.int64s("one", [1], dims: [])])
            let indices = b.op("Unsqueeze", [lastIndex, b.int64s("axis", [1])])
            let atLast = b.op("GatherND", [batchMajor, indices], [Attribute.int("batch_dims", 1)])
            features = b.op("Concat", [forward, atLast], [Attribute.int("axis", 1)])
        }
        _ = head(&b, features, model.params, output: "logits")
        if config.head == .sigmoid {  // one logit p of the second label: [1 − p, p]
            let p = b.op("Sigmoid", ["logits"])
            let complement = b.op("Sub", [b.floats("one", [1], dims: [1]), p])
            b.node("Concat", [complement, p], outputs: ["probabilities"], [Attribute.int("axis", 1)])
        } else {
            b.node("Softmax", ["logits"], outputs: ["probabilities"], [Attribute.int("axis", 1)])
        }
        b.output("probabilities", .float, [.named("batch"), .fixed(labels.count)],
                 doc: "Each label's probability at the sequence's last real step, in the order of metadata `labels`: "
                    + labels.joined(separator: ", ") + ".")
        b.output("logits", .float, [.named("batch"), .fixed(config.outputSize)],
                 doc: config.head == .sigmoid
                    ? "The one logit of the sigmoid head: the log-odds of the second label (\(labels[1]))."
                    : "The softmax head's logits, in label order.")
    }

    /// features·V + c over the last axis.
    static func head(_ b: inout GraphBuilder, _ features: String, _ params: Parameters<Float>, output: String? = nil) -> String {
        let config = params.config
        let v = params.matrix(.outputWeights) ?? Matrix(rows: 0, cols: 0)
        let weights = b.floats("V", v.storage, dims: [v.rows, v.cols])
        guard config.bias, let c = params.matrix(.outputBias) else { return b.op("MatMul", [features, weights], output: output) }
        let product = b.op("MatMul", [features, weights])
        return b.op("Add", [product, b.floats("c", c.storage, dims: [c.cols])], output: output)
    }
}
