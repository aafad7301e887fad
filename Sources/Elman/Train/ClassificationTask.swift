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
    private var order: [Int] = []
    private var cursor = 0
    private var shuffler = SeededGenerator(seed: 0)
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
    }

    public mutating func prepare(for options: TrainingOptions) throws -> ModelConfig {
        shuffler = SeededGenerator(seed: options.seed &+ 1)
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
        var picked: [Example] = []
        picked.reserveCapacity(batchSize)
        while picked.count < batchSize {
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
        return Self.batch(picked[...], head: head)
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
                     targets: head == .softmax ? .classes(classes) : .binary(binary), mask: mask,
                     lengths: examples.map(\.tokens.count))
    }

    /// Mean loss per sequence and accuracy of `params` on `examples`, from the logits at each sequence's last step.
    public static func score(_ params: Parameters<Float>, _ examples: [Example], batchSize: Int = 64) throws -> ValidationScore {
        let engine = try Engine<Float>(config: params.config)
        let c = params.config.outputSize
        var loss = 0.0, right = 0
        var start = 0
        while start < examples.count {
            let slice = examples[start..<min(examples.count, start + batchSize)]
            let b = batch(slice, head: params.config.head)
            let (logits, _) = try engine.logits(params, inputs: b.inputs, steps: b.steps, size: b.size, lengths: b.lengths)
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
        let count = max(examples.count, 1)
        return ValidationScore(loss: loss / Double(count), accuracy: Double(right) / Double(count), items: examples.count)
    }

    public var modelMetadata: [String: String] {
        ModelSchema.metadata([.task: "classify", .labels: ModelSchema.json(labels), .vocabulary: ModelSchema.json(vocabulary)])
    }

    private struct Position: Codable { var cursor: Int }

    public func save(into file: inout SafeTensorsFile) {
        ModelSchema.set(.data, ModelSchema.json(Position(cursor: cursor)), in: &file)
        file.tensors[CheckpointTensor.order] = SafeTensor(sized: [order.count], int64s: order.map(Int64.init))
        file.tensors[CheckpointTensor.shuffler] = SafeTensor(sized: [shuffler.state.count],
                                                             int64s: shuffler.state.map { Int64(bitPattern: $0) })
    }

    public mutating func restore(from file: SafeTensorsFile, name: String) throws {
        func fail(_ what: String) -> ElmanError { ElmanError("\(name): cannot resume: \(what)") }
        guard try Self.labels(of: file, name: name) == labels, try Vocabulary.saved(in: file, name: name) == vocabulary else {
            throw fail("its labels or vocabulary do not match this data's; resume on the same data")
        }
        guard let p = try ModelSchema.decode(.data, as: Position.self, in: file, name: name),
              let orderTensor = file.tensors[CheckpointTensor.order], !orderTensor.dtype.isFloatingPoint,
              let shufflerTensor = file.tensors[CheckpointTensor.shuffler], !shufflerTensor.dtype.isFloatingPoint,
              let generator = SeededGenerator(state: shufflerTensor.int64s().map { UInt64(bitPattern: $0) }) else {
            throw fail("data-order state missing or malformed (is it a classifier's last.safetensors?)")
        }
        let saved = orderTensor.int64s()
        guard saved.count == train.count || saved.isEmpty, saved.allSatisfy({ $0 >= 0 && $0 < train.count }),
              (0...saved.count).contains(p.cursor) else {
            throw fail("its data order covers \(saved.count) examples, this data has \(train.count) (is it the same data?)")
        }
        order = saved.map { Int($0) }
        cursor = p.cursor
        shuffler = generator
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
