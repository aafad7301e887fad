import Testing
@testable import Elman

/// The blocked portable SGEMM against a plain Double triple loop.
@Suite struct PortableGEMMTests {
    static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 5, 3), (4, 8, 8), (7, 9, 13), (13, 17, 300),  // tails in every dimension, k > KC
        (64, 200, 96), (150, 70, 40), (97, 131, 520),     // several blocks in every dimension
    ]

    @Test(arguments: [Transpose.none, .transposed], [Transpose.none, .transposed])
    func matchesADoubleTripleLoop(transA: Transpose, transB: Transpose) {
        var g = SeededGenerator(seed: 42)
        for (m, n, k) in Self.shapes {
            for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1), (-1.5, 0.25)] {
                // Leading dimensions larger than the rows, to catch any lda/ldb/ldc mix-up.
                let lda = (transA == .none ? k : m) + 3, ldb = (transB == .none ? n : k) + 2, ldc = n + 1
                let aRows = transA == .none ? m : k, bRows = transB == .none ? k : n
                let a = (0..<(aRows * lda)).map { _ in Float(g.nextUnit() * 2 - 1) }
                let b = (0..<(bRows * ldb)).map { _ in Float(g.nextUnit() * 2 - 1) }
                let c0 = (0..<(m * ldc)).map { _ in Float(g.nextUnit() * 2 - 1) }
                var c = c0
                a.withUnsafeBufferPointer { a in
                    b.withUnsafeBufferPointer { b in
                        c.withUnsafeMutableBufferPointer { c in
                            PortableSGEMM.gemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a.baseAddress!,
                                               lda: lda, b: b.baseAddress!, ldb: ldb, beta: beta,
                                               c: c.baseAddress!, ldc: ldc)
                        }
                    }
                }
                var worst = 0.0
                for i in 0..<m {
                    for j in 0..<n {
                        var s = 0.0
                        for p in 0..<k {
                            let x = transA == .none ? a[i * lda + p] : a[p * lda + i]
                            let y = transB == .none ? b[p * ldb + j] : b[j * ldb + p]
                            s += Double(x) * Double(y)
                        }
                        let exact = Double(alpha) * s + Double(beta) * Double(c0[i * ldc + j])
                        worst = max(worst, abs(Double(c[i * ldc + j]) - exact))
                    }
                    // The padding column of C is never written.
                    #expect(c[i * ldc + n] == c0[i * ldc + n])
                }
                // Float accumulation of k products of magnitude ≤ 1: error ≲ k·2⁻²⁴·√k; a wrong index is O(1).
                #expect(worst < 1e-5 * Double(k), "m=\(m) n=\(n) k=\(k) α=\(alpha) β=\(beta): \(worst)")
            }
        }
    }
}
