import Foundation
import Testing
@testable import Elman

/// ``TrainedModel``: predictions one symbol at a time against the batched engine (an independent path through
/// the same equations), generation, classification and the errors of misuse.
@Suite struct InferenceTests {
    static func languageModel(layers: Int = 2) throws -> TrainedModel {
        let trainer = try TrainTests.reberTrainer(steps: 30)
        var o = trainer.options
        o.layers = layers
        o.steps = 30
        let text = ReberGrammar.corpus(strings: 300, seed: 1)
        let tokens = try trainer.vocabulary.encode(text)
        let stacked = try Trainer(options: o, vocabulary: trainer.vocabulary, train: Array(tokens[..<3000]), validation: [])
        for _ in 0..<30 { try stacked.trainStep() }
        return try TrainedModel(params: stacked.params, vocabulary: stacked.vocabulary)
    }

    static func softmax(_ g: ArraySlice<Float>) -> [Double] {
        let m = Double(g.max() ?? 0)
        let e = g.map { Double.exp(Double($0) - m) }
        let total = e.reduce(0, +)
        return e.map { $0 / total }
    }

    @Test func predictingATextEqualsPredictingItSymbolBySymbolAndTheBatchedEngine() throws {
        let model = try Self.languageModel()
        let text = "BTSSXXTVVEBP"
        var whole = model.initialState()
        let p = try model.predict(text, state: &whole)
        var piecewise = model.initialState()
        var q: [Float] = []
        for ch in text { q = try model.predict(String(ch), state: &piecewise) }
        #expect(p.count == model.vocabulary.count)
        #expect(zip(p, q).allSatisfy { abs($0 - $1) <= 1e-5 })
        #expect(whole == piecewise)
        #expect(abs(p.reduce(0, +) - 1) < 1e-5)
        let ids = try model.vocabulary.encode(text)
        let engine = try Engine<Float>(config: model.config)
        let (logits, final) = try engine.logits(model.params, inputs: .tokens(ids), steps: ids.count, size: 1)
        let c = model.config.outputSize
        let reference = Self.softmax(logits[(logits.count - c)...])
        #expect(zip(p, reference).allSatisfy { abs(Double($0) - $1) <= 1e-5 }, "\(p) vs \(reference)")
        #expect(zip(whole.values, final).allSatisfy { abs($0 - $1) <= 1e-5 })
        // The state carries: predicting the text's second half from the first half's state equals the whole.
        var half = model.initialState()
        _ = try model.predict(String(text.prefix(5)), state: &half)
        let rest = try model.predict(String(text.dropFirst(5)), state: &half)
        #expect(zip(rest, p).allSatisfy { abs($0 - $1) <= 1e-5 })
    }

    /// Temperature 0 takes the most likely symbol at each step, whatever the seed: each generated symbol is the
    /// argmax of `predict` on everything before it.
    @Test func temperatureZeroIsGreedy() throws {
        let model = try Self.languageModel(layers: 1)
        let text = try model.generate(prime: "BT", length: 40, temperature: 0, topK: 0, seed: 7)
        #expect(try model.generate(prime: "BT", length: 40, temperature: 0, topK: 3, seed: 8) == text)
        var state = model.initialState()
        var p = try model.predict("BT", state: &state)
        for (i, ch) in text.enumerated() {
            let best = p.indices.max { p[$0] < p[$1] || (p[$0] == p[$1] && $0 > $1) } ?? -1
            #expect(model.vocabulary.symbols[best] == String(ch), "symbol \(i) of \(text)")
            p = try model.predict(String(ch), state: &state)
        }
    }

    @Test func generationIsReproducibleAndFollowsTheSeed() throws {
        let model = try Self.languageModel(layers: 1)
        let a = try model.generate(prime: "BT", length: 200, temperature: 0.8, topK: 0, seed: 7)
        let b = try model.generate(prime: "BT", length: 200, temperature: 0.8, topK: 0, seed: 7)
        let other = try model.generate(prime: "BT", length: 200, temperature: 0.8, topK: 0, seed: 8)
        #expect(a == b)
        #expect(a != other)
        #expect(a.count == 200)
        #expect(Set(a).isSubset(of: Set(model.vocabulary.symbols.joined())))
        // Greedy (top 1) generation is the argmax of predict at every symbol.
        let greedy = try model.generate(prime: "B", length: 20, topK: 1, seed: 1)
        var state = model.initialState()
        var p = try model.predict("B", state: &state)
        for ch in greedy {
            let argmax = p.indices.max { p[$0] < p[$1] }!
            #expect(model.vocabulary.symbols[argmax] == String(ch))
            p = try model.predict(String(ch), state: &state)
        }
    }

