import Testing
@testable import Elman

@Suite struct EngineTests {
    static func seedModelConfig(d: Int, h: Int, c: Int, head: Head = .softmax) -> ModelConfig {
        ModelConfig(inputSize: d, hiddenSize: h, outputSize: c, layers: 1, head: head, bias: false)
    }

    // MARK: - Agreement with the seed's forms (the O(T) sweep equals the O(T²) path sum)

    @Test(arguments: 0..<5) func equalsSeedScalarForm(seed: UInt64) throws {
        var g = SeededGenerator(seed: seed)
        let steps = 1 + Int(seed % 6)
        let x = (0..<steps).map { _ in g.uniform(-2, 2) }
        let y = (0..<steps).map { _ in g.nextUnit() < 0.5 ? 0.0 : 1.0 }
        let s0 = g.uniform(-0.5, 0.5)
        let p = SeedScalarRNN.Parameters(u: g.uniform(-1.5, 1.5), w: g.uniform(-1.5, 1.5), v: g.uniform(-2, 2))
        var params = Parameters<Double>(config: Self.seedModelConfig(d: 1, h: 1, c: 1, head: .sigmoid))
        params.values = [p.u, p.w, p.v]  // layout: U_l0, W_l0, V
        let batch = Batch<Double>(steps: steps, size: 1, inputs: .dense(x), targets: .binary(y), initialState: [s0])
        var grad = Parameters<Double>(config: params.config)
        let result = try Engine<Double>(config: params.config).gradient(params, batch, into: &grad)
        let reference = SeedScalarRNN.gradients(x: x, y: y, s0: s0, p, loss: .binaryCrossEntropy)
        #expect(GradientCheck.relativeError(result.loss, SeedScalarRNN.loss(x: x, y: y, s0: s0, p, .binaryCrossEntropy)) < 1e-12)
        #expect(GradientCheck.maxRelativeError(grad.values, [reference.u, reference.w, reference.v], floor: 1e-300) < 1e-10)
    }

    @Test(arguments: 0..<5) func equalsSeedVectorForm(seed: UInt64) throws {
        let (x, y, s0, p) = SeedFormCheck.batchCase(seed: seed, steps: 6, size: 1, inputSize: 3, hidden: 4, classes: 5)
        let q = SeedVectorRNN.Parameters(u: p.u.transposed, w: p.w.transposed, v: p.v.transposed)
        let reference = SeedVectorRNN.gradients(x: x.map(\.storage), y: y.map { $0[0] }, s0: s0.storage, q)
        let loss = SeedVectorRNN.loss(x: x.map(\.storage), y: y.map { $0[0] }, s0: s0.storage, q)
        let (engineLoss, grad) = try Self.engine(x, y, s0, p)
        #expect(GradientCheck.relativeError(engineLoss, loss) < 1e-12)
        #expect(GradientCheck.maxRelativeError(grad.matrix(.inputWeights(layer: 0))!.storage, reference.u.transposed.storage, floor: 1e-300) < 1e-10)
        #expect(GradientCheck.maxRelativeError(grad.matrix(.recurrentWeights(layer: 0))!.storage, reference.w.transposed.storage, floor: 1e-300) < 1e-10)
        #expect(GradientCheck.maxRelativeError(grad.matrix(.outputWeights)!.storage, reference.v.transposed.storage, floor: 1e-300) < 1e-10)
    }

    @Test(arguments: 0..<5) func equalsSeedBatchForm(seed: UInt64) throws {
        let (x, y, s0, p) = SeedFormCheck.batchCase(seed: seed, steps: 7, size: 4, inputSize: 3, hidden: 5, classes: 3)
        let reference = SeedBatchRNN.gradients(x: x, y: y, s0: s0, p)
        let (engineLoss, grad) = try Self.engine(x, y, s0, p)
        #expect(GradientCheck.relativeError(engineLoss, SeedBatchRNN.loss(x: x, y: y, s0: s0, p)) < 1e-12)
        #expect(GradientCheck.maxRelativeError(grad.matrix(.inputWeights(layer: 0))!.storage, reference.u.storage, floor: 1e-300) < 1e-10)
        #expect(GradientCheck.maxRelativeError(grad.matrix(.recurrentWeights(layer: 0))!.storage, reference.w.storage, floor: 1e-300) < 1e-10)
        #expect(GradientCheck.maxRelativeError(grad.matrix(.outputWeights)!.storage, reference.v.storage, floor: 1e-300) < 1e-10)
    }

