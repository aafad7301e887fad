import Foundation
import Testing
@testable import Elman

/// Bidirectional layers against an independent construction: each direction of a bidirectional layer must equal a
/// unidirectional layer with the same weights run on the sequence in its own order (the reverse one on each
/// sequence reversed within its length), read through a linear head whose V is the identity, so that the logits
/// are the states themselves.
@Suite struct BidirectionalTests {
    let steps = 5, size = 3, vocabulary = 4, hidden = 3
    let lengths = [5, 2, 4]
    let tokens: [Int32] = [1, 2, 3, 0, 1, 2, 0, 3, 3, 1, 2, 1, 0, 3, 0]  // T·N, time-major; steps past a length are padding

    /// States through an identity head: logits = the head's input, T·N×width.
    func headInput(_ params: Parameters<Double>, tokens: [Int32], lengths: [Int]) throws -> [Double] {
        try Engine<Double>(config: params.config).logits(params, inputs: .tokens(tokens), steps: steps, size: size,
                                                          lengths: lengths).logits
    }

    func identityHead(_ config: ModelConfig, from source: Parameters<Double>? = nil, reverse: Bool = false) throws -> Parameters<Double> {
        var p = Parameters<Double>(config: config)
        var g = SeededGenerator(seed: 5)
        for i in p.values.indices { p.values[i] = g.uniform(-0.8, 0.8) }
        if let source {  // the layer of one direction of `source`, as this unidirectional model's layer
            for id in [ParameterID.inputWeights(layer: 0, reverse: reverse), .recurrentWeights(layer: 0, reverse: reverse),
                       .inputBias(layer: 0, reverse: reverse), .hiddenBias(layer: 0, reverse: reverse)] {
                try p.setMatrix(ParameterID.forward(id), source.matrix(id)!)
            }
        }
        try p.setMatrix(.outputWeights, .identity(config.outputWidth))
        try p.setMatrix(.outputBias, Matrix(rows: 1, cols: config.outputSize))
        return p
    }

    /// Each sequence reversed within its length; padding stays where it is.
    var reversedTokens: [Int32] {
        var out = tokens
        for n in 0..<size {
            for t in 0..<lengths[n] { out[t * size + n] = tokens[(lengths[n] - 1 - t) * size + n] }
        }
        return out
    }

    @Test(arguments: [Readout.everyStep, .finalState])
    func eachDirectionIsAUnidirectionalRunInItsOwnOrder(readout: Readout) throws {
        let h = hidden
        let two = ModelConfig(inputSize: vocabulary, hiddenSize: h, outputSize: 2 * h, head: .linear, bidirectional: true,
                              readout: readout)
        let one = ModelConfig(inputSize: vocabulary, hiddenSize: h, outputSize: h, head: .linear)
        let both = try identityHead(two)
        let o = try headInput(both, tokens: tokens, lengths: lengths)  // T·N×2H
        let forward = try headInput(identityHead(one, from: both), tokens: tokens, lengths: lengths)  // T·N×H
        let backward = try headInput(identityHead(one, from: both, reverse: true), tokens: reversedTokens, lengths: lengths)
        for n in 0..<size {
            for t in 0..<lengths[n] {
                let row = t * size + n
                // Reverse half: its state at t (having read steps length−1 … t), or its final state (having read all).
                let reverseStep = readout == .everyStep ? lengths[n] - 1 - t : lengths[n] - 1
                for j in 0..<h {
                    #expect(abs(o[row * 2 * h + j] - forward[row * h + j]) < 1e-14)
                    #expect(abs(o[row * 2 * h + h + j] - backward[(reverseStep * size + n) * h + j]) < 1e-14)
                }
            }
        }
    }

