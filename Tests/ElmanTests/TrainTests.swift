import Foundation
import Testing
@testable import Elman

@Suite struct TrainTests {
    /// A small character-level language model task: 300 Reber strings, the first 3000 tokens for training.
    static func reberTask() throws -> LanguageModelTask {
        let text = ReberGrammar.corpus(strings: 300, seed: 1)
        let vocabulary = Vocabulary.build(from: text, level: .char)
        let tokens = try vocabulary.encode(text)
        return try LanguageModelTask(vocabulary: vocabulary, train: Array(tokens[..<3000]), validation: Array(tokens[3000...]))
    }

    static func reberTrainer(steps: Int = 40, seed: UInt64 = 3) throws -> Trainer<LanguageModelTask> {
        var o = TrainingOptions()
        o.hidden = 16
        o.seq = 8
        o.batch = 4
        o.steps = steps
        o.lr = 1e-2
        o.seed = seed
        return try Trainer(options: o, task: reberTask())
    }

    @Test func resumingContinuesBitForBit() throws {
        let straight = try Self.reberTrainer(steps: 40)
        for _ in 0..<40 { try straight.trainStep() }
        let first = try Self.reberTrainer(steps: 40)
        for _ in 0..<20 { try first.trainStep() }
        let saved = try SafeTensorsFile.parse(first.checkpoint().serialized(), name: "last")
        let resumed = try Trainer(resuming: saved, task: Self.reberTask(), name: "last")
        #expect(resumed.step == 20)
        for _ in 0..<20 { try resumed.trainStep() }
        #expect(resumed.params.values == straight.params.values)
    }

    /// With dropout the masks come from a generator saved in the checkpoint: a resumed run drops the same units;
    /// validation has no dropout, so scoring twice gives the same loss.
    @Test func dropoutResumesBitForBitAndIsOffInValidation() throws {
        func make() throws -> Trainer<LanguageModelTask> {
            let t = try Self.reberTrainer(steps: 30)
            var o = t.options
            o.layers = 2
            o.dropout = 0.3
            return try Trainer(options: o, task: t.task)
        }
        let straight = try make()
        for _ in 0..<30 { try straight.trainStep() }
        let first = try make()
        for _ in 0..<12 { try first.trainStep() }
        let resumed = try Trainer(resuming: SafeTensorsFile.parse(first.checkpoint().serialized(), name: "last"), task: make().task,
                                  name: "last")
        for _ in 0..<18 { try resumed.trainStep() }
        #expect(resumed.params.values == straight.params.values)
        let a = try #require(try straight.validate()), b = try #require(try straight.validate())
        #expect(a.loss == b.loss)
        // Without dropout the same seed trains differently: the masks are used.
        var plain = try make().options
        plain.dropout = nil
        let undropped = try Trainer(options: plain, task: make().task)
        for _ in 0..<30 { try undropped.trainStep() }
        #expect(undropped.params.values != straight.params.values)
    }

    @Test func trainingLowersTheValidationLoss() throws {
        let trainer = try Self.reberTrainer(steps: 150)
        let before = try #require(try trainer.validate()?.loss)
        for _ in 0..<150 { try trainer.trainStep() }
        let after = try #require(try trainer.validate()?.loss)
        #expect(before > 1.7 && after < 0.75, "before \(before), after \(after)")  // ln 7 ≈ 1.95 at chance
    }

