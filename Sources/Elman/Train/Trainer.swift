import Foundation

/// What one training step did.
public struct StepReport: Sendable {
    /// Mean cross-entropy per token (nats) of the chunk.
    public var loss: Double
    /// Global gradient norm before clipping.
    public var gradientNorm: Double
    public var clipped: Bool
    /// False when the loss or gradient was not finite (no update) or the update left a parameter
    /// non-finite (undone): the parameters and optimizer state are as before the step.
    public var accepted: Bool
    public var learningRate: Double
    /// ‖∂L/∂θ‖ of each parameter tensor before clipping, in layout order (U_l0, W_l0, b_l0, …, V, c);
    /// empty unless the trainer's `recordsParameterNorms` is set.
    public var parameterNorms: [(name: String, norm: Double)] = []
}


/// A character- or word-level language model in training: model, optimizer, data position and the
/// hidden state carried between chunks (truncated BPTT). Everything needed to resume is in
/// ``checkpoint()``, and resuming continues bit for bit.
public final class Trainer {
    public let options: TrainingOptions
    public let vocabulary: Vocabulary
    public private(set) var params: Parameters<Float>
    public private(set) var step = 0
    public private(set) var tokensSeen = 0
    public var bestValidationLoss = Double.infinity
    /// Multiplies the scheduled rate; halved after each rejected (non-finite) step.
    public private(set) var learningRateScale = 1.0

    /// Fill ``StepReport/parameterNorms`` (one pass over the gradient per step).
    public var recordsParameterNorms = false

    private var optimizer: Optimizer<Float>
    private var updateGuard = UpdateGuard<Float>()
    private var streams: TokenStreams
    private let validationTokens: [Int32]
    private var hidden: [Float]?
    private let engine: Engine<Float>

    /// When set, each training step adds the time of each of its phases to it (`elman bench --phases`).
    public var phaseTimer: PhaseTimer? {
        get { engine.phaseTimer }
        set { engine.phaseTimer = newValue }
    }
    private var gradient: Parameters<Float>

    public init(options: TrainingOptions, vocabulary: Vocabulary, train: [Int32], validation: [Int32]) throws {
        try options.validate()
        guard vocabulary.count >= 2 else {
            throw ElmanError("the vocabulary has \(vocabulary.count) symbol; a language model needs at least 2")
        }
        try options.checkMemory(inputSize: vocabulary.count, outputSize: vocabulary.count)
        let config = ModelConfig(inputSize: vocabulary.count, hiddenSize: options.hidden, outputSize: vocabulary.count,
                                 layers: options.layers, nonlinearity: options.nonlinearity)
        self.options = options
        self.vocabulary = vocabulary
        var g = SeededGenerator(seed: options.seed)
        params = (options.initialization ?? .standard(for: options.nonlinearity)).parameters(config, generator: &g)
        optimizer = Optimizer(kind: options.optimizer, parameterCount: params.values.count)
        optimizer.momentum = options.momentum
        optimizer.weightDecay = options.weightDecay
        streams = try TokenStreams(tokens: train, size: options.batch, steps: options.seq)
        validationTokens = validation
        engine = try Engine(config: config)
        gradient = Parameters(config: config)
    }

    /// One step of truncated BPTT on the next chunk: forward, backward, clipping, update.
    @discardableResult
    public func trainStep() throws -> StepReport {
        let chunk = streams.next()
        if chunk.restarted { hidden = nil }
        let batch = Batch<Float>(steps: options.seq, size: options.batch, inputs: .tokens(chunk.inputs),
                                 targets: .classes(chunk.targets), initialState: hidden)
        let result = try engine.gradient(params, batch, reduction: .mean, into: &gradient)
        let parameterNorms = recordsParameterNorms ? gradient.tensorNorms() : []
        engine.phaseTimer?.lap("parameter norms")
        let (norm, clipped) = Clipping.apply(options, to: &gradient.values)  // discarded below if not finite
        engine.phaseTimer?.lap("clip")
        let lr = options.learningRate(at: step) * learningRateScale
        step += 1
        tokensSeen += options.seq * options.batch
        guard result.loss.isFinite, norm.isFinite else {
            // Reject: keep the last good parameters, restart the state, and go slower.
            learningRateScale *= 0.5
            hidden = nil
            return StepReport(loss: result.loss, gradientNorm: norm, clipped: false, accepted: false, learningRate: lr)
        }
        guard updateGuard.update(&optimizer, &params.values, gradient: gradient.values, lr: lr) else {
            learningRateScale *= 0.5  // the update overflowed: undone
            hidden = nil
            return StepReport(loss: result.loss, gradientNorm: norm, clipped: clipped, accepted: false, learningRate: lr)
        }
        hidden = result.finalState
        engine.phaseTimer?.lap("Adam update (guarded)")
        return StepReport(loss: result.loss, gradientNorm: norm, clipped: clipped, accepted: true, learningRate: lr,
                          parameterNorms: parameterNorms)
    }

    /// The gradient flow of the current model (``GradientFlow/measure(_:tokens:seq:batch:chunks:jacobianRows:)``)
    /// on one chunk of the validation text, or of the training text when the validation text is too short.
    public func gradientFlow(streams size: Int = 8) throws -> GradientFlowReport {
        let tokens = validationTokens.count > options.seq * size ? validationTokens : streams.tokens
        return try GradientFlow.measure(params, tokens: tokens, seq: options.seq, batch: size, chunks: 1, jacobianRows: 64)
    }

