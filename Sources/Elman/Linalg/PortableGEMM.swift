import Foundation

/// The portable backend's single-precision GEMM: C = α·op(A)·op(B) + β·C, row-major, with the loop
/// structure of GotoBLAS/BLIS — B packed in KC×NR panels, A in MR×KC panels, a 6×8 register-blocked
/// micro-kernel on SIMD8. Threads come from the lanes, which split C and call this on each part.
///
/// Hand-written because no maintained Swift package provides a GEMM; a system CBLAS, when one is found,
/// is used instead (see ``Backend``). Tiny products skip the packing and run the plain loops.
enum PortableSGEMM {
    static let mr = 6, nr = 8, kc = 256, mc = 72

    /// C = α·op(A)·op(B) + β·C on the calling thread; ``ElmanFloat/gemm(_:_:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``
    /// splits large products over the lanes.
    static func gemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        if m < 4 || n < 8 || k < 8 {  // gemv-like shapes: packing would cost as much as the product
            Portable.gemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                          beta: beta, c: c, ldc: ldc)
            return
        }
        Operands(transA: transA, transB: transB, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, alpha: alpha,
                 beta: beta, k: k).run(rows: 0..<m, cols: 0..<n)
    }

    /// One GEMM's operands; `run` computes a rectangle of C. Distinct rectangles touch disjoint memory.
    struct Operands: @unchecked Sendable {
        let transA: Transpose, transB: Transpose
        let a: UnsafePointer<Float>, lda: Int
        let b: UnsafePointer<Float>, ldb: Int
        let c: UnsafeMutablePointer<Float>, ldc: Int
        let alpha: Float, beta: Float, k: Int

        /// op(A)[i, p]
        @inline(__always) func aAt(_ i: Int, _ p: Int) -> Float { transA == .none ? a[i * lda + p] : a[p * lda + i] }
        /// op(B)[p, j]
        @inline(__always) func bAt(_ p: Int, _ j: Int) -> Float { transB == .none ? b[p * ldb + j] : b[j * ldb + p] }

        func run(rows: Range<Int>, cols: Range<Int>) {
            // C ← β·C on this rectangle
            for i in rows {
                let ci = c + i * ldc
                if beta == 0 {
                    (ci + cols.lowerBound).update(repeating: 0, count: cols.count)
                } else if beta != 1 {
                    for j in cols { ci[j] *= beta }
                }
            }
            let nPanels = (cols.count + nr - 1) / nr
            Scratch.with(bCount: kc * nPanels * nr, aCount: kc * mc) { bPack, aPack in
                var pc = 0
                while pc < k {
                    let kb = min(kc, k - pc)
                    packB(pc: pc, kb: kb, cols: cols, into: bPack)
                    var ic = rows.lowerBound
                    while ic < rows.upperBound {
                        let mb = min(mc, rows.upperBound - ic)
                        packA(ic: ic, mb: mb, pc: pc, kb: kb, into: aPack)
                        for jp in 0..<nPanels {
                            let j0 = cols.lowerBound + jp * nr
                            let nb = min(nr, cols.upperBound - j0)
                            var ip = 0
                            while ip < mb {
                                let rb = min(mr, mb - ip)
                                microKernel(kb: kb, a: aPack + ip * kb, b: bPack + jp * nr * kb,
                                            c: c + (ic + ip) * ldc + j0, ldc: ldc, alpha: alpha, rows: rb, cols: nb)
                                ip += mr
                            }
                        }
                        ic += mb
                    }
                    pc += kb
                }
            }
        }

        /// op(B)[pc..<pc+kb, cols] as NR-wide panels, each kb×NR row-major, zero-padded.
        func packB(pc: Int, kb: Int, cols: Range<Int>, into out: UnsafeMutablePointer<Float>) {
            var dst = out
            var j0 = cols.lowerBound
            while j0 < cols.upperBound {
                let nb = min(nr, cols.upperBound - j0)
                if transB == .none && nb == nr {
                    for p in 0..<kb { (dst + p * nr).update(from: b + (pc + p) * ldb + j0, count: nr) }
                } else {
                    for p in 0..<kb {
                        let row = dst + p * nr
                        for j in 0..<nr { row[j] = j < nb ? bAt(pc + p, j0 + j) : 0 }
                    }
                }
                dst += kb * nr
                j0 += nr
            }
        }

        /// op(A)[ic..<ic+mb, pc..<pc+kb] as MR-tall panels, each kb×MR (MR values per p), zero-padded.
        func packA(ic: Int, mb: Int, pc: Int, kb: Int, into out: UnsafeMutablePointer<Float>) {
            var dst = out
            var i0 = 0
            while i0 < mb {
                let rb = min(mr, mb - i0)
                if transA == .transposed && rb == mr {
                    for p in 0..<kb { (dst + p * mr).update(from: a + (pc + p) * lda + ic + i0, count: mr) }
                } else {
                    for p in 0..<kb {
                        let col = dst + p * mr
                        for i in 0..<mr { col[i] = i < rb ? aAt(ic + i0 + i, pc + p) : 0 }
                    }
                }
                dst += kb * mr
                i0 += mr
            }
        }
    }

    /// C[0..<rows, 0..<cols] += α · Ã·B̃ for one MR×KB panel Ã and one KB×NR panel B̃; 6×8 accumulators.
    @inline(__always)
    static func microKernel(kb: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                            c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, rows: Int, cols: Int) {
        typealias V = SIMD8<Float>
        var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V()
        var pa = a, pb = b
        for _ in 0..<kb {
            let bv = UnsafeRawPointer(pb).loadUnaligned(as: V.self)
            c0 += pa[0] * bv
            c1 += pa[1] * bv
            c2 += pa[2] * bv
            c3 += pa[3] * bv
            c4 += pa[4] * bv
            c5 += pa[5] * bv
            pa += 6
            pb += 8
        }
        @inline(__always) func add(_ v: V, _ i: Int) {
            guard i < rows else { return }
            let ci = c + i * ldc
            if cols == 8 {
                let old = UnsafeRawPointer(ci).loadUnaligned(as: V.self)
                UnsafeMutableRawPointer(ci).storeBytes(of: old + alpha * v, as: V.self)
            } else {
                for j in 0..<cols { ci[j] += alpha * v[j] }
            }
        }
        add(c0, 0); add(c1, 1); add(c2, 2); add(c3, 3); add(c4, 4); add(c5, 5)
    }
}

