import Elman

/// Everything a run of `elman train` is defined by: the command's own settings (kept under the checkpoint's
/// `command` key) and the library's training options (under `training`).
struct RunPlan {
    var run: RunSettings
    var options: TrainingOptions
}

/// What a setting's default may depend on: the task, whether the data is built in, the model a run is fine-tuned
/// from, and a step count that --epochs gave.
struct SettingContext {
    var task: TrainTask
    var builtin: Bool
    var base: ModelConfig?
    var stepsFromEpochs: Int?
    /// What a classifier's file holds, once known.
    var input: ClassifierInput? = nil
    /// A regression run's training rows, once read: its default T and N fit them.
    var trainingRows: Int? = nil

    /// The built-in Reber grammar corpus, the built-in parity task, a regression.
    var reber: Bool { builtin && task == .lm }
    var parity: Bool { builtin && task == .classify }
    var regress: Bool { task == .regress }
    /// A regression run's default T and N: 32 and 16 when the training rows allow (513 or more), else chunks of a
    /// tenth of the rows (at least 2) and as many streams (at most 16) as leave each stream two chunks.
    var regressionShape: (seq: Int, batch: Int) {
        guard let rows = trainingRows, rows < 16 * 32 + 1 else { return (32, 16) }
        let seq = max(2, min(32, rows / 10))
        return (seq, max(1, min(16, (rows - 1) / (2 * seq))))
    }

    /// A classifier of real-valued series.
    var realSeries: Bool { task == .classify && input == .real }
}

/// One setting of `elman train`, declared once (``TrainFlags/settings``): its flag, its help and default, the tasks it
/// applies to, whether a resumed run may change it, and where the run keeps it. The flag's help text, the refusal
/// of a flag the task does not use, the new run's values with their defaults and the refusal of a changed setting
/// on resume are all derived from these declarations.
struct TrainSetting: Sendable {
    /// The property of ``TrainFlags`` that holds the flag (`minCount`).
    let name: String
    /// The flag as typed (`--min-count`), or FILE for the argument.
    let flag: String
    /// The help text, the default included.
    let help: String
    /// The tasks that use it; a flag given for another task is refused.
    let tasks: Set<TrainTask>
    /// Whether `--resume` may give it a new value (the step target); any other given value must equal the run's.
    let resumable: Bool
    /// The flag's value as given, in the words the run's value is shown in; nil when absent.
    let given: @Sendable (TrainFlags) -> String?
    /// The run's value, shown as a flag would give it; nil for a flag the run does not keep (--epochs).
    let stored: (@Sendable (RunPlan) -> String)?
    /// Writes the flag's value, or its default, into a new run.
    let apply: @Sendable (TrainFlags, inout RunPlan, SettingContext) throws -> Void
    /// The refusal for a task the setting does not apply to, when the generic one does not say it well.
    var refusal: (@Sendable (TrainFlags, TrainTask) -> String)? = nil

    /// A flag whose run keeps its value (`V`, always set: the flag's or the default).
    static func value<V>(
        _ name: String, flag: String? = nil, _ help: String, default defaultHelp: String, tasks: Set<TrainTask> = TrainTask.every,
        resumable: Bool = false, _ given: KeyPath<TrainFlags, V?> & Sendable, _ stored: WritableKeyPath<RunPlan, V> & Sendable,
        default defaultValue: @escaping @Sendable (SettingContext) -> V, expected: (@Sendable (V) -> String?)? = nil,
        show: @escaping @Sendable (V) -> String = { "\($0)" }
    ) -> TrainSetting {
        let flag = flag ?? TrainSetting.flag(name)
        return TrainSetting(
            name: name, flag: flag, help: "\(help) (default: \(defaultHelp)).", tasks: tasks, resumable: resumable,
            given: { $0[keyPath: given].map(show) }, stored: { show($0[keyPath: stored]) },
            apply: { flags, plan, context in
                let value = flags[keyPath: given] ?? defaultValue(context)
                if let expected, let wanted = expected(value) { throw ElmanError("\(flag) is \(show(value)); expected \(wanted)") }
                plan[keyPath: stored] = value
            })
    }

