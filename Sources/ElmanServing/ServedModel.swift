import Elman
import Foundation

/// What a served model is, for its tensors: a text classifier, a language model, a regression model or a classifier
/// of real-valued series.
public enum ModelKind: String, Sendable, Codable {
    case classifier
    case languageModel = "language_model"
    case regression
    case seriesClassifier = "series_classifier"

    /// The kind in a message: "a \(noun)".
    public var noun: String {
        switch self {
        case .classifier: "classifier"
        case .languageModel: "language model"
        case .regression: "regression model"
        case .seriesClassifier: "classifier of real-valued series"
        }
    }
}

/// The protocol's tensor metadata: `{"name", "datatype", "shape"}` with -1 for a size the request chooses.
public struct TensorMetadata: Codable, Sendable, Equatable {
    public let name: String
    public let datatype: String
    public let shape: [Int]
}

/// `GET /v2/models/{name}`: the spec's fields, and Elman's own beside them (the kind, the labels, the columns).
public struct ModelMetadata: Codable, Sendable {
    public let name: String
    public let versions: [String]
    public let platform: String
    public let inputs: [TensorMetadata]
    public let outputs: [TensorMetadata]
    /// Elman's: "classifier", "language_model", "regression" or "series_classifier".
    public let kind: ModelKind
    /// A classifier's labels, in PROBABILITIES' column order.
    public let labels: [String]?
    /// A series classifier's channels (SERIES' last dimension).
    public let channels: Int?
    /// A regression model's columns (SERIES' last dimension) and targets (FORECAST's).
    public let columns: [String]?
    public let targets: [String]?
    /// A text model's token level: "char", "word" or "byte".
    public let level: String?
    /// A language model's symbols, in NEXT_PROBABILITIES' column order.
    public let symbols: [String]?
}

/// One model as the server serves it: the shared, immutable ``TrainedModel``, its dynamic batcher, and a
/// language model's live sequences.
public final class ServedModel: Sendable {
    public let name: String
    public let model: TrainedModel
    public let kind: ModelKind
    public let limits: ServeLimits
    let batcher: Batcher
    let sequences: SequenceStore
    let generations = Locked(0)

    /// `onBatch` hears of every engine batch: its sequences and each request's time in the queue.
    public convenience init(name: String, model: TrainedModel, limits: ServeLimits = ServeLimits(),
                            onBatch: @escaping @Sendable (_ sequences: Int, _ queueTimes: [Duration]) -> Void = { _, _ in }) throws {
        try self.init(name: name, model: model, limits: limits, onBatch: onBatch, startWorkers: true)
    }

    /// `startWorkers` false: requests queue until ``startWorkers()`` (tests of the queue's bounds).
    init(name: String, model: TrainedModel, limits: ServeLimits, onBatch: @escaping @Sendable (_ sequences: Int, _ queueTimes: [Duration]) -> Void,
         startWorkers: Bool) throws {
        self.name = name
        self.model = model
        self.limits = limits
        kind = model.isRegressor ? .regression : model.series != nil ? .seriesClassifier : model.isClassifier ? .classifier : .languageModel
        batcher = try Batcher(model: model, limits: limits) { onBatch($0.sequences, $0.queueTimes) }
        sequences = SequenceStore(capacity: limits.maxSequences, idleTimeout: limits.sequenceIdleTimeout)
        if startWorkers { batcher.start() }
    }

    func startWorkers() { batcher.start() }

    /// Stops the workers after the requests already queued.
    public func shutdown() { batcher.shutdown() }

    /// Requests waiting for a worker.
    public var queueDepth: Int { batcher.depth }

    public var inputs: [TensorMetadata] {
        switch kind {
        case .classifier, .languageModel: [TensorMetadata(name: "TEXT", datatype: "BYTES", shape: [-1])]
        case .regression: [TensorMetadata(name: "SERIES", datatype: "FP32", shape: [-1, -1, model.columns?.names.count ?? 0])]
        case .seriesClassifier: [TensorMetadata(name: "SERIES", datatype: "FP32", shape: [-1, -1, model.series?.channels ?? 0])]
        }
    }

    public var outputs: [TensorMetadata] {
        let c = model.config.outputSize
        switch kind {
        case .classifier, .seriesClassifier:
            return [TensorMetadata(name: "LABEL", datatype: "BYTES", shape: [-1]),
                    TensorMetadata(name: "PROBABILITIES", datatype: "FP32", shape: [-1, model.labels?.count ?? c])]
        case .languageModel:
            return [TensorMetadata(name: "NEXT_PROBABILITIES", datatype: "FP32", shape: [-1, c]),
                    TensorMetadata(name: "LOSS", datatype: "FP32", shape: [-1])]
        case .regression:
            return [TensorMetadata(name: "FORECAST", datatype: "FP32", shape: [-1, -1, c])]
        }
    }

    public var metadata: ModelMetadata {
        let columns = model.columns
        return ModelMetadata(name: name, versions: ["1"], platform: "elman", inputs: inputs, outputs: outputs, kind: kind,
                             labels: model.labels, channels: model.series?.channels, columns: columns?.names,
                             targets: columns.map { c in c.targets.map { c.names[$0] } },
                             level: kind == .classifier || kind == .languageModel ? model.vocabulary.level.rawValue : nil,
                             symbols: kind == .languageModel ? model.vocabulary.symbols : nil)
    }
}
