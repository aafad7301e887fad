import Foundation

/// Something a ``TrainingRun`` reports as it goes, for progress output.
public enum TrainingEvent {
    /// An accepted step; `itemsPerSecond` is the rate since the run (or its resume) started.
    case step(StepReport, step: Int, itemsPerSecond: Double)
    /// A rejected step (non-finite loss, gradient or update): undone, learning rate halved.
    case rejected(StepReport, step: Int)
    /// A validation, after which the checkpoint (and, when it is the best, the model) was written.
    case validation(ValidationEvent)
    /// `patience` validations in a row did not improve on the best; the run stops.
    case stoppedEarly(patience: Int)
}

/// A validation as ``TrainingRun`` reports it.
public struct ValidationEvent: Sendable {
    /// The step after which the validation ran.
    public var step: Int
    /// Mean training loss of the accepted steps since the last validation.
    public var trainLoss: Double
    /// Nil without held-out data.
    public var score: ValidationScore?
    /// The best validation loss so far (or no held-out data): `model.safetensors` now holds this model.
    public var isBest: Bool
    /// Tokens or sequences trained on per second since the run (or its resume) started.
    public var itemsPerSecond: Double
    /// Seconds since the run (or its resume) started.
    public var seconds: Double
}

/// How a run ended.
public enum TrainingOutcome: Equatable, Sendable {
    /// The step target was reached.
    case finished
    /// Early stopping: no better validation loss in `patience` validations.
    case stoppedEarly
    /// ``TrainingRun/stopRequested`` returned this signal number; the checkpoint is saved.
    case interrupted(signal: Int32)
}

/// The training loop every task shares: steps until the target, a validation every `evalEvery` steps, the
/// model with the best validation loss kept, checkpoints, early stopping, the fault policy, and a history that
/// survives interrupts and resumes. In its directory it writes:
/// - `model.safetensors`: the model with the best validation loss (the latest one without held-out data);
/// - `last.safetensors`: the checkpoint a resume continues from, at each validation, interrupt or divergence;
/// - `metrics.jsonl`: one ``MetricsRecord`` per logged step and per validation, appended across resumes;
/// - `events.out.tfevents.*`: the same scalars for TensorBoard;
/// - `report.svg`: the learning curves, drawn from `metrics.jsonl` whenever the run stops, however it stops.
public final class TrainingRun<Task: TrainingTask> {
    /// The trainer the run steps.
    public let trainer: Trainer<Task>
    /// Where the run's files are written.
    public let directory: String
    /// Stop after this many validations without a better loss (0: never).
    public var patience = 0
    /// A training line every this many steps (the mean of the steps since the last one).
    public var logEvery: Int
    /// Added to every checkpoint's metadata (the command line keeps its settings there to resume from).
    public var checkpointMetadata: [String: String] = [:]
    /// Asked before each step; a signal number stops the run after saving its checkpoint.
    public var stopRequested: () -> Int32? = { nil }
    /// Receives every ``TrainingEvent``.
    public var observer: (TrainingEvent) throws -> Void = { _ in }
    /// The report's title and what its x axis counts.
    public var reportTitle = "elman train"
    /// What the items are called (tokens, sequences), for tags and axes.
    public var itemName = "tokens"

    /// Nil in a data-parallel run's processes other than the first, which write nothing.
    private var metrics: MetricsLog?
    private var events: TensorBoardEvents?
    private var writes: Bool { metrics != nil }

    /// `model.safetensors`: the model with the best validation loss.
    public var modelPath: String { "\(directory)/model.safetensors" }
    /// `last.safetensors`: the checkpoint to resume from.
    public var checkpointPath: String { "\(directory)/last.safetensors" }
    /// `metrics.jsonl`: the run's history.
    public var metricsPath: String { "\(directory)/metrics.jsonl" }
    /// `report.svg`: the learning curves.
    public var reportPath: String { "\(directory)/report.svg" }

