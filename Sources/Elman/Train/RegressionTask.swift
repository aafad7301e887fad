import Foundation

/// One-step-ahead prediction of a numeric series: the input columns of step t predict the target columns of
/// step t + 1 through a linear head with squared error. Columns are standardized with the training rows' mean
/// and standard deviation (kept in the model); the rows are cut into N contiguous streams read T steps at a time,
/// the hidden state carried, as for language models.
public struct RegressionTask: TrainingTask {
    /// What a regression model keeps to be used alone: the columns it reads and predicts, and their
    /// standardization.
    public struct Columns: Codable, Sendable, Equatable {
        /// Every column of the training file.
        public var names: [String]
        /// Indices into `names` of the model's inputs and of what it predicts.
        public var inputs: [Int]
        public var targets: [Int]
        public var standardization: Standardization
        /// The training file's time column (labels, not values: not among `names`); nil when it had none.
        public var time: String? = nil

        /// Whether the model reads and predicts first differences (x(t) − x(t−1)) of every column rather than
        /// the values: `standardization` is then the differences'. Forecasts and reports add them back up.
        public var difference = false

        public init(names: [String], inputs: [Int], targets: [Int], standardization: Standardization, time: String? = nil,
                    difference: Bool = false) {
            self.names = names
            self.inputs = inputs
            self.targets = targets
            self.standardization = standardization
            self.time = time
            self.difference = difference
        }

        /// How a file for this model is read: its time column by name, or none.
        public var timeColumn: NumericSeries.TimeColumn { time.map { .named($0) } ?? .none }
    }

    public let columns: Columns
    /// Standardized training and validation rows, every column.
    private let train: [Float], validation: [Float]
    private let width: Int
    private var streams = 1, seq = 1, streamLength = 0, position = 0
    private var hidden: [Float]?
    private var hiddenShape: [Int] = []

    /// `train` and `validation` share their columns; `inputs` and `targets` index them (default: all of them).
    /// `standardization`: a model's, when fine-tuning it (default: measured on `train`).
    /// `difference`: read and predict first differences (``Columns/difference``).
    public init(train levels: NumericSeries, validation validationLevels: NumericSeries, inputs: [Int]? = nil, targets: [Int]? = nil,
                standardization fixed: Standardization? = nil, difference: Bool = false) throws {
        if difference, levels.steps < 3 {
            throw ElmanError("the training rows are \(levels.steps); differencing needs at least 3")
        }
        let train = difference ? levels.differenced() : levels
        let validation = difference && validationLevels.steps >= 1 ? validationLevels.differenced() : validationLevels
        guard train.steps >= 2 else { throw ElmanError("the training rows are \(train.steps); expected at least 2 time steps") }
        guard validation.steps == 0 || validation.columns == train.columns else {
            throw ElmanError("the validation columns (\(validation.columns.joined(separator: ", "))) differ from the training "
                + "columns (\(train.columns.joined(separator: ", ")))")
        }
        let all = Array(train.columns.indices)
        let standardization = fixed ?? Standardization(of: train)
        columns = Columns(names: train.columns, inputs: inputs ?? all, targets: targets ?? all, standardization: standardization,
                          time: train.time?.name, difference: difference)
        width = train.columns.count
        func standardized(_ s: NumericSeries) -> [Float] {
            s.values.enumerated().map { Float(standardization.standardize($0.element, column: $0.offset % s.columns.count)) }
        }
        self.train = standardized(train)
        self.validation = standardized(validation)
    }

    public mutating func prepare(for options: TrainingOptions) throws -> ModelConfig {
        if options.bidirectional == true {
            throw ElmanError("bidirectional is for classifiers: regression predicts each next step from the ones before it; "
                + "a reverse direction would read the step it predicts", parameters: ["bidirectional"])
        }
        let rows = train.count / width
        streamLength = (rows - 1) / options.batch  // each stream also reads one more row, for the last target
        guard streamLength >= options.seq else {
            throw ElmanError("the series has \(rows) training rows; \(options.batch) streams of \(options.seq) steps need at least "
                + "\(options.batch * options.seq + 1) (lower batch or seq)", parameters: ["batch", "seq"])
        }
        streams = options.batch
        seq = options.seq
        hiddenShape = [options.layers, options.batch, options.hidden]
        return ModelConfig(inputSize: columns.inputs.count, hiddenSize: options.hidden, outputSize: columns.targets.count,
                           layers: options.layers, head: .linear, nonlinearity: options.nonlinearity)
    }