    /// Each way a file falls short of a checkpoint is refused with the file's name and what it lacks; the
    /// intact checkpoint, on the same task, resumes.
    @Test func resumeRefusesWhatIsNotACompleteCheckpoint() throws {
        let trainer = try Self.reberTrainer()
        for _ in 0..<3 { try trainer.trainStep() }
        let task = try Self.reberTask()
        func refusal(_ file: SafeTensorsFile) -> String {
            let error = #expect(throws: ElmanError.self) { try Trainer(resuming: file, task: task, name: "f.safetensors") }
            return error?.message ?? "resumed"
        }
        let prefix = "f.safetensors: cannot resume: "
        #expect(refusal(trainer.modelFile()) == prefix
            + "no training state in its metadata (model.safetensors holds the model only; resume from last.safetensors)")
        var noOptions = trainer.checkpoint()
        noOptions.metadata["training"] = nil
        #expect(refusal(noOptions) == prefix + "no training options in its metadata (is it a last.safetensors checkpoint?)")
        var otherSize = trainer.checkpoint()
        var options = trainer.options
        options.hidden += 1
        otherSize.metadata["training"] = ModelSchema.json(options)
        #expect(refusal(otherSize) == prefix + "its model config does not match its training options")
        for (name, tensor) in [("optim.second", nil), ("optim.first", try SafeTensor(shape: [1], values: [Float(0)]))] {
            var noMoments = trainer.checkpoint()
            noMoments.tensors[name] = tensor
            #expect(refusal(noMoments) == prefix + "optimizer state missing or of the wrong size", "\(name)")
        }
        let resumed = try Trainer(resuming: trainer.checkpoint(), task: task, name: "f.safetensors")
        #expect(resumed.step == 3 && resumed.params.values == trainer.params.values)
    }

    @Test func reberGrammarAcceptsItsOwnStringsAndRejectsOthers() {
        var g = SeededGenerator(seed: 5)
        for _ in 0..<200 { #expect(ReberGrammar.isEmbeddedReber(Substring(ReberGrammar.embeddedString(using: &g)))) }
        #expect(!ReberGrammar.isEmbeddedReber("BTBTXSEPE"))  // second symbol not repeated
        #expect(!ReberGrammar.isEmbeddedReber("BTBTXXETE"))  // inner string not grammatical
        #expect(ReberGrammar.grammaticalShare(of: ReberGrammar.corpus(strings: 50, seed: 2)).share == 1)
        let broken = ReberGrammar.grammaticalShare(of: "BTBTXSETE" + "BPBTXXEPE" + "BPBPVVEPE")
        #expect(broken.strings == 3 && abs(broken.share - 2.0 / 3) < 1e-12)
    }

    @Test func vocabularyRoundTripsAndNamesUnknownSymbols() throws {
        let chars = Vocabulary.build(from: "hello world", level: .char)
        #expect(chars.decode(try chars.encode("hello")) == "hello")
        let unk = try #require(chars.id(Vocabulary.unknown))  // every level but bytes has <unk>
        #expect(try chars.encode("zhz") == [unk, chars.id("h")!, unk])
        #expect(chars.decode(try chars.encode("hz")) == "h\u{FFFD}")
        #expect(chars.unknownShare(try chars.encode("hzzo")) == 0.5)
        let words = Vocabulary.build(from: "a b a c a b", level: .word, minCount: 2)
        #expect(words.symbols == ["a", "b", "<unk>"])
        #expect(try words.encode("a c b") == [0, 2, 1])
    }

    @Test func streamsAreContiguousAndWrap() throws {
        var s = try TokenStreams(tokens: (0..<21).map(Int32.init), size: 2, steps: 4)  // streams of 10
        let a = s.next()
        #expect(a.inputs == [0, 10, 1, 11, 2, 12, 3, 13] && a.targets == [1, 11, 2, 12, 3, 13, 4, 14])
        _ = s.next()
        let c = s.next()
        #expect(c.restarted && c.inputs[0] == 0)
        let error = #expect(throws: ElmanError.self) { try TokenStreams(tokens: [1, 2, 3], size: 2, steps: 4) }
        #expect(error?.message == "the text has 3 tokens; 2 streams of 4 steps need at least 9 (lower batch or seq)")
        #expect(error?.parameters == ["batch", "seq"])
        #expect(throws: Never.self) { try TokenStreams(tokens: (0..<9).map(Int32.init), size: 2, steps: 4) }  // exactly 9
    }

    @Test func adamMatchesItsClosedFormOnTheFirstStep() {
        var adam = Optimizer<Double>(kind: .adam, parameterCount: 2)
        var p = [1.0, -2.0]
        adam.update(&p, gradient: [0.5, -3], lr: 0.1)
        // First step: m̂ = g, v̂ = g², so Δ = −lr·g/(|g| + ε) ≈ −lr·sign(g).
        #expect(abs(p[0] - 0.9) < 1e-6 && abs(p[1] + 1.9) < 1e-6)
        var sgd = Optimizer<Double>(kind: .sgd, parameterCount: 1)
        sgd.momentum = 0.5
        var q = [0.0]
        sgd.update(&q, gradient: [1], lr: 1)
        sgd.update(&q, gradient: [1], lr: 1)
        #expect(q == [-2.5])  // velocities 1, then 1.5
    }

    /// Adagrad, RMSprop and SGD with Nesterov momentum (PyTorch's form), in Double and Float, with an L2 penalty,
    /// against the textbook updates written out here.
    @Test(arguments: ["adagrad", "rmsprop", "nesterov"])
    func otherRulesFollowTheTextbookUpdate(rule: String) {
        var g = SeededGenerator(seed: 9)
        let count = 37
        let start = (0..<count).map { _ in g.nextUnit() * 2 - 1 }
        let grads = (0..<4).map { _ in (0..<count).map { _ in g.nextUnit() * 4 - 2 } }
        let lr = 0.01, wd = 0.1, beta2 = 0.9, eps = 1e-8, mu = 0.9  // β = 0.999 rounds in Float by 1.3e-5 of 1 − β
        var textbook = start, state = [Double](repeating: 0, count: count)
        for gr in grads {
            for i in 0..<count {
                let gi = gr[i] + wd * textbook[i]
                switch rule {
                case "adagrad":  // G ← G + g²; θ ← θ − lr·g / (√G + ε)
                    state[i] += gi * gi
                    textbook[i] -= lr * gi / (state[i].squareRoot() + eps)
                case "rmsprop":  // v ← β·v + (1 − β)·g²; θ ← θ − lr·g / (√v + ε)
                    state[i] = beta2 * state[i] + (1 - beta2) * gi * gi
                    textbook[i] -= lr * gi / (state[i].squareRoot() + eps)
                default:  // b ← μ·b + g; θ ← θ − lr·(g + μ·b)
                    state[i] = mu * state[i] + gi
                    textbook[i] -= lr * (gi + mu * state[i])
                }
            }
        }
        func optimizer<T: ElmanFloat>(_: T.Type) -> Optimizer<T> {
            var o = Optimizer<T>(kind: rule == "nesterov" ? .sgd : OptimizerKind(rawValue: rule)!, parameterCount: count)
            o.weightDecay = wd
            o.beta2 = beta2
            o.momentum = mu
            o.nesterov = rule == "nesterov"
            return o
        }
        var double = optimizer(Double.self), float = optimizer(Float.self)
        var pd = start, pf = start.map(Float.init)
        for gr in grads {
            double.update(&pd, gradient: gr, lr: lr)
            float.update(&pf, gradient: gr.map(Float.init), lr: lr)
        }
        #expect(GradientCheck.maxRelativeError(pd, textbook) < 1e-12, "\(rule)")
        #expect(zip(pf, textbook).allSatisfy { abs(Double($0) - $1) < 1e-6 }, "\(rule)")
        // Without Nesterov the same momentum moves θ by lr·b, not lr·(g + μ·b): the rule is really applied.
        if rule == "nesterov" {
            var plain = optimizer(Double.self)
            plain.nesterov = false
            var pp = start
            for gr in grads { plain.update(&pp, gradient: gr, lr: lr) }
            #expect(GradientCheck.maxRelativeError(pp, textbook) > 1e-3)
        }
    }

    @Test(arguments: [OptimizerKind.adam, .adamw])
    func adamInFloatAndDoubleFollowTheTextbookUpdate(kind: OptimizerKind) {
        // 37 parameters: two full SIMD16 blocks and a tail.
        var g = SeededGenerator(seed: 5)
        let start = (0..<37).map { _ in g.nextUnit() * 2 - 1 }
        let grads = (0..<4).map { _ in (0..<37).map { _ in g.nextUnit() * 4 - 2 } }
        let lr = 0.01, wd = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-8
        var textbook = start, m = [Double](repeating: 0, count: 37), v = m
        for (t, gr) in grads.enumerated() {
            for i in 0..<37 {
                var gi = gr[i]
                if kind == .adam { gi += wd * textbook[i] } else { textbook[i] -= lr * wd * textbook[i] }
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                let mHat = m[i] / (1 - Double.pow(b1, Double(t + 1))), vHat = v[i] / (1 - Double.pow(b2, Double(t + 1)))
                textbook[i] -= lr * mHat / (vHat.squareRoot() + eps)
            }
        }
        var double = Optimizer<Double>(kind: kind, parameterCount: 37)
        var float = Optimizer<Float>(kind: kind, parameterCount: 37)
        double.weightDecay = wd
        float.weightDecay = wd
        var pd = start, pf = start.map(Float.init)
        for gr in grads {
            double.update(&pd, gradient: gr, lr: lr)
            float.update(&pf, gradient: gr.map(Float.init), lr: lr)
        }
        #expect(GradientCheck.maxRelativeError(pd, textbook) < 1e-12)
        // Float: parameters of size ~1 moved by ~0.04; rounding leaves ≤ a few ulp of 1.
        #expect(zip(pf, textbook).allSatisfy { abs(Double($0) - $1) < 1e-6 })
    }

    @Test func initializations() {
        let config = ModelConfig(inputSize: 5, hiddenSize: 12, outputSize: 3)
        var g = SeededGenerator(seed: 8)
        let ortho: Parameters<Double> = Initialization.orthogonal.parameters(config, generator: &g)
        let w = ortho.matrix(.recurrentWeights(layer: 0))!
        for i in 0..<12 {
            for j in 0..<12 {  // W·Wᵀ = I
                let dot = (0..<12).reduce(0.0) { $0 + w.storage[i * 12 + $1] * w.storage[j * 12 + $1] }
                #expect(abs(dot - (i == j ? 1 : 0)) < 1e-12)
            }
        }
        #expect(ortho.matrix(.hiddenBias(layer: 0))!.storage.allSatisfy { $0 == 0 })
        #expect(ortho.matrix(.inputBias(layer: 0))!.storage.allSatisfy { $0 == 0 })
        let xavier: Parameters<Double> = Initialization.xavier.parameters(config, generator: &g)
        let v = xavier.matrix(.outputWeights)!.storage  // H×C: bound √(6/15)
        #expect(v.allSatisfy { abs($0) <= (6.0 / 15).squareRoot() } && v.contains { abs($0) > 0.4 })
        let identity: Parameters<Double> = Initialization.standard(for: .relu).parameters(config, generator: &g)
        #expect(identity.matrix(.recurrentWeights(layer: 0)) == .identity(12))
        let uniform: Parameters<Double> = Initialization.standard(for: .tanh).parameters(config, generator: &g)
        #expect(uniform.values.allSatisfy { abs($0) <= 1 / 12.0.squareRoot() })
    }

    @Test func clippingBoundsTheGlobalNorm() {
        var g: [Float] = [3, 4]
        #expect(Clipping.clipGlobalNorm(&g, maxNorm: 1) == 5)
        #expect(abs(Clipping.globalNorm(g) - 1) < 1e-6)
        var h: [Float] = [-3, 0.5]
        Clipping.clipValue(&h, limit: 1)
        #expect(h == [-1, 0.5])
    }

    @Test func samplingRespectsTopKAndTemperature() throws {
        var g = SeededGenerator(seed: 1)
        var scratch: [Double] = []
        let top1 = Sampler(topK: 1)
        #expect((0..<200).allSatisfy { _ in top1.draw([0.1, 2, 2.5, -1], weights: &scratch, using: &g) == 2 })
        // Top 2 of [1, 1, 5]: the tie at the threshold keeps the lower id, so id 1 is never drawn and id 0 is.
        var counts = [0, 0, 0]
        for _ in 0..<4000 { counts[Int(Sampler(temperature: 2, topK: 2).draw([1, 1, 5], weights: &scratch, using: &g))] += 1 }
        #expect(counts[1] == 0 && counts[0] > 0, "\(counts)")
        // Temperature 2: p(0) = e^0.5 / (e^0.5 + e^2.5) ≈ 0.119.
        let share = Double(counts[0]) / 4000
        #expect(abs(share - 0.1192) < 0.02, "\(share)")
        // A temperature near 0 is nearly greedy, never NaN weights (x/T overflowing: ∞ − ∞).
        for t in [Double.leastNonzeroMagnitude, 1e-300, 1e-30] {
            #expect((0..<50).allSatisfy { _ in Sampler(temperature: t).draw([0.1, 2, 2.5, -1], weights: &scratch, using: &g) == 2 }, "T = \(t)")
        }
    }

    @Test func learningRateSchedules() {
        var o = TrainingOptions()
        o.lr = 1
        o.steps = 100
        o.schedule = .cosine
        o.warmup = 10
        #expect(abs(o.learningRate(at: 4) - 0.5) < 1e-12)
        #expect(abs(o.learningRate(at: 99) - 0.1) < 1e-3)
        o.schedule = .step
        o.warmup = 0
        #expect(o.learningRate(at: 0) == 1 && o.learningRate(at: 99) == 0.125)
    }
}

