import Foundation

/// What one training step did.
public struct StepReport: Sendable {
    /// Mean loss of the batch (nats per token, or per sequence for a classifier).
    public var loss: Double
    /// Global gradient norm before clipping.
    public var gradientNorm: Double
    public var clipped: Bool
    /// False when the loss or gradient was not finite (no update) or the update left a parameter
    /// non-finite (undone): the parameters and optimizer state are as before the step.
    public var accepted: Bool
    public var learningRate: Double
    /// Tokens (language model) or sequences (classifier) the step consumed.
    public var items: Int
    /// ‖∂L/∂θ‖ of each parameter tensor before clipping, in layout order (U_l0, W_l0, bi_l0, b_l0, …, V, c);
    /// empty unless the trainer's `recordsParameterNorms` is set.
    public var parameterNorms: [(name: String, norm: Double)] = []
}

/// The one training core: a model and its optimizer trained on a ``TrainingTask``'s batches, with gradient
/// clipping and the fault policy (a non-finite loss, gradient or update is rejected, the parameters stay as they
/// were, and the learning rate is halved). Everything needed to resume is in ``checkpoint()``, and a resumed
/// trainer continues bit for bit.
public final class Trainer<Task: TrainingTask> {
    /// The run's options; a resumed trainer has its checkpoint's (with a new step target if given).
    public let options: TrainingOptions
    /// The data the trainer steps through.
    public private(set) var task: Task
    /// The model's parameters now.
    public private(set) var params: Parameters<Float>
    /// Steps taken, rejected ones included.
    public private(set) var step = 0
    /// Tokens or sequences trained on so far.
    public private(set) var itemsSeen = 0
    /// Multiplies the scheduled rate; halved after each rejected (non-finite) step.
    public private(set) var learningRateScale = 1.0
    /// The best validation score so far and the step it was reached at (kept by ``TrainingRun``; saved in checkpoints).
    public internal(set) var best: (score: ValidationScore, step: Int)?
    /// Validations since the best one (for early stopping; saved in checkpoints).
    public internal(set) var validationsSinceBest = 0

    /// Fill ``StepReport/parameterNorms`` (one pass over the gradient per step).
    public var recordsParameterNorms = false

    /// Data-parallel training: every process draws the same global batch, computes the gradient of its part of
    /// the sequences, and one allreduce sums the parts, so every process takes the same update. Nil: one process.
    package var collective: (any Collective)?
    /// Asked during each data-parallel step: a signal this process received (SIGINT or SIGTERM).
    package var localStop: () -> Int32? = { nil }
    /// The signal any process of a data-parallel run received, agreed on in the last step's allreduce.
    package private(set) var agreedStop: Int32?
    /// Every this many steps, the processes compare a checksum of their parameters (their sum in Double).
    package static var parameterCheckEvery: Int { 200 }
    /// The last step at which the processes found the same parameter checksum.
    package private(set) var parametersCheckedAt: Int?
    /// Seconds spent in the step's allreduces (waiting for the slowest process included).
    package private(set) var allreduceSeconds = 0.0
    /// Data-parallel: this process's part of the last accepted step's final state (S×N×H, zeros in the other
    /// processes' columns); nil after a rejected step.
    private var carriedPart: [Float]?

    private var optimizer: Optimizer<Float>
    /// Draws the dropout multipliers of each step (saved in checkpoints, so a resumed run drops the same units).
    private var dropoutGenerator: SeededGenerator
    private var updateGuard = UpdateGuard<Float>()
    private let engine: Engine<Float>
    private var gradient: Parameters<Float>

    /// When set, each training step adds the time of each of its phases to it (`elman bench --phases`).
    package var phaseTimer: PhaseTimer? {
        get { engine.phaseTimer }
        set { engine.phaseTimer = newValue }
    }

