import Foundation

/// One line of a run's `metrics.jsonl`: the mean training loss over the steps since the last line, or a
/// validation.
public struct MetricsRecord: Codable, Sendable, Equatable {
    /// The kind of line.
    public enum Kind: String, Codable, Sendable { case train, validation }
    /// A training line or a validation.
    public var kind: Kind
    /// The step the line was written after.
    public var step: Int
    /// Tokens (language model) or sequences (classifier) trained on so far.
    public var items: Int
    /// Seconds since 1970.
    public var wallTime: Double
    /// Mean loss in nats (per token, or per sequence for a classifier).
    public var loss: Double
    /// The learning rate of the last step (train lines).
    public var learningRate: Double?
    /// Mean global gradient norm before clipping over the steps since the last line.
    public var gradientNorm: Double?
    /// Tokens or sequences per second since the run (or its resume) started (train lines).
    public var itemsPerSecond: Double?
    /// The share of sequences labeled right (a classifier's validations).
    public var accuracy: Double?
    /// Mean squared error per value in standardized units (a regression's validations).
    public var meanSquaredError: Double?
    /// A validation that is the best so far (its model is `model.safetensors`).
    public var best: Bool?

    /// A record with the fields every line has.
    public init(kind: Kind, step: Int, items: Int, wallTime: Double, loss: Double) {
        self.kind = kind
        self.step = step
        self.items = items
        self.wallTime = wallTime
        self.loss = loss
    }
}

/// A run's `metrics.jsonl`: one JSON object per line, appended as the run goes and across resumes, so it always
/// holds the whole history of the run up to its last checkpoint.
public struct MetricsLog {
    /// The file.
    public let path: String
    /// Every record in the file, in order.
    public private(set) var records: [MetricsRecord]

    /// Opens (or creates) the log at `path`, dropping the lines of steps after `step`: those of a run that went on
    /// past the checkpoint it is now resumed from.
    public init(path: String, keepingThrough step: Int) throws {
        self.path = path
        let all = FileIO.exists(path) ? try Self.read(path) : []
        records = all.filter { $0.step <= step }
        if records.count != all.count {
            try FileIO.writeAtomically(records.flatMap(JSONLines.line), to: path)
        }
    }

    /// Appends one line to the file.
    public mutating func append(_ record: MetricsRecord) throws {
        try FileIO.append(JSONLines.line(record), to: path)
        records.append(record)
    }

    /// The records of a metrics file; a torn last line (a process killed while writing it) is skipped, any other
    /// malformed line is an error that names it.
    public static func read(_ path: String) throws -> [MetricsRecord] {
        try JSONLines.read(path, as: MetricsRecord.self, what: "a metrics record")
    }
}
