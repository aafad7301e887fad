import Foundation

/// A model written by `elman train`, loaded for use: next-symbol probabilities, text generation and sequence
/// classification, one symbol at a time with the hidden state carried.
///
/// ```swift
/// let model = try TrainedModel.load("run/model.safetensors")
/// var state = model.initialState()
/// let p = try model.predict("First Citizen", state: &state)  // next-symbol probabilities
/// let text = try model.generate(prime: "ROMEO:", length: 200, temperature: 0.8, topK: 0, seed: 7)
/// ```
///
/// The file is checked as a whole when loaded (its parameters, vocabulary and labels agree in size), so nothing
/// read from it can index out of range later.
///
/// A model is immutable and `Sendable`: share one among any number of threads or tasks. What changes while it
/// reads — the hidden state and the scratch buffers of one symbol — belongs to the caller: each call below makes
/// its own, and a ``Session`` keeps them across calls (one per thread) so that feeding a symbol allocates nothing.
public struct TrainedModel: Sendable {
    /// The trained parameters.
    public let params: Parameters<Float>
    /// The symbols the model reads (and, for a language model, predicts), in id order.
    public let vocabulary: Vocabulary
    /// The class names of a sequence classifier; nil for a language model.
    public let labels: [String]?
    /// A regression model's columns and their standardization; nil for the others (whose vocabulary is then
    /// empty).
    public let columns: RegressionTask.Columns?
    /// How a classifier of real-valued series reads them (channels, window, standardization); nil for the others
    /// (a classifier of text reads symbols of its ``vocabulary``, which is empty here).
    public let series: SeriesInput?

    /// True for a sequence classifier (of text or of real-valued series), false for a language model.
    public var isClassifier: Bool { labels != nil }
    /// True for a regression (forecasting) model.
    public var isRegressor: Bool { columns != nil }
    /// The model's sizes, head and nonlinearity.
    public var config: ModelConfig { params.config }

    /// The hidden state carried from one symbol to the next: S(t) of every layer.
    public struct State: Sendable, Equatable {
        /// L·H values, layer by layer.
        public package(set) var values: [Float]
    }

    /// Reads and checks a model file, or the `model.safetensors` of a run directory.
    public static func load(_ path: String) throws -> TrainedModel {
        var isDirectory: ObjCBool = false
        let file = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
            ? "\(path)/model.safetensors" : path
        return try TrainedModel(file: SafeTensorsFile.read(file), name: file)
    }

    /// Checks a model already read; `name` names it in errors.
    public init(file: SafeTensorsFile, name: String) throws {
        if let columns = try RegressionTask.columns(of: file, name: name) {
            let params: Parameters<Float> = try ModelFile.parameters(from: file, name: name)
            try self.init(params: params, columns: columns, name: name)
            return
        }
        let labels = try ClassificationTask.labels(of: file, name: name)
        if let series = try SeriesClassificationTask.input(of: file, name: name) {
            guard let labels else { throw ElmanError("\(name): a 'series' input without task 'classify'; expected a classifier written by elman train") }
            let params: Parameters<Float> = try ModelFile.parameters(from: file, name: name)
            try self.init(params: params, series: series, labels: labels, name: name)
            return
        }
        let vocabulary = try Vocabulary.saved(in: file, name: name)
        let params: Parameters<Float> = try ModelFile.parameters(from: file, name: name)
        try self.init(params: params, vocabulary: vocabulary, labels: labels, name: name)
    }