    /// A model to be trained on `task`: `initialParameters` (fine-tuning a trained model; their config must be the one
    /// the task and options describe), or new ones initialized from `options.seed`.
    public init(options: TrainingOptions, task: Task, initialParameters: Parameters<Float>? = nil) throws {
        try options.validate()
        var task = task
        let config = try task.prepare(for: options)
        try options.checkMemory(inputSize: config.inputSize, outputSize: config.outputSize, steps: task.longestSequence)
        self.options = options
        self.task = task
        if let initialParameters {
            guard initialParameters.config == config else {
                throw ElmanError("the model to start from has \(Self.describe(initialParameters.config)); this data and these options "
                    + "need \(Self.describe(config))")
            }
            params = initialParameters
        } else {
            var g = SeededGenerator(seed: options.seed)
            params = (options.initialization ?? .standard(for: options.nonlinearity)).parameters(config, generator: &g)
        }
        dropoutGenerator = SeededGenerator(seed: options.seed &+ 2)
        optimizer = Optimizer(kind: options.optimizer, parameterCount: params.values.count)
        optimizer.momentum = options.momentum
        optimizer.weightDecay = options.weightDecay
        engine = try Engine(config: config)
        gradient = Parameters(config: config)
    }

    private static func describe(_ c: ModelConfig) -> String {
        "\(c.inputSize) inputs, L=\(c.layers) H=\(c.hiddenSize) \(c.nonlinearity.rawValue), \(c.outputSize) \(c.head.rawValue) outputs"
    }

    /// One step on the task's next batch: forward, BPTT, clipping, update.
    @discardableResult
    public func trainStep() throws -> StepReport {
        var batch = task.nextBatch()
        if let p = options.dropout, p > 0 {
            let keep = Float(1 / (1 - p))
            let count = params.config.layers * batch.steps * batch.size * params.config.outputWidth
            batch.dropout = (0..<count).map { _ in dropoutGenerator.nextUnit() < p ? 0 : keep }
        }
        let result: Evaluation<Float>
        if let collective, collective.size > 1 {
            result = try parallelGradient(batch, collective)
        } else {
            result = try engine.gradient(params, batch, reduction: .mean, into: &gradient)
        }
        let parameterNorms = recordsParameterNorms ? gradient.tensorNorms() : []
        engine.phaseTimer?.lap("parameter norms")
        let (norm, clipped) = Clipping.apply(options, to: &gradient.values)  // discarded below if not finite
        engine.phaseTimer?.lap("clip")
        let lr = options.learningRate(at: step) * learningRateScale
        let items = Int(result.weight)
        step += 1
        itemsSeen += items
        var report = StepReport(loss: result.loss, gradientNorm: norm, clipped: clipped, accepted: false,
                                learningRate: lr, items: items)
        guard result.loss.isFinite, norm.isFinite,
              updateGuard.update(&optimizer, &params.values, gradient: gradient.values, lr: lr) else {
            learningRateScale *= 0.5  // the last good parameters stay; the carried state restarts; go slower
            task.finishStep(finalState: nil)
            carriedPart = nil
            return report
        }
        task.finishStep(finalState: result.finalState)
        engine.phaseTimer?.lap("Adam update (guarded)")
        report.accepted = true
        report.parameterNorms = parameterNorms
        return report
    }

    /// The current model's score on the task's held-out data; nil without any. Data-parallel, each process
    /// scores its part and the parts are combined.
    public func validate() throws -> ValidationScore? {
        guard let collective, collective.size > 1 else { return try task.validate(params) }
        let mine = try task.validate(params, part: collective.rank, of: collective.size)
        return ValidationScore(sums: collective.sum(ValidationScore.sums(mine)))
    }

