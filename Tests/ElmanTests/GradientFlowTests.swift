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

    /// The lag profile of one stream through seed §2's explicit products of step Jacobians: mean norm and
    /// geometric-mean ratio per lag.
    static func reference(_ p: Parameters<Double>, tokens: [Int32], steps: Int) -> (norms: [Double], ratios: [Double]) {
        let (h, d) = (p.config.hiddenSize, p.config.inputSize)
        let q = SeedVectorRNN.Parameters(u: p.matrix(.inputWeights(layer: 0))!.transposed,
                                         w: p.matrix(.recurrentWeights(layer: 0))!.transposed,
                                         v: p.matrix(.outputWeights)!.transposed)
        let x = tokens.prefix(steps).map { t in (0..<d).map { $0 == Int(t) ? 1.0 : 0.0 } }
        let norms = SeedVectorRNN.lagNorms(x: x, y: tokens.dropFirst().prefix(steps).map { Int($0) },
                                           s0: Array(repeating: 0, count: h), q)
        return ((0..<steps).map { lag in
            let terms = norms.compactMap { lag < $0.count ? $0[lag] : nil }
            return terms.reduce(0, +) / Double(terms.count)
        }, (0..<steps).map { lag in
            let ratios = norms.compactMap { lag < $0.count ? $0[lag] / $0[0] : nil }
            return Double.exp(ratios.map { Double.log($0) }.reduce(0, +) / Double(ratios.count))
        })
    }

    /// With W = ρ·Q (Q orthogonal) one step back maps g to (g ∘ f′(s))·ρQᵀ, whose norm is ρ‖g ∘ f′(s)‖: between
    /// ρ·min f′ and ρ·max f′ times ‖g‖. Input weights of 1e-4 keep |s| ≲ 1e-4·Σ 0.9^k = 1e-3, so
    /// f′ = 1 − s² ≥ 1 − 1e-6: the decay and every step-Jacobian norm lie in [0.9·(1 − 1e-6), 0.9].
    @Test func tanhWithSmallActivationsDecaysByRho() throws {
        let p = try Self.model(hidden: 16, vocabulary: 5, rho: 0.9, inputScale: 1e-4)
        let report = try GradientFlow.measure(p, tokens: Self.tokens(400, vocabulary: 5), seq: 24, batch: 4, chunks: 2)
        let band = (0.9 * (1 - 1e-6))...(0.9 * (1 + 1e-12))
        #expect(band.contains(report.decayPerStep), "\(report.decayPerStep)")
        #expect(abs(report.spectralRadius - 0.9) < 1e-4 && abs(report.maxSingularValue - 0.9) < 1e-9)
        #expect(report.stepJacobianNorms.allSatisfy { band.contains($0) }, "\(report.stepJacobianNorms)")
        #expect(report.verdict == .vanishing)
    }

    /// Saturating activations shrink the gradient faster than ρ alone (f′ = 1 − s² < 1): the measured decay is
    /// the one the explicit Jacobian products give, to rounding, and well below ρ.
    @Test func tanhWithLargeActivationsDecaysAsTheJacobianProductsSay() throws {
        let steps = 24
        let p = try Self.model(hidden: 16, vocabulary: 5, rho: 0.9, inputScale: 3)
        let tokens = Self.tokens(steps + 1, vocabulary: 5)
        let report = try GradientFlow.measure(p, tokens: tokens, seq: steps, batch: 1, chunks: 1)
        let expected = Self.reference(p, tokens: tokens, steps: steps)
        var sxy = 0.0, sxx = 0.0  // least-squares slope of log ratio against lag, through the origin
        for (lag, r) in expected.ratios.enumerated() where lag > 0 {
            sxy += Double(lag) * Double.log(r)
            sxx += Double(lag * lag)
        }
        let decay = Double.exp(sxy / sxx)
        #expect(abs(report.decayPerStep - decay) <= 1e-12, "\(report.decayPerStep) vs \(decay)")
        #expect(decay < 0.8, "\(decay)")  // so a profile that left out f′ (exactly 0.9 here) cannot pass
        #expect(report.stepJacobianNorms.allSatisfy { $0 <= 0.9 * (1 + 1e-9) })
    }

    /// ‖diag(f′(s))·Wᵀ‖₂ with W = ρ·Q is ρ·max_i |f′(s_i)|: Q only rotates. States chosen so that the largest
    /// derivative is 1 (s = 0), 1 − 0.6² = 0.64, the same 0.36 everywhere, and for relu 1 or 0 (every unit
    /// off); the power iteration converges as (second/largest derivative)^60 ≤ 0.75^60, far below the bound.
    @Test func stepJacobianNormIsRhoTimesTheLargestDerivative() {
        let (h, rho) = (6, 0.9)
        let w = Self.scaledOrthogonal(h, rho, seed: 5)
        let rows: [[Double]] = [[0, 0.5, -0.7, 0.9, 0.95, -0.99], [0.6, -0.8, 0.9, -0.95, 0.99, 0.7],
                                [0.8, 0.8, -0.8, 0.8, -0.8, 0.8]]
        let tanh = w.storage.withUnsafeBufferPointer { wb in
            rows.joined().map { $0 }.withUnsafeBufferPointer { sb in
                Spectral.stepJacobianNorms(recurrent: wb.baseAddress!, hidden: h, states: sb.baseAddress!, rows: rows.count,
                                           nonlinearity: .tanh)
            }
        }
        for (norm, expected) in zip(tanh, [1, 0.64, 0.36].map { rho * $0 }) {
            #expect(abs(norm - expected) <= 1e-6 * expected, "\(norm) vs \(expected)")
        }
        let reluRows: [Double] = [0.3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]  // one unit on; none
        let relu = w.storage.withUnsafeBufferPointer { wb in
            reluRows.withUnsafeBufferPointer { sb in
                Spectral.stepJacobianNorms(recurrent: wb.baseAddress!, hidden: h, states: sb.baseAddress!, rows: 2,
                                           nonlinearity: .relu)
            }
        }
        #expect(abs(relu[0] - rho) <= 1e-9 && relu[1] == 0, "\(relu)")
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
        let (norms, ratios) = Self.reference(p, tokens: tokens, steps: steps)
        for lag in 0..<steps {
            let (expected, geometric) = (norms[lag], ratios[lag])
            #expect(abs(report.lagNorms[lag] - expected) <= 1e-12 * max(1, expected), "lag \(lag)")
            #expect(abs(report.lagRatios[lag] - geometric) <= 1e-12 * max(1, geometric), "lag \(lag)")
        }
    }
}
