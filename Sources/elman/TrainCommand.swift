import ArgumentParser
import Elman
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a character- or word-level language model (truncated BPTT).",
        discussion: """
            With no FILE, trains on the built-in corpus (the embedded Reber grammar) and reports the share of \
            sampled strings that are grammatical. Writes DIR/model.safetensors (best validation loss), \
            DIR/last.safetensors (for --resume) and DIR/report.svg (the learning curve).
            """)

    @Argument(help: "UTF-8 text file (default: the built-in Reber grammar corpus, or parity with --task classify).")
    var file: String?
    @Option(help: "lm (language model) or classify (lines LABEL<TAB>SEQUENCE).") var task: TrainTask = .lm
    @Option(help: "char, word or byte (raw bytes: any file, even one that is not UTF-8).") var level: TokenLevel = .char
    @Option(help: "Words seen fewer times become <unk> (word level).") var minCount: Int = 1
    @Option(help: "Hidden size H (default: 128; 48 on the built-in corpus, 32 for the built-in parity task).") var hidden: Int?
    @Option(help: "Stacked layers L (default: 1).") var layers: Int?
    @Option(help: "tanh or relu (default: tanh).") var nonlinearity: Nonlinearity?
    @Option(help: "BPTT steps per chunk T (default: 64; 32 on the built-in corpus).") var seq: Int?
    @Option(help: "Parallel streams N (default: 32).") var batch: Int?
    @Option(help: "Training steps (default: 1000; 2000 on the built-in corpus, 6000 for the built-in parity task).") var steps: Int?
    @Option(help: "Passes over the data (instead of --steps).") var epochs: Double?
    @Option(help: "sgd, adagrad, rmsprop, adam or adamw (default: adam).") var optimizer: OptimizerKind?
    @Option(help: "Learning rate (default: 0.002; 0.01 for the built-in corpus and parity task).") var lr: Double?
    @Option(help: "Momentum for sgd.") var momentum: Double = 0.9
    @Option(help: "Weight decay.") var weightDecay: Double = 0
    @Option(help: "Clip the gradient's global norm (0: off).") var clip: Double = 5
    @Option(help: "Clip each gradient element to ±this.") var clipValue: Double?
    @Option(help: "constant, cosine or step.") var schedule: Schedule = .constant
    @Option(help: "Warm-up steps.") var warmup: Int = 0
    @Option(help: "Random seed (default: 1).") var seed: UInt64?
    @Option(name: .customLong("init"), help: "uniform, xavier, orthogonal or identity (default: identity for relu, else uniform).")
    var initialization: Initialization?
    @Option(help: "Validation share, taken from the end of the text.") var valFraction: Double = 0.1
    @Option(help: "Validation text file (instead of --val-fraction).") var valFile: String?
    @Option(help: "Validate (and checkpoint) every K steps (default: a tenth of the steps, at most 200).") var evalEvery: Int?
    @Option(help: "Stop after this many validations without improvement (0: never).") var patience: Int = 0
    @Option(help: "Output directory.") var out: String = "elman-run"
    @Option(help: "Continue from DIR/last.safetensors.") var resume: String?
    @Option(help: "Symbols of sample printed at each validation (characters, words or bytes, by --level).") var sampleLength: Int = 120
    @Option(help: "Every K steps record gradient norms, clipping and the lag profile (DIR/diagnostics.svg, .jsonl).")
    var diagnoseEvery: Int?
    @Flag(help: "No progress output.") var quiet = false

    func run() throws {
        if let note = Backend.note { printToStandardError(note) }
        if task == .classify { return try runClassifier() }
        let builtin = file == nil
        let text = try file.map { try Corpus.read($0, level: level) } ?? .text(ReberGrammar.corpus(strings: 6000, seed: 2024))
        guard (0...0.9).contains(valFraction) else { throw ElmanError("--val-fraction is \(valFraction); expected 0 … 0.9") }
        var options = commonOptions(defaultHidden: builtin ? 48 : 128, defaultLR: builtin ? 1e-2 : 2e-3)
        options.seq = seq ?? (builtin ? 32 : 64)
        let (vocabulary, train, validation) = try prepareData(text)
        options.steps = try stepCount(default: builtin ? 2000 : 1000, items: train.count, perStep: Double(options.seq) * Double(options.batch))
        options.evalEvery = evalEvery ?? max(1, min(options.steps / 10, 200))
        try options.validate()
        if let k = diagnoseEvery, k < 1 { throw ElmanError("--diagnose-every is \(k); expected a positive integer") }
        guard (0...1_000_000).contains(sampleLength) else { throw ElmanError("--sample-length is \(sampleLength); expected 0 … 1000000") }
        try FileIO.prepareOutputDirectory(out)

        let trainer: Trainer
        if let resume {
            let file = try SafeTensorsFile.read(resume)
            let saved = try Trainer.vocabulary(of: file, name: resume)
            guard saved == vocabulary else {
                throw ElmanError("\(resume): its vocabulary (\(saved.count) symbols) does not match this data's (\(vocabulary.count)); resume on the same text")
            }
            trainer = try Trainer(resuming: file, name: resume, train: train, validation: validation, steps: options.steps)
            try checkResumeMatches(trainer.options, checkpoint: resume)
        } else {
            trainer = try Trainer(options: options, vocabulary: vocabulary, train: train, validation: validation)
        }
        let o = trainer.options
        let config = trainer.params.config
        say("elman train: \(builtin ? "built-in Reber grammar corpus" : file ?? "") · \(vocabulary.level.rawValue) level, "
            + "\(vocabulary.count) symbols, \(train.count) train / \(validation.count) validation tokens")
        say("model: L=\(config.layers) H=\(config.hiddenSize) \(config.nonlinearity.rawValue), "
            + "\(trainer.params.values.count) parameters · T=\(o.seq) N=\(o.batch) · \(o.optimizer.rawValue) lr \(o.lr) "
            + "· clip \(o.clip) · \(o.steps) steps · backend \(Backend.description)")

        var trainCurve: [(x: Double, y: Double)] = []
        var validationCurve: [(x: Double, y: Double)] = []
        var sinceBest = 0
        var rejectedInARow = 0
        var g = SeededGenerator(seed: o.seed &+ 99)
        let start = monotonicSeconds()
        let firstStep = trainer.step
        var recent: [Double] = []
        let terminal = isatty(1) == 1 && !quiet
        var diagnostics = diagnoseEvery.map { TrainingDiagnostics(every: $0, directory: out) }
        trainer.recordsParameterNorms = diagnostics != nil
        Interrupt.install()
        while trainer.step < o.steps {
            if Interrupt.caught != nil && terminal { print("") }
            try stopIfInterrupted(step: trainer.step, checkpoint: trainer.checkpoint, model: trainer.modelFile)
            let report = try trainer.trainStep()
            guard try accepted(report, step: trainer.step, rejectedInARow: &rejectedInARow,
                               saveLastGood: { try trainer.checkpoint().write(to: "\(out)/last.safetensors") }) else { continue }
            try diagnostics?.observe(report, trainer: trainer)
            recent.append(report.loss)
            let elapsed = monotonicSeconds() - start
            let rate = Double((trainer.step - firstStep) * o.seq * o.batch) / max(elapsed, 1e-9)
            let lastValidation = validationCurve.last?.y
            if terminal {
                let eta = Double(o.steps - trainer.step) * elapsed / Double(max(1, trainer.step - firstStep))
                let width = 24, done = width * trainer.step / o.steps
                let bar = String(repeating: "█", count: done) + String(repeating: "·", count: width - done)
                print("\r\(bar) step \(trainer.step)/\(o.steps) loss \(fixed(report.loss, 3))"
                      + (lastValidation.map { " val \(fixed($0, 3))" } ?? "")
                      + " \(Int(rate)) tok/s ETA \(Int(eta))s   ", terminator: "")
                fflush(nil)
            }
            if trainer.step % o.evalEvery == 0 || trainer.step == o.steps {
                let trainLoss = recent.reduce(0, +) / Double(recent.count)
                recent.removeAll()
                trainCurve.append((Double(trainer.tokensSeen), trainLoss))
                let validationLoss = try trainer.validationLoss()
                var line = "step \(trainer.step)/\(o.steps)  train \(fixed(trainLoss, 4))"
                if let v = validationLoss {
                    validationCurve.append((Double(trainer.tokensSeen), v))
                    line += "  val \(fixed(v, 4))"
                    if v < trainer.bestValidationLoss {
                        trainer.bestValidationLoss = v
                        sinceBest = 0
                        try trainer.modelFile().write(to: "\(out)/model.safetensors")
                        line += " (best)"
                    } else {
                        sinceBest += 1
                    }
                } else {
                    try trainer.modelFile().write(to: "\(out)/model.safetensors")
                }
                try trainer.checkpoint().write(to: "\(out)/last.safetensors")
                line += "  \(Int(rate)) tok/s  \(fixed(monotonicSeconds() - start, 1))s"
                if terminal { print("\r" + String(repeating: " ", count: 100) + "\r", terminator: "") }
                say(line)
                if sampleLength > 0, !quiet {
                    let sample = try sampleText(trainer.params, vocabulary, length: sampleLength, &g)
                    say("  sample: \(sample.replacingOccurrences(of: "\n", with: "⏎"))")
                }
                if patience > 0 && sinceBest >= patience {
                    say("early stop: no improvement in \(patience) validations")
                    break
                }
            }
        }
        if trainer.step == firstStep {  // nothing left to train (a resume at its last step): still leave both files
            try trainer.checkpoint().write(to: "\(out)/last.safetensors")
            try trainer.modelFile().write(to: "\(out)/model.safetensors")
        }
        let plot = LinePlot.svg(title: "elman train: \(builtin ? "Reber grammar" : file ?? "")  H=\(o.hidden) L=\(o.layers)",
                                series: [.init(name: "train", color: "#1f77b4", points: trainCurve),
                                         .init(name: "validation", color: "#d62728", points: validationCurve)])
        try FileIO.writeAtomically(Array(plot.utf8), to: "\(out)/report.svg")
        if let d = diagnostics, let last = d.records.last {
            say("diagnostics: \(d.records.count) records in \(out)/diagnostics.svg and .jsonl; at step \(last.step) "
                + "the gradient is \(last.flow.verdict.rawValue): \(last.flow.evidence)")
        }
        let seconds = monotonicSeconds() - start
        say("done in \(fixed(seconds, 1))s: best validation loss \(fixed(trainer.bestValidationLoss, 4)) nats/token; "
            + "wrote \(out)/model.safetensors, \(out)/last.safetensors, \(out)/report.svg")
        if builtin {
            let best: Parameters<Float> = try ModelFile.parameters(from: SafeTensorsFile.read("\(out)/model.safetensors"), name: "model")
            var sg = SeededGenerator(seed: 7)
            let generated = try sampleText(best, vocabulary, length: 20000, &sg, prime: "B")
            let (share, strings) = ReberGrammar.grammaticalShare(of: "B" + generated)
            var cg = SeededGenerator(seed: 7)
            let uniform = String((0..<20000).map { _ in Character(vocabulary.symbols[Int(cg.next() % UInt64(vocabulary.count))]) })
            let chance = ReberGrammar.grammaticalShare(of: uniform)
            print("learned: \(fixed(100 * share, 1))% of \(strings) sampled strings are grammatical embedded Reber strings "
                  + "(chance, uniform symbols: \(fixed(100 * chance.share, 1))% of \(chance.strings))")
        }
    }

    private func prepareData(_ text: Corpus) throws -> (Vocabulary, [Int32], [Int32]) {
        if let valFile {
            let valText = try Corpus.read(valFile, level: level)
            let vocabulary = Vocabulary.build(from: level == .word ? text : text + valText, level: level, minCount: minCount)
            return (vocabulary, try vocabulary.encode(text), try vocabulary.encode(valText))
        }
        let vocabulary = Vocabulary.build(from: text, level: level, minCount: minCount)
        let tokens = try vocabulary.encode(text)
        let cut = tokens.count - Int(Double(tokens.count) * valFraction)
        return (vocabulary, Array(tokens[..<cut]), Array(tokens[cut...]))
    }

    /// The options every task shares, from the flags, with the task's defaults where a flag is absent.
    func commonOptions(defaultHidden: Int, defaultLR: Double) -> TrainingOptions {
        var options = TrainingOptions()
        options.hidden = hidden ?? defaultHidden
        options.layers = layers ?? 1
        options.nonlinearity = nonlinearity ?? .tanh
        options.batch = batch ?? 32
        options.optimizer = optimizer ?? .adam
        options.lr = lr ?? defaultLR
        options.momentum = momentum
        options.weightDecay = weightDecay
        options.clip = clip
        options.clipValue = clipValue
        options.schedule = schedule
        options.warmup = warmup
        options.seed = seed ?? 1
        options.initialization = initialization
        return options
    }

    /// A resumed run continues with its checkpoint's options; a flag given now that says otherwise is an error.
    func checkResumeMatches(_ saved: TrainingOptions, checkpoint: String) throws {
        let asked: [(String, String?, String)] = [
            ("--hidden", hidden.map { "\($0)" }, "\(saved.hidden)"), ("--layers", layers.map { "\($0)" }, "\(saved.layers)"),
            ("--nonlinearity", nonlinearity?.rawValue, saved.nonlinearity.rawValue), ("--seq", seq.map { "\($0)" }, "\(saved.seq)"),
            ("--batch", batch.map { "\($0)" }, "\(saved.batch)"), ("--optimizer", optimizer?.rawValue, saved.optimizer.rawValue),
            ("--lr", lr.map { "\($0)" }, "\(saved.lr)"), ("--seed", seed.map { "\($0)" }, "\(saved.seed)"),
            ("--init", initialization?.rawValue, saved.initialization?.rawValue ?? Initialization.standard(for: saved.nonlinearity).rawValue),
        ]
        let conflicts = asked.compactMap { flag, given, was in given.flatMap { $0 == was ? nil : "\(flag) \($0) (it has \(was))" } }
        guard conflicts.isEmpty else {
            throw ElmanError("\(checkpoint): cannot resume with \(conflicts.joined(separator: ", ")); a resumed run keeps its "
                + "checkpoint's settings (only --steps or --epochs may change); drop those flags or start a new run")
        }
    }

    /// After SIGINT or SIGTERM (``Interrupt``), both tasks save `last.safetensors` (and `model.safetensors`
    /// if there is none yet), say how to continue, and exit with 128 + the signal number.
    func stopIfInterrupted(step: Int, checkpoint: () -> SafeTensorsFile, model: () -> SafeTensorsFile) throws {
        guard let signal = Interrupt.caught else { return }
        try checkpoint().write(to: "\(out)/last.safetensors")
        if !FileIO.exists("\(out)/model.safetensors") { try model().write(to: "\(out)/model.safetensors") }
        say("\(Interrupt.name(signal)) at step \(step): saved \(out)/last.safetensors; continue with --resume \(out)/last.safetensors")
        throw ExitCode(128 + signal)
    }

    /// The fault policy of both tasks: the trainer has rejected a non-finite step (its state untouched,
    /// learning rate halved); this reports it, and after ``TrainingOptions/maxRejectedSteps`` in a row
    /// saves the last good state and stops with an error. True for an accepted step.
    func accepted(_ report: StepReport, step: Int, rejectedInARow: inout Int, saveLastGood: () throws -> Void) throws -> Bool {
        guard !report.accepted else {
            rejectedInARow = 0
            return true
        }
        rejectedInARow += 1
        say("step \(step): non-finite loss, gradient or update; step undone, learning rate halved")
        if rejectedInARow >= TrainingOptions.maxRejectedSteps {
            try saveLastGood()
            throw ElmanError("training diverged: \(rejectedInARow) non-finite steps in a row; the last good state "
                + "is in \(out)/last.safetensors (try a lower --lr or --clip)")
        }
        return false
    }

    /// --steps, or --epochs passes over `items` at `perStep` items a step, or the task's default.
    func stepCount(default defaultSteps: Int, items: Int, perStep: Double) throws -> Int {
        guard let epochs else { return steps ?? defaultSteps }
        let count = (epochs * Double(items) / max(1, perStep)).rounded(.down)
        guard epochs > 0, count < 1e12 else {
            throw ElmanError("--epochs is \(epochs); expected a positive number of passes, at most 10¹² steps in all")
        }
        return max(1, Int(count))
    }

    func say(_ line: String) {
        guard !quiet else { return }
        print(line)
        fflush(nil)  // one line per log interval even when stdout is a file or a pipe
    }
}

func sampleText(_ params: Parameters<Float>, _ vocabulary: Vocabulary, length: Int, _ g: inout SeededGenerator,
                prime: String? = nil, temperature: Double = 1, topK: Int = 0) throws -> String {
    let primeIDs = try prime.map { try vocabulary.encode($0) }
        ?? [vocabulary.id("\n") ?? Int32(g.next() % UInt64(vocabulary.count))]
    let ids = try Sampler(temperature: temperature, topK: topK).sample(params, prime: primeIDs, length: length, generator: &g)
    return vocabulary.decode(ids)
}

enum TrainTask: String, ExpressibleByArgument { case lm, classify }
extension TokenLevel: ExpressibleByArgument {}
extension Nonlinearity: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension Schedule: ExpressibleByArgument {}
extension Initialization: ExpressibleByArgument {}
