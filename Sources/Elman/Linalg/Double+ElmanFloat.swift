import RealModule

extension Double: ElmanFloat {
    public static var dtypeName: String { "F64" }
    public static let kernels = ElmanKernels<Double>(
        directGEMM: DoubleKernels.directGEMM, activate: DoubleKernels.activate,
        multiplyByDerivative: DoubleKernels.multiplyByDerivative, softmaxCrossEntropy: DoubleKernels.softmaxCrossEntropy,
        sigmoidCrossEntropy: DoubleKernels.sigmoidCrossEntropy, addRowVector: DoubleKernels.addRowVector,
        accumulateColumnSums: DoubleKernels.accumulateColumnSums, copyRow: DoubleKernels.copyRow,
        scatterAddRows: DoubleKernels.scatterAddRows, fused: .none)
}

/// The Double element kernels behind ``ElmanKernels``.
enum DoubleKernels {

    static func directGEMM(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Double, a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        if k > 0, let blas = Backend.blas {
            blas.dgemm(BLASLibrary.rowMajor, BLASLibrary.code(transA), BLASLibrary.code(transB),
                       Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        } else {
            Portable.gemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                          beta: beta, c: c, ldc: ldc)
        }
    }

    static func activate(_ f: Nonlinearity, _ x: UnsafeMutablePointer<Double>, count: Int) {
        Portable.activate(f, x, count: count)
    }

    static func multiplyByDerivative(
        _ f: Nonlinearity, _ grad: UnsafeMutablePointer<Double>, output s: UnsafePointer<Double>, count: Int
    ) {
        Portable.multiplyByDerivative(f, grad, output: s, count: count)
    }

    static func softmaxCrossEntropy(
        _ logits: UnsafeMutablePointer<Double>, rows: Int, classes: Int,
        targets: UnsafePointer<Int32>, weights: UnsafePointer<Double>
    ) -> Double {
        Portable.softmaxCrossEntropy(logits, rows: rows, classes: classes, targets: targets, weights: weights)
    }

    static func sigmoidCrossEntropy(
        _ logits: UnsafeMutablePointer<Double>, rows: Int,
        targets: UnsafePointer<Double>, weights: UnsafePointer<Double>
    ) -> Double {
        Portable.sigmoidCrossEntropy(logits, rows: rows, targets: targets, weights: weights)
    }

    static func addRowVector(
        _ x: UnsafeMutablePointer<Double>, rows: Int, cols: Int, _ v: UnsafePointer<Double>
    ) {
        Portable.addRowVector(x, rows: rows, cols: cols, v)
    }

    static func accumulateColumnSums(
        _ x: UnsafePointer<Double>, rows: Int, cols: Int, into out: UnsafeMutablePointer<Double>
    ) {
        Portable.accumulateColumnSums(x, rows: rows, cols: cols, into: out)
    }

    static func copyRow(
        from row: UnsafePointer<Double>, adding v: UnsafePointer<Double>?, into out: UnsafeMutablePointer<Double>, count: Int
    ) {
        Portable.copyRow(from: row, adding: v, into: out, count: count)
    }

    static func scatterAddRows(
        _ src: UnsafePointer<Double>, cols: Int, indices: UnsafePointer<Int32>, count: Int,
        into table: UnsafeMutablePointer<Double>
    ) {
        Portable.scatterAddRows(src, cols: cols, indices: indices, count: count, into: table)
    }
}
