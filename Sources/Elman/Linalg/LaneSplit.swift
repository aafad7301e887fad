/// C = α·op(A)·op(B) + β·C with the arguments of ``ElmanFloat/directGEMM(_:_:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``.
typealias GEMMFunction<T> = (
    _ transA: Transpose, _ transB: Transpose, _ m: Int, _ n: Int, _ k: Int, _ alpha: T,
    _ a: UnsafePointer<T>, _ lda: Int, _ b: UnsafePointer<T>, _ ldb: Int, _ beta: T,
    _ c: UnsafeMutablePointer<T>, _ ldc: Int) -> Void

extension ElmanFloat {
    /// C = alpha·op(A)·op(B) + beta·C, row-major. op(A): m×k, op(B): k×n, C: m×n.
    ///
    /// When Elman owns the threads, a product of at least 2^17 multiply-adds a lane is split along C's longer
    /// side over the lanes, each part a ``directGEMM(_:_:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)`` on its own
    /// thread (one part after another while another thread holds the lanes); smaller ones run directly.
    static func gemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Self, a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int
    ) {
        if Backend.ownsThreads, let lanes = Lanes.shared, m > 0, n > 0, k > 0 {
            let work = Double(m) * Double(n) * Double(k)  // multiply-adds
            let parts = Int(min(Double(lanes.count), work / Double(LaneSplit.minimumGEMMWork)))
            if parts >= 2 {
                let splitColumns = n >= m
                lanes.each { lane in
                    let r = laneRange(lane, of: parts, extent: splitColumns ? n : m, align: 16)
                    guard !r.isEmpty else { return }
                    let lo = r.lowerBound
                    if splitColumns {  // C[:, r] = op(A)·op(B)[:, r]
                        directGEMM(transA, transB, m: m, n: r.count, k: k, alpha: alpha, a: a, lda: lda,
                                   b: transB == .none ? b + lo : b + lo * ldb, ldb: ldb, beta: beta, c: c + lo,
                                   ldc: ldc)
                    } else {  // C[r, :] = op(A)[r, :]·op(B)
                        directGEMM(transA, transB, m: r.count, n: n, k: k, alpha: alpha,
                                   a: transA == .none ? a + lo * lda : a + lo, lda: lda, b: b, ldb: ldb, beta: beta,
                                   c: c + lo * ldc, ldc: ldc)
                    }
                }
                return
            }
        }
        directGEMM(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta,
                   c: c, ldc: ldc)
    }
}

/// The thresholds and helpers that split work over the ``Lanes``.
enum LaneSplit {
    /// Multiply-adds a lane must get for a hoisted product to be split (OpenBLAS's own threshold for a
    /// second thread is 2^18 for the whole product).
    static let minimumGEMMWork = 1 << 17

    /// Multiply-adds a step (N·H²) below which the recurrence stays on one thread: a barrier costs about a
    /// microsecond, a step of 2^16 multiply-adds about as much.
    static let minimumStepWork = 1 << 16

    /// Elements below which a row-wise or element-wise kernel (softmax, Adam, norms) stays on one thread:
    /// below it, moving the data between the cores' caches costs more than the second core saves
    /// (docs/ARCHITECTURE.md, "Measurements behind the thresholds").
    static let minimumElementWork = 1 << 16

    /// Σ of `part(range)` over disjoint blocks of `0..<count` (aligned to `align`), one block a lane, summed in
    /// lane order, when there are at least `minimumElementWork` elements (`count·width`); else one call. The
    /// blocks depend only on the sizes and the number of lanes, so the result does too.
    static func sum(count: Int, width: Int = 1, align: Int = 1, _ part: (Range<Int>) -> Double) -> Double {
        guard let lanes = Lanes.shared, Double(count) * Double(width) >= Double(minimumElementWork),
              count >= 2 * align else { return part(0..<count) }
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: lanes.count) { totals in
            totals.initialize(repeating: 0)
            lanes.each { lane in
                let r = laneRange(lane, of: lanes.count, extent: count, align: align)
                if !r.isEmpty { totals[lane] = part(r) }  // each lane its own block and its own total
            }
            return totals.reduce(0, +)
        }
    }

    /// `part(range)` over disjoint blocks of `0..<count`, in parallel as ``sum(count:width:align:_:)``;
    /// blocks start at multiples of 16 (whole SIMD vectors).
    static func forEach(count: Int, _ part: (Range<Int>) -> Void) {
        _ = sum(count: count, align: 16) { r in part(r); return 0 }
    }
}