    /// A model from parameters in memory (a ``Trainer``'s, say); `name` names it in errors.
    public init(params: Parameters<Float>, vocabulary: Vocabulary, labels: [String]? = nil, name: String = "model") throws {
        let config = params.config
        func fail(_ what: String) -> ElmanError { ElmanError("\(name): \(what); expected a model written by elman train") }
        guard vocabulary.count >= 1, vocabulary.count == config.inputSize else {
            throw fail("its vocabulary has \(vocabulary.count) symbols but the model takes \(config.inputSize) inputs")
        }
        if let labels {
            let outputs = labels.count == 2 ? 1 : labels.count
            guard labels.count >= 2, config.outputSize == outputs, config.head == (labels.count == 2 ? .sigmoid : .softmax) else {
                throw fail("\(labels.count) labels but a \(config.head.rawValue) head with \(config.outputSize) outputs")
            }
        } else {
            guard config.head == .softmax, config.outputSize == vocabulary.count else {
                throw fail("a language model needs a softmax over its \(vocabulary.count) symbols, "
                    + "found a \(config.head.rawValue) head with \(config.outputSize) outputs")
            }
            guard !config.bidirectional else { throw fail("a language model with bidirectional layers") }
        }
        self.params = params
        self.vocabulary = vocabulary
        self.labels = labels
        columns = nil
        series = nil
    }

    /// A classifier of real-valued series from parameters in memory; `name` names it in errors.
    public init(params: Parameters<Float>, series: SeriesInput, labels: [String], name: String = "model") throws {
        let config = params.config
        let outputs = labels.count == 2 ? 1 : labels.count
        guard labels.count >= 2, config.inputSize == series.features, config.outputSize == outputs,
              config.head == (labels.count == 2 ? .sigmoid : .softmax) else {
            throw ElmanError("\(name): a classifier of \(series.channels)-channel series (window \(series.window): \(series.features) inputs) "
                + "and \(labels.count) labels, but its tensors take \(config.inputSize) inputs to \(config.outputSize) "
                + "\(config.head.rawValue) outputs")
        }
        self.params = params
        vocabulary = Vocabulary(level: .char, symbols: [])
        self.labels = labels
        columns = nil
        self.series = series
    }

    /// A regression model from parameters in memory; `name` names it in errors.
    public init(params: Parameters<Float>, columns: RegressionTask.Columns, name: String = "model") throws {
        let config = params.config
        guard config.head == .linear, !config.bidirectional, config.inputSize == columns.inputs.count,
              config.outputSize == columns.targets.count else {
            throw ElmanError("\(name): a regression model of \(columns.inputs.count) inputs and \(columns.targets.count) targets, but "
                + "its tensors take \(config.inputSize) inputs to \(config.outputSize) \(config.head.rawValue) outputs")
        }
        self.params = params
        vocabulary = Vocabulary(level: .char, symbols: [])
        labels = nil
        self.columns = columns
        series = nil
    }

    /// The state before any symbol: zeros, as in training.
    public func initialState() -> State {
        State(values: [Float](repeating: 0, count: config.layers * config.hiddenSize))
    }

    /// Feeds `text` (split into symbols as the model was trained: characters, words or bytes) and returns the
    /// probabilities of the next symbol, in vocabulary order (``Vocabulary/symbols``); `state` is carried.
    /// Predicting a text in one call equals predicting it symbol by symbol.
    public func predict(_ text: String, state: inout State) throws -> [Float] {
        guard !isClassifier, !isRegressor else {
            throw ElmanError("predict needs a language model; this is a \(isClassifier ? "classifier (use classify)" : "regression model (use forecast)")")
        }
        let ids = try vocabulary.encode(text)
        guard !ids.isEmpty else { throw ElmanError("predict needs at least one symbol; the text is empty") }
        try checkState(state)
        let stepper = Stepper(params)
        for id in ids { stepper.step(id, state: &state.values) }
        return stepper.probabilities(head: config.head)
    }

    /// Generates `length` symbols after `prime` (fed first; empty: a newline if the vocabulary has one, else a
    /// random symbol) by sampling softmax(logits / temperature), restricted to the `topK` most likely (0: all);
    /// temperature 0 is greedy: the most likely symbol at each step.
    /// `<unk>` is never drawn. Returns the generated text only. The same seed always gives the same text, the same
    /// as `elman sample --seed`.
    public func generate(prime: String, length: Int, temperature: Double = 1, topK: Int = 0, seed: UInt64 = 1) throws -> String {
        var text = ""
        try generate(prime: prime, length: length, temperature: temperature, topK: topK, seed: seed) { text += $0 }
        return text
    }

