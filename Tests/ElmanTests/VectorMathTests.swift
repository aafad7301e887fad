import RealModule
import Testing
@testable import Elman

/// The SIMD kernels against the standard library evaluated in Double, to the bounds VectorMath states.
@Suite struct VectorMathTests {
    /// A dense grid over [lo, hi] plus log-spaced magnitudes near zero, both signs.
    static func points(_ lo: Float, _ hi: Float, count: Int) -> [Float] {
        var xs = (0..<count).map { lo + (hi - lo) * Float($0) / Float(count - 1) }
        var m: Float = 1e-30
        while m < 1 {
            xs += [m, -m, m.nextUp, -m.nextUp]
            m *= 1.37
        }
        return xs.filter { $0 >= lo && $0 <= hi }
    }

    /// Max error in units of the Float ulp of the exact value, and max absolute error.
    static func errors(_ xs: [Float], _ approx: [Float], _ exact: (Double) -> Double) -> (ulps: Double, absolute: Double) {
        var ulps = 0.0, absolute = 0.0
        for (x, a) in zip(xs, approx) {
            let e = exact(Double(x))
            let ulp = Double(Float(e).magnitude.ulp)
            ulps = max(ulps, abs(Double(a) - e) / ulp)
            absolute = max(absolute, abs(Double(a) - e))
        }
        return (ulps, absolute)
    }

    @Test func tanhIsWithinOneAndAHalfUlps() {
        let xs = Self.points(-20, 20, count: 200_003)
        var ys = xs
        ys.withUnsafeMutableBufferPointer { VectorMath.tanh($0.baseAddress!, count: $0.count) }
        let (ulps, absolute) = Self.errors(xs, ys, Double.tanh)
        #expect(ulps <= 1.5, "max error \(ulps) ulp")
        #expect(absolute <= 1e-7, "max absolute error \(absolute)")
        #expect(ys.allSatisfy { abs($0) <= 1 })
    }

    @Test func expIsWithinOneAndAHalfUlps() {
        let xs = Self.points(-87, 88, count: 200_003)
        var ys = [Float](repeating: 0, count: xs.count)
        for i in stride(from: 0, to: xs.count - 16, by: 16) {
            let v = VectorMath.exp(VectorMath.load(xs.withUnsafeBufferPointer { $0.baseAddress! + i }))
            for j in 0..<16 { ys[i + j] = v[j] }
        }
        let n = xs.count / 16 * 16 - 16
        let (ulps, _) = Self.errors(Array(xs[..<n]), Array(ys[..<n]), Double.exp)
        #expect(ulps <= 1.5, "max error \(ulps) ulp")
    }

    @Test func specialValues() {
        var x: [Float] = [.infinity, -.infinity, .nan, 0, -0.0, 100, -100, Float.leastNormalMagnitude / 1024, .greatestFiniteMagnitude]
        x += [Float](repeating: 0.5, count: 16 - x.count)
        let e = VectorMath.exp(VectorMath.load(x.withUnsafeBufferPointer { $0.baseAddress! }))
        #expect(e[1] == 0 && e[2].isNaN && e[3] == 1 && e[4] == 1 && e[6] == 0)
        #expect(e[0] > 1e38 && e[5] > 1e38)  // clamped at e^88.3, not a wrong small number
        var t = x
        t.withUnsafeMutableBufferPointer { VectorMath.tanh($0.baseAddress!, count: $0.count) }
        #expect(t[0] == 1 && t[1] == -1 && t[2].isNaN && t[3] == 0 && t[5] == 1 && t[6] == -1 && t[8] == 1)
        #expect(t[4] == 0 && t[4].sign == .minus)
        #expect(t[7] == 1e-40)
    }

    @Test func tailsShorterThanALaneAreComputedAndNothingBeyondIsTouched() {
        for count in [1, 5, 15, 16, 17, 33] {
            var x = (0..<(count + 3)).map { Float($0) * 0.3 - 2 }
            let original = x
            x.withUnsafeMutableBufferPointer { VectorMath.tanh($0.baseAddress!, count: count) }
            for i in 0..<count { #expect(abs(Double(x[i]) - Double.tanh(Double(original[i]))) < 1.2e-7) }
            #expect(Array(x[count...]) == Array(original[count...]))
        }
    }

    @Test func softmaxCrossEntropyMatchesTheDoubleReference() {
        var g = SeededGenerator(seed: 11)
        for classes in [2, 3, 16, 17, 65, 100] {
            let rows = 7
            let logits = (0..<(rows * classes)).map { _ in Float(g.nextUnit() * 40 - 20) }
            let targets = (0..<rows).map { _ in Int32(g.next() % UInt64(classes)) }
            let weights: [Float] = [1, 0, 0.5, 1, 2, 1, 0.25]
            var fast = logits
            let fastLoss = fast.withUnsafeMutableBufferPointer { VectorMath.softmaxCrossEntropy(
                $0.baseAddress!, rows: rows, classes: classes, targets: targets, weights: weights) }
            var exact = logits.map(Double.init)
            let exactLoss = exact.withUnsafeMutableBufferPointer { Portable.softmaxCrossEntropy(
                $0.baseAddress!, rows: rows, classes: classes, targets: targets, weights: weights.map(Double.init)) }
            #expect(abs(fastLoss - exactLoss) <= 1e-6 * max(1, abs(exactLoss)), "C=\(classes)")
            for i in fast.indices { #expect(abs(Double(fast[i]) - exact[i]) <= 1e-6, "C=\(classes) i=\(i)") }
        }
    }
}

@Suite struct RowSplitSoftmaxTests {
    /// Large batches are split across cores; every row's gradient must be bit-identical to one pass.
    @Test func splitRowsEqualOnePass() {
        let (rows, classes) = (301, 613)  // 184,513 logits: above the split threshold, rows not a multiple of the cores
        var g = SeededGenerator(seed: 5)
        let logits = (0..<(rows * classes)).map { _ in Float(g.uniform(-8, 8)) }
        let targets = (0..<rows).map { _ in Int32(g.next() % UInt64(classes)) }
        let weights = (0..<rows).map { $0 % 7 == 0 ? Float(0) : Float(1) / Float(rows) }
        var split = logits, single = logits
        let a = Float.softmaxCrossEntropy(&split, rows: rows, classes: classes, targets: targets, weights: weights)
        let b = VectorMath.softmaxCrossEntropy(&single, rows: rows, classes: classes, targets: targets, weights: weights)
        #expect(split == single)
        #expect(abs(a - b) <= 1e-12 * abs(b))
    }
}