    public var longestSequence: Int { seq }

    public mutating func nextBatch() -> Batch<Float> {
        if position + seq > streamLength {
            position = 0
            hidden = nil
        }
        let d = columns.inputs.count, c = columns.targets.count
        var x = [Float](repeating: 0, count: seq * streams * d), y = [Float](repeating: 0, count: seq * streams * c)
        for t in 0..<seq {
            for n in 0..<streams {
                let row = n * streamLength + position + t, cell = t * streams + n
                for (k, j) in columns.inputs.enumerated() { x[cell * d + k] = train[row * width + j] }
                for (k, j) in columns.targets.enumerated() { y[cell * c + k] = train[(row + 1) * width + j] }
            }
        }
        position += seq
        return Batch(steps: seq, size: streams, inputs: .dense(x), targets: .values(y), initialState: hidden)
    }

    public mutating func finishStep(finalState: [Float]?) { hidden = finalState }

    /// The validation rows as one stream from a zero state, every step's one-step-ahead prediction: the loss
    /// (½‖·‖² per step, as in training) and the mean squared error per value, in standardized units.
    public func validate(_ params: Parameters<Float>) throws -> ValidationScore? {
        guard validation.count >= 2 * width else { return nil }
        let errors = try Self.oneStepErrors(params, rows: validation, columns: columns)
        let count = errors.count / columns.targets.count
        let squares = errors.reduce(0) { $0 + $1 * $1 }
        var score = ValidationScore(loss: 0.5 * squares / Double(count), items: count)
        score.meanSquaredError = squares / Double(errors.count)
        return score
    }

    /// Prediction minus truth, in standardized units, of every target at every step t + 1 of `rows` (standardized,
    /// every column) from steps 1…t, one stream from a zero state.
    static func oneStepErrors(_ params: Parameters<Float>, rows: [Float], columns: Columns, chunk: Int = 256) throws -> [Double] {
        let width = columns.names.count, steps = rows.count / width - 1
        let d = columns.inputs.count, c = columns.targets.count
        let engine = try Engine<Float>(config: params.config)
        var errors: [Double] = []
        errors.reserveCapacity(steps * c)
        var state: [Float]?
        var start = 0
        while start < steps {
            let t = min(chunk, steps - start)
            var x = [Float](repeating: 0, count: t * d)
            for s in 0..<t { for (k, j) in columns.inputs.enumerated() { x[s * d + k] = rows[(start + s) * width + j] } }
            let (g, final) = try engine.logits(params, inputs: .dense(x), steps: t, size: 1, initialState: state)
            for s in 0..<t {
                for (k, j) in columns.targets.enumerated() { errors.append(Double(g[s * c + k]) - Double(rows[(start + s + 1) * width + j])) }
            }
            state = final
            start += t
        }
        return errors
    }

    public var modelMetadata: [String: String] { ModelSchema.metadata([.task: "regress", .columns: ModelSchema.json(columns)]) }

    public func save(into file: inout SafeTensorsFile) {
        StreamCheckpoint.save(position: position, hidden: hidden, shape: hiddenShape, into: &file)
    }

    public mutating func restore(from file: SafeTensorsFile, name: String) throws {
        func fail(_ what: String) -> ElmanError { ElmanError("\(name): cannot resume: \(what)") }
        guard let saved = try Self.columns(of: file, name: name), saved.names == columns.names, saved.inputs == columns.inputs,
              saved.targets == columns.targets else {
            throw fail("its columns do not match this data's; resume on the same series")
        }
        let carried = try StreamCheckpoint.restore(from: file, name: name, hiddenShape: hiddenShape, fail: fail)
        guard let position = carried.position, (0...streamLength).contains(position) else {
            throw fail("no valid data position in its metadata (is it a regression run's last.safetensors on the same data?)")
        }
        self.position = position
        hidden = carried.hidden
    }