    /// As ``generate(prime:length:temperature:topK:seed:)``, handing each generated symbol's text to `emit` as soon
    /// as it is drawn (a word after the first with the space before it); an error thrown by `emit` stops generation
    /// and is rethrown. The pieces joined are the text the other form returns.
    public func generate(prime: String, length: Int, temperature: Double = 1, topK: Int = 0, seed: UInt64 = 1,
                         emit: (String) throws -> Void) throws {
        guard !isClassifier, !isRegressor else {
            throw ElmanError("generate needs a language model; this is a \(isClassifier ? "classifier (use classify)" : "regression model (use forecast)")")
        }
        guard length >= 0 else { throw ElmanError("length is \(length); expected ≥ 0") }
        guard temperature >= 0, temperature.isFinite else { throw ElmanError("temperature is \(temperature); expected ≥ 0 (0: greedy)") }
        guard topK >= 0 else { throw ElmanError("topK is \(topK); expected ≥ 0 (0: all symbols)") }
        var g = SeededGenerator(seed: seed)
        var primeIDs = try vocabulary.encode(prime)
        if primeIDs.isEmpty { primeIDs = [vocabulary.id("\n") ?? Int32(g.next() % UInt64(vocabulary.count))] }
        let stepper = Stepper(params)
        var state = initialState()
        for id in primeIDs { stepper.step(id, state: &state.values) }
        let sampler = Sampler(temperature: temperature, topK: topK)
        let unknown = vocabulary.id(Vocabulary.unknown)
        var stream = TextStream(vocabulary, after: primeIDs)
        for _ in 0..<length {
            let next = stepper.draw(sampler, excluding: unknown, using: &g)
            let piece = stream.append(next)
            if !piece.isEmpty { try emit(piece) }
            stepper.step(next, state: &state.values)
        }
        let rest = stream.flush()
        if !rest.isEmpty { try emit(rest) }
    }

    /// The labels of `sequence` (split into symbols as in training), most likely first, with their probabilities.
    public func classify(_ sequence: String) throws -> [(label: String, probability: Float)] {
        guard isClassifier, series == nil else {
            throw ElmanError("classify needs a sequence classifier of text; this is a \(series != nil ? "classifier of real-valued series (use classify(series:))" : isRegressor ? "regression model (use forecast)" : "language model (use predict)")")
        }
        let ids = try vocabulary.encode(sequence)
        guard !ids.isEmpty else { throw ElmanError("classify needs at least one symbol; the sequence is empty") }
        let stepper = Stepper(params)
        if config.bidirectional {  // the reverse direction reads the sequence from its end: the whole of it at once
            let engine = try Engine<Float>(config: config)
            let (logits, _) = try engine.logits(params, inputs: .tokens(ids), steps: ids.count, size: 1)
            stepper.logits = Array(logits.suffix(config.outputSize))
        } else {
            var state = initialState()
            for id in ids { stepper.step(id, state: &state.values) }
        }
        return ranked(labelProbabilities(stepper.probabilities(head: config.head)))
    }

    /// The label probabilities of each series (label order, one row per example), for a classifier of real-valued
    /// series; the examples' labels, if any, are ignored. Series of different lengths are read together as packed
    /// sequences.
    ///
    /// - Throws: when this is not such a classifier, or an example has another channel count than the model
    ///   reads, or no steps.
    public func classify(series examples: [LabeledSeries.Example], name: String = "series") throws -> [[Float]] {
        guard let series, isClassifier else {
            throw ElmanError("classify(series:) needs a classifier of real-valued series; this is a "
                + "\(isClassifier ? "classifier of text (use classify)" : isRegressor ? "regression model (use forecast)" : "language model (use predict)")")
        }
        let encoded = try examples.map { e -> SeriesClassificationTask.Example in
            try series.check(e, name: name)
            return SeriesClassificationTask.Example(inputs: series.encode(e), steps: series.steps(length: e.length), label: 0)
        }
        let head = config.head
        return try SeriesClassificationTask.logits(params, encoded).map { g in
            var p = g
            head.outputs(of: g, into: &p)
            return labelProbabilities(p)
        }
    }