/// Numeric faults and resource limits (issue: never crash, never lose work).
@Suite struct FaultTests {
    /// An SGD step of 1e38 without clipping overflows the next gradient; such steps must be rejected.
    static func explodingOptions() -> TrainingOptions {
        var o = TrainingOptions()
        o.hidden = 8
        o.seq = 8
        o.batch = 4
        o.optimizer = .sgd
        o.momentum = 0
        o.lr = 1e38
        o.clip = 0
        return o
    }

    @Test func aNonFiniteStepIsRejectedAndHalvesTheLearningRate() throws {
        let text = ReberGrammar.corpus(strings: 200, seed: 1)
        let vocabulary = Vocabulary.build(from: text, level: .char)
        let tokens = try vocabulary.encode(text)
        let trainer = try Trainer(options: Self.explodingOptions(), vocabulary: vocabulary, train: tokens, validation: [])
        var rejected = 0
        for _ in 0..<10 {
            let before = trainer.params.values
            let report = try trainer.trainStep()
            if !report.accepted {
                rejected += 1
                #expect(trainer.params.values == before, "a rejected step must leave the parameters as they were")
                #expect(trainer.learningRateScale == Double.pow(0.5, Double(rejected)))
                #expect(trainer.params.values.allSatisfy { $0.isFinite })
            }
        }
        #expect(rejected > 0, "the 1e38 step should have overflowed a later gradient")
    }

