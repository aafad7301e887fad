import Foundation

/// Classification of real-valued sequences — the seed's §1 problem: an RNN reads a series x(1…T) of real numbers
/// (here D channels, k steps at a time: ``SeriesInput``) and a sigmoid (two labels) or softmax head reads its
/// last state. Trained and scored as ``ClassificationTask`` is: the loss at each sequence's last step, shuffled
/// passes, sequences of different lengths in one packed batch.
///
/// ```swift
/// let train = try LabeledSeries.read("GunPoint_TRAIN.ts")
/// let task = try SeriesClassificationTask(train: train, validation: nil)
/// ```
public struct SeriesClassificationTask: TrainingTask {
    /// One series as the model reads it.
    public struct Example: Sendable, Equatable {
        /// Input steps × D·k standardized features (``SeriesInput/encode(_:)``).
        public var inputs: [Float]
        /// Its input steps.
        public var steps: Int
        /// The index of its label in ``SeriesClassificationTask/labels``.
        public var label: Int32
    }

    /// The label names, in output order.
    public let labels: [String]
    /// How series become input steps, the training data's statistics included.
    public let input: SeriesInput
    /// The training and held-out examples, encoded.
    public let train: [Example], validation: [Example]
    private var order: ExampleOrder
    private var batchSize = 1
    private var head = Head.softmax

    /// `train`'s examples (labeled) with `validation`'s (nil: none). `labels` (default: `train`'s) and `input`
    /// (default: measured on `train`, with `window` or the default window) are a model's when fine-tuning it.
    public init(train: LabeledSeries, validation: LabeledSeries?, name: String = "training data", validationName: String = "validation data",
                labels fixed: [String]? = nil, input fixedInput: SeriesInput? = nil, window: Int? = nil) throws {
        guard train.isLabeled else { throw ElmanError("\(name): the series have no labels (@classLabel false); training needs labeled series") }
        let labels = fixed ?? train.labels
        guard labels.count >= 2 else {
            throw ElmanError("\(name): every example has the label '\(labels.first ?? "")'; a classifier needs at least 2 labels")
        }
        if let window, window < 1 { throw ElmanError("--window is \(window); expected a whole number ≥ 1") }
        let input = fixedInput ?? SeriesInput(measuring: train.examples, channels: train.channels, window: window)
        self.labels = labels
        self.input = input
        self.train = try Self.encode(train, name: name, labels: labels, input: input)
        self.validation = try validation.map { try Self.encode($0, name: validationName, labels: labels, input: input) } ?? []
        guard !self.train.isEmpty else { throw ElmanError("\(name): no training examples") }
        order = ExampleOrder(count: self.train.count)
    }

    /// The examples of `data` encoded with `input`, their labels indexed in `labels`; `name` names the file.
    public static func encode(_ data: LabeledSeries, name: String, labels: [String], input: SeriesInput) throws -> [Example] {
        let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, Int32($0)) })
        return try data.examples.map { e in
            try input.check(e, name: name)
            guard let label = e.label.flatMap({ index[$0] }) else {
                throw ElmanError("\(name):\(e.line): the label '\(e.label ?? "")' is not one of the model's (\(labels.joined(separator: ", ")))")
            }
            return Example(inputs: input.encode(e), steps: input.steps(length: e.length), label: label)
        }
    }

    public mutating func prepare(for options: TrainingOptions) throws -> ModelConfig {
        order.reset(seed: options.seed)
        batchSize = min(options.batch, train.count)
        let config = ClassificationTask.config(labels: labels.count, vocabulary: input.features, options: options)
        head = config.head
        return config
    }

    public var longestSequence: Int { train.map(\.steps).max() ?? 1 }

    public mutating func nextBatch() -> Batch<Float> {
        Self.batch(order.next(batchSize).map { train[$0] }[...], features: input.features, head: head)
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

    /// The examples as one padded, time-major batch of dense inputs (T×N×D·k), the loss at each sequence's last
    /// step, and their lengths (a packed batch).
    public static func batch(_ examples: ArraySlice<Example>, features: Int, head: Head) -> Batch<Float> {
        let n = examples.count
        let lengths = examples.map(\.steps)
        let steps = lengths.max() ?? 1
        var x = [Float](repeating: 0, count: steps * n * features)  // X(t): rows t·N ..< (t+1)·N, D·k each
        for (i, e) in examples.enumerated() {
            for t in 0..<e.steps {
                x.replaceSubrange(((t * n + i) * features)..<((t * n + i + 1) * features),
                                  with: e.inputs[(t * features)..<((t + 1) * features)])
            }
        }
        let (mask, targets) = LastStepScore.targets(lengths: lengths, labels: examples.map(\.label), steps: steps, head: head)
        return Batch(steps: steps, size: n, inputs: .dense(x), targets: targets, mask: mask, lengths: lengths)
    }

    /// The head's outputs at each example's last step: examples.count rows of C values.
    public static func logits(_ params: Parameters<Float>, _ examples: [Example], batchSize: Int = 64) throws -> [[Float]] {
        let engine = try Engine<Float>(config: params.config)
        let c = params.config.outputSize, features = params.config.inputSize
        var rows: [[Float]] = []
        rows.reserveCapacity(examples.count)
        var start = 0
        while start < examples.count {
            let slice = examples[start..<min(examples.count, start + batchSize)]
            let b = batch(slice, features: features, head: params.config.head)
            let (g, _) = try engine.logits(params, inputs: b.inputs, steps: b.steps, size: b.size, lengths: b.lengths)  // G: T·N×C
            for (i, e) in slice.enumerated() {
                let row = ((e.steps - 1) * b.size + i) * c
                rows.append(Array(g[row..<(row + c)]))
            }
            start += batchSize
        }
        return rows
    }

    /// Mean loss per sequence and accuracy of `params` on `examples`.
    public static func score(_ params: Parameters<Float>, _ examples: [Example]) throws -> ValidationScore {
        var score = LastStepScore()
        for (e, g) in zip(examples, try logits(params, examples)) { score.add(g[...], label: e.label, head: params.config.head) }
        return score.score
    }

    public var modelMetadata: [String: String] {
        ModelSchema.metadata([.task: "classify", .labels: ModelSchema.json(labels), .series: ModelSchema.json(input)])
    }

    public func save(into file: inout SafeTensorsFile) { order.save(into: &file) }

    public mutating func restore(from file: SafeTensorsFile, name: String) throws {
        func fail(_ what: String) -> ElmanError { ElmanError("\(name): cannot resume: \(what)") }
        guard try ClassificationTask.labels(of: file, name: name) == labels, try Self.input(of: file, name: name) == input else {
            throw fail("its labels or series input (channels, window, standardization) do not match this data's; resume on the same data")
        }
        try order.restore(from: file, name: name, fail: fail)
    }

    /// The series input of a real-valued classifier's model file; nil for any other model.
    public static func input(of file: SafeTensorsFile, name: String) throws -> SeriesInput? {
        guard try ModelSchema.string(.series, in: file, name: name) != nil else { return nil }
        guard let input = try ModelSchema.decode(.series, as: SeriesInput.self, in: file, name: name),
              input.channels >= 1, input.window >= 1, input.standardization.mean.count == input.channels,
              input.standardization.scale.count == input.channels,
              (input.standardization.mean + input.standardization.scale).allSatisfy(\.isFinite),
              input.standardization.scale.allSatisfy({ $0 > 0 }) else {
            throw ElmanError("\(name): the 'series' metadata is not a valid series input; expected channels ≥ 1, window ≥ 1, "
                + "and a finite mean and a positive scale per channel")
        }
        return input
    }
}
