/// Gradient checks of the seed's three reference forms (its §1–3) on random cases.
package enum SeedFormCheck {
    /// §1 with T steps: ∂E/∂U, ∂E/∂W, ∂E/∂V of the path sum against numerical gradients.
    public static func scalar(seed: UInt64, steps: Int = 6, loss: SeedScalarRNN.Loss = .binaryCrossEntropy,
                              chain: SeedScalarRNN.Chain = .corrected) -> [GradientCheck.TensorReport] {
        var g = SeededGenerator(seed: seed)
        let x = (0..<steps).map { _ in g.uniform(-2, 2) }
        let y = (0..<steps).map { _ in g.nextUnit() < 0.5 ? 0.0 : 1.0 }
        let s0 = g.uniform(-0.5, 0.5)
        let p = SeedScalarRNN.Parameters(u: g.uniform(-1.5, 1.5), w: g.uniform(-1.5, 1.5), v: g.uniform(-2, 2))
        let analytic = SeedScalarRNN.gradients(x: x, y: y, s0: s0, p, loss: loss, chain: chain)
        let numerical = GradientCheck.numericalGradient(at: [p.u, p.w, p.v]) { v in
            SeedScalarRNN.loss(x: x, y: y, s0: s0, .init(u: v[0], w: v[1], v: v[2]), loss)
        }
        return [report("U", [analytic.u], [numerical[0]]), report("W", [analytic.w], [numerical[1]]),
                report("V", [analytic.v], [numerical[2]])]
    }

    /// §2 with one sequence of T steps, sizes D, H, C.
    public static func vector(seed: UInt64, steps: Int = 5, inputSize d: Int = 3, hidden h: Int = 4,
                              classes c: Int = 3, chain: SeedVectorRNN.Chain = .corrected)
        -> [GradientCheck.TensorReport]
    {
        var g = SeededGenerator(seed: seed)
        let x = (0..<steps).map { _ in (0..<d).map { _ in g.uniform(-1, 1) } }
        let y = (0..<steps).map { _ in Int(g.next() % UInt64(c)) }
        let s0 = (0..<h).map { _ in g.uniform(-0.5, 0.5) }
        func random(_ r: Int, _ cols: Int) -> Matrix<Double> {
            Matrix(rows: r, cols: cols, storage: (0..<(r * cols)).map { _ in g.uniform(-0.9, 0.9) })
        }
        let p = SeedVectorRNN.Parameters(u: random(h, d), w: random(h, h), v: random(c, h))
        let analytic = SeedVectorRNN.gradients(x: x, y: y, s0: s0, p, chain: chain)
        let flat = p.u.storage + p.w.storage + p.v.storage
        let numerical = GradientCheck.numericalGradient(at: flat) { v in
            let q = SeedVectorRNN.Parameters(
                u: Matrix(rows: h, cols: d, storage: Array(v[0..<(h * d)])),
                w: Matrix(rows: h, cols: h, storage: Array(v[(h * d)..<(h * d + h * h)])),
                v: Matrix(rows: c, cols: h, storage: Array(v[(h * d + h * h)...])))
            return SeedVectorRNN.loss(x: x, y: y, s0: s0, q)
        }
        return split(numerical, [("U", analytic.u), ("W", analytic.w), ("V", analytic.v)])
    }

    /// §3 with N sequences of T steps.
    public static func batch(seed: UInt64, steps: Int = 4, size n: Int = 3, inputSize d: Int = 3,
                             hidden h: Int = 4, classes c: Int = 3,
                             derivative: SeedBatchRNN.TanhDerivative = .corrected,
                             chain: SeedBatchRNN.Chain = .corrected) -> [GradientCheck.TensorReport] {
        let (x, y, s0, p) = batchCase(seed: seed, steps: steps, size: n, inputSize: d, hidden: h, classes: c)
        let analytic = SeedBatchRNN.gradients(x: x, y: y, s0: s0, p, derivative: derivative, chain: chain)
        let flat = p.u.storage + p.w.storage + p.v.storage
        let numerical = GradientCheck.numericalGradient(at: flat) { v in
            let q = SeedBatchRNN.Parameters(
                u: Matrix(rows: d, cols: h, storage: Array(v[0..<(d * h)])),
                w: Matrix(rows: h, cols: h, storage: Array(v[(d * h)..<(d * h + h * h)])),
                v: Matrix(rows: h, cols: c, storage: Array(v[(d * h + h * h)...])))
            return SeedBatchRNN.loss(x: x, y: y, s0: s0, q)
        }
        return split(numerical, [("U", analytic.u), ("W", analytic.w), ("V", analytic.v)])
    }

    /// A random §3 case: X(1…T), class ids Y(t)[n], S(0) and parameters.
    public static func batchCase(seed: UInt64, steps: Int, size n: Int, inputSize d: Int, hidden h: Int,
                                 classes c: Int)
        -> (x: [Matrix<Double>], y: [[Int]], s0: Matrix<Double>, p: SeedBatchRNN.Parameters)
    {
        var g = SeededGenerator(seed: seed)
        func random(_ r: Int, _ cols: Int, _ bound: Double) -> Matrix<Double> {
            Matrix(rows: r, cols: cols, storage: (0..<(r * cols)).map { _ in g.uniform(-bound, bound) })
        }
        let x = (0..<steps).map { _ in random(n, d, 1) }
        let y = (0..<steps).map { _ in (0..<n).map { _ in Int(g.next() % UInt64(c)) } }
        let s0 = random(n, h, 0.5)
        let p = SeedBatchRNN.Parameters(u: random(d, h, 0.9), w: random(h, h, 0.9), v: random(h, c, 0.9))
        return (x, y, s0, p)
    }

    static func report(_ name: String, _ analytic: [Double], _ numerical: [Double]) -> GradientCheck.TensorReport {
        GradientCheck.TensorReport(
            name: name, count: analytic.count,
            maxRelativeError: GradientCheck.maxRelativeError(analytic, numerical),
            maxAbsoluteError: zip(analytic, numerical).reduce(0) { max($0, abs($1.0 - $1.1)) }, kinks: 0)
    }

    static func split(_ numerical: [Double], _ tensors: [(String, Matrix<Double>)]) -> [GradientCheck.TensorReport] {
        var offset = 0
        return tensors.map { name, m in
            defer { offset += m.storage.count }
            return report(name, m.storage, Array(numerical[offset..<(offset + m.storage.count)]))
        }
    }
}