    /// h_n holds each direction's state after the whole of each sequence (the forward one at its length, not at T),
    /// as nn.RNN on a packed batch: 2L×N×H, layer by layer, forward first.
    @Test func finalStateIsHnOfAPackedBatch() throws {
        let h = hidden
        let two = ModelConfig(inputSize: vocabulary, hiddenSize: h, outputSize: 2 * h, head: .linear, bidirectional: true)
        let one = ModelConfig(inputSize: vocabulary, hiddenSize: h, outputSize: h, head: .linear)
        let both = try identityHead(two)
        let engine = try Engine<Double>(config: two)
        let hn = try engine.logits(both, inputs: .tokens(tokens), steps: steps, size: size, lengths: lengths).finalState
        #expect(hn.count == 2 * size * h)
        let forward = try headInput(identityHead(one, from: both), tokens: tokens, lengths: lengths)
        let backward = try headInput(identityHead(one, from: both, reverse: true), tokens: reversedTokens, lengths: lengths)
        for n in 0..<size {
            let last = ((lengths[n] - 1) * size + n) * h
            for j in 0..<h {
                #expect(abs(hn[n * h + j] - forward[last + j]) < 1e-14)
                #expect(abs(hn[(size + n) * h + j] - backward[last + j]) < 1e-14)
            }
        }
    }

    /// One engine alternating batches with and without dropout (training, then evaluation) must not carry a mask over.
    @Test func anEngineDropsOnlyWhenTheBatchSaysSo() throws {
        var o = RandomCase.Options()
        (o.bidirectional, o.layers, o.dropout) = (true, 2, true)
        let c = RandomCase(o, seed: 5)
        var plain = c.batch
        plain.dropout = nil
        let engine = try Engine<Double>(config: c.params.config)
        let dropped = try engine.evaluate(c.params, c.batch).loss
        let reused = try engine.evaluate(c.params, plain).loss
        let fresh = try Engine<Double>(config: c.params.config).evaluate(c.params, plain).loss
        #expect(reused == fresh)
        #expect(dropped != fresh)
        #expect(try engine.evaluate(c.params, c.batch).loss == dropped)
    }

