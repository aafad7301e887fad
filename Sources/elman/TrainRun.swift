import ArgumentParser
import Elman
import Foundation

extension TrainCommand {
    /// Builds the task of `settings` from its data and trains it in `directory`, new or resumed.
    func start(_ settings: RunSettings, directory: String, resumeFrom: (file: SafeTensorsFile, name: String)?) throws {
        let base = try settings.initFrom.map { try TrainedModel.load($0) }
        if let base, let path = settings.initFrom {
            let kind = base.isClassifier ? TrainTask.classify : base.isRegressor ? .regress : .lm
            guard kind == settings.task else {
                throw ElmanError("--init-from \(path): a \(kind == .lm ? "language model" : kind == .classify ? "classifier" : "regression model"); "
                    + "this run is --task \(settings.task.rawValue)")
            }
        }
        switch settings.task {
        case .lm:
            let (vocabulary, train, validation) = try settings.languageData(vocabulary: base?.vocabulary)
            let task = try LanguageModelTask(vocabulary: vocabulary, train: train, validation: validation)
            let source = settings.file ?? "built-in Reber grammar corpus"
            var diagnostics = settings.diagnoseEvery.map { TrainingDiagnostics(every: $0, directory: directory) }
            try self.train(task, settings, base: base, directory: directory, resumeFrom: resumeFrom, items: train.count,
                      perStep: { Double($0.seq) * Double($0.batch) },
                      header: "\(source) · \(vocabulary.level.rawValue) level, \(vocabulary.count) symbols, "
                          + "\(train.count) train / \(validation.count) validation tokens",
                      prepare: { trainer in
                          trainer.recordsParameterNorms = diagnostics != nil
                          try diagnostics?.resume(through: trainer.step, parameterNames: trainer.params.layout.entries.map(\.id.shortName))
                      },
                      afterStep: { trainer, report in try diagnostics?.observe(report, trainer: trainer) },
                      afterValidation: { trainer in
                          guard settings.sampleLength > 0, !quiet else { return }
                          let model = try TrainedModel(params: trainer.params, vocabulary: vocabulary)
                          let sample = try model.generate(prime: "", length: settings.sampleLength, seed: trainer.options.seed &+ UInt64(trainer.step))
                          say("  sample: \(sample.replacingOccurrences(of: "\n", with: "⏎"))")
                      },
                      finish: { trainer, run in
                          if let d = diagnostics, let last = d.records.last {
                              say("diagnostics: \(d.records.count) records in \(directory)/diagnostics.svg and .jsonl; at step \(last.step) "
                                  + "the gradient is \(last.verdict): \(last.evidence)")
                          }
                          if settings.builtin { try reportReberShare(run.modelPath) }
                      })
        case .regress:
            let (name, series, train, validation) = try settings.regressionData(time: base?.columns?.timeColumn)
            let inputs = try settings.inputs.map { try series.columnIndices($0, option: "--inputs", file: name) }
            let targets = try settings.targets.map { try series.columnIndices($0, option: "--targets", file: name) }
            if let columns = base?.columns {
                guard columns.names == series.columns else {
                    throw ElmanError("\(name): columns \(series.columns.joined(separator: ", ")); the model of --init-from reads \(columns.names.joined(separator: ", "))")
                }
            }
            let targetColumns = targets ?? base?.columns?.targets ?? Array(series.columns.indices)
            let (difference, differenceNote) = settings.difference.map { ($0, "--\($0 ? "" : "no-")difference") }
                ?? base?.columns.map { ($0.difference, "the model's") } ?? Self.kpssChoice(train, targets: targetColumns)
            let task = try RegressionTask(train: train, validation: validation, inputs: inputs ?? base?.columns?.inputs,
                                          targets: targetColumns, standardization: base?.columns?.standardization,
                                          difference: difference)
            let c = task.columns
            try self.train(task, settings, base: base, directory: directory, resumeFrom: resumeFrom, items: train.steps,
                           perStep: { Double($0.seq) * Double($0.batch) },
                           header: "\(name) · " + (series.time.map { "time column '\($0.name)' (\(settings.timeColumn != nil ? "--time-column" : base != nil ? "the model's" : "detected; --time-column none reads it as values")), " } ?? "")
                               + "\(c.inputs.map { c.names[$0] }.joined(separator: ", ")) → next \(difference ? "change of " : "")"
                               + "\(c.targets.map { c.names[$0] }.joined(separator: ", ")), \(train.steps) train / \(validation.steps) validation rows · "
                               + (difference ? "differenced" : "not differenced") + " (\(differenceNote))",
                           finish: { _, run in
                               guard validation.steps >= 2 else { return }
                               let model = try TrainedModel.load(run.modelPath)
                               let report = try RegressionReport.measure(model.params, columns: c, on: validation)
                               let o = report.overall
                               print("learned: validation RMSE \(plain(o.rmse)) (\(fixed(o.normalizedRMSE, 4)) of the targets' standard deviation), "
                                     + "MSE \(plain(o.mse)) = \(fixed(o.mse / o.persistenceMSE, 3))× persistence's "
                                     + "\(plain(o.persistenceMSE)) (predicting the last value)")
                           })
        case .classify:
            let (input, note) = try RunSettings.classifierInput(file: settings.file, given: flags.input ?? (resumeFrom == nil ? nil : settings.input))
            if let base, base.isClassifier, (base.series != nil) != (input == .real) {
                throw ElmanError("--init-from \(settings.initFrom ?? ""): a classifier of \(base.series != nil ? "real-valued series" : "text"); "
                    + "this run reads \(input == .real ? "real-valued series" : "text") (\(note))")
            }
            if input == .real {
                return try trainSeriesClassifier(settings, note: note, base: base, directory: directory, resumeFrom: resumeFrom)
            }
            if let window = settings.window {
                throw ElmanError("--window \(window) is for real-valued series; \(settings.file ?? "the built-in parity task") is read as text"
                    + (settings.file == nil ? "" : " (\(note))"))
            }
            let (name, labels, trainRows, validationRows, validationName) = try settings.classificationData(labels: base?.labels, say: say)
            let vocabulary = base?.vocabulary  // from the training rows only; unseen symbols become <unk>
                ?? Vocabulary.build(pieces: trainRows.flatMap { Vocabulary.pieces(of: $0.sequence, level: settings.level) }, level: settings.level)
            let train = try LabeledSequences.encode(trainRows, name: name, labels: labels, vocabulary: vocabulary)
            let validation = try LabeledSequences.encode(validationRows, name: validationName, labels: labels, vocabulary: vocabulary)
            let all = (labels: labels, vocabulary: vocabulary)
            let task = try ClassificationTask(labels: labels, vocabulary: vocabulary, train: train, validation: validation)
            try self.train(task, settings, base: base, directory: directory, resumeFrom: resumeFrom, items: train.count,
                           perStep: { Double($0.batch) },
                           header: "\(name) · \(all.labels.count) labels (\(all.labels.joined(separator: ", "))), "
                               + "\(all.vocabulary.count) symbols, \(train.count) train / \(validation.count) validation sequences",
                           finish: { trainer, _ in reportAccuracy(trainer.best, validationLabels: validation.map(\.label)) })
        }
    }

    /// The one loop of both tasks (``TrainingRun``), with the command line's progress output around it.
    func train<Task: TrainingTask>(
        _ task: Task, _ settings: RunSettings, base: TrainedModel?, directory: String, resumeFrom: (file: SafeTensorsFile, name: String)?,
        items: Int, perStep: (TrainingOptions) -> Double, header: String,
        prepare: (Trainer<Task>) throws -> Void = { _ in },
        afterStep: @escaping (Trainer<Task>, StepReport) throws -> Void = { _, _ in },
        afterValidation: @escaping (Trainer<Task>) throws -> Void = { _ in },
        finish: (Trainer<Task>, TrainingRun<Task>) throws -> Void
    ) throws {
        let trainer: Trainer<Task>
        if let resumeFrom {
            let saved = try Trainer<Task>.options(in: resumeFrom.file, name: resumeFrom.name)
            let target = try flags.epochs.map { try stepCount(epochs: $0, items: items, perStep: perStep(saved)) } ?? flags.steps
            try Processes.join(batch: saved.batch)
            trainer = try Trainer(resuming: resumeFrom.file, task: task, name: resumeFrom.name, steps: target)
            if trainer.step >= trainer.options.steps {
                say("\(resumeFrom.name): the run is already complete at step \(trainer.step) of \(trainer.options.steps); nothing to do "
                    + "(elman train --resume \(shellQuoted(directory)) --steps N with N > \(trainer.step) extends it)")
                return
            }
        } else {
            var o = try options(for: settings, base: base?.config, items: items)
            if let epochs = flags.epochs {
                o = try options(for: settings, base: base?.config, stepsFromEpochs: stepCount(epochs: epochs, items: items, perStep: perStep(o)),
                                items: items)
            }
            try Processes.join(batch: o.batch)
            trainer = try Trainer(options: o, task: task, initialParameters: base?.params)
            if base != nil { say("starting from the weights of \(settings.initFrom ?? "")") }
        }
        trainer.collective = Processes.mpi
        try prepare(trainer)
        let run = try TrainingRun(trainer, directory: directory, resumedFrom: resumeFrom?.file)
        let o = trainer.options, config = trainer.params.config
        run.patience = settings.patience
        run.checkpointMetadata = [RunSettings.metadataKey: settings.json]
        run.stopRequested = { Interrupt.caught }
        run.itemName = settings.task == .lm ? "tokens" : settings.task == .regress ? "rows" : "sequences"
        let taskFlag = settings.task == .lm ? "" : " --task \(settings.task.rawValue)"
        let builtinName = ["lm": "Reber grammar", "classify": "parity", "regress": "Mackey–Glass"][settings.task.rawValue] ?? ""
        run.reportTitle = "elman train\(taskFlag): \((settings.file as NSString?)?.lastPathComponent ?? builtinName)  H=\(o.hidden) L=\(o.layers)\(config.bidirectional ? " bidirectional" : "")"
        say("elman train\(taskFlag): \(header)")
        say("model: L=\(config.layers) H=\(config.hiddenSize) \(config.nonlinearity.rawValue)"
            + (config.bidirectional ? " bidirectional (the head reads both directions' final states)" : "")
            + (settings.task == .classify ? " \(config.head.rawValue) head, loss at each sequence's last step" : "")
            + (settings.task == .regress ? " linear head, squared error, standardized columns" : "")
            + ", \(trainer.params.values.count) parameters · " + (settings.task != .classify ? "T=\(o.seq) " : "")
            + "N=\(o.batch) · \(o.optimizer.rawValue) lr \(o.lr) · clip \(o.clip) · \(o.steps) steps · backend \(Backend.description)"
            + (Processes.description.map { " · \($0)" } ?? ""))
        if trainer.step > 0 { say("resumed at step \(trainer.step) from \(resumeFrom?.name ?? "")") }
        let progress = ProgressLine(enabled: !quiet && Processes.isFirst, total: o.steps, unit: ["lm": "tok", "classify": "seq", "regress": "rows"][settings.task.rawValue] ?? "")
        run.observer = { event in
            switch event {
            case .step(let report, let step, let rate):
                try afterStep(trainer, report)
                progress.show(step: step, loss: report.loss, rate: rate)
            case .rejected(_, let step):
                progress.clear()
                say("step \(step): non-finite loss, gradient or update; step undone, learning rate halved")
            case .validation(let v):
                progress.clear()
                var line = "step \(v.step)/\(o.steps)  train \(lossText(v.trainLoss))"
                if let score = v.score {
                    line += "  val \(lossText(score.loss))" + (score.accuracy.map { " accuracy \(fixed(100 * $0, 1))%" } ?? "")
                        + (score.meanSquaredError.map { " mse \(scientific($0))" } ?? "")
                    if v.isBest { line += " (best)" }
                    progress.validation = score.loss
                }
                say(line + "  \(Int(v.itemsPerSecond)) \(progress.unit)/s  \(fixed(v.seconds, 1))s")
                if Processes.isFirst { try afterValidation(trainer) }
            case .stoppedEarly(let patience):
                say("early stop: no better validation loss in \(patience) validations")
            }
        }
        Interrupt.install()
        let start = monotonicSeconds()
        let outcome = try run.run()
        progress.clear()
        if case .interrupted(let signal) = outcome {
            if Processes.isFirst { printToStandardError("\(Interrupt.name(signal)) at step \(trainer.step): saved \(run.checkpointPath); continue with: "
                + "elman train --resume \(shellQuoted(directory))") }
            throw ExitCode(128 + signal)
        }
        let best = trainer.best.map { "best validation loss \(lossText($0.score.loss)) at step \($0.step)" } ?? "no validation data"
        let seconds = monotonicSeconds() - start
        say("done in \(fixed(seconds, 1))s: \(best); wrote \(run.modelPath), \(run.checkpointPath), "
            + "\(run.metricsPath), \(run.reportPath)")
        if let mpi = Processes.mpi {
            say("\(mpi.size) processes: allreduce \(fixed(100 * trainer.allreduceSeconds / max(seconds, 1e-9), 1))% of the time"
                + (trainer.parametersCheckedAt.map { "; the same parameter checksum on every process at step \($0)" } ?? ""))
        }
        if Processes.isFirst { try finish(trainer, run) }
    }

    /// The default of --difference: on when a target of the training rows fails the KPSS test at 5%, with the
    /// evidence for the header line.
    static func kpssChoice(_ train: NumericSeries, targets: [Int]) -> (Bool, String) {
        let tests = targets.compactMap { j in Stationarity.kpss(train.column(j)).map { (name: train.columns[j], statistic: $0.statistic) } }
        guard let worst = tests.max(by: { $0.statistic < $1.statistic }) else { return (false, "too few rows to test") }
        let verdict = worst.statistic > Stationarity.criticalValue5
        return (verdict, "KPSS \(fixed(worst.statistic, 3)) for \(worst.name) \(verdict ? ">" : "≤") \(Stationarity.criticalValue5), "
            + (verdict ? "not stationary at 5%; --no-difference reads values" : "stationary at 5%; --difference reads changes"))
    }

    /// A classifier's "learned:" line: its best validation accuracy beside the majority label's share.
    func reportAccuracy(_ best: (score: ValidationScore, step: Int)?, validationLabels: [Int32]) {
        guard let best, let accuracy = best.score.accuracy else { return }
        let counts = Dictionary(grouping: validationLabels, by: { $0 }).mapValues(\.count)
        let majority = Double(counts.values.max() ?? 0) / Double(max(validationLabels.count, 1))
        print("learned: \(fixed(100 * accuracy, 1))% validation accuracy at the best validation loss "
              + "(step \(best.step); chance, the majority label: \(fixed(100 * majority, 1))%)")
    }

    /// The built-in corpus's measure of learning: the share of grammatical strings in 20,000 sampled symbols.
    private func reportReberShare(_ modelPath: String) throws {
        let model = try TrainedModel.load(modelPath)
        let generated = try model.generate(prime: "B", length: 20000, seed: 7)
        let (share, strings) = ReberGrammar.grammaticalShare(of: "B" + generated)
        var g = SeededGenerator(seed: 7)
        let symbols = model.vocabulary.symbols.filter { $0 != Vocabulary.unknown }
        let uniform = (0..<20000).map { _ in symbols[Int(g.next() % UInt64(symbols.count))] }.joined()
        let chance = ReberGrammar.grammaticalShare(of: uniform)
        print("learned: \(fixed(100 * share, 1))% of \(strings) sampled strings are grammatical embedded Reber strings "
              + "(chance, uniform symbols: \(fixed(100 * chance.share, 1))% of \(chance.strings))")
    }
}

/// The progress bar of a terminal: one line rewritten in place, cleared before any other output.
final class ProgressLine {
    let enabled: Bool
    let total: Int
    let unit: String
    var validation: Double?
    private var shown = false
    private let start = monotonicSeconds()
    private var firstStep: Int?

    init(enabled: Bool, total: Int, unit: String) {
        self.enabled = enabled && isatty(1) == 1
        self.total = total
        self.unit = unit
    }

    func show(step: Int, loss: Double, rate: Double) {
        guard enabled else { return }
        let first = firstStep ?? step - 1
        firstStep = first
        let elapsed = monotonicSeconds() - start
        let eta = Double(total - step) * elapsed / Double(max(1, step - first))
        let width = 24, done = width * min(step, total) / max(total, 1)
        let bar = String(repeating: "█", count: done) + String(repeating: "·", count: width - done)
        print("\r\(bar) step \(step)/\(total) loss \(fixed(loss, 3))" + (validation.map { " val \(fixed($0, 3))" } ?? "")
              + " \(Int(rate)) \(unit)/s ETA \(Int(eta))s   ", terminator: "")
        fflush(nil)
        shown = true
    }

    func clear() {
        guard shown else { return }
        print("\r" + String(repeating: " ", count: 100) + "\r", terminator: "")
        shown = false
    }
}

/// `path` as one shell word, so that a printed command works when pasted.
func shellQuoted(_ path: String) -> String {
    path.allSatisfy { $0.isLetter || $0.isNumber || "/._-+,:@".contains($0) } ? path : "'" + path.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// A loss with four decimals, or two significant digits below 0.01 (regression losses are small).
func lossText(_ x: Double) -> String { abs(x) >= 0.01 || x == 0 || !x.isFinite ? fixed(x, 4) : scientific(x) }
