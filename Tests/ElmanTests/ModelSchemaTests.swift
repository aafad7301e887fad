import Foundation
import Testing
@testable import Elman

/// ``ModelSchema``: files of an earlier format version still load and compute what they did, files of a newer
/// or malformed version are refused by name, and docs/MODEL-FORMAT.md is the schema's table.
///
/// The fixtures (Tests/ElmanTests/Fixtures, format elman/1) were written by `elman train` on the built-in data
/// (`--steps 30 --hidden 8`; `--task classify --hidden 6`; `--task regress --hidden 6 --seq 8 --batch 4` on a
/// 200-row sine/cosine CSV). The expected outputs below were recorded once from those files with the code of
/// the day they were written: they are a regression record, not values derived independently. A later build
/// must keep reading these files and computing the same outputs; a new format version adds files, never
/// replaces these.
@Suite struct ModelSchemaTests {
    /// A committed file from Tests/ElmanTests/Fixtures.
    static func fixture(_ name: String) throws -> SafeTensorsFile {
        guard let url = Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil) else {
            throw ElmanError("fixture \(name) is not in the test bundle")
        }
        return try SafeTensorsFile.read(url.path)
    }

    /// Float32 outputs agree across kernels (ISA, BLAS) to well within this; a wrong weight, bias or
    /// nonlinearity moves them by far more.
    static func close(_ a: [Float], _ b: [Float], tolerance: Float = 2e-5) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance }
    }

    static let lmRecorded: [Float] = [0.35242018, 0.059709813, 0.15939207, 0.041087337, 0.18625084, 0.12646376,
                                      0.030557578, 0.044118423]

    @Test func anElman1LanguageModelLoadsAndPredictsAsRecorded() throws {
        let file = try Self.fixture("lm-elman1.safetensors")
        #expect(try ModelSchema.version(of: file, name: "lm") == 1)
        let model = try TrainedModel(file: file, name: "lm")
        #expect(model.config == ModelConfig(inputSize: 8, hiddenSize: 8, outputSize: 8, layers: 1))
        #expect(model.vocabulary.symbols == ["B", "E", "P", "S", "T", "V", "X", "<unk>"])
        var state = model.initialState()
        let p = try model.predict("BTSSXXTVVEPE", state: &state)
        #expect(Self.close(p, Self.lmRecorded), "\(p)")
    }

    @Test func anElman1ClassifierLoadsAndClassifiesAsRecorded() throws {
        let model = try TrainedModel(file: Self.fixture("classify-elman1.safetensors"), name: "c")
        #expect(model.labels == ["even", "odd"])
        #expect(model.config.head == .sigmoid)
        for (sequence, odd) in [("0110101", Float(0.5140258)), ("11", Float(0.5188242))] {
            let ranked = try model.classify(sequence)
            let p = ranked.first { $0.label == "odd" }?.probability ?? -1
            #expect(abs(p - odd) <= 2e-5, "\(sequence): \(ranked)")
        }
    }

    @Test func anElman1RegressionModelLoadsAndForecastsAsRecorded() throws {
        let model = try TrainedModel(file: Self.fixture("regress-elman1.safetensors"), name: "r")
        #expect(model.columns?.names == ["a", "b"])
        let history = NumericSeries(columns: ["a", "b"], values: [0, 1, 0.2, 0.98, 0.39, 0.92])
        let forecast = try model.forecast(history: history, horizon: 3)
        let recorded = [0.06285930232421859, 0.33415426493000894, 0.02603484737724884, 0.1305979515461747,
                        0.02341390449496534, -0.0005365357524046155]
        #expect(forecast.values.count == recorded.count)
        #expect(zip(forecast.values, recorded).allSatisfy { abs($0 - $1) <= 5e-5 }, "\(forecast.values)")
    }

    /// The checkpoint `elman train` wrote beside the language model: its training options, trainer state, data
    /// position, carried state and optimizer moments still resume, on data as long as the built-in corpus.
    @Test func anElman1CheckpointResumes() throws {
        let file = try Self.fixture("lm-checkpoint-elman1.safetensors")
        let options = try Trainer<LanguageModelTask>.options(in: file, name: "last")
        #expect(options.hidden == 8 && options.steps == 30 && options.seq == 32 && options.batch == 32)
        let text = ReberGrammar.corpus(strings: 6000, seed: 2024)
        let vocabulary = Vocabulary.build(from: text, level: .char)
        let tokens = try vocabulary.encode(text)
        let split = tokens.count * 9 / 10
        let task = try LanguageModelTask(vocabulary: vocabulary, train: Array(tokens[..<split]), validation: Array(tokens[split...]))
        let trainer = try Trainer(resuming: file, task: task, name: "last", steps: 31)
        #expect(trainer.step == 30)
        let report = try trainer.trainStep()
        #expect(trainer.step == 31)
        #expect(report.loss.isFinite)
        #expect(try ModelSchema.decode(.command, as: [String: AnyCodable].self, in: file, name: "last") != nil)
    }

    /// What `name` says when read with format `format` by each reader.
    static func errors(_ format: String?, _ name: String = "m.safetensors") throws -> [String?] {
        var file = try fixture("lm-checkpoint-elman1.safetensors")
        file.metadata["format"] = format
        func message(_ body: () throws -> Void) -> String? {
            do { try body(); return nil } catch let e as ElmanError { return e.message } catch { return "\(error)" }
        }
        return [
            message { _ = try TrainedModel(file: file, name: name) },
            message { let _: Parameters<Float> = try ModelFile.parameters(from: file, name: name) },
            message { _ = try Vocabulary.saved(in: file, name: name) },
            message { _ = try Trainer<LanguageModelTask>.options(in: file, name: name) },
            message { _ = try Trainer(resuming: file, task: TrainTests.reberTask(), name: name) },
        ]
    }

    @Test func aNewerFormatIsRefusedByNameWithTheNewestThisBuildReads() throws {
        let expected = "m.safetensors: format elman/99 is newer than this build of Elman reads (elman/2 at most); "
            + "read it with a newer Elman"
        #expect(try Self.errors("elman/99") == Array(repeating: expected, count: 5))
        #expect(try Self.errors("elman/3").allSatisfy { $0?.contains("format elman/3 is newer") == true })
    }

    @Test func aMalformedElmanFormatIsRefused() throws {
        for garbage in ["elman/x", "elman/", "elman/01", "elman/0", "elman/-1", "elman/1.0", "elman1", "elman"] {
            let expected = "m.safetensors: metadata format '\(garbage)' is not a version of Elman's format; "
                + "expected elman/N with N a whole number from 1 to 2"
            #expect(try Self.errors(garbage) == Array(repeating: expected, count: 5), "\(garbage)")
        }
    }

    /// A file without `format`, or with another framework's, is foreign: its tensors and whatever keys it carries
    /// are read as this version's, so the same model computes the same outputs.
    @Test func aFileWithoutAnElmanFormatIsReadAsAForeignFile() throws {
        for format in [nil, "pt", "np"] {
            var file = try Self.fixture("lm-elman1.safetensors")
            file.metadata["format"] = format
            #expect(try ModelSchema.version(of: file, name: "f") == nil)
            let model = try TrainedModel(file: file, name: "f")
            var state = model.initialState()
            #expect(Self.close(try model.predict("BTSSXXTVVEPE", state: &state), Self.lmRecorded))
        }
    }

    /// A key newer than the file's version counts as absent, so its documented default applies.
    @Test func aKeyNewerThanTheFileIsAbsent() throws {
        let later = ModelSchema.Key(name: "later", type: .string, files: "model", meaning: "", whenAbsent: "", since: 2)
        var file = SafeTensorsFile(metadata: ["later": "x", "format": "elman/1"])
        #expect(try ModelSchema.string(later, in: file, name: "f") == nil)
        #expect(try ModelSchema.string(.task, in: file, name: "f") == nil)
        file.metadata["task"] = "classify"
        #expect(try ModelSchema.string(.task, in: file, name: "f") == "classify")
        file.metadata["format"] = nil  // foreign: read as this version's
        #expect(try ModelSchema.string(later, in: file, name: "f") == "x")
    }

    /// Every key a file carries today is in the schema, and every file says the current version.
    @Test func everyKeyWrittenIsInTheSchema() throws {
        let known = Set(ModelSchema.keys.map(\.name))
        #expect(known.count == ModelSchema.keys.count)
        let trainer = try TrainTests.reberTrainer(steps: 2)
        _ = try trainer.trainStep()
        let data = try LabeledSequences.parse("a\txy\nb\tyy\na\tx\nb\ty", name: "t", level: .char)
        var o = TrainingOptions()
        o.hidden = 4
        let classifier = try Trainer(options: o, labels: data.labels, vocabulary: data.vocabulary, train: data.examples)
        let written = [trainer.modelFile(), trainer.checkpoint(), classifier.checkpoint()]
        for file in written {
            #expect(file.metadata["format"] == ModelSchema.format)
            #expect(Set(file.metadata.keys).isSubset(of: known), "\(file.metadata.keys.sorted())")
        }
        for name in ["lm-elman1", "lm-checkpoint-elman1", "classify-elman1", "regress-elman1"] {
            let keys = try Self.fixture("\(name).safetensors").metadata.keys
            #expect(Set(keys).isSubset(of: known), "\(name): \(keys.sorted())")
        }
    }

    /// docs/MODEL-FORMAT.md holds the schema's table as generated, and names the current version.
    @Test func theFormatDocumentIsTheSchema() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/MODEL-FORMAT.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        #expect(text.contains(ModelSchema.markdownTable()), "regenerate the table from ModelSchema.markdownTable()")
        #expect(text.contains("The current version is `\(ModelSchema.format)`"))
    }
}

/// Any JSON value, to check that a value decodes as JSON without naming its type (the CLI's settings).
private struct AnyCodable: Decodable {
    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { return }
        if (try? c.decode(String.self)) != nil || (try? c.decode(Double.self)) != nil || (try? c.decode(Bool.self)) != nil {
            return
        }
        if (try? c.decode([AnyCodable].self)) != nil || (try? c.decode([String: AnyCodable].self)) != nil { return }
        throw DecodingError.dataCorruptedError(in: c, debugDescription: "not JSON")
    }
}
