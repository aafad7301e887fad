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

    /// Part `part` of `parts` of ``validate(_:)``, for data-parallel training, which combines the parts weighted by
    /// their items; nil for a part with nothing in it. The default scores everything in part 0.
    func validate(_ params: Parameters<Float>, part: Int, of parts: Int) throws -> ValidationScore?

    /// What a model file must say besides its tensors to be used alone: vocabulary, labels, task.
    var modelMetadata: [String: String] { get }

    /// Adds the task's position in its data (and any carried state) to a checkpoint.
    func save(into file: inout SafeTensorsFile)

    /// Restores what ``save(into:)`` wrote, after ``prepare(for:)``; `name` names the file in errors.
    mutating func restore(from file: SafeTensorsFile, name: String) throws
}

extension TrainingTask {
    public func validate(_ params: Parameters<Float>, part: Int, of parts: Int) throws -> ValidationScore? {
        part == 0 ? try validate(params) : nil
    }
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

    /// What the scores of a set of parts add up by: [present, items, Σ loss, has accuracy, Σ accuracy, has MSE,
    /// Σ MSE], each mean weighted by the items; zeros for an absent part.
    static func sums(_ score: ValidationScore?) -> [Double] {
        guard let s = score else { return [Double](repeating: 0, count: 7) }
        let n = Double(s.items)
        return [1, n, s.loss * n, s.accuracy == nil ? 0 : 1, (s.accuracy ?? 0) * n,
                s.meanSquaredError == nil ? 0 : 1, (s.meanSquaredError ?? 0) * n]
    }

    /// The combined score of parts whose ``sums(_:)`` add up to `total`; nil when no part had one.
    init?(sums total: [Double]) {
        guard total[0] > 0, total[1] > 0 else { return nil }
        let n = total[1]
        self.init(loss: total[2] / n, accuracy: total[3] > 0 ? total[4] / n : nil, items: Int(n),
                  meanSquaredError: total[5] > 0 ? total[6] / n : nil)
    }
}