    /// A classifier of `labelCount` labels ("a", "b", "c") on runs of "xy", trained `steps` steps at H = 8.
    static func classifier(labelCount: Int, steps: Int) throws -> (model: TrainedModel, data: LabeledSequences) {
        let text = (0..<60).map { i in "\(["a", "b", "c"][i % labelCount])\t" + String(repeating: "xy", count: 1 + i % 4) }.joined(separator: "\n")
        let data = try LabeledSequences.parse(text, name: "t", level: .char)
        var o = TrainingOptions()
        o.hidden = 8
        o.steps = steps
        let trainer = try Trainer(options: o, labels: data.labels, vocabulary: data.vocabulary, train: data.examples)
        for _ in 0..<steps { try trainer.trainStep() }
        return (try TrainedModel(params: trainer.params, vocabulary: data.vocabulary, labels: data.labels), data)
    }

    @Test func classifyRanksTheLabelsByTheEnginesProbabilities() throws {
        for labelCount in [2, 3] {
            let (model, data) = try Self.classifier(labelCount: labelCount, steps: 20)
            let ranked = try model.classify("xyxyx")
            #expect(Set(ranked.map(\.label)) == Set(data.labels))
            #expect(zip(ranked, ranked.dropFirst()).allSatisfy { $0.probability >= $1.probability })
            #expect(abs(ranked.map(\.probability).reduce(0, +) - 1) < 1e-5)
            let ids = try data.vocabulary.encode("xyxyx")
            let (logits, _) = try Engine<Float>(config: model.config).logits(model.params, inputs: .tokens(ids), steps: ids.count, size: 1)
            let c = model.config.outputSize
            let last = logits[(logits.count - c)...]
            let expected = labelCount == 2 ? [1 - 1 / (1 + Double.exp(-Double(last.first!))), 1 / (1 + Double.exp(-Double(last.first!)))]
                : Self.softmax(last)
            for (label, probability) in ranked {
                let i = data.labels.firstIndex(of: label)!
                #expect(abs(Double(probability) - expected[i]) < 1e-5, "\(label): \(probability) vs \(expected[i])")
            }
        }
    }

    @Test func misuseIsAnErrorThatSaysWhy() throws {
        let model = try Self.languageModel(layers: 1)
        var state = model.initialState()
        var other = model.initialState()
        #expect(try model.predict("Bq", state: &state) == model.predict("B€", state: &other))  // both unseen: <unk>
        #expect(throws: ElmanError.self) { try model.predict("", state: &state) }
        #expect(throws: ElmanError.self) { try model.classify("BT") }
        #expect(throws: ElmanError.self) { try model.generate(prime: "B", length: 5, temperature: -0.5, topK: 0, seed: 1) }
        var wrong = TrainedModel.State(values: [0])
        #expect(throws: ElmanError.self) { try model.predict("B", state: &wrong) }
        let data = try LabeledSequences.parse("a\txy\nb\tyx\n", name: "t", level: .char)
        var o = TrainingOptions()
        o.hidden = 4
        let trainer = try Trainer(options: o, labels: data.labels, vocabulary: data.vocabulary, train: data.examples)
        let classifier = try TrainedModel(params: trainer.params, vocabulary: data.vocabulary, labels: data.labels)
        var s = classifier.initialState()
        #expect(throws: ElmanError.self) { try classifier.predict("xy", state: &s) }
        #expect(throws: ElmanError.self) { try classifier.generate(prime: "x", length: 3, seed: 1) }
    }

    @Test func loadReadsAFileOrARunDirectory() throws {
        let trainer = try TrainTests.reberTrainer(steps: 2)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("elman-load-\(getpid())").path
        try FileIO.createDirectory(directory)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try trainer.modelFile().write(to: "\(directory)/model.safetensors")
        let fromFile = try TrainedModel.load("\(directory)/model.safetensors")
        let fromDirectory = try TrainedModel.load(directory)
        #expect(fromFile.params.values == trainer.params.values)
        #expect(fromDirectory.params.values == trainer.params.values)
        #expect(fromFile.vocabulary == trainer.vocabulary)
        #expect(throws: ElmanError.self) { try TrainedModel.load("\(directory)/missing.safetensors") }
    }
}