    /// This process's part of the global batch: its gradient and loss summed, then summed over the processes
    /// (one allreduce of the gradient, one of the loss, weight and stop signals) and divided by the total weight,
    /// the mean one process would take. The final state it returns holds this process's sequences only (zeros
    /// elsewhere): each process carries its own part, and ``gatherCarriedState()`` assembles the whole for a
    /// checkpoint. Every few hundred steps, checks that the processes' parameters are still identical.
    private func parallelGradient(_ batch: Batch<Float>, _ collective: any Collective) throws -> Evaluation<Float> {
        let config = params.config, part = collective.part(of: batch.size)
        let local = try engine.gradient(params, batch.columns(part, config: config), reduction: .sum, into: &gradient)
        let signal = localStop(), start = monotonicSeconds()
        collective.allreduce(&gradient.values, .sum)  // P
        let totals = collective.sum([local.loss, local.weight, signal == SIGINT ? 1 : 0, signal == SIGTERM ? 1 : 0])
        allreduceSeconds += monotonicSeconds() - start
        agreedStop = totals[2] > 0 ? SIGINT : totals[3] > 0 ? SIGTERM : nil  // Ctrl-C reaches every process, and mpirun adds SIGTERM
        let scale = totals[1] > 0 ? Float(1 / totals[1]) : 0
        for i in gradient.values.indices { gradient.values[i] *= scale }
        carriedPart = spread(local.finalState, part: part, size: batch.size, blocks: config.layers * config.directions,
                             hidden: config.hiddenSize)
        if (step + 1) % Self.parameterCheckEvery == 0 {
            let checksum = params.values.reduce(0.0) { $0 + Double($1) }
            guard collective.agree(checksum) else {
                throw ElmanError("the processes' parameters differ at step \(step) (checksum \(checksum) on process "
                    + "\(collective.rank)); data-parallel training needs the same Elman build and kernel path on every machine "
                    + "(set ELMAN_ISA to the same value everywhere)")
            }
            parametersCheckedAt = step + 1
        }
        return Evaluation(loss: totals[1] > 0 ? totals[0] / totals[1] : 0, weight: totals[1], finalState: carriedPart ?? [])
    }

    /// Data-parallel: every process's part of the state carried into the next step, summed into the whole, which
    /// the task then holds for its checkpoint. Every process must call it at the same step (``TrainingRun`` does,
    /// before each checkpoint); nothing to do when the last step was rejected or the task carries no state.
    package func gatherCarriedState() {
        guard let collective, collective.size > 1, var state = carriedPart else { return }
        collective.allreduce(&state, .sum)
        task.finishStep(finalState: state)
    }

    /// Bytes the model needs in training: parameters, gradient, the optimizer's two moments, and the
    /// engine's activations for one batch.
    public var trainingBytes: Int { params.values.count * 4 * 4 + engine.workspaceBytes }

    // MARK: - Checkpoints

    /// The model alone, with what the task says it needs (vocabulary, labels) and the training options.
    public func modelFile() -> SafeTensorsFile {
        ModelFile.file(params, metadata: task.modelMetadata.merging(ModelSchema.metadata([.training: ModelSchema.json(options)])) { a, _ in a })
    }

    private struct ResumeState: Codable {
        var step: Int, itemsSeen: Int, optimizerStep: Int, learningRateScale: Double
        var best: ValidationScore?, bestStep: Int?, validationsSinceBest: Int
        var dropoutGenerator: [UInt64]?
    }

    /// The model plus everything needed to resume exactly: optimizer moments, step counts, the task's data
    /// position and carried state.
    public func checkpoint() -> SafeTensorsFile {
        var file = modelFile()
        let state = ResumeState(step: step, itemsSeen: itemsSeen, optimizerStep: optimizer.step,
                                learningRateScale: learningRateScale, best: best?.score, bestStep: best?.step,
                                validationsSinceBest: validationsSinceBest,
                                dropoutGenerator: (options.dropout ?? 0) > 0 ? dropoutGenerator.state : nil)
        ModelSchema.set(.resume, ModelSchema.json(state), in: &file)
        file.tensors[CheckpointTensor.optimizerFirst] = SafeTensor(sized: [optimizer.first.count], values: optimizer.first)
        file.tensors[CheckpointTensor.optimizerSecond] = SafeTensor(sized: [optimizer.second.count], values: optimizer.second)
        task.save(into: &file)
        return file
    }