    /// The columns of a regression model's file; nil for other models.
    public static func columns(of file: SafeTensorsFile, name: String) throws -> Columns? {
        guard try ModelSchema.string(.task, in: file, name: name) == "regress" else { return nil }
        guard let columns = try ModelSchema.decode(.columns, as: Columns.self, in: file, name: name),
              !columns.inputs.isEmpty, !columns.targets.isEmpty,
              (columns.inputs + columns.targets).allSatisfy({ columns.names.indices.contains($0) }),
              columns.standardization.mean.count == columns.names.count, columns.standardization.scale.count == columns.names.count,
              columns.standardization.scale.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw ElmanError("\(name): a regression model without valid 'columns' in its metadata")
        }
        return columns
    }
}

/// How well a regression model predicts a series one step ahead, in the series' own units, beside the
/// persistence baseline (predicting that each target keeps its last value).
public struct RegressionReport: Sendable, Encodable {
    public struct Errors: Sendable, Encodable {
        public var mse: Double, rmse: Double, mae: Double
        /// The persistence baseline's mean squared error.
        public var persistenceMSE: Double
        /// RMSE divided by the standard deviation of the truth.
        public var normalizedRMSE: Double
    }
    /// Predictions scored (steps × targets).
    public var predictions: Int
    public var overall: Errors
    /// Per target column, by name.
    public var columns: [String: Errors]

    /// Scores `params` on `series` (the model's columns) as one stream from a zero state.
    public static func measure(_ params: Parameters<Float>, columns: RegressionTask.Columns, on series: NumericSeries) throws -> RegressionReport {
        guard series.columns == columns.names else {
            throw ElmanError("the series has columns \(series.columns.joined(separator: ", ")); the model reads \(columns.names.joined(separator: ", "))")
        }
        // A differenced model predicts row t + 2's change from the changes before it: its error is the level's.
        let offset = columns.difference ? 1 : 0
        guard series.steps >= 2 + offset else { throw ElmanError("the series has \(series.steps) rows; expected at least \(2 + offset)") }
        let s = columns.standardization, width = columns.names.count
        let read = columns.difference ? series.differenced() : series
        let rows = read.values.enumerated().map { Float(s.standardize($0.element, column: $0.offset % width)) }
        let errors = try RegressionTask.oneStepErrors(params, rows: rows, columns: columns)
        let c = columns.targets.count, steps = series.steps - 1 - offset
        func summary(_ ks: [Int]) -> Errors {
            var se = 0.0, ae = 0.0, pe = 0.0, truth: [Double] = []
            for t in 0..<steps {
                for k in ks {
                    let j = columns.targets[k], e = errors[t * c + k] * s.scale[j]
                    se += e * e
                    ae += abs(e)
                    let last = series.values[(t + offset) * width + j], next = series.values[(t + 1 + offset) * width + j]
                    pe += (next - last) * (next - last)
                    truth.append(next)
                }
            }
            let n = Double(steps * ks.count), mean = truth.reduce(0, +) / n
            let sd = (truth.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot()
            let rmse = (se / n).squareRoot()
            return Errors(mse: se / n, rmse: rmse, mae: ae / n, persistenceMSE: pe / n, normalizedRMSE: sd > 0 ? rmse / sd : .infinity)
        }
        var perColumn: [String: Errors] = [:]
        for k in 0..<c { perColumn[columns.names[columns.targets[k]]] = summary([k]) }
        return RegressionReport(predictions: steps * c, overall: summary(Array(0..<c)), columns: perColumn)
    }
}

extension RegressionTask.Columns {
    private enum CodingKeys: String, CodingKey { case names, inputs, targets, standardization, time, difference }

    /// Reads a model's columns; `difference` (format 2) is false when absent.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        names = try c.decode([String].self, forKey: .names)
        inputs = try c.decode([Int].self, forKey: .inputs)
        targets = try c.decode([Int].self, forKey: .targets)
        standardization = try c.decode(Standardization.self, forKey: .standardization)
        time = try c.decodeIfPresent(String.self, forKey: .time)
        difference = try c.decodeIfPresent(Bool.self, forKey: .difference) ?? false
    }
}