    /// One probability per label, in label order, from the head's outputs: a two-label sigmoid's σ(G) is p(second
    /// label), so [1 − p, p]; a softmax's outputs as they are.
    package func labelProbabilities(_ headOutputs: [Float]) -> [Float] {
        labels?.count == 2 ? [1 - headOutputs[0], headOutputs[0]] : headOutputs
    }

    /// The labels with `probabilities` (label order), most likely first; equal ones in label order.
    package func ranked(_ probabilities: [Float]) -> [(label: String, probability: Float)] {
        zip(labels ?? [], probabilities).map { (label: $0, probability: $1) }
            .enumerated().sorted { $0.element.probability > $1.element.probability || ($0.element.probability == $1.element.probability && $0.offset < $1.offset) }
            .map(\.element)
    }

    /// Reads `history` (the model's columns, at least one row) to warm the state, then predicts `horizon` steps
    /// ahead, each prediction fed back as the next input: the target columns of every future step, in the
    /// series' units. Needs a model whose inputs are all among its targets.
    public func forecast(history: NumericSeries, horizon: Int) throws -> NumericSeries {
        guard let columns else { throw ElmanError("forecast needs a regression model; this is a \(isClassifier ? "classifier" : "language model")") }
        guard history.columns == columns.names else {
            throw ElmanError("the history has columns \(history.columns.joined(separator: ", ")); the model reads \(columns.names.joined(separator: ", "))")
        }
        guard history.steps >= (columns.difference ? 2 : 1) else {
            throw ElmanError("forecast needs at least \(columns.difference ? "two rows of history (the model reads changes)" : "one row of history")")
        }
        guard horizon >= 1 else { throw ElmanError("horizon is \(horizon); expected ≥ 1") }
        let fedBack = columns.inputs.map { columns.targets.firstIndex(of: $0) }
        guard fedBack.allSatisfy({ $0 != nil }) else {
            let missing = columns.inputs.filter { !columns.targets.contains($0) }.map { columns.names[$0] }
            throw ElmanError("this model reads \(missing.joined(separator: ", ")) but does not predict it, so its forecasts cannot be fed back; "
                + "train with every input among the targets")
        }
        let s = columns.standardization, width = columns.names.count
        let read = columns.difference ? history.differenced() : history
        let stepper = Stepper(params)
        var state = initialState()
        var x = [Float](repeating: 0, count: columns.inputs.count)
        for t in 0..<read.steps {
            for (k, j) in columns.inputs.enumerated() { x[k] = Float(s.standardize(read.values[t * width + j], column: j)) }
            stepper.step(dense: x, state: &state.values)
        }
        // A differenced model's outputs are changes: each forecast is the last level plus the changes so far.
        var level = columns.targets.map { history.values[(history.steps - 1) * width + $0] }
        var values: [Double] = []
        values.reserveCapacity(horizon * columns.targets.count)
        for step in 0..<horizon {
            let g = stepper.logits
            for (k, j) in columns.targets.enumerated() {
                let predicted = s.original(Double(g[k]), column: j)
                level[k] = columns.difference ? level[k] + predicted : predicted
                values.append(level[k])
            }
            guard step + 1 < horizon else { break }
            for (k, target) in fedBack.enumerated() { x[k] = g[target!] }
            stepper.step(dense: x, state: &state.values)
        }
        return NumericSeries(columns: columns.targets.map { columns.names[$0] }, values: values)
    }

    private func checkState(_ state: State) throws {
        guard state.values.count == config.layers * config.hiddenSize else {
            throw ElmanError("state has \(state.values.count) values; this model's has \(config.layers * config.hiddenSize) (L·H)")
        }
    }
}
