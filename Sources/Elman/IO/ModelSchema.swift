import Foundation

/// The on-disk format of Elman's safetensors files (models, checkpoints, `elman grad`'s gradients): the format
/// version every file carries, and every metadata key with its type, meaning, what a reader assumes when it is
/// absent, and the version that introduced it. docs/MODEL-FORMAT.md is this table, for other programs.
///
/// Every file Elman writes says `format = elman/N`. A reader accepts N from ``oldestReadable`` to ``version``
/// (a key newer than the file's version counts as absent, and its documented default applies) and refuses a
/// larger N, naming the file and the newest version it reads. A file without `format`, or whose `format` is
/// another framework's (PyTorch writes `pt`), is a foreign file: its tensors say what the model is, and the keys
/// it does carry are read as this version's. `N` goes up whenever what is written changes.
public enum ModelSchema {
    /// The format version this build writes.
    public static let version = 2
    /// The oldest format version this build reads.
    public static let oldestReadable = 1
    /// The `format` value this build writes: `elman/` and ``version``.
    public static var format: String { formatPrefix + String(version) }
    static let formatPrefix = "elman/"

    /// How a metadata value is written (safetensors metadata values are strings).
    public enum ValueType: String, Sendable {
        /// The value itself, one of the words the key's meaning lists.
        case string
        /// A JSON document, in a string.
        case json
    }

    /// One metadata key.
    public struct Key: Hashable, Sendable {
        /// The key as written in the file's `__metadata__`.
        public let name: String
        /// How its value is written.
        public let type: ValueType
        /// Which files carry it: model (model.safetensors, and so every checkpoint), checkpoint
        /// (last.safetensors) or gradient (`elman grad --out`).
        public let files: String
        /// What the value says.
        public let meaning: String
        /// What a reader assumes when the key is absent.
        public let whenAbsent: String
        /// The format version that introduced the key.
        public let since: Int
    }

    /// Every key, in the order docs/MODEL-FORMAT.md lists them.
    public static let keys: [Key] = [
        .format, .head, .nonlinearity, .config, .task, .vocabulary, .labels, .series, .columns, .training,
        .resume, .data, .runWindow, .command, .reduction,
    ]

    /// The format version of `file` (`name` names it in errors): nil for a foreign file (no `format`, or another
    /// framework's). Throws for a version newer than this build reads, and for an `elman…` value that is not
    /// `elman/N`.
    public static func version(of file: SafeTensorsFile, name: String) throws -> Int? {
        guard let format = file.metadata[Key.format.name], format.hasPrefix("elman") else { return nil }
        guard format.hasPrefix(formatPrefix), let n = Int(format.dropFirst(formatPrefix.count)),
              String(n) == format.dropFirst(formatPrefix.count), n >= 1 else {
            throw ElmanError("\(name): metadata format '\(format.prefix(40))' is not a version of Elman's format; "
                + "expected \(formatPrefix)N with N a whole number from \(oldestReadable) to \(version)")
        }
        guard n <= version else {
            throw ElmanError("\(name): format \(format) is newer than this build of Elman reads (\(ModelSchema.format) "
                + "at most); read it with a newer Elman")
        }
        guard n >= oldestReadable else {
            throw ElmanError("\(name): format \(format) is older than this build of Elman reads "
                + "(\(formatPrefix)\(oldestReadable) at least)")
        }
        return n
    }

    /// The value of `key` in `file`, nil when absent or newer than the file's version. Throws when the file's
    /// version is one this build does not read.
    package static func string(_ key: Key, in file: SafeTensorsFile, name: String) throws -> String? {
        if let n = try version(of: file, name: name), n < key.since { return nil }
        return file.metadata[key.name]
    }

    /// The JSON value of `key` decoded as `V`; nil when absent or not a `V` (the caller says which it needed).
    package static func decode<V: Decodable>(_ key: Key, as _: V.Type, in file: SafeTensorsFile, name: String) throws -> V? {
        guard let json = try string(key, in: file, name: name) else { return nil }
        return try? JSONDecoder().decode(V.self, from: Data(json.utf8))
    }

    /// `value` as JSON with sorted keys, as every JSON value in a file is written.
    package static func json<V: Encodable>(_ value: V) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding the package's Codable structs (strings, numbers, arrays) does not fail.
        return (try? encoder.encode(value)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
    }

    /// Writes `value` under `key`.
    package static func set(_ key: Key, _ value: String, in file: inout SafeTensorsFile) {
        file.metadata[key.name] = value
    }

    /// Metadata from keys and their values.
    package static func metadata(_ values: [Key: String]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: values.map { ($0.key.name, $0.value) })
    }

    /// The key table of docs/MODEL-FORMAT.md, generated from ``keys`` (a test holds the document to it).
    package static func markdownTable() -> String {
        var lines = ["| key | type | in | meaning | when absent | since |", "|---|---|---|---|---|---|"]
        for k in keys {
            lines.append("| `\(k.name)` | \(k.type.rawValue) | \(k.files) | \(k.meaning) | \(k.whenAbsent) | \(k.since) |")
        }
        return lines.joined(separator: "\n")
    }
}