    @Test(arguments: [OptimizerKind.sgd, .adam])
    func anUpdateThatOverflowsIsUndone(kind: OptimizerKind) {
        var optimizer = Optimizer<Float>(kind: kind, parameterCount: 3)
        optimizer.momentum = 0.9
        var guardian = UpdateGuard<Float>()
        var values: [Float] = [1, -2, 3e38]
        #expect(guardian.update(&optimizer, &values, gradient: [0.5, 0.5, 0.5], lr: 1e-3))
        let (before, first, second) = (values, optimizer.first, optimizer.second)
        #expect(!guardian.update(&optimizer, &values, gradient: [0.5, 0.5, -1], lr: 1e38))  // 3e38 + 1e38 = ∞
        #expect(values == before && optimizer.first == first && optimizer.second == second && optimizer.step == 1)
    }

    @Test func theClassifierRejectsNonFiniteStepsToo() throws {
        let data = try LabeledSequences.parse(LabeledSequences.parity(count: 64, maxLength: 6, seed: 1), name: "p", level: .char)
        let trainer = try Trainer(options: Self.explodingOptions(), labels: data.labels, vocabulary: data.vocabulary,
                                            train: data.examples)
        var rejected = 0
        for _ in 0..<40 {
            let before = trainer.params.values
            let accepted = try trainer.trainStep().accepted
            if !accepted {
                rejected += 1
                #expect(trainer.params.values == before && trainer.learningRateScale == Double.pow(0.5, Double(rejected)))
            }
        }
        #expect(rejected > 0)
    }

