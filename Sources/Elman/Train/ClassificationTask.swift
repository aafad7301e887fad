import Foundation
import RealModule

/// Sequence classification — the seed's §1 classifier put to use: the loss is taken at the last step of each
/// sequence only (a mask), with a sigmoid head for two labels and softmax for more. Each step takes the next
/// N examples of a shuffled pass; batches are padded to their longest sequence, and padding after a
/// sequence's end cannot affect its loss.
public struct ClassificationTask: TrainingTask {
    /// A sequence of token ids and its label's index.
    public typealias Example = LabeledSequences.Example
    /// The label names; an example's label indexes them.
    public let labels: [String]
    /// The symbols the sequences are made of.
    public let vocabulary: Vocabulary
    /// The training examples.
    public let train: [Example]
    /// The held-out examples (may be empty).
    public let validation: [Example]
    private var order: ExampleOrder
    private var batchSize = 1
    private var head = Head.softmax

    /// Examples already encoded (``LabeledSequences/parse(_:name:level:labels:vocabulary:header:)`` reads them from text).
    public init(labels: [String], vocabulary: Vocabulary, train: [Example], validation: [Example] = []) throws {
        guard labels.count >= 2 else { throw ElmanError("a classifier needs at least 2 labels, got \(labels.count)") }
        guard !train.isEmpty else { throw ElmanError("no training examples") }
        self.labels = labels
        self.vocabulary = vocabulary
        self.train = train
        self.validation = validation
        order = ExampleOrder(count: train.count)
    }

    public mutating func prepare(for options: TrainingOptions) throws -> ModelConfig {
        order.reset(seed: options.seed)
        batchSize = min(options.batch, train.count)
        let config = Self.config(labels: labels.count, vocabulary: vocabulary.count, options: options)
        head = config.head
        return config
    }

    /// Sigmoid with one output for two labels (the seed's §1), softmax over the labels otherwise. A bidirectional
    /// head reads both directions' final states (``Readout/finalState``).
    public static func config(labels: Int, vocabulary: Int, options: TrainingOptions) -> ModelConfig {
        let bidirectional = options.bidirectional ?? false
        return ModelConfig(inputSize: vocabulary, hiddenSize: options.hidden, outputSize: labels == 2 ? 1 : labels,
                           layers: options.layers, head: labels == 2 ? .sigmoid : .softmax, nonlinearity: options.nonlinearity,
                           bidirectional: bidirectional, readout: bidirectional ? .finalState : .everyStep)
    }

    public var longestSequence: Int { train.map(\.tokens.count).max() ?? 1 }

    public mutating func nextBatch() -> Batch<Float> {
        Self.batch(order.next(batchSize).map { train[$0] }[...], head: head)
    }

    public mutating func finishStep(finalState: [Float]?) {}

    public func validate(_ params: Parameters<Float>) throws -> ValidationScore? {
        validation.isEmpty ? nil : try Self.score(params, validation)
    }

    /// The validation examples split between the parts.
    public func validate(_ params: Parameters<Float>, part: Int, of parts: Int) throws -> ValidationScore? {
        let mine = laneRange(part, of: parts, extent: validation.count, align: 1)
        return mine.isEmpty ? nil : try Self.score(params, Array(validation[mine]))
    }

    /// The examples as one padded, time-major batch with the loss masked to each sequence's last step, and their
    /// lengths (a packed batch).
    public static func batch(_ examples: ArraySlice<Example>, head: Head) -> Batch<Float> {
        let n = examples.count
        let lengths = examples.map(\.tokens.count)
        let steps = lengths.max() ?? 1
        var inputs = [Int32](repeating: 0, count: steps * n)
        for (i, e) in examples.enumerated() {
            for (t, token) in e.tokens.enumerated() { inputs[t * n + i] = token }
        }
        let (mask, targets) = LastStepScore.targets(lengths: lengths, labels: examples.map(\.label), steps: steps, head: head)
        return Batch(steps: steps, size: n, inputs: .tokens(inputs), targets: targets, mask: mask, lengths: lengths)
    }

    /// Mean loss per sequence and accuracy of `params` on `examples`, from the logits at each sequence's last step.
    public static func score(_ params: Parameters<Float>, _ examples: [Example], batchSize: Int = 64) throws -> ValidationScore {
        let engine = try Engine<Float>(config: params.config)
        let c = params.config.outputSize
        var score = LastStepScore()
        var start = 0
        while start < examples.count {
            let slice = examples[start..<min(examples.count, start + batchSize)]
            let b = batch(slice, head: params.config.head)
            let (logits, _) = try engine.logits(params, inputs: b.inputs, steps: b.steps, size: b.size, lengths: b.lengths)
            for (i, e) in slice.enumerated() {
                let row = ((e.tokens.count - 1) * b.size + i) * c
                score.add(logits[row..<(row + c)], label: e.label, head: params.config.head)
            }
            start += batchSize
        }
        return score.score
    }

    public var modelMetadata: [String: String] {
        ModelSchema.metadata([.task: "classify", .labels: ModelSchema.json(labels), .vocabulary: ModelSchema.json(vocabulary)])
    }

    public func save(into file: inout SafeTensorsFile) { order.save(into: &file) }

    public mutating func restore(from file: SafeTensorsFile, name: String) throws {
        func fail(_ what: String) -> ElmanError { ElmanError("\(name): cannot resume: \(what)") }
        guard try Self.labels(of: file, name: name) == labels, try Vocabulary.saved(in: file, name: name) == vocabulary else {
            throw fail("its labels or vocabulary do not match this data's; resume on the same data")
        }
        try order.restore(from: file, name: name, fail: fail)
    }

    /// The labels of a classifier's model file; nil for a language model.
    public static func labels(of file: SafeTensorsFile, name: String) throws -> [String]? {
        guard try ModelSchema.string(.task, in: file, name: name) == "classify" else { return nil }
        guard let labels = try ModelSchema.decode(.labels, as: [String].self, in: file, name: name), labels.count >= 2 else {
            throw ElmanError("\(name): a classifier without a valid 'labels' list in its metadata")
        }
        return labels
    }
}
