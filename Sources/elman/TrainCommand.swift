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

    @OptionGroup var flags: TrainFlags
    @Option(help: "Run directory (default: elman-run; with --resume, the run's own, or a new one that branches the run).") var out: String?
    @Option(help: "Continue the run in DIR (or from its last.safetensors) to its --steps; every setting comes from the run.")
    var resume: String?
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

    /// Flags that contradict each other.
    private func refuseConflicts() throws {
        if flags.steps != nil && flags.epochs != nil { throw ElmanError("--steps and --epochs both set the run's length; give one") }
        if flags.valFile != nil && flags.valFraction != nil {
            throw ElmanError("--val-fraction and --val-file both choose the validation data; give one")
        }
    }

    /// The settings of a new run from the flags (their declarations' defaults where absent), refusing the ones its
    /// task does not use.
    private func newSettings() throws -> RunSettings {
        let task = flags.task ?? .lm
        try flags.refuseFlagsUnused(by: task)
        if task == .classify, flags.level == .byte {
            throw ElmanError("--level byte is for language models; a classifier reads text lines LABEL<TAB>SEQUENCE")
        }
        if (flags.level ?? .char) != .word, let m = flags.minCount, m != 1 { throw ElmanError("--min-count \(m) applies at --level word only") }
        if let m = flags.momentum, (flags.optimizer ?? .adam) != .sgd {
            throw ElmanError("--momentum \(m) applies to --optimizer sgd only (this run uses \((flags.optimizer ?? .adam).rawValue))")
        }
        var context = SettingContext(task: task, builtin: flags.file == nil)
        if task == .classify, let file = flags.file {  // kept, so that a resumed run and eval read the file the same way
            context.input = try RunSettings.classifierInput(file: absolutePath(file), given: flags.input).input
        }
        var run = try flags.plan(context).run
        if context.input != nil { run.input = context.input }
        return run
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
    private func refuseChanges(to settings: RunSettings, _ options: TrainingOptions, checkpoint: String) throws {
        let conflicts = flags.changes(to: RunPlan(run: settings, options: options))
        guard conflicts.isEmpty else {
            throw ElmanError("\(checkpoint): cannot resume with \(conflicts.joined(separator: ", ")); a resumed run keeps its "
                + "settings (only --steps or --epochs may change); drop those flags or start a new run")
        }
    }

    /// The training options of a new run from the flags, with their declarations' defaults where a flag is absent;
    /// `stepsFromEpochs` is --epochs as a step count.
    func options(for settings: RunSettings, base: ModelConfig? = nil, stepsFromEpochs: Int? = nil, items: Int? = nil) throws -> TrainingOptions {
        try flags.plan(SettingContext(task: settings.task, builtin: settings.builtin, base: base, stepsFromEpochs: stepsFromEpochs,
                                      input: settings.input, trainingRows: settings.task == .regress ? items : nil)).options
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
/// What a classifier's file holds: real-valued series (the UCR/UEA archive's `.ts` or `.tsv`) or text lines.
enum ClassifierInput: String, ExpressibleByArgument, Codable { case real, text }
extension TokenLevel: ExpressibleByArgument {}
extension Nonlinearity: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension Schedule: ExpressibleByArgument {}
extension Initialization: ExpressibleByArgument {}