    /// The §3 case run through the engine: dense X, no biases, softmax, sum reduction.
    static func engine(_ x: [Matrix<Double>], _ y: [[Int]], _ s0: Matrix<Double>, _ p: SeedBatchRNN.Parameters)
        throws -> (Double, Parameters<Double>)
    {
        var params = Parameters<Double>(config: seedModelConfig(d: p.u.rows, h: p.w.rows, c: p.v.cols))
        try params.setMatrix(.inputWeights(layer: 0), p.u)
        try params.setMatrix(.recurrentWeights(layer: 0), p.w)
        try params.setMatrix(.outputWeights, p.v)
        let batch = Batch<Double>(steps: x.count, size: s0.rows, inputs: .dense(x.flatMap(\.storage)),
                                  targets: .classes(y.flatMap { $0.map(Int32.init) }), initialState: s0.storage)
        var grad = Parameters<Double>(config: params.config)
        let result = try Engine<Double>(config: params.config).gradient(params, batch, into: &grad)
        return (result.loss, grad)
    }

    // MARK: - Gradient checks over every option

    @Test(arguments: 0..<40) func randomCasesPassTheGradientCheck(seed: UInt64) throws {
        var g = SeededGenerator(seed: 1000 + seed)
        let options = RandomCase.Options.random(using: &g)
        let c = RandomCase(options, seed: seed)
        let reports = try GradientCheck.check(c.params, c.batch, reduction: options.reduction)
        #expect(reports.allSatisfy { $0.maxRelativeError <= 1e-6 }, "\(options.summary): \(reports)")
        if options.nonlinearity == .tanh { #expect(reports.allSatisfy { $0.kinks == 0 }) }
        #expect(reports.map(\.kinks).reduce(0, +) * 10 <= c.params.values.count, "too many kinks to trust")
    }

    @Test(arguments: RandomCase.Options.edgeCases.map(\.name)) func edgeCasesPassTheGradientCheck(name: String) throws {
        let options = try #require(RandomCase.Options.edgeCases.first { $0.name == name }).options
        for seed: UInt64 in 0..<3 {
            let c = RandomCase(options, seed: seed)
            let reports = try GradientCheck.check(c.params, c.batch, reduction: options.reduction)
            #expect(reports.allSatisfy { $0.maxRelativeError <= 1e-6 }, "\(name): \(reports)")
        }
    }

    /// The linear head's loss is Σ w·½‖G − Y‖² over the logits the engine computes, and its ∂L/∂c is Σ w·(G − Y).
    @Test func linearHeadLossIsHalfTheSquaredErrorOfTheOutputs() throws {
        let config = ModelConfig(inputSize: 3, hiddenSize: 4, outputSize: 2, layers: 1, head: .linear)
        var g = SeededGenerator(seed: 12)
        let params = Parameters<Double>(config: config, generator: &g)
        let (steps, size) = (3, 2)
        let x = (0..<(steps * size * 3)).map { _ in g.uniform(-1, 1) }
        let y = (0..<(steps * size * 2)).map { _ in g.uniform(-2, 2) }
        let mask: [Double] = [1, 0, 1, 1, 0.5, 1]
        let engine = try Engine<Double>(config: config)
        let (logits, _) = try engine.logits(params, inputs: .dense(x), steps: steps, size: size)
        var expected = 0.0, dc = [0.0, 0.0]
        for r in 0..<(steps * size) {
            for j in 0..<2 {
                let d = logits[r * 2 + j] - y[r * 2 + j]
                expected += mask[r] * 0.5 * d * d
                dc[j] += mask[r] * d
            }
        }
        var gradient = Parameters<Double>(config: config)
        let result = try engine.gradient(params, Batch(steps: steps, size: size, inputs: .dense(x), targets: .values(y), mask: mask),
                                         reduction: .sum, into: &gradient)
        #expect(abs(result.loss - expected) < 1e-12)
        let c = gradient.matrix(.outputBias)!.storage
        #expect(abs(c[0] - dc[0]) < 1e-12 && abs(c[1] - dc[1]) < 1e-12)
        #expect(throws: ElmanError.self) {  // T×N targets are the sigmoid head's, not C values a row
            try engine.evaluate(params, Batch(steps: steps, size: size, inputs: .dense(x), targets: .values(Array(y.prefix(6)))))
        }
    }

