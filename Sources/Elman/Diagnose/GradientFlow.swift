import RealModule

/// What `elman diagnose` measures on a language model: the lag profile of the gradient (seed Eqs. 58–63),
/// the step-Jacobian norms, and the spectrum of W, with a verdict a person can act on.
public struct GradientFlowReport: Sendable {
    public enum Verdict: String, Sendable { case vanishing, exploding, stable }

    /// Mean ‖∂L_t/∂s_{t−ℓ}‖ per lag ℓ = 0, 1, …
    public var lagNorms: [Double]
    /// Geometric mean of ‖∂L_t/∂s_{t−ℓ}‖ / ‖∂L_t/∂s_t‖ per lag (1 at ℓ = 0).
    public var lagRatios: [Double]
    /// Loss terms measured at lag 0.
    public var terms: Int
    /// exp of the least-squares slope of log lagRatios against ℓ (through the origin): the factor per step.
    public var decayPerStep: Double
    /// The lag at which lagRatios has fallen to ½, 1/10 and 1/1000 (log-linear interpolation); nil if it
    /// does not within the measured lags.
    public var halfLife: Double?
    public var lagAt10x: Double?
    public var lagAt1000x: Double?
    /// ‖diag(f′(z_i))·Wᵀ‖₂ over sampled steps and streams.
    public var stepJacobianNorms: [Double]
    public var spectralRadius: Double
    public var maxSingularValue: Double
    public var verdict: Verdict
    /// The verdict's evidence, one sentence.
    public var evidence: String

    public init(profile: LagProfile, stepJacobianNorms: [Double], spectralRadius: Double, maxSingularValue: Double) {
        lagNorms = profile.meanNorms
        lagRatios = profile.ratios
        terms = profile.counts.first ?? 0
        self.stepJacobianNorms = stepJacobianNorms
        self.spectralRadius = spectralRadius
        self.maxSingularValue = maxSingularValue
        var sxy = 0.0, sxx = 0.0
        for (lag, r) in lagRatios.enumerated() where lag > 0 && r > 0 {
            sxy += Double(lag) * Double.log(r)
            sxx += Double(lag * lag)
        }
        decayPerStep = sxx > 0 ? Double.exp(sxy / sxx) : 1
        halfLife = Self.lag(where: 0.5, lagRatios)
        lagAt10x = Self.lag(where: 0.1, lagRatios)
        lagAt1000x = Self.lag(where: 0.001, lagRatios)
        let last = lagRatios.count - 1
        let kept = lagRatios.last ?? 1
        if decayPerStep > 1.01 || kept > 10 {
            verdict = .exploding
            evidence = "the gradient grows \(Self.round(decayPerStep, 3))× per step back in time and is "
                + "\(Self.round(kept, 3))× its size after \(last) steps"
        } else if let l10 = lagAt10x {
            verdict = .vanishing
            evidence = "the gradient falls 10× within \(Self.round(l10, 1)) steps"
                + (lagAt1000x.map { " and 1000× within \(Self.round($0, 1))" } ?? "")
                + " (\(Self.round(decayPerStep, 3))× per step)"
        } else {
            verdict = .stable
            evidence = "after \(last) steps the gradient keeps \(Self.round(100 * kept, 1))% of its size "
                + "(\(Self.round(decayPerStep, 3))× per step)"
        }
    }

    /// The first lag where `ratios` reaches `level` or below, interpolated in log space.
    static func lag(where level: Double, _ ratios: [Double]) -> Double? {
        guard let i = ratios.firstIndex(where: { $0 <= level }), i > 0 else { return nil }
        let a = ratios[i - 1], b = ratios[i]
        guard b > 0 else { return Double(i) }
        let f = (Double.log(a) - Double.log(level)) / (Double.log(a) - Double.log(b))
        return Double(i - 1) + f
    }

    static func round(_ x: Double, _ digits: Int) -> String {
        guard x.isFinite, abs(x) < 1e12 else { return "\(x)" }
        let scale = Double.pow(10, Double(digits))
        let v = (x * scale).rounded() / scale
        return "\(v)"
    }
}

extension GradientFlowReport: Encodable {
    private enum Keys: String, CodingKey {
        case verdict, evidence, terms, decayPerStep = "decay_per_step", halfLife = "half_life", lagAt10x = "lag_10x"
        case lagAt1000x = "lag_1000x", spectralRadius = "spectral_radius", maxSingularValue = "max_singular_value"
        case stepJacobianNorm = "step_jacobian_norm", lagNorms = "lag_norms", lagRatios = "lag_ratios"
    }

    private struct Summary: Encodable { var mean, min, max: Double? }

