import Elman
import Foundation

/// What `elman train` needs besides the training options to rebuild a run: the task, its data and how it is
/// read, and the loop's settings. Saved in each checkpoint (metadata key `command`), so that
/// `elman train --resume DIR` needs nothing else.
struct RunSettings: Codable, Equatable {
    var task: TrainTask
    /// Absolute path of the training file; nil for the built-in data.
    var file: String?
    var level: TokenLevel
    var minCount: Int
    /// Absolute path of the validation file, or nil for `valFraction` of the training data.
    var valFile: String?
    var valFraction: Double
    var patience: Int
    var sampleLength: Int
    var diagnoseEvery: Int?
    /// --inputs and --targets as given (regress); nil: every column.
    var inputs: String? = nil
    var targets: String? = nil
    /// --header / --no-header (classify); nil: detected.
    var header: Bool? = nil
    /// --difference / --no-difference (regress); nil: by the KPSS test on the training rows.
    var difference: Bool? = nil
    /// --time-column (regress): a column name, or "none"; nil: detected.
    var timeColumn: String? = nil
    /// --input (classify); nil: detected from the file.
    var input: ClassifierInput? = nil
    /// --window (classify, real-valued series); nil: the default for the data's lengths.
    var window: Int? = nil
    /// --init-from: the model whose weights the run starts from (absolute path).
    var initFrom: String? = nil

    static let metadataKey = ModelSchema.Key.command.name

    var builtin: Bool { file == nil }

    static func saved(in file: SafeTensorsFile, name: String) throws -> RunSettings {
        guard let settings = try ModelSchema.decode(.command, as: RunSettings.self, in: file, name: name) else {
            throw ElmanError("\(name): no elman train settings in its metadata; expected a last.safetensors written by "
                + "this version of elman train (start a new run)")
        }
        return settings
    }

    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }
}

/// An absolute, normalized path, so that a run resumed from another directory finds its data.
func absolutePath(_ path: String) -> String {
    let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(path)
    return url.standardizedFileURL.path
}

extension TrainTask: Codable {}