/// Packing buffers, reused across calls so that the step-by-step recurrence allocates nothing: a pool
/// guarded by a lock, holding one buffer pair per concurrently running GEMM part. Buffers start on 64-byte
/// boundaries, so that the kernels' vector loads of packed panels never straddle two cache lines.
enum Scratch {
    final class Buffers: @unchecked Sendable {
        var b: UnsafeMutablePointer<Float>, bCount: Int
        var a: UnsafeMutablePointer<Float>, aCount: Int
        init() {
            bCount = 0; aCount = 0
            b = Buffers.allocate(1); a = Buffers.allocate(1)
        }
        func reserve(b nb: Int, a na: Int) {
            if nb > bCount { Buffers.free(b); b = Buffers.allocate(nb); bCount = nb }
            if na > aCount { Buffers.free(a); a = Buffers.allocate(na); aCount = na }
        }
        private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
            UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
                .bindMemory(to: Float.self, capacity: max(count, 1))
        }
        private static func free(_ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).deallocate() }
    }

    // A pthread mutex (NSLock): Synchronization.Mutex locks inside the standard library, which is not built for
    // ThreadSanitizer, so TSan (run by CI) cannot see it order the pool's accesses.
    private static let lock = NSLock()
    nonisolated(unsafe) private static var free: [Buffers] = []

    /// A buffer pair with room for `bCount` and `aCount` floats, out of the pool until ``give(_:)``.
    static func take(bCount: Int, aCount: Int) -> Buffers {
        lock.lock()
        let buffers = free.popLast() ?? Buffers()
        lock.unlock()
        buffers.reserve(b: bCount, a: aCount)
        return buffers
    }

    static func give(_ buffers: Buffers) {
        lock.lock()
        free.append(buffers)
        lock.unlock()
    }

    static func with(bCount: Int, aCount: Int, _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
        let buffers = take(bCount: bCount, aCount: aCount)
        body(buffers.b, buffers.a)
        give(buffers)
    }
}
