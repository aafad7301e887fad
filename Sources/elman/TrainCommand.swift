import ArgumentParser
import Elman
import Foundation

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a character-, word- or byte-level language model, or a sequence classifier (truncated BPTT).",
        discussion: """
            With no FILE, trains on the built-in corpus (the embedded Reber grammar) and reports the share of \
            sampled strings that are grammatical; with --task classify and no FILE, on the built-in parity task. \
            Writes into DIR: model.safetensors (best validation loss), last.safetensors (the checkpoint), \
            metrics.jsonl and TensorBoard event files (the run's history, kept across resumes) and report.svg. \
            Ctrl-C saves the checkpoint; `elman train --resume DIR` continues the same run to its --steps.
            """)

    @Argument(help: "UTF-8 text file (default: the built-in Reber grammar corpus, or parity with --task classify).")
    var file: String?
    @Option(help: "lm (language model), classify (lines LABEL<TAB>SEQUENCE) or regress (a CSV series, one row per step) (default: lm).")
    var task: TrainTask?
    @Option(help: "Columns the model reads, names or numbers, comma-separated (regress; default: all).") var inputs: String?
    @Flag(inversion: .prefixedNo, help: "The first line is a header, not an example (classify; default: detected: its label appears nowhere else while every other label repeats).")
    var header: Bool?
    @Option(help: "Columns predicted one step ahead (regress; default: all).") var targets: String?
    @Option(help: "char, word or byte (raw bytes, language models only) (default: char).") var level: TokenLevel?
    @Option(help: "Words seen fewer times become <unk> (word-level language models) (default: 1).") var minCount: Int?
    @Option(help: "Hidden size H (default: 128; 48 on the built-in corpus, 32 for the built-in parity task, 64 for regress).") var hidden: Int?
    @Option(help: "Stacked layers L (default: 1).") var layers: Int?
    @Option(help: "tanh or relu (default: tanh).") var nonlinearity: Nonlinearity?
    @Option(help: "BPTT steps per chunk T, language models and regress (default: 64; 32 on the built-in corpus and for regress).") var seq: Int?
    @Option(help: "Parallel streams or sequences per step N (default: 32; 16 for regress).") var batch: Int?
    @Option(help: "Training steps (default: 1000; 2000 on the built-in corpus, 6000 for the built-in parity task, 1500 for regress).") var steps: Int?
    @Option(help: "Passes over the data, instead of --steps.") var epochs: Double?
    @Option(help: "sgd, adagrad, rmsprop, adam or adamw (default: adam).") var optimizer: OptimizerKind?
    @Option(help: "Learning rate (default: 0.002; 0.01 for the built-in corpus and parity task, 0.003 for regress).") var lr: Double?
    @Option(help: "Momentum, for sgd only (default: 0.9).") var momentum: Double?
    @Option(help: "Weight decay (default: 0).") var weightDecay: Double?
    @Option(help: "Dropout probability on each layer's output where it feeds the layer above or the head, in training only (default: 0).")
    var dropout: Double?
    @Flag(help: "Bidirectional layers, as nn.RNN(bidirectional=True): each layer also reads every sequence backwards, and the head reads both directions' final states (classify only).")
    var bidirectional = false
    @Option(help: "Clip the gradient's global norm (0: off) (default: 5).") var clip: Double?
    @Option(help: "Clip each gradient element to ±this (default: off).") var clipValue: Double?
    @Option(help: "constant, cosine or step (default: constant).") var schedule: Schedule?
    @Option(help: "Warm-up steps (default: 0).") var warmup: Int?
    @Option(help: "Random seed (default: 1).") var seed: UInt64?
    @Option(name: .customLong("init"), help: "uniform, xavier, orthogonal or identity (default: identity for relu, else uniform).")
    var initialization: Initialization?
    @Option(help: "Validation share, taken from the end of the data (default: 0.1).") var valFraction: Double?
    @Option(help: "Validation file, instead of --val-fraction.") var valFile: String?
    @Option(help: "Validate (and checkpoint) every K steps (default: a tenth of the steps, at most 200).") var evalEvery: Int?
    @Option(help: "Stop after this many validations without improvement (0: never) (default: 0).") var patience: Int?
    @Option(help: "Run directory (default: elman-run; with --resume, the run's own, or a new one that branches the run).") var out: String?
    @Option(help: "Fine-tune: start from this model's weights (a file or run directory) with new data, optimizer and learning rate; the data is read with its vocabulary, labels or columns.")
    var initFrom: String?
    @Option(help: "Continue the run in DIR (or from its last.safetensors) to its --steps; every setting comes from the run.")
    var resume: String?
    @Option(help: "Symbols sampled at each validation, language models only (default: 120).") var sampleLength: Int?
    @Option(help: "Every K steps record gradient norms, clipping and the lag profile, language models only (DIR/diagnostics.svg, .jsonl).")
    var diagnoseEvery: Int?
    @Flag(help: "No progress output.") var quiet = false

    func run() throws {
        if let note = Backend.note, Processes.isFirst { printToStandardError(note) }
        try Processes.reportingErrors { try withFlagNames(train) }
    }

    private func train() throws {
        try refuseConflicts()
        if let resume { return try continueRun(resume) }
        let settings = try newSettings()
        try FileIO.prepareOutputDirectory(out ?? "elman-run")
        try start(settings, directory: out ?? "elman-run", resumeFrom: nil)
    }

    /// Flags that contradict each other, or that the task does not use.
    private func refuseConflicts() throws {
        if steps != nil && epochs != nil { throw ElmanError("--steps and --epochs both set the run's length; give one") }
        if valFile != nil && valFraction != nil { throw ElmanError("--val-fraction and --val-file both choose the validation data; give one") }
    }

    /// The settings of a new run from the flags, refusing the ones its task does not use.
    private func newSettings() throws -> RunSettings {
        let task = task ?? .lm
        let level = level ?? .char
        if task != .classify, header != nil { throw ElmanError("--\(header == true ? "" : "no-")header applies to --task classify (lines LABEL<TAB>SEQUENCE) only") }
        if task != .regress, let flag = [("--inputs", inputs), ("--targets", targets)].first(where: { $0.1 != nil })?.0 {
            throw ElmanError("\(flag) chooses columns of a CSV series; it applies to --task regress only")
        }
        if task == .regress {
            let unused: [(String, Bool)] = [("--level", self.level != nil), ("--min-count", minCount != nil),
                                            ("--sample-length", sampleLength != nil), ("--diagnose-every", diagnoseEvery != nil)]
            if let flag = unused.first(where: \.1)?.0 {
                throw ElmanError("\(flag) is for text; --task regress reads a numeric CSV series (drop \(flag))")
            }
        }
        if task == .classify {
            let unused: [(String, Bool)] = [("--seq", seq != nil), ("--sample-length", sampleLength != nil),
                                            ("--diagnose-every", diagnoseEvery != nil), ("--min-count", minCount != nil)]
            if let flag = unused.first(where: \.1)?.0 {
                throw ElmanError("\(flag) is for language models; a classifier reads whole sequences (drop \(flag) or use --task lm)")
            }
            if level == .byte { throw ElmanError("--level byte is for language models; a classifier reads text lines LABEL<TAB>SEQUENCE") }
        }
        if level != .word, let m = minCount, m != 1 { throw ElmanError("--min-count \(m) applies at --level word only") }
        if let m = momentum, (optimizer ?? .adam) != .sgd {
            throw ElmanError("--momentum \(m) applies to --optimizer sgd only (this run uses \((optimizer ?? .adam).rawValue))")
        }
        let fraction = valFraction ?? 0.1
        guard (0...0.9).contains(fraction) else { throw ElmanError("--val-fraction is \(fraction); expected 0 … 0.9") }
        let settings = RunSettings(task: task, file: file.map(absolutePath), level: level, minCount: minCount ?? 1,
                                   valFile: valFile.map(absolutePath), valFraction: valFile == nil ? fraction : 0,
                                   patience: patience ?? 0, sampleLength: task == .lm ? sampleLength ?? 120 : 0,
                                   diagnoseEvery: diagnoseEvery, inputs: inputs, targets: targets, header: header,
                                   initFrom: initFrom.map(absolutePath))
        guard settings.patience >= 0 else { throw ElmanError("--patience is \(settings.patience); expected ≥ 0") }
        guard settings.minCount >= 1 else { throw ElmanError("--min-count is \(settings.minCount); expected ≥ 1") }
        if let k = diagnoseEvery, k < 1 { throw ElmanError("--diagnose-every is \(k); expected a positive integer") }
        guard (0...1_000_000).contains(settings.sampleLength) else {
            throw ElmanError("--sample-length is \(settings.sampleLength); expected 0 … 1000000")
        }
        return settings
    }

    /// `--resume DIR|FILE`: the run's settings and options come from its checkpoint; a flag given now must agree
    /// with them, except --steps and --epochs, which set a new target.
    private func continueRun(_ resume: String) throws {
        var isDirectory: ObjCBool = false
        let isRun = FileManager.default.fileExists(atPath: resume, isDirectory: &isDirectory) && isDirectory.boolValue
        let checkpoint = isRun ? "\(resume)/last.safetensors" : resume
        let directory = isRun ? resume : (resume as NSString).deletingLastPathComponent.isEmpty ? "." : (resume as NSString).deletingLastPathComponent
        let saved = try SafeTensorsFile.read(checkpoint)
        let settings = try RunSettings.saved(in: saved, name: checkpoint)
        let options = try Trainer<LanguageModelTask>.options(in: saved, name: checkpoint)
        try refuseChanges(to: settings, options, checkpoint: checkpoint)
        // --out elsewhere branches the run: the new directory starts with the history up to the checkpoint.
        let target = out ?? directory
        try FileIO.prepareOutputDirectory(target)
        if absolutePath(target) != absolutePath(directory) {
            for history in ["metrics.jsonl", "diagnostics.jsonl"] where FileIO.exists("\(directory)/\(history)") {
                try FileIO.writeAtomically(FileIO.read("\(directory)/\(history)"), to: "\(target)/\(history)")
            }
        }
        try start(settings, directory: target, resumeFrom: (saved, checkpoint))
    }

    /// A resumed run keeps every setting of its checkpoint; a flag that says otherwise is refused by name.
    private func refuseChanges(to s: RunSettings, _ o: TrainingOptions, checkpoint: String) throws {
        func text<V>(_ v: V?) -> String? { v.map { "\($0)" } }
        let asked: [(String, String?, String)] = [
            ("FILE", file.map(absolutePath), s.file ?? "the built-in data"), ("--task", task?.rawValue, s.task.rawValue),
            ("--level", level?.rawValue, s.level.rawValue), ("--min-count", text(minCount), "\(s.minCount)"),
            ("--hidden", text(hidden), "\(o.hidden)"), ("--layers", text(layers), "\(o.layers)"),
            ("--nonlinearity", nonlinearity?.rawValue, o.nonlinearity.rawValue), ("--seq", text(seq), "\(o.seq)"),
            ("--batch", text(batch), "\(o.batch)"), ("--optimizer", optimizer?.rawValue, o.optimizer.rawValue),
            ("--lr", text(lr), "\(o.lr)"), ("--momentum", text(momentum), "\(o.momentum)"),
            ("--weight-decay", text(weightDecay), "\(o.weightDecay)"), ("--dropout", text(dropout), "\(o.dropout ?? 0)"),
            ("--bidirectional", bidirectional ? "given" : nil, o.bidirectional == true ? "given" : "not given"), ("--clip", text(clip), "\(o.clip)"),
            ("--clip-value", text(clipValue), o.clipValue.map { "\($0)" } ?? "off"),
            ("--schedule", schedule?.rawValue, o.schedule.rawValue), ("--warmup", text(warmup), "\(o.warmup)"),
            ("--seed", text(seed), "\(o.seed)"),
            ("--init", initialization?.rawValue, (o.initialization ?? .standard(for: o.nonlinearity)).rawValue),
            ("--val-fraction", text(valFraction), "\(s.valFraction)"), ("--val-file", valFile.map(absolutePath), s.valFile ?? "none"),
            ("--eval-every", text(evalEvery), "\(o.evalEvery)"), ("--patience", text(patience), "\(s.patience)"),
            ("--sample-length", text(sampleLength), "\(s.sampleLength)"),
            ("--diagnose-every", text(diagnoseEvery), s.diagnoseEvery.map { "\($0)" } ?? "off"),
            ("--inputs", inputs, s.inputs ?? "all"), ("--targets", targets, s.targets ?? "all"),
            ("--header", header.map { "\($0)" }, s.header.map { "\($0)" } ?? "detected"),
            ("--init-from", initFrom.map(absolutePath), s.initFrom ?? "none"),
        ]
        let conflicts = asked.compactMap { flag, given, was in given.flatMap { $0 == was ? nil : "\(flag) \($0) (the run has \(was))" } }
        guard conflicts.isEmpty else {
            throw ElmanError("\(checkpoint): cannot resume with \(conflicts.joined(separator: ", ")); a resumed run keeps its "
                + "settings (only --steps or --epochs may change); drop those flags or start a new run")
        }
    }

    /// The training options from the flags, with the task's defaults where a flag is absent.
    func options(for settings: RunSettings, base: ModelConfig? = nil) -> TrainingOptions {
        let parity = settings.builtin && settings.task == .classify, reber = settings.builtin && settings.task == .lm
        let regress = settings.task == .regress
        var o = TrainingOptions()
        o.hidden = hidden ?? base?.hiddenSize ?? (reber ? 48 : parity ? 32 : regress ? 64 : 128)
        o.layers = layers ?? base?.layers ?? 1
        o.nonlinearity = nonlinearity ?? base?.nonlinearity ?? .tanh
        o.seq = seq ?? (reber || regress ? 32 : 64)
        o.batch = batch ?? (regress ? 16 : 32)
        o.optimizer = optimizer ?? .adam
        o.lr = lr ?? (regress ? 3e-3 : settings.builtin ? 1e-2 : 2e-3)
        o.momentum = momentum ?? 0.9
        o.weightDecay = weightDecay ?? 0
        o.clip = clip ?? 5
        o.clipValue = clipValue
        o.schedule = schedule ?? .constant
        o.warmup = warmup ?? 0
        o.seed = seed ?? 1
        o.initialization = initialization
        o.dropout = dropout
        o.bidirectional = bidirectional ? true : base?.bidirectional == true ? true : nil
        o.steps = steps ?? (reber ? 2000 : parity ? 6000 : regress ? 1500 : 1000)
        return o
    }

    /// --epochs passes over `items` at `perStep` items a step, as a step count.
    func stepCount(epochs: Double, items: Int, perStep: Double) throws -> Int {
        let count = (epochs * Double(items) / max(1, perStep)).rounded(.down)
        guard epochs > 0, count < 1e12 else {
            throw ElmanError("--epochs is \(epochs); expected a positive number of passes, at most 10¹² steps in all")
        }
        return max(1, Int(count))
    }

    func say(_ line: String) {
        guard !quiet, Processes.isFirst else { return }
        print(line)
        fflush(nil)  // one line per log interval even when stdout is a file or a pipe
    }
}

enum TrainTask: String, ExpressibleByArgument { case lm, classify, regress }
extension TokenLevel: ExpressibleByArgument {}
extension Nonlinearity: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension Schedule: ExpressibleByArgument {}
extension Initialization: ExpressibleByArgument {}