    /// The loss sums of the steps not yet logged, kept in checkpoints so that a resumed run logs the same lines
    /// as one that was never interrupted.
    private struct Window: Codable {
        var loss = 0.0, norm = 0.0, count = 0
        var sinceValidationLoss = 0.0, sinceValidationCount = 0
    }
    private var window = Window()

    /// A run of `trainer` in `directory`, created if missing. A resumed run passes the checkpoint it was resumed
    /// from; its history is kept up to the checkpoint's step.
    public init(_ trainer: Trainer<Task>, directory: String, resumedFrom checkpoint: SafeTensorsFile? = nil) throws {
        self.trainer = trainer
        self.directory = directory
        logEvery = max(1, trainer.options.evalEvery / 20)
        if (trainer.collective?.rank ?? 0) == 0 {
            try FileIO.prepareOutputDirectory(directory)
            metrics = try MetricsLog(path: "\(directory)/metrics.jsonl", keepingThrough: trainer.step)
        }
        if let checkpoint, let saved = try ModelSchema.decode(.runWindow, as: Window.self, in: checkpoint, name: "the checkpoint resumed from") {
            window = saved
        }
    }

    /// Trains until the step target, early stopping or an interrupt. Throws after
    /// ``TrainingOptions/maxRejectedSteps`` rejected steps in a row, with the last good state saved.
    @discardableResult
    public func run() throws -> TrainingOutcome {
        do {
            let outcome = try loop()
            try writeReport()
            if let collective = trainer.collective { _ = collective.sum([0]) }  // the others wait for the first's files
            return outcome
        } catch {
            try? writeReport()
            throw error
        }
    }

    private func loop() throws -> TrainingOutcome {
        let options = trainer.options
        let start = monotonicSeconds(), firstStep = trainer.step, firstItems = trainer.itemsSeen
        var rejectedInARow = 0
        func rate() -> Double { Double(trainer.itemsSeen - firstItems) / max(monotonicSeconds() - start, 1e-9) }
        trainer.localStop = stopRequested
        let parallel = (trainer.collective?.size ?? 1) > 1  // the processes stop together, after the step that agreed to
        while trainer.step < options.steps {
            if let signal = parallel ? trainer.agreedStop : stopRequested() {
                try saveCheckpoint()
                try writeModelIfMissing()
                return .interrupted(signal: signal)
            }
            let report = try trainer.trainStep()
            guard report.accepted else {
                rejectedInARow += 1
                try observer(.rejected(report, step: trainer.step))
                if rejectedInARow >= TrainingOptions.maxRejectedSteps {
                    try saveCheckpoint()
                    throw ElmanError("training diverged: \(rejectedInARow) non-finite steps in a row; the last good state "
                        + "is in \(checkpointPath) (lower the learning rate or the clipping threshold)")
                }
                continue
            }
            rejectedInARow = 0
            window.loss += report.loss
            window.norm += report.gradientNorm
            window.count += 1
            window.sinceValidationLoss += report.loss
            window.sinceValidationCount += 1
            try observer(.step(report, step: trainer.step, itemsPerSecond: rate()))
            let validating = trainer.step % options.evalEvery == 0 || trainer.step == options.steps
            if trainer.step % logEvery == 0 || validating {
                var record = MetricsRecord(kind: .train, step: trainer.step, items: trainer.itemsSeen,
                                           wallTime: Date().timeIntervalSince1970, loss: window.loss / Double(window.count))
                record.learningRate = report.learningRate
                record.gradientNorm = window.norm / Double(window.count)
                record.itemsPerSecond = rate()
                try log(record)
                (window.loss, window.norm, window.count) = (0, 0, 0)
            }
            guard validating else { continue }
            let score = try trainer.validate()
            let isBest = score.map { $0.loss < (trainer.best?.score.loss ?? .infinity) } ?? true
            if isBest {
                trainer.validationsSinceBest = 0
                if let score { trainer.best = (score, trainer.step) }
                if writes { try trainer.modelFile().write(to: modelPath) }
            } else {
                trainer.validationsSinceBest += 1
            }
            try saveCheckpoint()
            if let score {
                var record = MetricsRecord(kind: .validation, step: trainer.step, items: trainer.itemsSeen,
                                           wallTime: Date().timeIntervalSince1970, loss: score.loss)
                record.accuracy = score.accuracy
                record.meanSquaredError = score.meanSquaredError
                record.best = isBest
                try log(record)
            }
            let trainLoss = window.sinceValidationLoss / Double(max(window.sinceValidationCount, 1))
            (window.sinceValidationLoss, window.sinceValidationCount) = (0, 0)
            try observer(.validation(ValidationEvent(step: trainer.step, trainLoss: trainLoss, score: score, isBest: isBest,
                                                     itemsPerSecond: rate(), seconds: monotonicSeconds() - start)))
            if patience > 0 && trainer.validationsSinceBest >= patience {
                try observer(.stoppedEarly(patience: patience))
                return .stoppedEarly
            }
        }
        if trainer.step == firstStep {  // nothing left to train (a resume at its target): still leave both files
            try saveCheckpoint()
            try writeModelIfMissing()
        }
        return .finished
    }