    /// Bytes the model needs in training: parameters, gradient, the optimizer's two moments, and the
    /// engine's activations for one chunk.
    public var trainingBytes: Int { params.values.count * 4 * 4 + engine.workspaceBytes }

    /// Mean loss per token (nats) over the validation tokens, state carried; nil without validation data.
    public func validationLoss() throws -> Double? {
        try Self.evaluate(params, tokens: validationTokens, batch: options.batch, seq: options.seq)
    }

    /// Mean loss per token of `tokens` under `params`: N streams of T-step chunks, state carried.
    public static func evaluate(_ params: Parameters<Float>, tokens: [Int32], batch: Int, seq: Int) throws -> Double? {
        guard tokens.count >= 2 else { return nil }
        let size = max(1, min(batch, (tokens.count - 1) / seq))
        let steps = min(seq, (tokens.count - 1) / size)
        var streams = try TokenStreams(tokens: tokens, size: size, steps: steps)
        let engine = try Engine<Float>(config: params.config)
        var state: [Float]?
        var total = 0.0, count = 0.0
        for _ in 0..<streams.chunksPerEpoch {
            let chunk = streams.next()
            let r = try engine.evaluate(params, Batch(steps: steps, size: size, inputs: .tokens(chunk.inputs),
                                                      targets: .classes(chunk.targets), initialState: state))
            total += r.loss
            count += r.weight
            state = r.finalState
        }
        return total / count
    }

    // MARK: - Checkpoints

    /// The model alone (config, vocabulary), as `model.safetensors`.
    public func modelFile() -> SafeTensorsFile {
        ModelFile.file(params, metadata: ["vocabulary": ModelFile.encodeJSON(vocabulary),
                                          "training": ModelFile.encodeJSON(options)])
    }

    struct ResumeState: Codable {
        var step: Int, tokensSeen: Int, position: Int, optimizerStep: Int
        var bestValidationLoss: Double?, learningRateScale: Double
    }

    /// Model plus everything needed to resume exactly: optimizer moments, data position, carried state.
    public func checkpoint() -> SafeTensorsFile {
        var file = modelFile()
        let state = ResumeState(step: step, tokensSeen: tokensSeen, position: streams.position,
                                optimizerStep: optimizer.step,
                                bestValidationLoss: bestValidationLoss.isFinite ? bestValidationLoss : nil,
                                learningRateScale: learningRateScale)
        file.metadata["resume"] = ModelFile.encodeJSON(state)
        Checkpoint.add(optimizer, to: &file)
        if let hidden {
            file.tensors["state.hidden"] = SafeTensor(shape: [options.layers, options.batch, options.hidden], values: hidden)
        }
        return file
    }

    /// Continues the run saved in `file` (written by ``checkpoint()``) on the same data.
    public convenience init(resuming file: SafeTensorsFile, name: String, train: [Int32], validation: [Int32],
                            steps: Int? = nil) throws {
        func fail(_ what: String) -> ElmanError { ElmanError("\(name): cannot resume: \(what)") }
        guard let optionsJSON = file.metadata["training"], var options = try? JSONDecoder().decode(TrainingOptions.self, from: Data(optionsJSON.utf8)) else {
            throw fail("no training options in its metadata (is it a last.safetensors checkpoint?)")
        }
        guard let vocabJSON = file.metadata["vocabulary"], let vocabulary = try? JSONDecoder().decode(Vocabulary.self, from: Data(vocabJSON.utf8)) else {
            throw fail("no vocabulary in its metadata")
        }
        guard let resumeJSON = file.metadata["resume"], let state = try? JSONDecoder().decode(ResumeState.self, from: Data(resumeJSON.utf8)) else {
            throw fail("no training state in its metadata (model.safetensors holds the model only; resume from last.safetensors)")
        }
        if let steps { options.steps = steps }
        try self.init(options: options, vocabulary: vocabulary, train: train, validation: validation)
        try Checkpoint.restore(&params, &optimizer, step: state.optimizerStep, from: file, name: name)
        guard state.position >= 0, state.position <= streams.streamLength else {
            throw fail("data position \(state.position) is outside this text's streams (is it the same data?)")
        }
        streams.position = state.position
        step = state.step
        tokensSeen = state.tokensSeen
        bestValidationLoss = state.bestValidationLoss ?? .infinity
        learningRateScale = state.learningRateScale
        if let h = file.tensors["state.hidden"] {
            guard h.shape == [options.layers, options.batch, options.hidden] else { throw fail("state.hidden has shape \(h.shape)") }
            hidden = h.values(as: Float.self)
        }
    }

    /// Reads the vocabulary saved in a model or checkpoint file.
    public static func vocabulary(of file: SafeTensorsFile, name: String) throws -> Vocabulary {
        guard let json = file.metadata["vocabulary"],
              let v = try? JSONDecoder().decode(Vocabulary.self, from: Data(json.utf8)) else {
            throw ElmanError("\(name): no vocabulary in its metadata; expected a model written by elman train")
        }
        return v
    }
}
