import ArgumentParser
import Elman

/// The flags of `elman train` that define a run, each with its declaration in ``settings`` beside it: a new setting
/// is its property here, its declaration below (help, default, tasks, resumable, where the run keeps it) and its
/// use. The run keeps each in ``RunSettings`` (the command's own) or ``TrainingOptions`` (the library's).
struct TrainFlags: ParsableArguments {
    @Argument(help: .setting("file")) var file: String?
    @Option(help: .setting("task")) var task: TrainTask?
    @Option(help: .setting("inputs")) var inputs: String?
    @Flag(inversion: .prefixedNo, help: .setting("header")) var header: Bool?
    @Option(help: .setting("input")) var input: ClassifierInput?
    @Option(help: .setting("window")) var window: Int?
    @Option(help: .setting("targets")) var targets: String?
    @Option(help: .setting("timeColumn")) var timeColumn: String?
    @Flag(inversion: .prefixedNo, help: .setting("difference")) var difference: Bool?
    @Option(help: .setting("level")) var level: TokenLevel?
    @Option(help: .setting("minCount")) var minCount: Int?
    @Option(help: .setting("hidden")) var hidden: Int?
    @Option(help: .setting("layers")) var layers: Int?
    @Option(help: .setting("nonlinearity")) var nonlinearity: Nonlinearity?
    @Option(help: .setting("seq")) var seq: Int?
    @Option(help: .setting("batch")) var batch: Int?
    @Option(help: .setting("steps")) var steps: Int?
    @Option(help: .setting("epochs")) var epochs: Double?
    @Option(help: .setting("optimizer")) var optimizer: OptimizerKind?
    @Option(help: .setting("lr")) var lr: Double?
    @Option(help: .setting("momentum")) var momentum: Double?
    @Option(help: .setting("weightDecay")) var weightDecay: Double?
    @Option(help: .setting("dropout")) var dropout: Double?
    @Flag(inversion: .prefixedNo, help: .setting("bidirectional")) var bidirectional: Bool?
    @Option(help: .setting("clip")) var clip: Double?
    @Option(help: .setting("clipValue")) var clipValue: Double?
    @Option(help: .setting("schedule")) var schedule: Schedule?
    @Option(help: .setting("warmup")) var warmup: Int?
    @Option(help: .setting("seed")) var seed: UInt64?
    @Option(name: .customLong("init"), help: .setting("initialization")) var initialization: Initialization?
    @Option(help: .setting("valFraction")) var valFraction: Double?
    @Option(help: .setting("valFile")) var valFile: String?
    @Option(help: .setting("evalEvery")) var evalEvery: Int?
    @Option(help: .setting("patience")) var patience: Int?
    @Option(help: .setting("initFrom")) var initFrom: String?
    @Option(help: .setting("sampleLength")) var sampleLength: Int?
    @Option(help: .setting("diagnoseEvery")) var diagnoseEvery: Int?

    /// Every property is declared in ``settings`` under its own name (a programming error otherwise, which every
    /// `elman train` shows).
    func validate() throws {
        let properties = Set(Mirror(reflecting: self).children.compactMap { $0.label.map { String($0.dropFirst()) } })
        let declared = Set(Self.settings.map(\.name))
        guard properties == declared else {
            throw ValidationError("TrainFlags and TrainFlags.settings disagree: \(properties.symmetricDifference(declared).sorted())")
        }
    }

