import RealModule
import Testing
@testable import Elman

@Suite struct GradientCheckTests {
    @Test func fourthOrderStencilMatchesAClosedFormDerivative() {
        // f(x) = Σ sin(x_i)·x_{i+1}² + exp(x_0 / 3)
        let x: [Double] = [0.3, -1.2, 0.7, 2.1]
        func f(_ v: [Double]) -> Double {
            (0..<3).reduce(Double.exp(v[0] / 3)) { $0 + Double.sin(v[$1]) * v[$1 + 1] * v[$1 + 1] }
        }
        var exact = [Double](repeating: 0, count: 4)
        for i in 0..<3 {
            exact[i] += Double.cos(x[i]) * x[i + 1] * x[i + 1]
            exact[i + 1] += 2 * Double.sin(x[i]) * x[i + 1]
        }
        exact[0] += Double.exp(x[0] / 3) / 3
        let numerical = GradientCheck.numericalGradient(at: x, f)
        #expect(GradientCheck.maxRelativeError(exact, numerical) < 1e-10)
    }

    @Test func relativeErrorUsesTheFloorOnlyNearZero() {
        #expect(GradientCheck.relativeError(1.0, 1.001) > 9e-4)
        #expect(GradientCheck.relativeError(0, 1e-13) < 1e-6)
        #expect(GradientCheck.relativeError(0, 1e-3) == 1)
    }

    @Test func theCheckCatchesAWrongGradient() throws {
        // A model whose loss we perturb after the fact: numerical and analytic gradients then disagree.
        let c = RandomCase(RandomCase.Options(), seed: 3)
        var wrong = c.params
        let reports = try GradientCheck.check(c.params, c.batch)
        #expect(reports.allSatisfy { $0.maxRelativeError < 1e-6 })
        // Check W's gradient against the loss at other parameters: must fail.
        wrong.values[wrong.layout.entry(.recurrentWeights(layer: 0))!.offset] += 0.5
        let engine = try Engine<Double>(config: c.params.config)
        var gRight = Parameters<Double>(config: c.params.config), gWrong = gRight
        _ = try engine.gradient(c.params, c.batch, into: &gRight)
        _ = try engine.gradient(wrong, c.batch, into: &gWrong)
        #expect(GradientCheck.maxRelativeError(gRight.values, gWrong.values) > 1e-2)
    }
}
