/// Numerical gradients by central differences in Double, and comparison with analytic ones.
package enum GradientCheck {
    /// The default step h of ``numericalGradient(at:step:_:)``.
    public static let defaultStep = 1e-3
    /// The default absolute floor of ``relativeError(_:_:floor:)`` (``check(_:_:reduction:step:floor:claimed:)``
    /// multiplies it by the loss when the loss exceeds 1).
    public static let defaultFloor = 1e-6

    /// ∂f/∂x_i for every i by the fourth-order central difference
    /// [f(x − 2h) − 8 f(x − h) + 8 f(x + h) − f(x + 2h)] / 12h, whose truncation error is O(h⁴): with
    /// h = 1e-3 both it and the rounding error are near 1e-12 for losses of order 1–100.
    public static func numericalGradient(at x: [Double], step h: Double = defaultStep,
                                         _ f: ([Double]) -> Double) -> [Double] {
        x.indices.map { partialDerivative(at: x, $0, step: h, f) }
    }

    /// ∂f/∂x_i by the same stencil.
    public static func partialDerivative(at x: [Double], _ i: Int, step h: Double = defaultStep,
                                         _ f: ([Double]) -> Double) -> Double {
        var probe = x
        func at(_ offset: Double) -> Double {
            probe[i] = x[i] + offset
            return f(probe)
        }
        return (at(-2 * h) - 8 * at(-h) + 8 * at(h) - at(2 * h)) / (12 * h)
    }

    /// Element-wise relative error |a − n| / max(|a|, |n|, floor). The floor keeps elements whose
    /// true value is ~0 from dividing rounding noise by nearly nothing.
    public static func relativeError(_ a: Double, _ n: Double, floor: Double = defaultFloor) -> Double {
        abs(a - n) / max(abs(a), abs(n), floor)
    }

    /// The largest ``relativeError(_:_:floor:)`` over two arrays; infinity when their lengths differ (they
    /// cannot agree).
    public static func maxRelativeError(_ a: [Double], _ n: [Double], floor: Double = defaultFloor) -> Double {
        guard a.count == n.count else { return .infinity }
        return zip(a, n).reduce(0) { max($0, relativeError($1.0, $1.1, floor: floor)) }
    }

    /// The comparison for one parameter tensor.
    public struct TensorReport: Sendable {
        public var name: String
        public var count: Int
        public var maxRelativeError: Double
        public var maxAbsoluteError: Double
        /// Elements left out because the loss has a kink within 2h of them (relu): two step sizes
        /// disagree there, and no finite difference measures the derivative.
        public var kinks: Int
    }

    /// Compares the engine's BPTT gradient (or `claimed`, a gradient to be checked instead) with numerical
    /// gradients for every parameter.
    public static func check(_ params: Parameters<Double>, _ batch: Batch<Double>, reduction: Reduction = .sum,
                             step h: Double = defaultStep, floor: Double = defaultFloor,
                             claimed: Parameters<Double>? = nil) throws -> [TensorReport] {
        let engine = try Engine<Double>(config: params.config)
        var analytic = Parameters<Double>(config: params.config)
        _ = try engine.gradient(params, batch, reduction: reduction, into: &analytic)
        if let claimed { analytic = claimed }
        var probe = params
        func loss(_ values: [Double]) -> Double {
            probe.values = values
            return (try? engine.evaluate(probe, batch, reduction: reduction).loss) ?? .nan
        }
        // The stencil's rounding error is about ε·|L|/h, so the floor under which an element counts as zero grows
        // with the loss: for losses up to 1 it is `floor`.
        let floor = floor * max(1, abs(loss(params.values)))
        return params.layout.entries.map { e in
            let range = e.offset..<(e.offset + e.count)
            var report = TensorReport(name: e.id.shortName, count: e.count, maxRelativeError: 0,
                                      maxAbsoluteError: 0, kinks: 0)
            for i in range {
                let coarse = partialDerivative(at: params.values, i, step: h, loss)
                let fine = partialDerivative(at: params.values, i, step: h / 2, loss)
                if relativeError(coarse, fine, floor: floor) > 1e-4 {
                    report.kinks += 1
                    continue
                }
                let a = analytic.values[i]
                report.maxRelativeError = max(report.maxRelativeError, relativeError(a, coarse, floor: floor))
                report.maxAbsoluteError = max(report.maxAbsoluteError, abs(a - coarse))
            }
            return report
        }
    }
}
