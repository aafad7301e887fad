import CElmanKernels
import Foundation
import Testing
@testable import Elman

/// Elman's own kernels on every instruction-set path this CPU has, against plain Double loops: the GEMM on
/// shapes that fill whole tiles and leave every kind of edge (1, primes, one past a tile, past a block), the
/// recurrence's fused steps forward and backward, the vector tanh of the forward epilogue and Adam.
@Suite struct KernelTests {
    /// Every path, so that none drops out of the results unseen: generic (the portable Swift kernels) runs on
    /// every CPU; a C path this CPU lacks is cancelled by ``kernels(_:)``, and the run lists it as skipped with
    /// the reason.
    static let paths = InstructionSet.allCases

    /// The C kernels of `isa`, or nil for generic; cancels the test case, naming the path, where this CPU
    /// cannot run it.
    static func kernels(_ isa: InstructionSet) throws -> CKernels? {
        if isa == .generic { return nil }
        guard isa.isSupported, let kernels = CKernels(isa) else {
            print("KernelTests: skipped \(isa): this CPU's best path is \(InstructionSet.detected)")
            try Test.cancel("skipped \(isa): this CPU's best path is \(InstructionSet.detected)")
        }
        return kernels
    }

    @Test func everyPathIsListedAndGenericAlwaysRuns() {
        #expect(Set(Self.paths) == Set(InstructionSet.allCases))
        #expect(CKernels(.generic) == nil && InstructionSet.generic.isSupported)
        #expect(Self.paths.filter(\.isSupported).contains(.generic))
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/cpuinfo")))
    func theCPUCheckAgreesWithTheKernelsFlags() throws {
        let info = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flagsLine = info.split(separator: "\n").first { $0.hasPrefix("flags") } ?? ""
        let flags = Set(flagsLine.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" }).map(String.init))
        let expected: InstructionSet =
            ["avx512f", "avx512dq", "avx512bw", "avx512vl", "fma"].allSatisfy(flags.contains) ? .avx512
            : ["avx2", "fma"].allSatisfy(flags.contains) ? .avx2 : .generic
        #expect(InstructionSet.detected == expected)
        #expect(InstructionSet.generic.isSupported)
    }

    static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (1, 33, 7), (3, 16, 2), (12, 32, 40), (6, 64, 9),  // single tiles, full and partial
        (13, 65, 385), (11, 31, 5), (37, 17, 1),  // one past a tile, past KC; primes
        (97, 131, 520), (25, 401, 17),  // several blocks in k, and past NC in n
    ]

    @Test(arguments: paths, [(Transpose.none, Transpose.none), (.none, .transposed), (.transposed, .none),
                             (.transposed, .transposed)])
    func gemmMatchesADoubleTripleLoop(isa: InstructionSet, transposes: (Transpose, Transpose)) throws {
        let kernels = try Self.kernels(isa)
        let (transA, transB) = transposes
        var g = SeededGenerator(seed: 3)
        for (m, n, k) in Self.shapes {
            for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1), (-1.5, 0.25)] {
                let lda = (transA == .none ? k : m) + 3, ldb = (transB == .none ? n : k) + 2, ldc = n + 1
                let a = (0..<((transA == .none ? m : k) * lda)).map { _ in Float(g.nextUnit() * 2 - 1) }
                let b = (0..<((transB == .none ? k : n) * ldb)).map { _ in Float(g.nextUnit() * 2 - 1) }
                // With β = 0, C must not be read: NaN there would show.
                let c0 = (0..<(m * ldc)).map { i in beta == 0 && i % ldc < n ? Float.nan : Float(g.nextUnit() * 2 - 1) }
                var c = c0
                if let kernels {
                    KernelGEMM.gemm(kernels, transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b,
                                    ldb: ldb, beta: beta, c: &c, ldc: ldc)
                } else {
                    a.withUnsafeBufferPointer { a in
                        b.withUnsafeBufferPointer { b in
                            c.withUnsafeMutableBufferPointer { c in
                                PortableSGEMM.gemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a.baseAddress!,
                                                   lda: lda, b: b.baseAddress!, ldb: ldb, beta: beta, c: c.baseAddress!,
                                                   ldc: ldc)
                            }
                        }
                    }
                }
                var worst = 0.0
                for i in 0..<m {
                    for j in 0..<n {
                        var s = 0.0
                        for p in 0..<k {
                            s += Double(transA == .none ? a[i * lda + p] : a[p * lda + i])
                                * Double(transB == .none ? b[p * ldb + j] : b[j * ldb + p])
                        }
                        let old = beta == 0 ? 0 : Double(beta) * Double(c0[i * ldc + j])
                        let error = abs(Double(c[i * ldc + j]) - (Double(alpha) * s + old))
                        worst = error.isNaN ? .infinity : max(worst, error)
                    }
                    #expect(c[i * ldc + n] == c0[i * ldc + n])  // the padding column of C is never written
                }
                // Float sums of k products of magnitude ≤ 1.5: error ≲ k·2⁻²⁴·√k; a wrong index is O(1).
                #expect(worst < 1e-5 * Double(k), "\(isa) m=\(m) n=\(n) k=\(k) α=\(alpha) β=\(beta): \(worst)")
            }
        }
    }

    /// The inputs of one recurrence check: W, S(0) and either token ids into U or a preloaded X·U.
    struct RecurrenceCase {
        let n: Int, h: Int, steps: Int, vocabulary = 5
        let w: [Float], h0: [Float], xu: [Float], u: [Float], ids: [Int32], bias: [Float], dS: [Float]

        init(n: Int, h: Int, steps: Int, seed: UInt64) {
            self.n = n; self.h = h; self.steps = steps
            var g = SeededGenerator(seed: seed)
            func uniform(_ count: Int, _ scale: Double) -> [Float] { (0..<count).map { _ in Float((g.nextUnit() * 2 - 1) * scale) } }
            w = uniform(h * h, 1.5 / Double(h).squareRoot())
            h0 = uniform(n * h, 1)
            xu = uniform(steps * n * h, 1)
            u = uniform(5 * h, 1)
            ids = (0..<(steps * n)).map { _ in Int32(g.next() % 5) }
            bias = uniform(h, 0.5)
            dS = uniform(steps * n * h, 1)
        }

        /// S(0..T) and dZ(1..T) by the element loops of Eqs. 74–75 and 107–109 (f′ from S), in Double.
        func reference(_ f: Nonlinearity, tokens: Bool, bias useBias: Bool) -> (states: [Double], dZ: [Double]) {
            var s = h0.map(Double.init) + [Double](repeating: 0, count: steps * n * h)
            for t in 1...steps {
                for r in 0..<n {
                    for j in 0..<h {
                        var z = tokens ? Double(u[Int(ids[(t - 1) * n + r]) * h + j]) : Double(xu[(t - 1) * n * h + r * h + j])
                        if useBias { z += Double(bias[j]) }
                        for p in 0..<h { z += s[(t - 1) * n * h + r * h + p] * Double(w[p * h + j]) }
                        s[t * n * h + r * h + j] = f == .tanh ? Foundation.tanh(z) : max(0, z)
                    }
                }
            }
            var dZ = dS.map(Double.init)
            for t in stride(from: steps, through: 1, by: -1) {
                for r in 0..<n {
                    for j in 0..<h {
                        var d = dZ[(t - 1) * n * h + r * h + j]
                        if t < steps { for p in 0..<h { d += dZ[t * n * h + r * h + p] * Double(w[j * h + p]) } }
                        let out = s[t * n * h + r * h + j]
                        dZ[(t - 1) * n * h + r * h + j] = d * (f == .tanh ? 1 - out * out : (out > 0 ? 1 : 0))
                    }
                }
            }
            return (s, dZ)
        }
    }

    /// Runs the recurrence of one path on `cs`, forward then backward: the packed C kernels in Float, or for
    /// generic the portable steps, in Double (Float's own dispatch picks the C kernels on a CPU that has them;
    /// the portable steps are one generic text for both types). Returns S(0..T), dZ(1..T) and the lanes used.
    static func recurrence(_ kernels: CKernels?, _ f: Nonlinearity, _ cs: RecurrenceCase, tokens: Bool, bias useBias: Bool)
        -> (states: [Double], dZ: [Double], lanes: Int) {
        let (n, h) = (cs.n, cs.h)
        let wT = (0..<(h * h)).map { cs.w[($0 % h) * h + $0 / h] }
        guard let kernels else {
            let u = cs.u.map(Double.init), bias = cs.bias.map(Double.init)
            var states = cs.h0.map(Double.init) + (tokens ? [Double](repeating: .nan, count: cs.steps * n * h) : cs.xu.map(Double.init))
            var input = Recurrence.Input<Double>()
            let lanes = u.withUnsafeBufferPointer { u in
                cs.ids.withUnsafeBufferPointer { ids in
                    bias.withUnsafeBufferPointer { b in
                        if tokens { input.tokens = (u.baseAddress!, ids.baseAddress!) }
                        if useBias { input.bias = b.baseAddress! }
                        return Recurrence.forward(f, states: &states, w: cs.w.map(Double.init), steps: cs.steps, rows: n,
                                                  hidden: h, input: input)
                    }
                }
            }
            var grad = cs.dS.map(Double.init)
            Recurrence.backward(f, grad: &grad, states: states, transposedW: wT.map(Double.init), steps: cs.steps, rows: n,
                                hidden: h)
            return (states, grad, lanes)
        }
        let recurrence = PackedRecurrence(kernels, f, rows: n, hidden: h)
        var states = cs.h0 + (tokens ? [Float](repeating: .nan, count: cs.steps * n * h) : cs.xu)
        var input = Recurrence.Input<Float>()
        let lanes = cs.u.withUnsafeBufferPointer { u in
            cs.ids.withUnsafeBufferPointer { ids in
                cs.bias.withUnsafeBufferPointer { b in
                    if tokens { input.tokens = (u.baseAddress!, ids.baseAddress!) }
                    if useBias { input.bias = b.baseAddress! }
                    return states.withUnsafeMutableBufferPointer {
                        recurrence.forward(states: $0.baseAddress!, w: cs.w, steps: cs.steps, input: input)
                    }
                }
            }
        }
        var grad = cs.dS
        _ = recurrence.backward(grad: &grad, states: states, transposedW: wT, steps: cs.steps)
        return (states.map(Double.init), grad.map(Double.init), lanes)
    }

    /// The recurrence steps, forward (token rows of U or a preloaded X·U, with and without b) and backward,
    /// equal the element loops; shapes below, at and past a tile and a panel, split over the lanes or not.
    @Test(arguments: paths, Nonlinearity.allCases)
    func recurrenceMatchesThePlainLoops(isa: InstructionSet, f: Nonlinearity) throws {
        let kernels = try Self.kernels(isa)
        var splitOnce = false
        for (n, h) in [(1, 1), (1, 100), (7, 33), (12, 32), (16, 96), (13, 131)] {
            let cs = RecurrenceCase(n: n, h: h, steps: 5, seed: UInt64(n * 1000 + h))
            for (tokens, useBias) in [(true, true), (false, true), (false, false), (true, false)] {
                let (expectedS, expectedDZ) = cs.reference(f, tokens: tokens, bias: useBias)
                let (states, grad, lanes) = Self.recurrence(kernels, f, cs, tokens: tokens, bias: useBias)
                splitOnce = splitOnce || lanes > 1
                let forwardError = zip(states, expectedS).map { abs($0 - $1) }.max() ?? .nan
                #expect(forwardError < 1e-5, "\(isa) \(f) N=\(n) H=\(h) tokens \(tokens) bias \(useBias): \(forwardError)")
                let backwardError = zip(grad, expectedDZ).map { abs($0 - $1) }.max() ?? .nan
                #expect(backwardError < 1e-4, "\(isa) \(f) N=\(n) H=\(h) backward: \(backwardError)")
            }
        }
        // 16×96² and 13×131² multiply-adds a step are split whenever Elman owns several threads and its team is
        // free; tests running in parallel may hold the team, so retry until it is.
        if Lanes.shared != nil && Backend.ownsThreads {
            let cs = RecurrenceCase(n: 16, h: 96, steps: 5, seed: 7)
            var attempts = 0
            while !splitOnce && attempts < 2000 {
                splitOnce = Self.recurrence(kernels, f, cs, tokens: false, bias: false).lanes > 1
                attempts += 1
                if !splitOnce { usleep(1000) }
            }
            #expect(splitOnce, "\(isa): the team was never free in \(attempts) attempts, or the step is not split")
        }
    }

    @Test(arguments: paths)
    func tanhIsWithinOneAndAHalfUlps(isa: InstructionSet) throws {
        let kernels = try Self.kernels(isa)
        func tanh(_ x: inout [Float]) {
            if let kernels { kernels.tanh(&x, Int64(x.count)) } else {
                x.withUnsafeMutableBufferPointer { VectorMath.tanh($0.baseAddress!, count: $0.count) }
            }
        }
        let xs = VectorMathTests.points(-20, 20, count: 100_003)
        var ys = xs
        tanh(&ys)
        let (ulps, absolute) = VectorMathTests.errors(xs, ys, Double.tanh)
        #expect(ulps <= 1.5, "\(isa): max error \(ulps) ulp")
        #expect(absolute <= 1e-7, "\(isa): max absolute error \(absolute)")
        var special: [Float] = [.infinity, -.infinity, .nan, 0, -0.0, 100, -100, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        tanh(&special)  // 9 values: a partial vector on every path
        #expect(special[0] == 1 && special[1] == -1 && special[2].isNaN && special[3] == 0)
        #expect(special[4] == 0 && special[4].sign == .minus && special[5] == 1 && special[6] == -1 && special[8] == 1)
    }
}

