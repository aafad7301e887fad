import Foundation

/// Next-symbol prediction on a token stream, trained with truncated BPTT: the text is cut into N contiguous
/// streams read T steps at a time, and the hidden state at the end of one chunk is the next chunk's h0.
public struct LanguageModelTask: TrainingTask {
    /// The symbols of the text.
    public let vocabulary: Vocabulary
    /// The training text as token ids.
    public let trainTokens: [Int32]
    /// The held-out text as token ids (may be empty).
    public let validationTokens: [Int32]
    private var streams: TokenStreams?
    private var hidden: [Float]?
    private var batchSize = 1, seq = 1, hiddenShape: [Int] = []

    /// `train` and `validation` are token ids of `vocabulary`.
    public init(vocabulary: Vocabulary, train: [Int32], validation: [Int32]) throws {
        guard vocabulary.count >= 2 else {
            throw ElmanError("the vocabulary has \(vocabulary.count) symbol; a language model needs at least 2")
        }
        self.vocabulary = vocabulary
        self.trainTokens = train
        self.validationTokens = validation
    }

    public mutating func prepare(for options: TrainingOptions) throws -> ModelConfig {
        if options.bidirectional == true {
            throw ElmanError("bidirectional is for classifiers: a language model predicts each next symbol from the ones before it; "
                + "a reverse direction would read the symbol it predicts", parameters: ["bidirectional"])
        }
        streams = try TokenStreams(tokens: trainTokens, size: options.batch, steps: options.seq)
        batchSize = options.batch
        seq = options.seq
        hiddenShape = [options.layers, options.batch, options.hidden]
        return ModelConfig(inputSize: vocabulary.count, hiddenSize: options.hidden, outputSize: vocabulary.count,
                           layers: options.layers, nonlinearity: options.nonlinearity)
    }

    public var longestSequence: Int { seq }

    public mutating func nextBatch() -> Batch<Float> {
        guard streams != nil else { preconditionFailure("LanguageModelTask.nextBatch before prepare(for:)") }
        let chunk = streams!.next()
        if chunk.restarted { hidden = nil }
        return Batch(steps: seq, size: batchSize, inputs: .tokens(chunk.inputs), targets: .classes(chunk.targets),
                     initialState: hidden)
    }

    public mutating func finishStep(finalState: [Float]?) { hidden = finalState }

    public func validate(_ params: Parameters<Float>) throws -> ValidationScore? {
        try Self.evaluate(params, tokens: validationTokens, batch: batchSize, seq: seq)
    }

    /// The validation streams split between the parts; each part's streams are scored as in the whole.
    public func validate(_ params: Parameters<Float>, part: Int, of parts: Int) throws -> ValidationScore? {
        try Self.evaluate(params, tokens: validationTokens, batch: batchSize, seq: seq, part: part, of: parts)
    }

    /// Mean loss per token of `tokens` under `params`: N streams of T-step chunks, state carried; with `parts`,
    /// only part `part` of the streams. Nil for fewer than two tokens (or an empty part).
    public static func evaluate(_ params: Parameters<Float>, tokens: [Int32], batch: Int, seq: Int, part: Int = 0,
                                of parts: Int = 1) throws -> ValidationScore? {
        guard tokens.count >= 2 else { return nil }
        let size = max(1, min(batch, (tokens.count - 1) / seq))
        let steps = max(1, min(seq, (tokens.count - 1) / size))
        let mine = laneRange(part, of: parts, extent: size, align: 1)
        guard !mine.isEmpty else { return nil }
        var streams = try TokenStreams(tokens: tokens, size: size, steps: steps)
        let engine = try Engine<Float>(config: params.config)
        var state: [Float]?
        var total = 0.0, count = 0.0
        for _ in 0..<streams.chunksPerEpoch {
            let chunk = streams.next()
            var b = Batch<Float>(steps: steps, size: size, inputs: .tokens(chunk.inputs), targets: .classes(chunk.targets))
            if mine.count < size { b = b.columns(mine, config: params.config) }
            b.initialState = state
            let r = try engine.evaluate(params, b)
            total += r.loss
            count += r.weight
            state = r.finalState
        }
        return ValidationScore(loss: total / count, items: Int(count))
    }

    public var modelMetadata: [String: String] { ModelSchema.metadata([.vocabulary: ModelSchema.json(vocabulary)]) }

    public func save(into file: inout SafeTensorsFile) {
        StreamCheckpoint.save(position: streams?.position ?? 0, hidden: hidden, shape: hiddenShape, into: &file)
    }

    public mutating func restore(from file: SafeTensorsFile, name: String) throws {
        func fail(_ what: String) -> ElmanError { ElmanError("\(name): cannot resume: \(what)") }
        let saved = try Vocabulary.saved(in: file, name: name)
        guard saved == vocabulary else {
            throw fail("its vocabulary (\(saved.count) symbols) does not match this data's (\(vocabulary.count)); resume on the same text")
        }
        let carried = try StreamCheckpoint.restore(from: file, name: name, hiddenShape: hiddenShape, fail: fail)
        guard let position = carried.position else {
            throw fail("no data position in its metadata (is it a language model's last.safetensors?)")
        }
        guard let length = streams?.streamLength, (0...length).contains(position) else {
            throw fail("data position \(position) is outside this text's streams (is it the same data?)")
        }
        streams?.position = position
        hidden = carried.hidden
    }



}

extension Vocabulary {
    /// The vocabulary saved in a model or checkpoint file's metadata.
    public static func saved(in file: SafeTensorsFile, name: String) throws -> Vocabulary {
        guard let v = try ModelSchema.decode(.vocabulary, as: Vocabulary.self, in: file, name: name) else {
            throw ElmanError("\(name): no vocabulary in its metadata; expected a model written by elman train")
        }
        return v
    }
}
