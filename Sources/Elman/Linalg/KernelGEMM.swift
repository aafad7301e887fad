import CElmanKernels

/// Single-precision GEMM on the C micro-kernels of the active instruction-set path: C = α·op(A)·op(B) + β·C,
/// row-major, on the calling thread (``ElmanFloat/gemm(_:_:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)`` splits large
/// products over the lanes).
///
/// The loop structure of GotoBLAS/BLIS with the roles of A and B mirrored for row-major C: op(B) is packed in
/// blocks of KC rows × NC columns, as panels NR columns wide, which stay in the core's L2 while every row tile
/// of A (up to MR × KC, in L1) sweeps the block's panels. A is never packed: the kernels broadcast its
/// elements in place, rows (rsa = lda) or, for a transposed operand, columns (rsa = 1) alike.
/// Hand-written because no maintained Swift package provides a GEMM.
enum KernelGEMM {
    /// Rows of op(B) per block. KC × NC floats (576 KiB) fit a core's L2; MR × KC (≤ 18 KiB) its L1.
    static let kc = 384
    /// Columns of op(B) per block.
    static let nc = 384

    static func gemm(
        _ kernels: CKernels, _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        if k == 0 || alpha == 0 {  // C = β·C: the plain loops scale C and stop there
            Portable.gemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta,
                          c: c, ldc: ldc)
            return
        }
        let nr = kernels.nr
        let panels = (min(n, nc) + nr - 1) / nr
        Scratch.with(bCount: min(kc, k) * panels * nr, aCount: 0) { packed, _ in
            var pc = 0
            while pc < k {
                let kb = min(kc, k - pc)
                var jc = 0
                while jc < n {
                    let nb = min(nc, n - jc)
                    packPanels(transB, b, ldb: ldb, rows: pc..<(pc + kb), cols: jc..<(jc + nb), nr: nr, into: packed)
                    // op(A)[:, pc..<pc+kb]: m×kb; op(B̃): kb×nb; C[:, jc..<jc+nb]: m×nb
                    var block = elman_block(
                        m: Int64(m), n: Int64(nb), k: Int64(kb), a: transA == .none ? a + pc : a + pc * lda,
                        rsa: Int64(transA == .none ? lda : 1), csa: Int64(transA == .none ? 1 : lda),
                        b: UnsafePointer(packed), c: c + jc, ldc: Int64(ldc), epilogue: Int32(ELMAN_EPILOGUE_GEMM),
                        nonlinearity: 0, alpha: alpha, beta: pc == 0 ? beta : 1, add_rows: nil, bias: nil, s: nil,
                        lds: 0)
                    kernels.block(&block)
                    jc += nb
                }
                pc += kb
            }
        }
    }

    /// op(B)[rows, cols] as panels of `nr` columns, each `rows.count` × `nr` floats row-major, zero-padded,
    /// one after another: the B̃ operand of `elman_block`.
    static func packPanels(
        _ trans: Transpose, _ b: UnsafePointer<Float>, ldb: Int, rows: Range<Int>, cols: Range<Int>, nr: Int,
        into out: UnsafeMutablePointer<Float>
    ) {
        let kb = rows.count
        var j0 = cols.lowerBound, panel = out
        while j0 < cols.upperBound {
            let width = min(nr, cols.upperBound - j0)
            if trans == .none {  // op(B)[p, j] = b[p·ldb + j]: rows of the panel are pieces of B's rows
                for p in 0..<kb {
                    let dst = panel + p * nr
                    dst.update(from: b + (rows.lowerBound + p) * ldb + j0, count: width)
                    if width < nr { (dst + width).update(repeating: 0, count: nr - width) }
                }
            } else {  // op(B)[p, j] = b[j·ldb + p]: B's rows become the panel's columns
                for jj in 0..<width {
                    let src = b + (j0 + jj) * ldb + rows.lowerBound
                    for p in 0..<kb { panel[p * nr + jj] = src[p] }
                }
                if width < nr { for p in 0..<kb { (panel + p * nr + width).update(repeating: 0, count: nr - width) } }
            }
            panel += kb * nr
            j0 += nr
        }
    }
}