    @Test func fullyMaskedBatchHasZeroLossAndGradient() throws {
        let options = try #require(RandomCase.Options.edgeCases.first { $0.name == "fully masked batch" }).options
        let c = RandomCase(options, seed: 1)
        for reduction in Reduction.allCases {
            var grad = Parameters<Double>(config: c.params.config)
            let r = try Engine<Double>(config: c.params.config).gradient(c.params, c.batch, reduction: reduction, into: &grad)
            #expect(r.loss == 0 && r.weight == 0)
            #expect(grad.values.allSatisfy { $0 == 0 })
        }
    }

    // MARK: - Properties

    @Test func meanIsSumDividedByTheMaskTotal() throws {
        var o = RandomCase.Options()
        o.masked = true
        o.size = 3
        let c = RandomCase(o, seed: 9)
        let engine = try Engine<Double>(config: c.params.config)
        var gSum = Parameters<Double>(config: c.params.config), gMean = gSum
        let sum = try engine.gradient(c.params, c.batch, reduction: .sum, into: &gSum)
        let mean = try engine.gradient(c.params, c.batch, reduction: .mean, into: &gMean)
        let total = c.batch.mask!.reduce(0, +)
        #expect(sum.weight == total && total > 0)
        #expect(abs(mean.loss * total - sum.loss) < 1e-12 * sum.loss)
        #expect(GradientCheck.maxRelativeError(gMean.values.map { $0 * total }, gSum.values) < 1e-12)
    }

    @Test func maskedTargetsAreNotRead() throws {
        var o = RandomCase.Options()
        o.masked = true
        let c = RandomCase(o, seed: 2)
        var changed = c.batch
        guard case .classes(var y) = c.batch.targets else { Issue.record("expected class targets"); return }
        for i in y.indices where c.batch.mask![i] == 0 { y[i] = 999 }  // outside the classes, but masked
        changed.targets = .classes(y)
        let engine = try Engine<Double>(config: c.params.config)
        var g1 = Parameters<Double>(config: c.params.config), g2 = g1
        let r1 = try engine.gradient(c.params, c.batch, into: &g1)
        let r2 = try engine.gradient(c.params, changed, into: &g2)
        #expect(r1.loss == r2.loss && g1 == g2)
    }

    @Test func tokenInputEqualsDenseOneHotInput() throws {
        var o = RandomCase.Options()
        o.layers = 2
        o.initialState = true
        let c = RandomCase(o, seed: 4)
        guard case .tokens(let ids) = c.batch.inputs else { Issue.record("expected tokens"); return }
        var dense = c.batch
        var x = [Double](repeating: 0, count: ids.count * o.inputSize)
        for (i, id) in ids.enumerated() { x[i * o.inputSize + Int(id)] = 1 }
        dense.inputs = .dense(x)
        let engine = try Engine<Double>(config: c.params.config)
        var g1 = Parameters<Double>(config: c.params.config), g2 = g1
        let r1 = try engine.gradient(c.params, c.batch, into: &g1)
        let r2 = try engine.gradient(c.params, dense, into: &g2)
        #expect(abs(r1.loss - r2.loss) < 1e-12 * r1.loss)
        #expect(GradientCheck.maxRelativeError(g1.values, g2.values) < 1e-12)
    }