    @Test func filesKeepTheReverseTensorsAndTheReadout() throws {
        let config = ModelConfig(inputSize: 5, hiddenSize: 3, outputSize: 4, layers: 2, bidirectional: true, readout: .finalState)
        var g = SeededGenerator(seed: 2)
        let params = Parameters<Float>(config: config, generator: &g)
        let file = ModelFile.file(params)
        #expect(file.tensors["rnn.weight_ih_l1_reverse"]?.shape == [3, 6])
        #expect(file.tensors["fc.weight"]?.shape == [4, 6])
        let back: Parameters<Float> = try ModelFile.parameters(from: SafeTensorsFile.parse(file.serialized(), name: "m"), name: "m")
        #expect(back == params)
        var pytorch = file  // nn.RNN's own file has no config: bidirectional from the tensors, each step read
        pytorch.metadata = [:]
        #expect(try ModelFile.config(of: pytorch, name: "p") == ModelConfig(inputSize: 5, hiddenSize: 3, outputSize: 4, layers: 2,
                                                                          bidirectional: true))
        var missing = file
        missing.tensors["rnn.bias_hh_l1_reverse"] = nil
        #expect(throws: ElmanError.self) { try ModelFile.config(of: missing, name: "m") }
        let legacy = #"{"bias":true,"head":"softmax","hiddenSize":3,"inputSize":5,"layers":1,"nonlinearity":"tanh","outputSize":4}"#
        let decoded = try JSONDecoder().decode(ModelConfig.self, from: Data(legacy.utf8))
        #expect(!decoded.bidirectional && decoded.readout == .everyStep)
    }

    @Test func lengthsMustCoverEveryStepThatCounts() throws {
        let config = ModelConfig(inputSize: vocabulary, hiddenSize: hidden, outputSize: 2, bidirectional: true)
        func batch(mask: [Double]?, lengths: [Int]) -> Batch<Double> {
            Batch(steps: steps, size: size, inputs: .tokens(tokens), targets: .classes([Int32](repeating: 1, count: 15)),
                  mask: mask, lengths: lengths)
        }
        #expect(throws: ElmanError.self) { try batch(mask: nil, lengths: lengths).validate(for: config) }
        #expect(throws: ElmanError.self) { try batch(mask: nil, lengths: [5, 0, 5]).validate(for: config) }
        #expect(throws: ElmanError.self) { try batch(mask: nil, lengths: [5, 6, 5]).validate(for: config) }
        #expect(throws: ElmanError.self) { try batch(mask: nil, lengths: [5, 5]).validate(for: config) }
        let mask = (0..<15).map { i in i / size < lengths[i % size] ? 1.0 : 0 }
        try batch(mask: mask, lengths: lengths).validate(for: config)
    }

    @Test func languageModelsAndRegressionRefuseIt() throws {
        var options = TrainingOptions()
        options.bidirectional = true
        options.hidden = 4
        options.seq = 4
        options.batch = 2
        let vocabulary = Vocabulary.build(from: "abcabcabcabcabcabcabc", level: .char)
        let lm = try LanguageModelTask(vocabulary: vocabulary, train: try vocabulary.encode(String(repeating: "abcab", count: 20)), validation: [])
        #expect(throws: ElmanError.self) { try Trainer(options: options, task: lm) }
        let series = NumericSeries(columns: ["x"], values: (0..<100).map { Double($0 % 7) })
        #expect(throws: ElmanError.self) { try Trainer(options: options, task: try RegressionTask(train: series, validation: series)) }
    }

    /// The issue's task: the label is the first symbol of a long sequence. A unidirectional classifier must carry it
    /// over every step; the reverse direction reads it last. Also checks `classify` (one sequence, no padding)
    /// against the batched score.
    @Test func firstSymbolIsLearnedOnlyWithTheReverseDirection() throws {
        var g = SeededGenerator(seed: 4)
        let symbols = ["a", "b", "c", "d"]
        func examples(_ count: Int) -> String {
            (0..<count).map { _ in
                let s = (0..<(40 + Int(g.next() % 41))).map { _ in symbols[Int(g.next() % 4)] }.joined()
                return "\(s.prefix(1))\t\(s)"
            }.joined(separator: "\n")
        }
        let train = try LabeledSequences.parse(examples(400), name: "train", level: .char)
        let validationText = examples(200)
        let validation = try LabeledSequences.parse(validationText, name: "val", level: .char, labels: train.labels,
                                                    vocabulary: train.vocabulary)
        func accuracy(bidirectional: Bool) throws -> (Double, TrainedModel) {
            var options = TrainingOptions()
            options.hidden = 12
            options.batch = 16
            options.lr = 1e-2
            options.bidirectional = bidirectional
            let task = try ClassificationTask(labels: train.labels, vocabulary: train.vocabulary, train: train.examples,
                                              validation: validation.examples)
            let trainer = try Trainer(options: options, task: task)
            for _ in 0..<150 { try trainer.trainStep() }
            let score = try #require(try trainer.task.validate(trainer.params))
            return (try #require(score.accuracy),
                    try TrainedModel(params: trainer.params, vocabulary: train.vocabulary, labels: train.labels))
        }
        let (both, model) = try accuracy(bidirectional: true)
        let (forwardOnly, _) = try accuracy(bidirectional: false)
        #expect(both >= 0.95)
        #expect(forwardOnly < 0.5)
        var right = 0
        for line in validationText.split(separator: "\n") {
            let parts = line.split(separator: "\t")
            right += try model.classify(String(parts[1])).first?.label == String(parts[0]) ? 1 : 0
        }
        #expect(abs(Double(right) / 200 - both) < 1e-9)
    }
}

extension ParameterID {
    /// The same tensor of the forward direction.
    static func forward(_ id: ParameterID) -> ParameterID {
        switch id {
        case .inputWeights(let l, _): return .inputWeights(layer: l)
        case .recurrentWeights(let l, _): return .recurrentWeights(layer: l)
        case .inputBias(let l, _): return .inputBias(layer: l)
        case .hiddenBias(let l, _): return .hiddenBias(layer: l)
        default: return id
        }
    }
}
