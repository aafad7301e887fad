import RealModule

/// Whether a GEMM operand is used as stored or transposed.
public enum Transpose: Sendable { case none, transposed }

/// The element-wise nonlinearity of the recurrence: S = f(Z).
public enum Nonlinearity: String, Sendable, Codable, CaseIterable { case tanh, relu }

/// The scalar types the engine runs on (Float and Double).
///
/// Every kernel whose cost grows with the data is a requirement here, implemented by concrete
/// Float and Double code, so the generic model code only orchestrates: it never runs an element loop
/// through generic witness calls.
public protocol ElmanFloat: BinaryFloatingPoint, Real, Sendable where RawSignificand: FixedWidthInteger {
    /// The safetensors dtype name ("F32" or "F64").
    static var dtypeName: String { get }

    /// C = alpha·op(A)·op(B) + beta·C, row-major, by the backend called directly: on the calling thread
    /// when Elman owns the threads (``Backend/ownsThreads``), else threaded by the BLAS itself. Callers
    /// use ``gemm(_:_:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``, which splits large products over the lanes.
    static func directGEMM(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Self, a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)

    /// x ← f(x), in place.
    static func activate(_ f: Nonlinearity, _ x: UnsafeMutablePointer<Self>, count: Int)

    /// grad ← grad ∘ f′, where f′ is computed from the activation's output s (tanh: 1 − s², relu: s > 0).
    static func multiplyByDerivative(
        _ f: Nonlinearity, _ grad: UnsafeMutablePointer<Self>, output s: UnsafePointer<Self>, count: Int)

    /// Softmax cross-entropy over `rows` rows of `classes` logits, fused with its gradient: returns
    /// Σ_r w_r · CE_r and overwrites the logits with w_r · (softmax − onehot). Rows with w_r = 0 are
    /// zeroed and their targets are not read.
    static func softmaxCrossEntropy(
        _ logits: UnsafeMutablePointer<Self>, rows: Int, classes: Int,
        targets: UnsafePointer<Int32>, weights: UnsafePointer<Self>) -> Double

    /// Binary cross-entropy with logits (one logit a row), fused with its gradient as above.
    static func sigmoidCrossEntropy(
        _ logits: UnsafeMutablePointer<Self>, rows: Int,
        targets: UnsafePointer<Self>, weights: UnsafePointer<Self>) -> Double

    /// x[r, :] += v for every row r. x: rows×cols, v: cols.
    static func addRowVector(_ x: UnsafeMutablePointer<Self>, rows: Int, cols: Int, _ v: UnsafePointer<Self>)

    /// out[j] += Σ_r x[r, j]. x: rows×cols, out: cols.
    static func accumulateColumnSums(
        _ x: UnsafePointer<Self>, rows: Int, cols: Int, into out: UnsafeMutablePointer<Self>)

    /// out = row (+ v), `count` elements.
    static func copyRow(from row: UnsafePointer<Self>, adding v: UnsafePointer<Self>?,
                        into out: UnsafeMutablePointer<Self>, count: Int)

    /// table[indices[r], :] += src[r, :]. src: count×cols.
    static func scatterAddRows(
        _ src: UnsafePointer<Self>, cols: Int, indices: UnsafePointer<Int32>, count: Int,
        into table: UnsafeMutablePointer<Self>)
}
