import Testing
@testable import Elman

/// Gradient-flow diagnostics against known answers (issue: see the gradients).
@Suite struct GradientFlowTests {
    /// ρ·Q with Q orthogonal (H×H, row-major).
    static func scaledOrthogonal(_ h: Int, _ rho: Double, seed: UInt64) -> Matrix<Double> {
        var g = SeededGenerator(seed: seed)
        return Matrix(rows: h, cols: h, storage: Initialization.orthogonal(h, &g).map { rho * $0 })
    }

    static func random(_ count: Int, seed: UInt64, scale: Double = 1) -> [Double] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { _ in scale * g.uniform(-1, 1) }
    }

    @Test(arguments: [0.8, 1.0, 1.1])
    func linearRecurrenceDecaysByRhoPerStep(rho: Double) {
        let (h, steps, n) = (12, 20, 3)
        let w = Self.scaledOrthogonal(h, rho, seed: 3)
        let states = Self.random(steps * n * h, seed: 4)
        let seeds = Self.random(steps * n * h, seed: 5)
        var profile = LagProfile(maxLag: steps - 1)
        profile.add(recurrent: w.storage, hidden: h, states: states, stateGradients: seeds, steps: steps, size: n,
                    nonlinearity: nil)
        let report = GradientFlowReport(profile: profile, stepJacobianNorms: [], spectralRadius: 0, maxSingularValue: 0)
        #expect(profile.counts == (0..<steps).map { (steps - $0) * n })  // every (t, n) with t − ℓ ≥ 1
        for (lag, r) in report.lagRatios.enumerated() {
            #expect(abs(r - Double.pow(rho, Double(lag))) <= 1e-12 * Double.pow(rho, Double(lag)), "lag \(lag): \(r)")
        }
        #expect(abs(report.decayPerStep - rho) < 1e-12)
        #expect(report.verdict == (rho < 1 ? .vanishing : rho > 1 ? .exploding : .stable), "\(report.evidence)")
        if rho == 0.8 {  // 0.8^ℓ = 0.1 at ℓ = log 0.1 / log 0.8
            #expect(abs((report.lagAt10x ?? 0) - Double.log(0.1) / Double.log(0.8)) < 1e-9)
            #expect(abs((report.halfLife ?? 0) - Double.log(0.5) / Double.log(0.8)) < 1e-9)
        }
    }

    @Test func spectralRadiusOfKnownMatrices() {
        // Upper triangular and far from normal: eigenvalues on the diagonal, σ_max much larger.
        let triangular = Matrix<Double>([[0.5, 4, -3], [0, -0.9, 5], [0, 0, 0.3]])
        #expect(abs(Spectral.spectralRadius(triangular) - 0.9) < 1e-4)
        #expect(Spectral.maxSingularValue(triangular) > 5)
        // A rotation scaled by 0.6: a complex pair 0.6·e^{±iθ}, where power iteration on a vector fails.
        let (c, s) = (0.6 * Double.cos(1.0), 0.6 * Double.sin(1.0))
        let rotation = Matrix<Double>([[c, -s], [s, c]])
        #expect(abs(Spectral.spectralRadius(rotation) - 0.6) < 1e-9)
        #expect(abs(Spectral.maxSingularValue(rotation) - 0.6) < 1e-9)
        #expect(Spectral.spectralRadius(Matrix<Double>([[0, 1], [0, 0]])) == 0)  // nilpotent
        let q = Self.scaledOrthogonal(32, 1.3, seed: 9)
        #expect(abs(Spectral.spectralRadius(q) - 1.3) < 1e-4)
        #expect(abs(Spectral.maxSingularValue(q) - 1.3) < 1e-9)
        let float = Matrix<Float>(rows: 32, cols: 32, storage: q.storage.map { Float($0) })
        #expect(abs(Spectral.spectralRadius(float) - 1.3) < 1e-3)
    }

    /// A bias-free model whose W is ρ·Q, with input weights of scale `inputScale`.
    static func model(hidden h: Int, vocabulary d: Int, rho: Double, inputScale: Double, nonlinearity: Nonlinearity = .tanh,
                      w: Matrix<Double>? = nil) throws -> Parameters<Double> {
        let config = ModelConfig(inputSize: d, hiddenSize: h, outputSize: d, nonlinearity: nonlinearity, bias: false)
        var p = Parameters<Double>(config: config)
        try p.setMatrix(.inputWeights(layer: 0), Matrix(rows: d, cols: h, storage: random(d * h, seed: 1, scale: inputScale)))
        try p.setMatrix(.recurrentWeights(layer: 0), w ?? scaledOrthogonal(h, rho, seed: 2))
        try p.setMatrix(.outputWeights, Matrix(rows: h, cols: d, storage: random(h * d, seed: 3)))
        return p
    }

    static func tokens(_ count: Int, vocabulary d: Int) -> [Int32] {
        var g = SeededGenerator(seed: 11)
        return (0..<count).map { _ in Int32(g.next() % UInt64(d)) }
    }

    @Test func tanhWithSmallActivationsDecaysByRho() throws {
        let p = try Self.model(hidden: 16, vocabulary: 5, rho: 0.9, inputScale: 1e-4)
        let report = try GradientFlow.measure(p, tokens: Self.tokens(400, vocabulary: 5), seq: 24, batch: 4, chunks: 2)
        #expect(abs(report.decayPerStep - 0.9) < 1e-4, "\(report.decayPerStep)")
        #expect(abs(report.spectralRadius - 0.9) < 1e-4 && abs(report.maxSingularValue - 0.9) < 1e-9)
        #expect(report.stepJacobianNorms.allSatisfy { abs($0 - 0.9) < 1e-4 })
        #expect(report.verdict == .vanishing)
        // Saturating activations shrink the gradient faster than ρ alone: f′ = 1 − s² < 1.
        let saturated = try Self.model(hidden: 16, vocabulary: 5, rho: 0.9, inputScale: 3)
        let fast = try GradientFlow.measure(saturated, tokens: Self.tokens(400, vocabulary: 5), seq: 24, batch: 4, chunks: 2)
        #expect(fast.decayPerStep < 0.8, "\(fast.decayPerStep)")
    }

    @Test func reluWithIdentityKeepsTheNormConstant() throws {
        var p = try Self.model(hidden: 8, vocabulary: 4, rho: 1, inputScale: 1, nonlinearity: .relu, w: .identity(8))
        try p.setMatrix(.inputWeights(layer: 0), Matrix(rows: 4, cols: 8, storage: Self.random(32, seed: 4).map { 0.1 + abs($0) }))
        let report = try GradientFlow.measure(p, tokens: Self.tokens(300, vocabulary: 4), seq: 20, batch: 3, chunks: 2)
        #expect(report.lagRatios.allSatisfy { abs($0 - 1) < 1e-12 }, "\(report.lagRatios)")
        #expect(report.verdict == .stable)
        #expect(report.stepJacobianNorms.allSatisfy { abs($0 - 1) < 1e-9 })
    }

    @Test(arguments: [0.7, 1.6])
    func profileMatchesThePathSumOfTheReferenceForm(rho: Double) throws {
        let (h, d, steps) = (6, 4, 9)
        let p = try Self.model(hidden: h, vocabulary: d, rho: rho, inputScale: 1)
        let tokens = Self.tokens(steps + 1, vocabulary: d)
        let report = try GradientFlow.measure(p, tokens: tokens, seq: steps, batch: 1, chunks: 1)
        // The same sequence through seed §2, column vectors: U is H×D, W and V transposed.
        let q = SeedVectorRNN.Parameters(u: p.matrix(.inputWeights(layer: 0))!.transposed,
                                         w: p.matrix(.recurrentWeights(layer: 0))!.transposed,
                                         v: p.matrix(.outputWeights)!.transposed)
        let x = tokens.prefix(steps).map { t in (0..<d).map { $0 == Int(t) ? 1.0 : 0.0 } }
        let norms = SeedVectorRNN.lagNorms(x: x, y: tokens.dropFirst().map { Int($0) }, s0: Array(repeating: 0, count: h), q)
        for lag in 0..<steps {
            let terms = norms.compactMap { lag < $0.count ? $0[lag] : nil }
            let expected = terms.reduce(0, +) / Double(terms.count)
            let ratios = norms.compactMap { lag < $0.count ? $0[lag] / $0[0] : nil }
            let geometric = Double.exp(ratios.map { Double.log($0) }.reduce(0, +) / Double(ratios.count))
            #expect(abs(report.lagNorms[lag] - expected) <= 1e-12 * max(1, expected), "lag \(lag)")
            #expect(abs(report.lagRatios[lag] - geometric) <= 1e-12 * max(1, geometric), "lag \(lag)")
        }
    }
}