    @Test func sizesBeyondTheMachineAreRefusedBeforeAllocating() throws {
        var o = TrainingOptions()
        o.hidden = Int.max / 2  // H² overflows Int: the estimate must not
        let error = #expect(throws: ElmanError.self) { try o.checkMemory(inputSize: 65, outputSize: 65) }
        #expect(error?.message.contains("lower hidden, seq or batch") == true)
        // An absurd estimate is said in units a person reads, split into the sizes that make it, with the limit.
        o.hidden = 4_000_000_000
        let huge = #expect(throws: ElmanError.self) { try o.checkMemory(inputSize: 8, outputSize: 8, limit: Double(1 << 30)) }
        #expect(huge?.message == "H=4000000000, L=1, T=64, N=32 with 8 inputs and 8 outputs needs about 277.6 EiB to train: "
            + "222.0 EiB for 1.6e+19 parameters (held 4 times: values, gradient, optimizer moments) and 55.5 EiB for 1.6e+19 "
            + "activations of one chunk; more than the 1.0 GiB allowed; lower hidden, seq or batch")
        o.hidden = 512
        try o.checkMemory(inputSize: 65, outputSize: 65, limit: 1e9)
        // The estimate is what a trainer of those sizes really holds once its workspace exists: parameters,
        // gradient, Adam's moments and every activation buffer, to the byte.
        for (hidden, layers) in [(24, 1), (16, 2)] {
            o.hidden = hidden
            o.layers = layers
            o.seq = 7
            o.batch = 3
            let tokens = (0..<200).map { Int32($0 % 11) }
            let trainer = try Trainer(options: o, vocabulary: Vocabulary(level: .word, symbols: (0..<11).map { "w\($0)" }),
                                      train: tokens, validation: [])
            try trainer.trainStep()
            #expect(o.estimatedTrainingBytes(inputSize: 11, outputSize: 11) == Double(trainer.trainingBytes), "L=\(layers)")
        }
    }
}

@Suite struct ByteLevelTests {
    @Test func bytesThatAreNotUTF8RoundTrip() throws {
        let bytes: [UInt8] = [0x48, 0x69, 0xFF, 0xFE, 0x0A, 0xC3, 0x28, 0x48]
        let vocabulary = Vocabulary.build(bytes: bytes)
        #expect(vocabulary.level == .byte && vocabulary.count == 256)  // every byte, seen or not
        let ids = try vocabulary.encode(Corpus.bytes(bytes))
        #expect(ids.count == bytes.count)
        #expect(ids.map { vocabulary.symbols[Int($0)].unicodeScalars.first?.value } == bytes.map { UInt32($0) })
        #expect(vocabulary.decode(try vocabulary.encode("Hi")) == "Hi")
        #expect(try vocabulary.encode("é") == [0xC3, 0xA9])  // A9 never seen, still a symbol
        let back = try JSONDecoder().decode(Vocabulary.self, from: JSONEncoder().encode(vocabulary))
        #expect(back == vocabulary)
    }
}