    /// Every setting, in the order a new run resolves them (a default may read one resolved before it).
    static let settings: [TrainSetting] = [
        .optional("file", flag: "FILE", "UTF-8 text, CSV or .ts file (default: the built-in Reber grammar corpus, or parity with --task classify).",
                  \.file, \.run.file, absent: { _ in "the built-in data" }, transform: absolutePath),
        .value("task", "lm (language model), classify (lines LABEL<TAB>SEQUENCE, or real-valued series: a UCR/UEA .ts or .tsv file) or regress (a CSV series, one row per step)",
               default: "lm", \.task, \.run.task, default: { $0.task }, show: \.rawValue),
        .optional("inputs", "Columns the model reads, names or numbers, comma-separated (regress; default: all).", tasks: [.regress],
                  \.inputs, \.run.inputs, absent: { _ in "all" }),
        TrainSetting(name: "header", flag: "--header",
                     help: "The first line is a header, not an example (classify; default: detected: its label appears nowhere else while every other label repeats).",
                     tasks: [.classify], resumable: false, given: { $0.header.map { "\($0)" } },
                     stored: { $0.run.header.map { "\($0)" } ?? "detected" }, apply: { flags, plan, _ in plan.run.header = flags.header },
                     refusal: { flags, _ in "--\(flags.header == true ? "" : "no-")header applies to --task classify (lines LABEL<TAB>SEQUENCE) only" }),
        .optional("input", "What a classifier's FILE holds: real (numeric series, the UCR/UEA archive's .ts or .tsv) or text (lines LABEL<TAB>SEQUENCE) (default: detected: a .ts file, or lines of a label and numbers, are real).",
                  tasks: [.classify], \.input, \.run.input, absent: { _ in "detected" }, show: \.rawValue),
        .optional("window", "Consecutive values per input step of a real-valued series (classify; default: the smallest that reads the longest series in at most \(SeriesInput.defaultSteps) steps).",
                  tasks: [.classify], \.window, \.run.window, absent: { _ in "default" }, expected: { $0 >= 1 ? nil : "a whole number ≥ 1" }),
        .optional("targets", "Columns predicted one step ahead (regress; default: all).", tasks: [.regress],
                  \.targets, \.run.targets, absent: { _ in "all" }),
        .optional("difference", "Read and predict each column's change from the row before, not its value; forecasts add the changes up (regress; default: when a target of the training rows fails the KPSS test of stationarity at 5%: a trend or a random walk).",
                  tasks: [.regress], \.difference, \.run.difference, absent: { _ in "by the KPSS test" },
                  show: { $0 ? "on" : "off" }),
        .optional("timeColumn", "The column that dates each row, read as labels and never predicted, or none (regress; default: the first column when it is named date, time, year, … or holds dates).",
                  tasks: [.regress], \.timeColumn, \.run.timeColumn, absent: { _ in "detected" }),
        .value("level", "char, word or byte (raw bytes, language models only)", default: "char", tasks: [.lm, .classify],
               \.level, \.run.level, default: { _ in .char }, show: \.rawValue),
        .value("minCount", "Words seen fewer times become <unk> (word-level language models)", default: "1", tasks: [.lm],
               \.minCount, \.run.minCount, default: { _ in 1 }, expected: { $0 >= 1 ? nil : "≥ 1" }),
        .value("hidden", "Hidden size H", default: "128; 48 on the built-in corpus, 32 for the built-in parity task, 64 for regress",
               \.hidden, \.options.hidden, default: { $0.base?.hiddenSize ?? ($0.reber ? 48 : $0.parity ? 32 : $0.regress ? 64 : 128) }),
        .value("layers", "Stacked layers L", default: "1", \.layers, \.options.layers, default: { $0.base?.layers ?? 1 }),
        .value("nonlinearity", "tanh or relu", default: "tanh", \.nonlinearity, \.options.nonlinearity,
               default: { $0.base?.nonlinearity ?? .tanh }, show: \.rawValue),
        .value("seq", "BPTT steps per chunk T, language models and regress",
               default: "64; 32 on the built-in corpus and for regress, a tenth of the rows for a series under 513 training rows",
               tasks: [.lm, .regress], \.seq, \.options.seq, default: { $0.regress ? $0.regressionShape.seq : $0.reber ? 32 : 64 }),
        .value("batch", "Parallel streams or sequences per step N",
               default: "32; 16 for regress, fewer for a series under 513 training rows (each stream two chunks long)",
               \.batch, \.options.batch, default: { $0.regress ? $0.regressionShape.batch : 32 }),
        .value("steps", "Training steps", default: "1000; 2000 on the built-in corpus, 6000 for the built-in parity task, 1500 for regress",
               resumable: true, \.steps, \.options.steps,
               default: { $0.stepsFromEpochs ?? ($0.reber ? 2000 : $0.parity ? 6000 : $0.regress ? 1500 : 1000) }),
        TrainSetting(name: "epochs", flag: "--epochs", help: "Passes over the data, instead of --steps.", tasks: TrainTask.every,
                     resumable: true, given: { $0.epochs.map { "\($0)" } }, stored: nil, apply: { _, _, _ in }),
        .value("optimizer", "sgd, adagrad, rmsprop, adam or adamw", default: "adam", \.optimizer, \.options.optimizer,
               default: { _ in .adam }, show: \.rawValue),
        .value("lr", "Learning rate", default: "0.002; 0.01 for the built-in corpus and parity task, 0.003 for regress", \.lr, \.options.lr,
               default: { $0.regress ? 3e-3 : $0.builtin ? 1e-2 : 2e-3 }),
        .value("momentum", "Momentum, for sgd only", default: "0.9", \.momentum, \.options.momentum, default: { _ in 0.9 }),
        .value("weightDecay", "Weight decay", default: "0", \.weightDecay, \.options.weightDecay, default: { _ in 0 }),
        .optional("dropout", "Dropout probability on each layer's output where it feeds the layer above or the head, in training only (default: 0).",
                  \.dropout, \.options.dropout, absent: { _ in "0.0" }),
        TrainSetting(name: "bidirectional", flag: "--bidirectional",
                     help: "Bidirectional layers, as nn.RNN(bidirectional=True): each layer also reads every sequence backwards, and the head reads both directions' final states (classify only; default: on for real-valued series, off for text).",
                     tasks: [.classify], resumable: false, given: { $0.bidirectional.map { $0 ? "on" : "off" } },
                     stored: { $0.options.bidirectional == true ? "on" : "off" },
                     apply: { flags, plan, context in
                         let on = flags.bidirectional ?? (context.base.map(\.bidirectional) ?? context.realSeries)
                         plan.options.bidirectional = on ? true : nil
                     },
                     refusal: { flags, task in
                         task == .regress ? "--\(flags.bidirectional == false ? "no-" : "")bidirectional is for classifiers: regression predicts each next step from the ones before it; a reverse direction would read the step it predicts"
                             : "--\(flags.bidirectional == false ? "no-" : "")bidirectional is for classifiers, which read whole sequences; a language model predicts each next symbol from the ones before it" }),
        .value("clip", "Clip the gradient's global norm (0: off)", default: "5", \.clip, \.options.clip, default: { _ in 5 }),
        .optional("clipValue", "Clip each gradient element to ±this (default: off).", \.clipValue, \.options.clipValue, absent: { _ in "off" }),
        .value("schedule", "constant, cosine or step", default: "constant", \.schedule, \.options.schedule, default: { _ in .constant },
               show: \.rawValue),
        .value("warmup", "Warm-up steps", default: "0", \.warmup, \.options.warmup, default: { _ in 0 }),
        .value("seed", "Random seed", default: "1", \.seed, \.options.seed, default: { _ in 1 }),
        .optional("initialization", flag: "--init", "uniform, xavier, orthogonal or identity (default: identity for relu, else uniform).",
                  \.initialization, \.options.initialization,
                  absent: { Initialization.standard(for: $0.options.nonlinearity).rawValue }, show: \.rawValue),
        .optional("valFile", "Validation file, instead of --val-fraction.", \.valFile, \.run.valFile, absent: { _ in "none" },
                  transform: absolutePath),
        TrainSetting(name: "valFraction", flag: "--val-fraction", help: "Validation share, taken from the end of the data (default: 0.1).",
                     tasks: TrainTask.every, resumable: false, given: { $0.valFraction.map { "\($0)" } },
                     stored: { "\($0.run.valFraction)" },
                     apply: { flags, plan, _ in
                         let fraction = flags.valFraction ?? 0.1
                         guard (0...0.9).contains(fraction) else { throw ElmanError("--val-fraction is \(fraction); expected 0 … 0.9") }
                         plan.run.valFraction = plan.run.valFile == nil ? fraction : 0
                     }),
        TrainSetting(name: "evalEvery", flag: "--eval-every",
                     help: "Validate (and checkpoint) every K steps (default: a tenth of the steps, at most 200).", tasks: TrainTask.every,
                     resumable: false, given: { $0.evalEvery.map { "\($0)" } }, stored: { "\($0.options.evalEvery)" },
                     apply: { flags, plan, _ in plan.options.evalEvery = flags.evalEvery ?? max(1, min(plan.options.steps / 10, 200)) }),
        .value("patience", "Stop after this many validations without improvement (0: never)", default: "0", \.patience, \.run.patience,
               default: { _ in 0 }, expected: { $0 >= 0 ? nil : "≥ 0" }),
        .optional("initFrom", "Fine-tune: start from this model's weights (a file or run directory) with new data, optimizer and learning rate; the data is read with its vocabulary, labels or columns.",
                  \.initFrom, \.run.initFrom, absent: { _ in "none" }, transform: absolutePath),
        .value("sampleLength", "Symbols sampled at each validation, language models only", default: "120", tasks: [.lm],
               \.sampleLength, \.run.sampleLength, default: { $0.task == .lm ? 120 : 0 },
               expected: { (0...1_000_000).contains($0) ? nil : "0 … 1000000" }),
        .optional("diagnoseEvery", "Every K steps record gradient norms, clipping and the lag profile, language models only (DIR/diagnostics.svg, .jsonl).",
                  tasks: [.lm], \.diagnoseEvery, \.run.diagnoseEvery, absent: { _ in "off" },
                  expected: { $0 >= 1 ? nil : "a positive integer" }),
    ]
}
