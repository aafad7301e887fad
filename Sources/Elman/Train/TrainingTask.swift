/// The data side of a training run: what a ``Trainer`` trains on, how it is batched and scored, and what a
/// checkpoint must keep of it. The trainer owns everything else (model, optimizer, clipping, fault policy),
/// so a new kind of data plugs into the same step, checkpoints and resume.
///
/// The trainer calls ``prepare(for:)`` once, then for each step ``nextBatch()`` and ``finishStep(finalState:)``.
public protocol TrainingTask {
    /// Sizes the task for `options` (its batching and random streams) and returns the model it trains.
    mutating func prepare(for options: TrainingOptions) throws -> ModelConfig

    /// The longest sequence a batch can have (T of the largest batch), for the memory estimate.
    var longestSequence: Int { get }

    /// The next training batch; its initial state is the one carried from the last accepted step where the task
    /// carries state (truncated BPTT).
    mutating func nextBatch() -> Batch<Float>

    /// After a step: S(T) of every layer when it was accepted, nil when it was rejected (the carried state restarts).
    mutating func finishStep(finalState: [Float]?)

    /// The model's loss on the held-out data (and its accuracy, for a classifier); nil without held-out data.
    func validate(_ params: Parameters<Float>) throws -> ValidationScore?

    /// What a model file must say besides its tensors to be used alone: vocabulary, labels, task.
    var modelMetadata: [String: String] { get }

    /// Adds the task's position in its data (and any carried state) to a checkpoint.
    func save(into file: inout SafeTensorsFile)

    /// Restores what ``save(into:)`` wrote, after ``prepare(for:)``; `name` names the file in errors.
    mutating func restore(from file: SafeTensorsFile, name: String) throws
}

/// A model's score on held-out data.
public struct ValidationScore: Codable, Sendable, Equatable {
    /// Mean loss: nats per token for a language model or per sequence for a classifier; ½‖G − Y‖² per step for regression.
    public var loss: Double
    /// Share of sequences whose most likely label is right (classifiers only).
    public var accuracy: Double?
    /// Tokens, sequences or steps scored.
    public var items: Int
    /// Mean squared error per predicted value, in standardized units (regression only).
    public var meanSquaredError: Double?

    public init(loss: Double, accuracy: Double? = nil, items: Int, meanSquaredError: Double? = nil) {
        self.loss = loss
        self.accuracy = accuracy
        self.items = items
        self.meanSquaredError = meanSquaredError
    }
}