    /// A flag whose run keeps nil when it is absent; `absent` shows that nil (`off`, `all`, `none`).
    static func optional<V>(
        _ name: String, flag: String? = nil, _ help: String, tasks: Set<TrainTask> = TrainTask.every,
        _ given: KeyPath<TrainFlags, V?> & Sendable, _ stored: WritableKeyPath<RunPlan, V?> & Sendable,
        absent: @escaping @Sendable (RunPlan) -> String, expected: (@Sendable (V) -> String?)? = nil,
        transform: @escaping @Sendable (V) -> V = { $0 }, show: @escaping @Sendable (V) -> String = { "\($0)" }
    ) -> TrainSetting {
        let flag = flag ?? TrainSetting.flag(name)
        return TrainSetting(
            name: name, flag: flag, help: help, tasks: tasks, resumable: false,
            given: { $0[keyPath: given].map { show(transform($0)) } },
            stored: { plan in plan[keyPath: stored].map(show) ?? absent(plan) },
            apply: { flags, plan, _ in
                let value = flags[keyPath: given].map(transform)
                if let value, let expected, let wanted = expected(value) { throw ElmanError("\(flag) is \(show(value)); expected \(wanted)") }
                plan[keyPath: stored] = value
            })
    }

    /// `minCount` → `--min-count`.
    static func flag(_ name: String) -> String {
        "--" + name.reduce(into: "") { $0 += $1.isUppercase ? "-" + $1.lowercased() : String($1) }
    }

    /// The one-line refusal of this flag for `task`.
    func refusal(for task: TrainTask, _ flags: TrainFlags) -> String {
        if let refusal { return refusal(flags, task) }
        if tasks == [.regress] { return "\(flag) chooses columns of a CSV series; it applies to --task regress only" }
        if tasks == [.classify] { return "\(flag) applies to --task classify (lines LABEL<TAB>SEQUENCE) only" }
        switch task {
        case .regress: return "\(flag) is for text; --task regress reads a numeric CSV series (drop \(flag))"
        case .classify: return "\(flag) is for language models; a classifier reads whole sequences (drop \(flag) or use --task lm)"
        case .lm: return "\(flag) does not apply to language models (drop \(flag))"
        }
    }
}

extension TrainTask {
    static let every: Set<TrainTask> = [.lm, .classify, .regress]
}

extension TrainFlags {
    /// The declaration of the setting held by property `name`; a name without one is a programming error that every
    /// run of `elman train --help` shows.
    static func setting(_ name: String) -> TrainSetting {
        guard let setting = settings.first(where: { $0.name == name }) else { preconditionFailure("no TrainSetting named \(name)") }
        return setting
    }

    /// Refuses the first flag given that the task does not use.
    func refuseFlagsUnused(by task: TrainTask) throws {
        for setting in Self.settings where !setting.tasks.contains(task) && setting.given(self) != nil {
            throw ElmanError(setting.refusal(for: task, self))
        }
    }

    /// The plan of a new run: every setting's flag, or its default, in declaration order.
    func plan(_ context: SettingContext) throws -> RunPlan {
        var plan = RunPlan(run: RunSettings(task: context.task, file: nil, level: .char, minCount: 1, valFile: nil, valFraction: 0.1,
                                            patience: 0, sampleLength: 0, diagnoseEvery: nil), options: TrainingOptions())
        for setting in Self.settings { try setting.apply(self, &plan, context) }
        return plan
    }

    /// The flags given that say otherwise than the run being resumed, as "--flag value (the run has value)".
    func changes(to plan: RunPlan) -> [String] {
        Self.settings.compactMap { setting in
            guard !setting.resumable, let given = setting.given(self), let stored = setting.stored?(plan), given != stored else { return nil }
            return "\(setting.flag) \(given) (the run has \(stored))"
        }
    }
}

extension ArgumentHelp {
    /// The help of a setting, from its declaration.
    static func setting(_ name: String) -> ArgumentHelp { ArgumentHelp(TrainFlags.setting(name).help) }
}

import ArgumentParser