    /// The numbers as one JSON object (`lag_norms`, `lag_ratios`, `spectral_radius`, `max_singular_value`,
    /// `half_life`, `lag_10x`, `lag_1000x`, …); a value that is not finite is null.
    public func encode(to encoder: Encoder) throws {
        func finite(_ x: Double?) -> Double? { x.flatMap { $0.isFinite ? $0 : nil } }
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(verdict.rawValue, forKey: .verdict)
        try c.encode(evidence, forKey: .evidence)
        try c.encode(terms, forKey: .terms)
        try c.encode(finite(decayPerStep), forKey: .decayPerStep)
        try c.encode(finite(halfLife), forKey: .halfLife)
        try c.encode(finite(lagAt10x), forKey: .lagAt10x)
        try c.encode(finite(lagAt1000x), forKey: .lagAt1000x)
        try c.encode(finite(spectralRadius), forKey: .spectralRadius)
        try c.encode(finite(maxSingularValue), forKey: .maxSingularValue)
        let jac = stepJacobianNorms
        try c.encode(Summary(mean: finite(jac.isEmpty ? nil : jac.reduce(0, +) / Double(jac.count)), min: finite(jac.min()),
                             max: finite(jac.max())), forKey: .stepJacobianNorm)
        try c.encode(lagNorms.map(finite), forKey: .lagNorms)
        try c.encode(lagRatios.map(finite), forKey: .lagRatios)
    }
}

/// Gradient-flow measurements on a trained language model.
public enum GradientFlow {
    /// Runs `chunks` chunks of N streams × T steps of `tokens` through the model (state carried from chunk
    /// to chunk, as in training), and measures the top layer: the lag profile of every loss term, the
    /// step-Jacobian norms at up to `jacobianRows` sampled (t, n), and the spectrum of its W.
    public static func measure<T: ElmanFloat>(_ params: Parameters<T>, tokens: [Int32], seq: Int, batch: Int,
                                              chunks: Int = 4, jacobianRows: Int = 256) throws -> GradientFlowReport {
        let config = params.config
        guard config.head == .softmax else { throw ElmanError("diagnose measures language models (a softmax head over the vocabulary)") }
        let size = max(1, min(batch, (tokens.count - 1) / max(seq, 1)))
        var streams = try TokenStreams(tokens: tokens, size: size, steps: seq)
        let engine = try Engine<T>(config: config)
        let h = config.hiddenSize, c = config.outputSize, rows = seq * size
        let top = config.layers - 1
        guard let w = params.matrix(.recurrentWeights(layer: top)), let v = params.matrix(.outputWeights) else {
            throw ElmanError("diagnose: the model has no recurrent or output weights")
        }
        var profile = LagProfile(maxLag: seq - 1)
        var stateGradients = [T](repeating: 0, count: rows * h)
        var sampledStates: [T] = []
        var state: [T]?
        for k in 0..<max(1, min(chunks, streams.chunksPerEpoch)) {
            let chunk = streams.next()
            let result = try engine.evaluate(params, Batch(steps: seq, size: size, inputs: .tokens(chunk.inputs),
                                                           targets: .classes(chunk.targets), initialState: state),
                                             reduction: .sum)
            state = result.finalState
            _ = engine.withLastPass { states, dG in
                let s = states + size * h  // S(1..T): T·N×H
                stateGradients.withUnsafeMutableBufferPointer { gb in
                    v.storage.withUnsafeBufferPointer { vb in
                        T.gemm(.none, .transposed, m: rows, n: h, k: c, alpha: 1, a: dG, lda: c,
                               b: vb.baseAddress.unsafelyUnwrapped, ldb: c, beta: 0,
                               c: gb.baseAddress.unsafelyUnwrapped, ldc: h)  // dG: T·N×C, Vᵀ: C×H
                    }
                }
                w.storage.withUnsafeBufferPointer { wb in
                    stateGradients.withUnsafeBufferPointer { gb in
                        profile.add(recurrent: wb.baseAddress.unsafelyUnwrapped, hidden: h, states: s,
                                    stateGradients: gb.baseAddress.unsafelyUnwrapped, steps: seq, size: size,
                                    nonlinearity: config.nonlinearity)
                    }
                }
                if k == 0 {  // evenly spaced (t, n) rows of the first chunk for the Jacobian norms
                    let every = max(1, rows / jacobianRows)
                    for r in stride(from: 0, to: rows, by: every) where sampledStates.count < jacobianRows * h {
                        sampledStates.append(contentsOf: UnsafeBufferPointer(start: s + r * h, count: h))
                    }
                }
            }
        }
        let jacobians = w.storage.withUnsafeBufferPointer { wb in
            sampledStates.withUnsafeBufferPointer { sb in
                Spectral.stepJacobianNorms(recurrent: wb.baseAddress.unsafelyUnwrapped, hidden: h,
                                           states: sb.baseAddress.unsafelyUnwrapped, rows: sampledStates.count / h,
                                           nonlinearity: config.nonlinearity)
            }
        }
        return GradientFlowReport(profile: profile, stepJacobianNorms: jacobians,
                                  spectralRadius: Spectral.spectralRadius(w), maxSingularValue: Spectral.maxSingularValue(w))
    }
}
