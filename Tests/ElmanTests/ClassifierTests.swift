import Testing
@testable import Elman

@Suite struct ClassifierTests {
    @Test(arguments: [Head.sigmoid, .softmax], [false, true])
    func paddedBatchEqualsEachSequenceAlone(head: Head, bidirectional: Bool) throws {
        // Loss only at each sequence's last step: padding after the end must not change loss or gradient.
        let labels: Int32 = head == .sigmoid ? 2 : 3
        let examples: [LabeledSequences.Example] = [
            .init(tokens: [1, 2, 0, 3], label: 1), .init(tokens: [2], label: 0), .init(tokens: [3, 3], label: labels - 1),
        ]
        var options = TrainingOptions()
        options.hidden = 5
        options.layers = bidirectional ? 2 : 1
        options.bidirectional = bidirectional
        let config = ClassificationTask.config(labels: Int(labels), vocabulary: 4, options: options)
        var g = SeededGenerator(seed: 9)
        let params = Parameters<Double>(config: config, generator: &g)
        let engine = try Engine<Double>(config: config)
        func doubled(_ b: Batch<Float>) -> Batch<Double> {
            let targets: Batch<Double>.Targets
            switch b.targets {
            case .classes(let y): targets = .classes(y)
            case .binary(let y): targets = .binary(y.map(Double.init))
            case .values(let y): targets = .values(y.map(Double.init))
            }
            return Batch(steps: b.steps, size: b.size, inputs: { if case .tokens(let t) = b.inputs { return .tokens(t) }; return .tokens([]) }(),
                         targets: targets, mask: b.mask?.map(Double.init), lengths: b.lengths)
        }
        var together = Parameters<Double>(config: config)
        let all = try engine.gradient(params, doubled(ClassificationTask.batch(examples[...], head: head)), into: &together)
        var sum = [Double](repeating: 0, count: together.values.count), loss = 0.0
        for e in examples {
            var alone = Parameters<Double>(config: config)
            loss += try engine.gradient(params, doubled(ClassificationTask.batch([e][...], head: head)), into: &alone).loss
            for i in sum.indices { sum[i] += alone.values[i] }
        }
        #expect(abs(all.loss - loss) < 1e-12 * abs(loss))
        #expect(all.weight == 3)
        #expect(GradientCheck.maxRelativeError(together.values, sum) < 1e-12)
    }

    @Test func scoreAgreesWithTheEngineLoss() throws {
        let data = try LabeledSequences.parse(LabeledSequences.parity(count: 50, maxLength: 6, seed: 3), name: "p", level: .char)
        var options = TrainingOptions()
        options.hidden = 7
        let trainer = try Trainer(options: options, labels: data.labels, vocabulary: data.vocabulary,
                                            train: data.examples)
        let score = try ClassificationTask.score(trainer.params, data.examples, batchSize: 16)
        let engine = try Engine<Float>(config: trainer.params.config)
        let r = try engine.evaluate(trainer.params, ClassificationTask.batch(data.examples[...], head: .sigmoid), reduction: .mean)
        #expect(abs(score.loss - r.loss) < 1e-5)
        // Accuracy by hand: each example alone through the engine, its last logit's sign against its label.
        var right = 0
        for example in data.examples {
            let steps = example.tokens.count
            let out = try engine.logits(trainer.params, inputs: .tokens(example.tokens), steps: steps, size: 1)
            if (out.logits[steps - 1] > 0 ? 1 : 0) == example.label { right += 1 }
        }
        #expect(score.items == 50)
        #expect(score.accuracy == Double(right) / 50, "\(score.accuracy) vs \(right)/50")
    }

    @Test func parityIsLearned() throws {
        let data = try LabeledSequences.parse(LabeledSequences.parity(count: 1200, maxLength: 5, seed: 1), name: "parity", level: .char)
        #expect(data.labels == ["even", "odd"])
        var options = TrainingOptions()
        options.hidden = 16
        options.lr = 2e-2
        options.steps = 400
        let train = Array(data.examples[..<1000]), validation = Array(data.examples[1000...])
        let trainer = try Trainer(options: options, labels: data.labels, vocabulary: data.vocabulary, train: train)
        let before = try ClassificationTask.score(trainer.params, validation)
        for _ in 0..<options.steps { try trainer.trainStep() }
        let after = try ClassificationTask.score(trainer.params, validation)
        #expect((after.accuracy ?? 0) >= 0.95, "accuracy \(after.accuracy ?? .nan), before \(before.accuracy ?? .nan)")
        #expect(after.loss < before.loss / 4)
    }

    @Test func badLinesAreNamed() {
        #expect(throws: ElmanError("f:2: no tab; expected LABEL<TAB>SEQUENCE")) {
            try LabeledSequences.parse("a\txy\nno tab here\n", name: "f", level: .char)
        }
        #expect(throws: ElmanError.self) { try LabeledSequences.parse("a\txy\na\tyx\n", name: "f", level: .char) }
        #expect(throws: ElmanError.self) { try LabeledSequences.parse("a\t\n", name: "f", level: .char) }
    }
}

@Suite struct ClassifierResumeTests {
    static func trainer(_ data: LabeledSequences) throws -> Trainer<ClassificationTask> {
        var o = TrainingOptions()
        o.hidden = 8
        o.batch = 16  // 40 examples: the shuffled order wraps mid-run
        o.steps = 30
        o.lr = 1e-2
        return try Trainer(options: o, labels: data.labels, vocabulary: data.vocabulary, train: data.examples)
    }

    @Test func resumingContinuesBitForBit() throws {
        let data = try LabeledSequences.parse(LabeledSequences.parity(count: 40, maxLength: 6, seed: 3), name: "p", level: .char)
        let straight = try Self.trainer(data)
        for _ in 0..<30 { try straight.trainStep() }
        let first = try Self.trainer(data)
        for _ in 0..<13 { try first.trainStep() }
        let saved = try SafeTensorsFile.parse(first.checkpoint().serialized(), name: "last")
        let resumed = try Trainer(resuming: saved, task: ClassificationTask(labels: data.labels, vocabulary: data.vocabulary, train: data.examples), name: "last")
        #expect(resumed.step == 13)
        for _ in 0..<17 { try resumed.trainStep() }
        #expect(resumed.params.values == straight.params.values)
        #expect(resumed.itemsSeen == straight.itemsSeen)
    }

    @Test func resumeRefusesOtherData() throws {
        let data = try LabeledSequences.parse(LabeledSequences.parity(count: 40, maxLength: 6, seed: 3), name: "p", level: .char)
        let t = try Self.trainer(data)
        for _ in 0..<3 { try t.trainStep() }
        let error = #expect(throws: ElmanError.self) {
            try Trainer(resuming: t.checkpoint(), task: ClassificationTask(labels: data.labels, vocabulary: data.vocabulary, train: Array(data.examples.prefix(10))), name: "last")
        }
        #expect(error?.message.contains("is it the same data?") == true, "\(error?.message ?? "")")
    }
}
