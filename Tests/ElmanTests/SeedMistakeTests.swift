import Testing
@testable import Elman

/// Each mistake of the seed (docs/SEED_NOTES.md): the formula as printed fails, the correction passes.
@Suite struct SeedMistakeTests {
    static func worst(_ reports: [GradientCheck.TensorReport]) -> Double {
        reports.map(\.maxRelativeError).max() ?? .infinity
    }

    /// Mistake 1, Eq. 3: −y log ŷ is zero whenever y = 0, so negatives teach the classifier nothing.
    @Test func eq3LossIgnoresNegativeExamples() {
        let x = [0.5, -1.0, 2.0], y = [0.0, 0.0, 0.0]
        let p = SeedScalarRNN.Parameters(u: 0.7, w: -0.4, v: 1.3)
        let seed = SeedScalarRNN.gradients(x: x, y: y, s0: 0.1, p, loss: .seedEq3)
        #expect(SeedScalarRNN.loss(x: x, y: y, s0: 0.1, p, .seedEq3) == 0)
        #expect(seed == SeedScalarRNN.Parameters(u: 0, w: 0, v: 0))
        let full = SeedScalarRNN.gradients(x: x, y: y, s0: 0.1, p, loss: .binaryCrossEntropy)
        #expect(abs(full.v) > 0.1 && abs(full.u) > 0.01)
        // The seed's gradient is right for the seed's loss: the mistake is the loss itself.
        #expect(Self.worst(SeedFormCheck.scalar(seed: 4, loss: .seedEq3)) < 1e-6)
    }

    /// Mistake 2, Eqs. 13–16 and 18: ∂s_i/∂s_{i−1} is (1 − s_i²)W, not W.
    @Test(arguments: 0..<5) func eq15DropsTheTanhDerivative(seed: UInt64) {
        #expect(Self.worst(SeedFormCheck.scalar(seed: seed, steps: 5, chain: .seedEq15)) > 1e-3)
        #expect(Self.worst(SeedFormCheck.scalar(seed: seed, steps: 5, chain: .corrected)) < 1e-6)
        // With one step there is no chain, and the two agree.
        #expect(Self.worst(SeedFormCheck.scalar(seed: seed, steps: 1, chain: .seedEq15)) < 1e-6)
    }

    /// Mistake 3, Eq. 63: the Jacobians diag(1 − s_i²)·W do not commute, so W^{t−k} cannot be pulled out.
    @Test(arguments: 0..<5) func eq63ReordersNonCommutingMatrices(seed: UInt64) {
        #expect(Self.worst(SeedFormCheck.vector(seed: seed, hidden: 4, chain: .seedEq63)) > 1e-3)
        #expect(Self.worst(SeedFormCheck.vector(seed: seed, hidden: 4, chain: .corrected)) < 1e-6)
        // Scalars commute: with H = 1 the printed formula is right.
        #expect(Self.worst(SeedFormCheck.vector(seed: seed, hidden: 1, chain: .seedEq63)) < 1e-6)
    }

    /// Mistake 4, Eq. 108: (1 − S) ∘ S is the sigmoid's derivative; tanh's is 1 − S ∘ S (Eq. 107).
    @Test(arguments: 0..<5) func eq108UsesTheSigmoidDerivative(seed: UInt64) {
        #expect(Self.worst(SeedFormCheck.batch(seed: seed, derivative: .seedEq108)) > 1e-2)
        #expect(Self.worst(SeedFormCheck.batch(seed: seed, derivative: .seedEq108Identity)) > 1e-2)
        #expect(Self.worst(SeedFormCheck.batch(seed: seed, derivative: .corrected)) < 1e-6)
    }

    /// Mistake 5, Eq. 34: the denominator sums over j = 1…C; read as printed it is no distribution.
    @Test func eq34DenominatorRunsOverAllClasses() {
        let g = [0.2, -1.0, 1.5, 0.3]
        #expect(abs(SeedVectorRNN.softmax(g).reduce(0, +) - 1) < 1e-15)
        #expect(SeedVectorRNN.seedEq34Softmax(g).reduce(0, +) > 1.2)
    }

    /// Mistake 7, Eqs. 102 and 110: the factor ∂S(k)/∂Z(k) is missing for k < t (Eq. 111 has it).
    @Test(arguments: 0..<5) func eq110DropsTheDerivativeAtStepK(seed: UInt64) {
        #expect(Self.worst(SeedFormCheck.batch(seed: seed, chain: .seedEq110)) > 1e-3)
        #expect(Self.worst(SeedFormCheck.batch(seed: seed, chain: .corrected)) < 1e-6)
    }

    /// Note 8, Eq. 43: ŷ − y holds only for targets that sum to 1; Eq. 42's (Σy)ŷ − y holds always.
    @Test func eq43AssumesTargetsSumToOne() {
        let g = [0.4, -0.3, 1.1], y = [0.5, 0.0, 0.0]
        func loss(_ v: [Double]) -> Double {
            let p = SeedVectorRNN.softmax(v)
            return -zip(y, p).reduce(0) { $0 + $1.0 * Double.log($1.1) }
        }
        let numerical = GradientCheck.numericalGradient(at: g, loss)
        let eq42 = SeedVectorRNN.crossEntropyGradient(logits: g, target: y)
        let eq43 = zip(SeedVectorRNN.softmax(g), y).map { $0 - $1 }
        #expect(GradientCheck.maxRelativeError(eq42, numerical) < 1e-9)
        #expect(GradientCheck.maxRelativeError(eq43, numerical) > 0.1)
    }
}

import RealModule