/// Tensors a checkpoint holds besides the parameters (whose names ``ModelFile`` gives).
package enum CheckpointTensor {
    /// Adam's (or the optimizer's) first and second moments, one value per parameter in ``ParameterLayout`` order.
    package static let optimizerFirst = "optim.first", optimizerSecond = "optim.second"
    /// The hidden state carried into the next chunk, L×N×H (language models and regression).
    package static let hidden = "state.hidden"
    /// A classifier's shuffled example order and its generator's state.
    package static let order = "state.order", shuffler = "state.shuffler"
}

extension ModelSchema.Key {
    /// `elman/N`.
    public static let format = Self(
        name: "format", type: .string, files: "all",
        meaning: "the format version, `elman/N`; a reader refuses an N newer than it knows",
        whenAbsent: "a foreign file (as is another framework's `format`, e.g. PyTorch's `pt`): the tensors say what the model is",
        since: 1)
    /// The output head.
    public static let head = Self(
        name: "head", type: .string, files: "model",
        meaning: "the output head: `softmax`, `sigmoid` or `linear`",
        whenAbsent: "`sigmoid` for one output, else `softmax` (`elman grad`: what the batch's targets imply)",
        since: 1)
    /// The nonlinearity of the recurrence.
    public static let nonlinearity = Self(
        name: "nonlinearity", type: .string, files: "model",
        meaning: "the recurrence's nonlinearity: `tanh` or `relu`",
        whenAbsent: "`tanh`", since: 1)
    /// The model config.
    public static let config = Self(
        name: "config", type: .json, files: "model",
        meaning: "the model config: `inputSize`, `hiddenSize`, `outputSize`, `layers`, `head`, `nonlinearity`, `bias`, "
            + "`bidirectional`, `readout` (`everyStep` or `finalState`); the tensors must agree with it",
        whenAbsent: "sizes, layers and directions from the tensor shapes, biases where present, readout `everyStep`",
        since: 1)
    /// The task the model was trained for.
    public static let task = Self(
        name: "task", type: .string, files: "model",
        meaning: "`classify` (a sequence classifier) or `regress` (a regression model)",
        whenAbsent: "a language model", since: 1)
    /// The symbols the model reads.
    public static let vocabulary = Self(
        name: "vocabulary", type: .json, files: "model",
        meaning: "the symbols the model reads, in input order: `level` (`char`, `word` or `byte`) and `symbols`",
        whenAbsent: "required by language models and classifiers of text", since: 1)
    /// A classifier's class names.
    public static let labels = Self(
        name: "labels", type: .json, files: "model",
        meaning: "a classifier's class names, in output order (two labels: one sigmoid output, the second label's probability)",
        whenAbsent: "required when `task` is `classify`", since: 1)
    /// A real-valued classifier's input.
    public static let series = Self(
        name: "series", type: .json, files: "model",
        meaning: "a classifier of real-valued series: its `channels` D, its `window` k (consecutive steps per input step, "
            + "the first window padded at its start with zeros) and the `standardization` (`mean`, `scale` per channel) "
            + "its inputs are in; the model's input size is D·k",
        whenAbsent: "a classifier of text (it then needs `vocabulary`)", since: 2)
    /// A regression model's columns.
    public static let columns = Self(
        name: "columns", type: .json, files: "model",
        meaning: "a regression model's series: `names`, the `inputs` and `targets` (column indices), the "
            + "`standardization` (`mean`, `scale` per column) its inputs and outputs are in, and since version 2 `time`, "
            + "the name of the training file's time column (read as row labels, not among `names`; absent: none), and "
            + "`difference` (true: the model reads and predicts each column's change from the row before, and "
            + "`standardization` is the changes'; absent: false)",
        whenAbsent: "required when `task` is `regress`", since: 1)
    /// The training options.
    public static let training = Self(
        name: "training", type: .json, files: "model",
        meaning: "the training options (`TrainingOptions`) the model was trained with",
        whenAbsent: "not needed to use the model; required to resume", since: 1)
    /// The trainer's state.
    public static let resume = Self(
        name: "resume", type: .json, files: "checkpoint",
        meaning: "the trainer's state: `step`, `itemsSeen`, `optimizerStep`, `learningRateScale`, the best validation "
            + "score and its step, `validationsSinceBest`, the dropout generator's state",
        whenAbsent: "not a checkpoint: cannot resume", since: 1)
    /// The task's position in its data.
    public static let data = Self(
        name: "data", type: .json, files: "checkpoint",
        meaning: "the task's position in its data: `position` (streams: language models, regression) or `cursor` "
            + "(a classifier's shuffled order)",
        whenAbsent: "cannot resume", since: 1)
    /// The loss sums not yet logged.
    public static let runWindow = Self(
        name: "run_window", type: .json, files: "checkpoint",
        meaning: "the loss sums of the steps not yet logged, so a resumed run logs the lines an uninterrupted one would",
        whenAbsent: "zeros", since: 1)
    /// The command line's settings.
    public static let command = Self(
        name: "command", type: .json, files: "checkpoint",
        meaning: "`elman train`'s settings besides the training options (task, data files, level, …), for `--resume`",
        whenAbsent: "`elman train --resume` refuses the file", since: 1)
    /// How a gradient was reduced.
    public static let reduction = Self(
        name: "reduction", type: .string, files: "gradient",
        meaning: "how `elman grad` reduced the loss: `sum` or `mean`",
        whenAbsent: "not a gradient file", since: 1)
}