extension KernelTests {
    /// The generic path's Adam (the SIMD loop `Optimizer<Float>` runs on every CPU), out of place as the guard
    /// asks of a kernel.
    static let portableAdamOutOfPlace: FusedKernels<Float>.AdamOutOfPlace = { p, g, m, v, pOut, mOut, vOut, count, k in
        pOut.update(from: p, count: count)
        mOut.update(from: m, count: count)
        vOut.update(from: v, count: count)
        VectorMath.adam(pOut, gradient: g, first: mOut, second: vOut, count: count, l2: k.l2, beta1: k.beta1, beta2: k.beta2,
                        eps: k.eps, decay: k.decay, stepSize: k.stepSize, rootC2: k.rootC2)
        return UnsafeBufferPointer(start: pOut, count: count).allSatisfy(\.isFinite)
    }

    /// The guard's out-of-place Adam (the kernel writes the new state into spare buffers) follows the
    /// optimizer's scalar update in Double, for a vector with a tail and one long enough to be split over the
    /// lanes; an update that overflows leaves everything as it was.
    @Test(arguments: paths, [OptimizerKind.adam, .adamw])
    func outOfPlaceAdamFollowsTheOptimizer(isa: InstructionSet, kind: OptimizerKind) throws {
        let kernel = try Self.kernels(isa).map(FloatKernels.adamOutOfPlace) ?? Self.portableAdamOutOfPlace
        for count in [37, 70_001] {
            var g = SeededGenerator(seed: UInt64(count))
            let start = (0..<count).map { _ in Float(g.nextUnit() * 2 - 1) }
            var reference = Optimizer<Double>(kind: kind, parameterCount: count)  // the scalar loop: no fused kernel
            reference.weightDecay = 0.1
            var fused = Optimizer<Float>(kind: kind, parameterCount: count)
            fused.weightDecay = 0.1
            var guardian = UpdateGuard<Float>()
            var expected = start.map(Double.init), values = start
            for _ in 0..<3 {
                let gradient = (0..<count).map { _ in Float(g.nextUnit() * 4 - 2) }
                reference.update(&expected, gradient: gradient.map(Double.init), lr: 0.01)
                #expect(guardian.adamOutOfPlace(kernel, &fused, &values, gradient: gradient, lr: 0.01))
            }
            #expect(fused.step == 3)
            // Float rounding of values near 1 and moments up to 4: a few ulp; a wrong rule moves ~1e-3.
            func worst(_ a: [Float], _ b: [Double]) -> Double { zip(a, b).map { abs(Double($0) - $1) }.max() ?? .nan }
            #expect(worst(values, expected) < 1e-6, "\(isa) \(kind) \(count): \(worst(values, expected))")
            #expect(worst(fused.first, reference.first) < 1e-6, "\(isa) \(kind) \(count) m")
            #expect(worst(fused.second, reference.second) < 4e-6, "\(isa) \(kind) \(count) v")
            var huge = [Float](repeating: 0, count: count)
            huge[count - 1] = 1  // the last element, in the tail for 37
            values[count - 1] = 3e38
            let before = (values, fused.first, fused.second)
            #expect(!guardian.adamOutOfPlace(kernel, &fused, &values, gradient: huge, lr: 1e38))
            #expect(values == before.0 && fused.first == before.1 && fused.second == before.2 && fused.step == 3)
        }
    }
}
