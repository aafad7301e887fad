// The Float and Double conformances are the only places where the kernels meet a concrete type; each
// forwards to a system BLAS or Elman's kernels (GEMM), to the SIMD kernels (tanh, softmax) or to the portable
// kernels, specialized here.

import CElmanKernels
import RealModule

extension Float: ElmanFloat {
    public static var dtypeName: String { "F32" }
    public static let kernels = ElmanKernels<Float>(
        directGEMM: FloatKernels.directGEMM, activate: FloatKernels.activate,
        multiplyByDerivative: FloatKernels.multiplyByDerivative, softmaxCrossEntropy: FloatKernels.softmaxCrossEntropy,
        sigmoidCrossEntropy: FloatKernels.sigmoidCrossEntropy, addRowVector: FloatKernels.addRowVector,
        accumulateColumnSums: FloatKernels.accumulateColumnSums, copyRow: FloatKernels.copyRow,
        scatterAddRows: FloatKernels.scatterAddRows, fused: FloatKernels.fused)
}

/// The Float element kernels behind ``ElmanKernels``.
enum FloatKernels {
    /// Adam vectorized in Swift SIMD on every path; the recurrence and Adam out of place on the C kernels where
    /// the CPU has them.
    static let fused: FusedKernels<Float> = {
        var fused = FusedKernels<Float>.none
        fused.adam = { p, g, m, v, count, k in
            VectorMath.adam(p, gradient: g, first: m, second: v, count: count, l2: k.l2, beta1: k.beta1, beta2: k.beta2,
                            eps: k.eps, decay: k.decay, stepSize: k.stepSize, rootC2: k.rootC2)
        }
        guard let kernels = CKernels.active else { return fused }
        fused.recurrenceForward = { f, states, w, steps, rows, hidden, input in
            PackedRecurrence(kernels, f, rows: rows, hidden: hidden).forward(states: states, w: w, steps: steps, input: input)
        }
        fused.recurrenceBackward = { f, grad, states, wT, steps, rows, hidden in
            PackedRecurrence(kernels, f, rows: rows, hidden: hidden).backward(grad: grad, states: states, transposedW: wT, steps: steps)
        }
        fused.adamOutOfPlace = adamOutOfPlace(kernels)
        return fused
    }()

    /// Adam out of place on one instruction set's C kernel; true when every new parameter is finite.
    static func adamOutOfPlace(_ kernels: CKernels) -> FusedKernels<Float>.AdamOutOfPlace {
        { p, g, m, v, pOut, mOut, vOut, count, k in
            var constants = elman_adam_step(l2: k.l2, beta1: k.beta1, beta2: k.beta2, eps: k.eps, decay: k.decay,
                                            step_size: k.stepSize, root_c2: k.rootC2)
            return kernels.adam(&constants, p, g, m, v, pOut, mOut, vOut, Int64(count)) == 1
        }
    }

    static func directGEMM(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        if k > 0, let blas = Backend.blas {
            blas.sgemm(BLASLibrary.rowMajor, BLASLibrary.code(transA), BLASLibrary.code(transB),
                       Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        } else if let kernels = CKernels.active {
            KernelGEMM.gemm(kernels, transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                            beta: beta, c: c, ldc: ldc)
        } else {
            PortableSGEMM.gemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                               beta: beta, c: c, ldc: ldc)
        }
    }

    static func activate(_ f: Nonlinearity, _ x: UnsafeMutablePointer<Float>, count: Int) {
        if f == .relu {
            Portable.activate(f, x, count: count)
        } else if let kernels = CKernels.active {
            kernels.tanh(x, Int64(count))
        } else {
            VectorMath.tanh(x, count: count)
        }
    }

    static func multiplyByDerivative(
        _ f: Nonlinearity, _ grad: UnsafeMutablePointer<Float>, output s: UnsafePointer<Float>, count: Int
    ) {
        Portable.multiplyByDerivative(f, grad, output: s, count: count)
    }

    static func softmaxCrossEntropy(
        _ logits: UnsafeMutablePointer<Float>, rows: Int, classes: Int,
        targets: UnsafePointer<Int32>, weights: UnsafePointer<Float>
    ) -> Double {
        // Rows are independent: a chunk's rows are split over the lanes.
        LaneSplit.sum(count: rows, width: classes) { r in
            VectorMath.softmaxCrossEntropy(logits + r.lowerBound * classes, rows: r.count, classes: classes,
                                           targets: targets + r.lowerBound, weights: weights + r.lowerBound)
        }
    }

    static func sigmoidCrossEntropy(
        _ logits: UnsafeMutablePointer<Float>, rows: Int,
        targets: UnsafePointer<Float>, weights: UnsafePointer<Float>
    ) -> Double {
        Portable.sigmoidCrossEntropy(logits, rows: rows, targets: targets, weights: weights)
    }

    static func addRowVector(
        _ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int, _ v: UnsafePointer<Float>
    ) {
        Portable.addRowVector(x, rows: rows, cols: cols, v)
    }

    static func accumulateColumnSums(
        _ x: UnsafePointer<Float>, rows: Int, cols: Int, into out: UnsafeMutablePointer<Float>
    ) {
        Portable.accumulateColumnSums(x, rows: rows, cols: cols, into: out)
    }

    static func copyRow(
        from row: UnsafePointer<Float>, adding v: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>, count: Int
    ) {
        Portable.copyRow(from: row, adding: v, into: out, count: count)
    }

    static func scatterAddRows(
        _ src: UnsafePointer<Float>, cols: Int, indices: UnsafePointer<Int32>, count: Int,
        into table: UnsafeMutablePointer<Float>
    ) {
        Portable.scatterAddRows(src, cols: cols, indices: indices, count: count, into: table)
    }
}
