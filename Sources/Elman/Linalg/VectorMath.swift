import RealModule

/// Vectorized exp and tanh for Float, sixteen lanes at a time (SIMD16), and the Float kernels built on
/// them. Hand-written because swift-numerics offers scalar elementary functions only, and a scalar libm
/// call per element was the largest cost of the training step after GEMM.
///
/// The range reductions and polynomial coefficients are those of Cephes `expf` and `tanhf`
/// (S. L. Moshier). Error against the standard library evaluated in Double, measured by
/// `VectorMathTests` over 200,000 grid points and log-spaced tiny magnitudes (the test asserts 1.5 ulp):
/// - `exp`: 0.95 ulp at most on [−87, 88]; exactly 0 below −87.3 and for −∞.
/// - `tanh`: 1.17 ulp at most on [−20, 20] (absolute 7.0e-8); tanh(±∞) = ±1, tanh(−0) = −0.
/// NaN in gives NaN out, so non-finite losses are still detected.
enum VectorMath {
    typealias V = SIMD16<Float>
    typealias Bits = SIMD16<UInt32>

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> V {
        UnsafeRawPointer(p).loadUnaligned(as: V.self)
    }

    @inline(__always)
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }

    /// The first `count` (< 16) elements, the rest of the lanes set to `fill`. One copy and one load:
    /// setting lanes one by one stalls on every store (store-to-load forwarding fails).
    @inline(__always)
    static func loadPartial(_ p: UnsafePointer<Float>, _ count: Int, fill: Float) -> V {
        var v = V(repeating: fill)
        withUnsafeMutableBytes(of: &v) { $0.baseAddress.unsafelyUnwrapped.copyMemory(from: p, byteCount: count * 4) }
        return v
    }

    @inline(__always)
    static func storePartial(_ v: V, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
        withUnsafeBytes(of: v) { UnsafeMutableRawPointer(p).copyMemory(from: $0.baseAddress.unsafelyUnwrapped, byteCount: count * 4) }
    }

    /// The lane-wise larger of a and b. The standard library's `pointwiseMax` is generic and runs lane by
    /// lane through memory; a compare and a blend are two instructions.
    /// (Concrete types on purpose: in a generic function `.<` binds to the generic lane-by-lane version.)
    @inline(__always) static func larger(_ a: V, _ b: V) -> V { a.replacing(with: b, where: a .< b) }
    @inline(__always) static func larger(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        a.replacing(with: b, where: a .< b)
    }
    @inline(__always) static func larger(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> {
        a.replacing(with: b, where: a .< b)
    }
    @inline(__always) static func larger(_ a: SIMD2<Float>, _ b: SIMD2<Float>) -> SIMD2<Float> {
        a.replacing(with: b, where: a .< b)
    }

    /// The largest lane, by halving (SIMD16's `max()` also reads the lanes one by one through memory).
    @inline(__always)
    static func largest(_ v: V) -> Float {
        let a = larger(v.lowHalf, v.highHalf), b = larger(a.lowHalf, a.highHalf), c = larger(b.lowHalf, b.highHalf)
        return Swift.max(c[0], c[1])
    }

    /// The sum of the lanes, by halving.
    @inline(__always)
    static func laneSum(_ v: V) -> Float {
        let a = v.lowHalf + v.highHalf, b = a.lowHalf + a.highHalf, c = b.lowHalf + b.highHalf
        return c[0] + c[1]
    }

    @inline(__always)
    static func magnitude(_ x: V) -> V {
        unsafeBitCast(unsafeBitCast(x, to: Bits.self) & 0x7fff_ffff, to: V.self)
    }

    /// e^x lane by lane: x = n·ln 2 + r with |r| ≤ ln2/2, e^r by a degree-7 polynomial, then 2^n.
    @inline(__always)
    static func exp(_ x: V) -> V {
        let lo = V(repeating: -87.3), hi = V(repeating: 88.3)
        let xc = x.replacing(with: lo, where: x .< lo).replacing(with: hi, where: x .> hi)
        // Adding 1.5·2²³ rounds to an integer and leaves it in the low mantissa bits.
        let shifted = xc * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        var r = xc - n * 0.693_359_375  // ln 2 split in two for an exact first subtraction
        r = r - n * -2.121_944_4e-4
        var p = V(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let er = p * (r * r) + r + 1
        let integer = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000  // n as an integer
        let scale = unsafeBitCast((integer &+ 127) &<< 23, to: V.self)  // 2ⁿ
        return (er * scale)
            .replacing(with: 0, where: x .< lo)
            .replacing(with: x, where: x .!= x)  // NaN stays NaN
    }

    /// tanh lane by lane: an odd polynomial below |x| = 0.625, 1 − 2/(e^{2|x|} + 1) above it.
    @inline(__always)
    static func tanh(_ x: V) -> V {
        let a = magnitude(x)
        let s = x * x
        var p = V(repeating: -5.704_988_727_45e-3)
        p = p * s + 2.063_908_879_54e-2
        p = p * s - 5.373_971_555_31e-2
        p = p * s + 1.333_144_220_36e-1
        p = p * s - 3.333_328_194_22e-1
        let small = p * s * x + x
        let e = exp((a + a).replacing(with: 88, where: a .> 44))
        let large = 1 - 2 / (e + 1)
        let signed = unsafeBitCast(
            unsafeBitCast(large, to: Bits.self) | (unsafeBitCast(x, to: Bits.self) & 0x8000_0000), to: V.self)
        return small
            .replacing(with: x, where: a .< 1e-4)  // tanh x = x(1 − x²/3 + …): x is the rounded value; keeps −0
            .replacing(with: signed, where: a .>= 0.625)
    }

    /// x ← tanh(x), in place.
    static func tanh(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count {
            store(tanh(load(x + i)), x + i)
            i += 16
        }
        if i < count {
            storePartial(tanh(loadPartial(x + i, count - i, fill: 0)), x + i, count - i)
        }
    }

    /// Softmax cross-entropy fused with its gradient, as ``ElmanFloat/softmaxCrossEntropy(_:rows:classes:targets:weights:)``.
    static func softmaxCrossEntropy(
        _ logits: UnsafeMutablePointer<Float>, rows: Int, classes: Int,
        targets: UnsafePointer<Int32>, weights: UnsafePointer<Float>
    ) -> Double {
        var total: Double = 0
        let full = classes / 16 * 16, tail = classes - full
        for r in 0..<rows {
            let g = logits + r * classes
            let w = weights[r]
            if w == 0 {
                g.update(repeating: 0, count: classes)
                continue
            }
            // m = max_j g_j
            var mv = V(repeating: -.infinity)
            var j = 0
            while j < full { mv = larger(mv, load(g + j)); j += 16 }
            if tail > 0 { mv = larger(mv, loadPartial(g + full, tail, fill: -.infinity)) }
            let m = largest(mv)
            let y = Int(targets[r])
            let shiftedTarget = g[y] - m
            // g_j ← e^{g_j − m}, Σ
            let mSplat = V(repeating: m)
            var sv = V(repeating: 0)
            j = 0
            while j < full {
                let e = exp(load(g + j) - mSplat)
                store(e, g + j)
                sv += e
                j += 16
            }
            if tail > 0 {
                let e = exp(loadPartial(g + full, tail, fill: -.infinity) - mSplat)
                storePartial(e, g + full, tail)
                sv += e
            }
            let sum = laneSum(sv)
            // CE = log Σ_j e^{g_j − m} − (g_y − m)   (Eqs. 23, 34)
            total += Double(w) * (Double(sum).log() - Double(shiftedTarget))
            let scale = V(repeating: w / sum)
            j = 0
            while j < full { store(load(g + j) * scale, g + j); j += 16 }
            for k in full..<classes { g[k] *= w / sum }
            g[y] -= w  // w·(ŷ − y), Eq. 92
        }
        return total
    }

    /// One Adam/AdamW update, as `Optimizer.update` computes it in its scalar loop:
    /// g ← g + l2·θ; m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; θ ← decay·θ − stepSize·m / (√v / rootC2 + ε).
    static func adam(
        _ p: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, first m: UnsafeMutablePointer<Float>,
        second v: UnsafeMutablePointer<Float>, count: Int, l2: Float, beta1: Float, beta2: Float, eps: Float,
        decay: Float, stepSize: Float, rootC2: Float
    ) {
        @inline(__always) func update(_ p: V, _ g: V, _ m: V, _ v: V) -> (V, V, V) {
            let gi = g + l2 * p
            let m = beta1 * m + (1 - beta1) * gi
            let v = beta2 * v + (1 - beta2) * gi * gi
            return (decay * p - stepSize * m / (v.squareRoot() / rootC2 + eps), m, v)
        }
        var i = 0
        while i + 16 <= count {
            let (pn, mn, vn) = update(load(p + i), load(g + i), load(m + i), load(v + i))
            store(pn, p + i); store(mn, m + i); store(vn, v + i)
            i += 16
        }
        let rest = count - i
        if rest > 0 {
            let (pn, mn, vn) = update(loadPartial(p + i, rest, fill: 0), loadPartial(g + i, rest, fill: 0),
                                      loadPartial(m + i, rest, fill: 0), loadPartial(v + i, rest, fill: 0))
            storePartial(pn, p + i, rest); storePartial(mn, m + i, rest); storePartial(vn, v + i, rest)
        }
    }
}


private extension Double {
    @inline(__always) func log() -> Double { Double.log(self) }
}
