import Foundation
import RealModule

/// A sequence classifier in training — the seed's §1 classifier put to use: the loss is taken at the last
/// step of each sequence only (a mask), with a sigmoid head for two labels and softmax for more.
/// Batches are padded to their longest sequence; padding after a sequence's end cannot affect its loss.
public final class ClassifierTrainer {
    public let options: TrainingOptions
    public let labels: [String]
    public let vocabulary: Vocabulary
    public private(set) var params: Parameters<Float>
    public private(set) var step = 0
    public private(set) var examplesSeen = 0
    /// Multiplies the scheduled rate; halved after each rejected (non-finite) step.
    public private(set) var learningRateScale = 1.0

    private let train: [LabeledSequences.Example]
    private var optimizer: Optimizer<Float>
    private var updateGuard = UpdateGuard<Float>()
    private let engine: Engine<Float>
    private var gradient: Parameters<Float>
    private var order: [Int] = []
    private var cursor = 0
    private var shuffler: SeededGenerator

    /// Loss and accuracy on a set of examples.
    public struct Score: Sendable {
        /// Mean cross-entropy per sequence (nats).
        public var loss: Double
        /// Share of sequences whose most likely label is right.
        public var accuracy: Double
        public var examples: Int
    }

    public init(options: TrainingOptions, labels: [String], vocabulary: Vocabulary,
                train: [LabeledSequences.Example]) throws {
        try options.validate()
        guard !train.isEmpty else { throw ElmanError("no training examples") }
        try options.checkMemory(inputSize: vocabulary.count, outputSize: labels.count,
                                steps: train.map(\.tokens.count).max() ?? 1)
        let config = Self.config(labels: labels.count, vocabulary: vocabulary.count, options: options)
        self.options = options
        self.labels = labels
        self.vocabulary = vocabulary
        self.train = train
        var g = SeededGenerator(seed: options.seed)
        params = (options.initialization ?? .standard(for: options.nonlinearity)).parameters(config, generator: &g)
        shuffler = SeededGenerator(seed: options.seed &+ 1)
        optimizer = Optimizer(kind: options.optimizer, parameterCount: params.values.count)
        optimizer.momentum = options.momentum
        optimizer.weightDecay = options.weightDecay
        engine = try Engine(config: config)
        gradient = Parameters(config: config)
    }

    /// Sigmoid with one output for two labels (the seed's §1), softmax over the labels otherwise.
    public static func config(labels: Int, vocabulary: Int, options: TrainingOptions) -> ModelConfig {
        ModelConfig(inputSize: vocabulary, hiddenSize: options.hidden, outputSize: labels == 2 ? 1 : labels,
                    layers: options.layers, head: labels == 2 ? .sigmoid : .softmax, nonlinearity: options.nonlinearity)
    }

    /// The examples as one padded, time-major batch with the loss masked to each sequence's last step.
    public static func batch(_ examples: ArraySlice<LabeledSequences.Example>, head: Head) -> Batch<Float> {
        let n = examples.count
        let steps = examples.map(\.tokens.count).max() ?? 1
        var inputs = [Int32](repeating: 0, count: steps * n)
        var mask = [Float](repeating: 0, count: steps * n)
        var classes = [Int32](repeating: 0, count: steps * n)
        var binary = [Float](repeating: 0, count: steps * n)
        for (i, e) in examples.enumerated() {
            for (t, token) in e.tokens.enumerated() { inputs[t * n + i] = token }
            let last = (e.tokens.count - 1) * n + i
            mask[last] = 1
            classes[last] = e.label
            binary[last] = Float(e.label)
        }
        return Batch(steps: steps, size: n, inputs: .tokens(inputs),
                     targets: head == .softmax ? .classes(classes) : .binary(binary), mask: mask)
    }

    /// One step on the next `options.batch` examples of a shuffled pass: forward, BPTT, clipping, update.
    @discardableResult
    public func trainStep() throws -> StepReport {
        var picked: [LabeledSequences.Example] = []
        while picked.count < min(options.batch, train.count) {
            if cursor == order.count {
                order = Array(train.indices)
                for i in stride(from: order.count - 1, to: 0, by: -1) {
                    order.swapAt(i, Int(shuffler.next() % UInt64(i + 1)))
                }
                cursor = 0
            }
            picked.append(train[order[cursor]])
            cursor += 1
        }
        let result = try engine.gradient(params, Self.batch(picked[...], head: params.config.head), reduction: .mean,
                                         into: &gradient)
        let (norm, clipped) = Clipping.apply(options, to: &gradient.values)  // discarded below if not finite
        let lr = options.learningRate(at: step) * learningRateScale
        step += 1
        examplesSeen += picked.count
        guard result.loss.isFinite, norm.isFinite else {
            learningRateScale *= 0.5  // the parameters and optimizer state stay as they were
            return StepReport(loss: result.loss, gradientNorm: norm, clipped: false, accepted: false, learningRate: lr)
        }
        guard updateGuard.update(&optimizer, &params.values, gradient: gradient.values, lr: lr) else {
            learningRateScale *= 0.5  // the update overflowed: undone
            return StepReport(loss: result.loss, gradientNorm: norm, clipped: clipped, accepted: false, learningRate: lr)
        }
        return StepReport(loss: result.loss, gradientNorm: norm, clipped: clipped, accepted: true, learningRate: lr)
    }