    private func writeModelIfMissing() throws {
        if writes && !FileIO.exists(modelPath) { try trainer.modelFile().write(to: modelPath) }
    }

    private func saveCheckpoint() throws {
        trainer.gatherCarriedState()  // data-parallel: every process takes part
        guard writes else { return }
        var file = trainer.checkpoint()
        file.metadata.merge(checkpointMetadata) { _, extra in extra }
        ModelSchema.set(.runWindow, ModelSchema.json(window), in: &file)
        try file.write(to: checkpointPath)
    }

    private func log(_ record: MetricsRecord) throws {
        guard metrics != nil else { return }
        try metrics?.append(record)
        if events == nil { events = try TensorBoardEvents(directory: directory) }
        let prefix = record.kind.rawValue
        var scalars: [(tag: String, value: Double)] = [("\(prefix)/loss", record.loss)]
        if let v = record.learningRate { scalars.append(("\(prefix)/learning_rate", v)) }
        if let v = record.gradientNorm { scalars.append(("\(prefix)/gradient_norm", v)) }
        if let v = record.itemsPerSecond { scalars.append(("\(prefix)/\(itemName)_per_second", v)) }
        if let v = record.accuracy { scalars.append(("\(prefix)/accuracy", v)) }
        if let v = record.meanSquaredError { scalars.append(("\(prefix)/mse", v)) }
        try events?.add(scalars, step: record.step, wallTime: record.wallTime)
    }

    /// Draws `report.svg` from the whole history in `metrics.jsonl`: the losses, and below them a classifier's
    /// validation accuracy.
    public func writeReport() throws {
        guard let metrics else { return }
        func points(_ kind: MetricsRecord.Kind) -> [(x: Double, y: Double)] {
            metrics.records.filter { $0.kind == kind && $0.loss.isFinite }.map { (Double($0.items), $0.loss) }
        }
        let yLabel = Task.self == RegressionTask.self ? "loss (½‖G − Y‖² per step, standardized)"
            : "loss (nats/\(Task.self == ClassificationTask.self ? "sequence" : "token"))"
        var panels = [LinePlot.Panel(title: reportTitle, xLabel: "\(itemName) seen", yLabel: yLabel,
                                     series: [.init(name: "train", color: "#1f77b4", points: points(.train)),
                                              .init(name: "validation", color: "#d62728", points: points(.validation))])]
        let accuracy = metrics.records.compactMap { r in
            r.kind == .validation ? r.accuracy.map { (x: Double(r.items), y: 100 * $0) } : nil
        }
        if !accuracy.isEmpty {
            panels.append(LinePlot.Panel(title: "validation accuracy", xLabel: "\(itemName) seen", yLabel: "accuracy (%)",
                                         series: [.init(name: "validation accuracy", color: "#d62728", points: accuracy)]))
        }
        try FileIO.writeAtomically(Array(LinePlot.svg(panels).utf8), to: reportPath)
    }
}

/// Seconds on a clock that only moves forward, for rates and durations.
package func monotonicSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}
