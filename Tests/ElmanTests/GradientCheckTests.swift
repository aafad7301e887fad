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
        let c = RandomCase(RandomCase.Options(), seed: 3)
        let right = try GradientCheck.check(c.params, c.batch)
        #expect(right.allSatisfy { $0.maxRelativeError < 1e-6 })
        // The engine's gradient with one element of W's off by 1%: the check must flag W, and only W.
        let engine = try Engine<Double>(config: c.params.config)
        var wrong = Parameters<Double>(config: c.params.config)
        _ = try engine.gradient(c.params, c.batch, into: &wrong)
        let w = try #require(wrong.layout.entry(.recurrentWeights(layer: 0)))
        let i = try #require((w.offset..<(w.offset + w.count)).max { abs(wrong.values[$0]) < abs(wrong.values[$1]) })
        wrong.values[i] *= 1.01
        let reports = try GradientCheck.check(c.params, c.batch, claimed: wrong)
        for report in reports {
            if report.name == w.id.shortName {
                #expect(report.maxRelativeError > 5e-3, "\(report.name): \(report.maxRelativeError)")
            } else {
                #expect(report.maxRelativeError < 1e-6, "\(report.name): \(report.maxRelativeError)")
            }
        }
    }
}