    /// Loss and accuracy of `params` on `examples`, from the logits at each sequence's last step.
    public static func score(_ params: Parameters<Float>, _ examples: [LabeledSequences.Example],
                             batchSize: Int = 64) throws -> Score {
        let engine = try Engine<Float>(config: params.config)
        let c = params.config.outputSize
        var loss = 0.0, right = 0
        var start = 0
        while start < examples.count {
            let slice = examples[start..<min(examples.count, start + batchSize)]
            let b = batch(slice, head: params.config.head)
            let (logits, _) = try engine.logits(params, inputs: b.inputs, steps: b.steps, size: b.size)
            for (i, e) in slice.enumerated() {
                let row = ((e.tokens.count - 1) * b.size + i) * c
                let g = logits[row..<(row + c)].map(Double.init)
                if params.config.head == .sigmoid {  // −log σ(±g), stably
                    let sign = e.label == 1 ? 1.0 : -1.0
                    loss += Double.log(onePlus: Double.exp(-sign * g[0]))
                    right += (g[0] > 0) == (e.label == 1) ? 1 : 0
                } else {
                    let m = g.max() ?? 0
                    loss += Double.log(g.reduce(0) { $0 + Double.exp($1 - m) }) - (g[Int(e.label)] - m)
                    right += g.firstIndex(of: m) == Int(e.label) ? 1 : 0
                }
            }
            start += batchSize
        }
        return Score(loss: loss / Double(examples.count), accuracy: Double(right) / Double(examples.count),
                     examples: examples.count)
    }

    /// The model, with its task, labels, vocabulary and training options in the metadata.
    public func modelFile() -> SafeTensorsFile {
        ModelFile.file(params, metadata: ["task": "classify", "labels": ModelFile.encodeJSON(labels),
                                          "vocabulary": ModelFile.encodeJSON(vocabulary),
                                          "training": ModelFile.encodeJSON(options)])
    }

    struct ResumeState: Codable {
        var step: Int, examplesSeen: Int, cursor: Int, optimizerStep: Int, learningRateScale: Double
        var bestAccuracy: Double?
    }

    /// Best validation accuracy so far (kept by the caller; saved in checkpoints).
    public var bestAccuracy = -1.0

    /// The model plus everything needed to resume exactly: optimizer moments, the shuffled order, its
    /// position and the shuffling generator's state.
    public func checkpoint() -> SafeTensorsFile {
        var file = modelFile()
        let state = ResumeState(step: step, examplesSeen: examplesSeen, cursor: cursor, optimizerStep: optimizer.step,
                                learningRateScale: learningRateScale, bestAccuracy: bestAccuracy >= 0 ? bestAccuracy : nil)
        file.metadata["resume"] = ModelFile.encodeJSON(state)
        Checkpoint.add(optimizer, to: &file)
        file.tensors["state.order"] = SafeTensor(shape: [order.count], int64s: order.map(Int64.init))
        file.tensors["state.shuffler"] = SafeTensor(shape: [shuffler.state.count],
                                                    int64s: shuffler.state.map { Int64(bitPattern: $0) })
        return file
    }

    /// Continues the run saved in `file` (written by ``checkpoint()``) on the same examples.
    public convenience init(resuming file: SafeTensorsFile, name: String, train: [LabeledSequences.Example],
                            steps: Int? = nil) throws {
        func fail(_ what: String) -> ElmanError { ElmanError("\(name): cannot resume: \(what)") }
        guard let labels = try Self.labels(of: file, name: name) else { throw fail("not a classifier checkpoint") }
        let vocabulary = try Trainer.vocabulary(of: file, name: name)
        guard let optionsJSON = file.metadata["training"],
              var options = try? JSONDecoder().decode(TrainingOptions.self, from: Data(optionsJSON.utf8)) else {
            throw fail("no training options in its metadata")
        }
        guard let resumeJSON = file.metadata["resume"],
              let state = try? JSONDecoder().decode(ResumeState.self, from: Data(resumeJSON.utf8)) else {
            throw fail("no training state in its metadata (model.safetensors holds the model only; resume from last.safetensors)")
        }
        if let steps { options.steps = steps }
        try self.init(options: options, labels: labels, vocabulary: vocabulary, train: train)
        try Checkpoint.restore(&params, &optimizer, step: state.optimizerStep, from: file, name: name)
        guard let orderTensor = file.tensors["state.order"], !orderTensor.dtype.isFloatingPoint,
              let shufflerTensor = file.tensors["state.shuffler"], !shufflerTensor.dtype.isFloatingPoint,
              let generator = SeededGenerator(state: shufflerTensor.int64s().map { UInt64(bitPattern: $0) }) else {
            throw fail("data-order state missing or malformed")
        }
        let order = orderTensor.int64s()
        guard order.count == train.count || order.isEmpty, order.allSatisfy({ $0 >= 0 && $0 < train.count }),
              (0...order.count).contains(state.cursor) else {
            throw fail("its data order covers \(order.count) examples, this data has \(train.count) (is it the same data?)")
        }
        self.order = order.map { Int($0) }
        cursor = state.cursor
        shuffler = generator
        step = state.step
        examplesSeen = state.examplesSeen
        learningRateScale = state.learningRateScale
        bestAccuracy = state.bestAccuracy ?? -1
    }

    /// The labels of a classifier's model file; nil for a language model.
    public static func labels(of file: SafeTensorsFile, name: String) throws -> [String]? {
        guard file.metadata["task"] == "classify" else { return nil }
        guard let json = file.metadata["labels"],
              let labels = try? JSONDecoder().decode([String].self, from: Data(json.utf8)), labels.count >= 2 else {
            throw ElmanError("\(name): a classifier without a valid 'labels' list in its metadata")
        }
        return labels
    }
}
