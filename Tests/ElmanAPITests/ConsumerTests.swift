import Elman
import Foundation
import Testing

/// A program written against the public API only (no `@testable`): training from Swift, then the inference calls
/// exactly as the documentation shows them. It fails to compile if a public name changes.
@Suite struct ConsumerTests {
    static func run(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("elman-consumer-\(name)-\(getpid())").path
    }

    @Test func aLanguageModelTrainedFromSwiftPredictsAndGenerates() throws {
        let directory = Self.run("lm")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let text = String(repeating: "First Citizen: ROMEO: speak, hear me. ", count: 80)
        let vocabulary = Vocabulary.build(from: text, level: .char)
        let tokens = try vocabulary.encode(text)
        var options = TrainingOptions()
        options.hidden = 24
        options.seq = 16
        options.batch = 8
        options.steps = 150
        options.evalEvery = 50
        options.lr = 1e-2
        let task = try LanguageModelTask(vocabulary: vocabulary, train: Array(tokens.dropLast(300)), validation: Array(tokens.suffix(300)))
        let training = try TrainingRun(Trainer(options: options, task: task), directory: directory)
        #expect(try training.run() == .finished)

        let model = try TrainedModel.load("\(directory)/model.safetensors")
        var state = model.initialState()
        let p: [Float] = try model.predict("First Citizen", state: &state)  // next-symbol probabilities, vocabulary order
        let text2: String = try model.generate(prime: "ROMEO:", length: 200, temperature: 0.8, topK: 0, seed: 7)
        #expect(p.count == model.vocabulary.count)
        #expect(abs(p.reduce(0, +) - 1) < 1e-4)
        // After "First Citizen" the text always continues with ':'; a trained model knows it.
        let colon = try #require(model.vocabulary.symbols.firstIndex(of: ":"))
        #expect(p[colon] > 0.5, "p(':') = \(p[colon])")
        #expect(text2.count == 200)
        #expect(try model.generate(prime: "ROMEO:", length: 200, temperature: 0.8, topK: 0, seed: 7) == text2)

        // The file says its format version; a reader checks it with the schema before reading anything else.
        var file = try SafeTensorsFile.read("\(directory)/model.safetensors")
        #expect(file.metadata["format"] == ModelSchema.format)
        #expect(try ModelSchema.version(of: file, name: "model") == ModelSchema.version)
        #expect(ModelSchema.keys.contains { $0.name == "vocabulary" && $0.type == .json && $0.since <= ModelSchema.version })
        file.metadata["format"] = "elman/\(ModelSchema.version + 1)"
        #expect(throws: ElmanError.self) { try TrainedModel(file: file, name: "model") }
    }

    @Test func aClassifierTrainedFromSwiftRanksItsLabels() throws {
        let directory = Self.run("cls")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let data = try LabeledSequences.parse(LabeledSequences.parity(count: 1200, maxLength: 7, seed: 1), name: "parity", level: .char)
        var options = TrainingOptions()
        options.hidden = 16
        options.steps = 600
        options.evalEvery = 100
        options.lr = 2e-2
        let task = try ClassificationTask(labels: data.labels, vocabulary: data.vocabulary,
                                          train: Array(data.examples[..<1000]), validation: Array(data.examples[1000...]))
        _ = try TrainingRun(Trainer(options: options, task: task), directory: directory).run()

        let classifier = try TrainedModel.load(directory)
        let ranked: [(label: String, probability: Float)] = try classifier.classify("0110101")  // most likely first
        #expect(ranked.map(\.label) == ["even", "odd"])  // four ones
        #expect(ranked[0].probability > 0.9)
        #expect(try classifier.classify("0100")[0].label == "odd")
    }
}