    /// Truncated BPTT: two chunks of T/2 with the state carried give the loss and final state of one chunk of T.
    @Test func stateCarriesAcrossChunks() throws {
        var o = RandomCase.Options()
        o.steps = 6
        o.layers = 2
        o.initialState = true
        let c = RandomCase(o, seed: 8)
        guard case .tokens(let ids) = c.batch.inputs, case .classes(let y) = c.batch.targets else { return }
        let engine = try Engine<Double>(config: c.params.config)
        let whole = try engine.evaluate(c.params, c.batch)
        let half = 3 * o.size
        let first = try engine.evaluate(c.params, Batch(steps: 3, size: o.size, inputs: .tokens(Array(ids[..<half])),
                                                        targets: .classes(Array(y[..<half])), initialState: c.batch.initialState))
        let second = try engine.evaluate(c.params, Batch(steps: 3, size: o.size, inputs: .tokens(Array(ids[half...])),
                                                         targets: .classes(Array(y[half...])), initialState: first.finalState))
        #expect(abs(first.loss + second.loss - whole.loss) < 1e-12 * whole.loss)
        #expect(GradientCheck.maxRelativeError(second.finalState, whole.finalState) < 1e-13)
    }

    @Test func floatEngineAgreesWithDouble() throws {
        var o = RandomCase.Options()
        o.hidden = 16
        o.steps = 12
        o.layers = 2
        let c = RandomCase(o, seed: 6)
        var gd = Parameters<Double>(config: c.params.config)
        let rd = try Engine<Double>(config: c.params.config).gradient(c.params, c.batch, into: &gd)
        let pf = c.params.converted(to: Float.self)
        guard case .tokens(let ids) = c.batch.inputs, case .classes(let y) = c.batch.targets else { return }
        let bf = Batch<Float>(steps: o.steps, size: o.size, inputs: .tokens(ids), targets: .classes(y))
        var gf = Parameters<Float>(config: pf.config)
        let rf = try Engine<Float>(config: pf.config).gradient(pf, bf, into: &gf)
        #expect(abs(rf.loss - rd.loss) < 1e-5 * rd.loss)
        let maxGrad = gd.values.map(abs).max()!
        #expect(zip(gf.values, gd.values).allSatisfy { abs(Double($0) - $1) < 1e-4 * maxGrad })
    }

    @Test func reusedWorkspaceGivesTheSameResult() throws {
        let a = RandomCase(RandomCase.Options(), seed: 1)
        var bigger = RandomCase.Options()
        bigger.steps = 9
        bigger.size = 5
        let b = RandomCase(bigger, seed: 2)
        let engine = try Engine<Double>(config: a.params.config)
        var g1 = Parameters<Double>(config: a.params.config), g2 = g1, g3 = g1
        let r1 = try engine.gradient(a.params, a.batch, into: &g1)
        _ = try engine.gradient(a.params, b.batch, into: &g2)
        let r3 = try engine.gradient(a.params, a.batch, into: &g3)
        #expect(r1.loss == r3.loss && g1 == g3)
    }

    // MARK: - Bad input

    @Test func badBatchesGetClearErrors() throws {
        let c = RandomCase(RandomCase.Options(), seed: 1)  // D = 5, C = 3, T = 5, N = 3
        let engine = try Engine<Double>(config: c.params.config)
        func message(_ batch: Batch<Double>) -> String? {
            do { _ = try engine.evaluate(c.params, batch); return nil } catch { return "\(error)" }
        }
        var b = c.batch
        b.inputs = .tokens([Int32](repeating: 7, count: 15))
        #expect(message(b)?.contains("input token 7 at (t=0, n=0) is outside the vocabulary [0, 5)") == true)
        b = c.batch
        b.targets = .classes([Int32](repeating: 1, count: 14))
        #expect(message(b)?.contains("'targets' has 14 values; expected 15") == true)
        b = c.batch
        b.targets = .binary([Double](repeating: 1, count: 15))
        #expect(message(b)?.contains("softmax head expects integer class ids") == true)
        b = c.batch
        b.mask = [Double](repeating: -1, count: 15)
        #expect(message(b)?.contains("expected a finite weight ≥ 0") == true)
        b = c.batch
        b.initialState = [.nan] + [Double](repeating: 0, count: 11)
        #expect(message(b)?.contains("h0 value nan") == true)
        #expect(throws: ElmanError.self) { try Engine<Double>(config: ModelConfig(inputSize: 0, hiddenSize: 4, outputSize: 3)) }
    }
}