    /// The training options saved in a checkpoint or model file.
    public static func options(in file: SafeTensorsFile, name: String) throws -> TrainingOptions {
        guard let options = try ModelSchema.decode(.training, as: TrainingOptions.self, in: file, name: name) else {
            throw ElmanError("\(name): cannot resume: no training options in its metadata (is it a last.safetensors checkpoint?)")
        }
        return options
    }

    /// Continues the run saved in `file` (written by ``checkpoint()``) on `task`, which must hold the same data.
    /// `steps`, when given, replaces the run's step target.
    public convenience init(resuming file: SafeTensorsFile, task: Task, name: String, steps: Int? = nil) throws {
        func fail(_ what: String) -> ElmanError { ElmanError("\(name): cannot resume: \(what)") }
        var options = try Self.options(in: file, name: name)
        guard let state = try ModelSchema.decode(.resume, as: ResumeState.self, in: file, name: name) else {
            throw fail("no training state in its metadata (model.safetensors holds the model only; resume from last.safetensors)")
        }
        if let steps { options.steps = steps }
        try self.init(options: options, task: task)
        let loaded: Parameters<Float> = try ModelFile.parameters(from: file, name: name)
        guard loaded.config == params.config else { throw fail("its model config does not match its training options") }
        guard let m = file.tensors[CheckpointTensor.optimizerFirst], let v = file.tensors[CheckpointTensor.optimizerSecond], m.dtype.isFloatingPoint,
              v.dtype.isFloatingPoint, m.count == loaded.values.count, v.count == loaded.values.count else {
            throw fail("optimizer state missing or of the wrong size")
        }
        try self.task.restore(from: file, name: name)
        params = loaded
        optimizer.first = m.values(as: Float.self)
        optimizer.second = v.values(as: Float.self)
        optimizer.step = state.optimizerStep
        step = state.step
        itemsSeen = state.itemsSeen
        learningRateScale = state.learningRateScale
        best = state.best.map { ($0, state.bestStep ?? state.step) }
        validationsSinceBest = state.validationsSinceBest
        if let saved = state.dropoutGenerator {
            guard let generator = SeededGenerator(state: saved) else { throw fail("malformed dropout generator state") }
            dropoutGenerator = generator
        }
    }
}

extension Trainer where Task == LanguageModelTask {
    /// A character-, word- or byte-level language model trained on `train` and validated on `validation`.
    public convenience init(options: TrainingOptions, vocabulary: Vocabulary, train: [Int32], validation: [Int32]) throws {
        try self.init(options: options, task: LanguageModelTask(vocabulary: vocabulary, train: train, validation: validation))
    }

    /// The task's vocabulary.
    public var vocabulary: Vocabulary { task.vocabulary }

    /// The gradient flow of the current model (``GradientFlow/measure(_:tokens:seq:batch:chunks:jacobianRows:)``)
    /// on one chunk of the validation text, or of the training text when the validation text is too short.
    public func gradientFlow(streams size: Int = 8) throws -> GradientFlowReport {
        let tokens = task.validationTokens.count > options.seq * size ? task.validationTokens : task.trainTokens
        return try GradientFlow.measure(params, tokens: tokens, seq: options.seq, batch: size, chunks: 1, jacobianRows: 64)
    }
}

extension Trainer where Task == ClassificationTask {
    /// A sequence classifier trained on `train` and validated on `validation`.
    public convenience init(options: TrainingOptions, labels: [String], vocabulary: Vocabulary,
                            train: [ClassificationTask.Example], validation: [ClassificationTask.Example] = []) throws {
        try self.init(options: options, task: ClassificationTask(labels: labels, vocabulary: vocabulary, train: train,
                                                                validation: validation))
    }
}
