import ArgumentParser
import Elman

extension TrainCommand {
    /// `elman train --task classify [FILE]`: FILE has lines LABEL<TAB>SEQUENCE; without FILE, parity.
    func runClassifier() throws {
        let builtin = file == nil
        guard level != .byte else { throw ElmanError("--level byte is for language models; a classifier reads text lines LABEL<TAB>SEQUENCE") }
        let text = try file.map { try TextFile.read($0) }
            ?? LabeledSequences.parity(count: 6000, maxLength: 12, seed: 2024)
        guard (0...0.9).contains(valFraction) else { throw ElmanError("--val-fraction is \(valFraction); expected 0 … 0.9") }
        let name = file ?? "built-in parity task"
        let all = try LabeledSequences.parse(text, name: name, level: level)
        var train = all.examples, validation: [LabeledSequences.Example] = []
        if let valFile {
            validation = try LabeledSequences.parse(try TextFile.read(valFile), name: valFile, level: level,
                                                    labels: all.labels, vocabulary: all.vocabulary).examples
        } else {
            let cut = train.count - Int(Double(train.count) * valFraction)
            validation = Array(train[cut...])
            train = Array(train[..<cut])
        }
        guard !train.isEmpty else { throw ElmanError("\(name): no training examples left after the validation split") }
        var options = commonOptions(defaultHidden: builtin ? 32 : 128, defaultLR: builtin ? 1e-2 : 2e-3)
        options.steps = try stepCount(default: builtin ? 6000 : 1000, items: train.count, perStep: Double(options.batch))
        options.evalEvery = evalEvery ?? max(1, min(options.steps / 10, 200))
        try options.validate()
        try FileIO.prepareOutputDirectory(out)

        let trainer: ClassifierTrainer
        if let resume {
            let file = try SafeTensorsFile.read(resume)
            guard try ClassifierTrainer.labels(of: file, name: resume) == all.labels,
                  try Trainer.vocabulary(of: file, name: resume) == all.vocabulary else {
                throw ElmanError("\(resume): its labels or vocabulary do not match \(name)'s; resume on the same data")
            }
            trainer = try ClassifierTrainer(resuming: file, name: resume, train: train, steps: options.steps)
            try checkResumeMatches(trainer.options, checkpoint: resume)
        } else {
            trainer = try ClassifierTrainer(options: options, labels: all.labels, vocabulary: all.vocabulary, train: train)
        }
        options = trainer.options
        let config = trainer.params.config
        say("elman train --task classify: \(name) · \(all.labels.count) labels (\(all.labels.joined(separator: ", "))), "
            + "\(all.vocabulary.count) symbols, \(train.count) train / \(validation.count) validation sequences")
        say("model: L=\(config.layers) H=\(config.hiddenSize) \(config.nonlinearity.rawValue) \(config.head.rawValue) head, "
            + "loss at each sequence's last step · N=\(options.batch) · \(options.optimizer.rawValue) lr \(options.lr) "
            + "· \(options.steps) steps · backend \(Backend.description)")
        var trainCurve: [(x: Double, y: Double)] = [], validationCurve: [(x: Double, y: Double)] = []
        var recent: [Double] = []
        var sinceBest = 0, rejectedInARow = 0
        let start = monotonicSeconds()
        Interrupt.install()
        while trainer.step < options.steps {
            try stopIfInterrupted(step: trainer.step, checkpoint: trainer.checkpoint, model: trainer.modelFile)
            let report = try trainer.trainStep()
            guard try accepted(report, step: trainer.step, rejectedInARow: &rejectedInARow,
                               saveLastGood: { try trainer.checkpoint().write(to: "\(out)/last.safetensors") }) else { continue }
            recent.append(report.loss)
            guard trainer.step % options.evalEvery == 0 || trainer.step == options.steps else { continue }
            let trainLoss = recent.reduce(0, +) / Double(recent.count)
            recent.removeAll()
            trainCurve.append((Double(trainer.examplesSeen), trainLoss))
            var line = "step \(trainer.step)/\(options.steps)  train \(fixed(trainLoss, 4))"
            let accuracy: Double
            if validation.isEmpty {
                accuracy = 0
            } else {
                let score = try ClassifierTrainer.score(trainer.params, validation)
                validationCurve.append((Double(trainer.examplesSeen), score.loss))
                accuracy = score.accuracy
                line += "  val \(fixed(score.loss, 4)) accuracy \(fixed(100 * accuracy, 1))%"
            }
            if accuracy > trainer.bestAccuracy || validation.isEmpty {
                trainer.bestAccuracy = accuracy
                sinceBest = 0
                try trainer.modelFile().write(to: "\(out)/model.safetensors")
                if !validation.isEmpty { line += " (best)" }
            } else {
                sinceBest += 1
            }
            try trainer.checkpoint().write(to: "\(out)/last.safetensors")
            say(line + "  \(fixed(monotonicSeconds() - start, 1))s")
            if patience > 0 && sinceBest >= patience {
                say("early stop: no improvement in \(patience) validations")
                break
            }
        }
        let plot = LinePlot.svg(title: "elman train --task classify: \(name)  H=\(options.hidden)", xLabel: "sequences seen", yLabel: "loss (nats/sequence)",
                                series: [.init(name: "train", color: "#1f77b4", points: trainCurve),
                                         .init(name: "validation", color: "#d62728", points: validationCurve)])
        try FileIO.writeAtomically(Array(plot.utf8), to: "\(out)/report.svg")
        say("done in \(fixed(monotonicSeconds() - start, 1))s; wrote \(out)/model.safetensors, \(out)/last.safetensors, \(out)/report.svg")
        if !validation.isEmpty {
            let counts = Dictionary(grouping: validation, by: \.label).mapValues(\.count)
            let majority = Double(counts.values.max() ?? 0) / Double(validation.count)
            print("learned: \(fixed(100 * trainer.bestAccuracy, 1))% validation accuracy (chance, the majority label: \(fixed(100 * majority, 1))%)")
        }
    }
}
