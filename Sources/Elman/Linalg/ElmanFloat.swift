import RealModule

/// Whether a GEMM operand is used as stored or transposed.
package enum Transpose: Sendable { case none, transposed }

/// The element-wise nonlinearity of the recurrence: S = f(Z).
public enum Nonlinearity: String, Sendable, Codable, CaseIterable { case tanh, relu }

/// The scalar types the engine runs on (Float and Double).
public protocol ElmanFloat: BinaryFloatingPoint, Real, Sendable where RawSignificand: FixedWidthInteger {
    /// The safetensors dtype name ("F32" or "F64").
    static var dtypeName: String { get }
    /// The element kernels of this type; opaque outside the package.
    static var kernels: ElmanKernels<Self> { get }
}

/// Every kernel whose cost grows with the data, implemented by concrete Float and Double code, so that the
/// generic model code only orchestrates: it never runs an element loop through generic witness calls. The
/// kernels take raw pointers, so they are visible inside the package only; the generic code calls them through
/// the static methods of the `ElmanFloat` extension below.
public struct ElmanKernels<T: ElmanFloat>: Sendable {
    package typealias Pointer = UnsafePointer<T>
    package typealias MutablePointer = UnsafeMutablePointer<T>
    package let directGEMM: @Sendable (Transpose, Transpose, Int, Int, Int, T, Pointer, Int, Pointer, Int, T, MutablePointer, Int) -> Void
    package let activate: @Sendable (Nonlinearity, MutablePointer, Int) -> Void
    package let multiplyByDerivative: @Sendable (Nonlinearity, MutablePointer, Pointer, Int) -> Void
    package let softmaxCrossEntropy: @Sendable (MutablePointer, Int, Int, UnsafePointer<Int32>, Pointer) -> Double
    package let sigmoidCrossEntropy: @Sendable (MutablePointer, Int, Pointer, Pointer) -> Double
    package let addRowVector: @Sendable (MutablePointer, Int, Int, Pointer) -> Void
    package let accumulateColumnSums: @Sendable (Pointer, Int, Int, MutablePointer) -> Void
    package let copyRow: @Sendable (Pointer, Pointer?, MutablePointer, Int) -> Void
    package let scatterAddRows: @Sendable (Pointer, Int, UnsafePointer<Int32>, Int, MutablePointer) -> Void
    /// The type's own fused paths (each nil where the generic loops run): the choice of precision-specific code
    /// is made in the conformances, once, and nowhere else.
    package let fused: FusedKernels<T>

    package init(
        directGEMM: @escaping @Sendable (Transpose, Transpose, Int, Int, Int, T, Pointer, Int, Pointer, Int, T, MutablePointer, Int) -> Void,
        activate: @escaping @Sendable (Nonlinearity, MutablePointer, Int) -> Void,
        multiplyByDerivative: @escaping @Sendable (Nonlinearity, MutablePointer, Pointer, Int) -> Void,
        softmaxCrossEntropy: @escaping @Sendable (MutablePointer, Int, Int, UnsafePointer<Int32>, Pointer) -> Double,
        sigmoidCrossEntropy: @escaping @Sendable (MutablePointer, Int, Pointer, Pointer) -> Double,
        addRowVector: @escaping @Sendable (MutablePointer, Int, Int, Pointer) -> Void,
        accumulateColumnSums: @escaping @Sendable (Pointer, Int, Int, MutablePointer) -> Void,
        copyRow: @escaping @Sendable (Pointer, Pointer?, MutablePointer, Int) -> Void,
        scatterAddRows: @escaping @Sendable (Pointer, Int, UnsafePointer<Int32>, Int, MutablePointer) -> Void,
        fused: FusedKernels<T>
    ) {
        self.directGEMM = directGEMM
        self.activate = activate
        self.multiplyByDerivative = multiplyByDerivative
        self.softmaxCrossEntropy = softmaxCrossEntropy
        self.sigmoidCrossEntropy = sigmoidCrossEntropy
        self.addRowVector = addRowVector
        self.accumulateColumnSums = accumulateColumnSums
        self.copyRow = copyRow
        self.scatterAddRows = scatterAddRows
        self.fused = fused
    }
}

/// Adam's constants for one update (``Optimizer``): the L2 penalty added to the gradient, β₁, β₂, ε, the decay
/// of θ (AdamW), lr / (1 − β₁ᵗ) and √(1 − β₂ᵗ).
package struct AdamStep<T: ElmanFloat>: Sendable {
    package var l2: T, beta1: T, beta2: T, eps: T, decay: T, stepSize: T, rootC2: T
}

/// The fused kernels a precision may have beside the element kernels, each nil where the generic loops run: the
/// recurrence with its epilogue, and Adam in place or out of place with its finiteness check. The Adam kernels
/// work on one block; callers split over the lanes.
package struct FusedKernels<T: ElmanFloat>: Sendable {
    /// (f, states, W, steps, rows, hidden, input) → the number of lanes that ran it, as
    /// ``Recurrence/forward(_:states:w:steps:rows:hidden:input:)``.
    package typealias RecurrenceForward = @Sendable (Nonlinearity, UnsafeMutablePointer<T>, UnsafePointer<T>, Int, Int, Int,
                                                     Recurrence.Input<T>) -> Int
    /// (f, dS → dZ, S, Wᵀ, steps, rows, hidden) → the number of lanes that ran it, as
    /// ``Recurrence/backward(_:grad:states:transposedW:steps:rows:hidden:)``.
    package typealias RecurrenceBackward = @Sendable (Nonlinearity, UnsafeMutablePointer<T>, UnsafePointer<T>,
                                                      UnsafePointer<T>, Int, Int, Int) -> Int
    /// Adam in place on `count` values: (θ, g, m, v, count, constants).
    package typealias Adam = @Sendable (UnsafeMutablePointer<T>, UnsafePointer<T>, UnsafeMutablePointer<T>,
                                        UnsafeMutablePointer<T>, Int, AdamStep<T>) -> Void
    /// Adam out of place: (θ, g, m, v) in, (θ′, m′, v′) out, `count` values; false when a new θ is not finite.
    package typealias AdamOutOfPlace = @Sendable (UnsafePointer<T>, UnsafePointer<T>, UnsafePointer<T>, UnsafePointer<T>,
                                                  UnsafeMutablePointer<T>, UnsafeMutablePointer<T>, UnsafeMutablePointer<T>,
                                                  Int, AdamStep<T>) -> Bool

    package var recurrenceForward: RecurrenceForward?
    package var recurrenceBackward: RecurrenceBackward?
    package var adam: Adam?
    package var adamOutOfPlace: AdamOutOfPlace?

    /// No fused kernel: every step runs the generic loops.
    package static var none: FusedKernels { FusedKernels() }
}

extension ElmanFloat {
    /// C = alpha·op(A)·op(B) + beta·C, row-major, by the backend called directly: on the calling thread
    /// when Elman owns the threads (``Backend/ownsThreads``), else threaded by the BLAS itself. Callers
    /// use ``gemm(_:_:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``, which splits large products over the lanes.
    static func directGEMM(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Self, a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int
    ) {
        kernels.directGEMM(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }

    /// x ← f(x), in place.
    static func activate(_ f: Nonlinearity, _ x: UnsafeMutablePointer<Self>, count: Int) { kernels.activate(f, x, count) }

    /// grad ← grad ∘ f′, where f′ is computed from the activation's output s (tanh: 1 − s², relu: s > 0).
    static func multiplyByDerivative(
        _ f: Nonlinearity, _ grad: UnsafeMutablePointer<Self>, output s: UnsafePointer<Self>, count: Int
    ) {
        kernels.multiplyByDerivative(f, grad, s, count)
    }

    /// Softmax cross-entropy over `rows` rows of `classes` logits, fused with its gradient: returns
    /// Σ_r w_r · CE_r and overwrites the logits with w_r · (softmax − onehot). Rows with w_r = 0 are
    /// zeroed and their targets are not read.
    static func softmaxCrossEntropy(
        _ logits: UnsafeMutablePointer<Self>, rows: Int, classes: Int,
        targets: UnsafePointer<Int32>, weights: UnsafePointer<Self>
    ) -> Double {
        kernels.softmaxCrossEntropy(logits, rows, classes, targets, weights)
    }

    /// Binary cross-entropy with logits (one logit a row), fused with its gradient as above.
    static func sigmoidCrossEntropy(
        _ logits: UnsafeMutablePointer<Self>, rows: Int, targets: UnsafePointer<Self>, weights: UnsafePointer<Self>
    ) -> Double {
        kernels.sigmoidCrossEntropy(logits, rows, targets, weights)
    }

    /// x[r, :] += v for every row r. x: rows×cols, v: cols.
    static func addRowVector(_ x: UnsafeMutablePointer<Self>, rows: Int, cols: Int, _ v: UnsafePointer<Self>) {
        kernels.addRowVector(x, rows, cols, v)
    }

    /// out[j] += Σ_r x[r, j]. x: rows×cols, out: cols.
    static func accumulateColumnSums(_ x: UnsafePointer<Self>, rows: Int, cols: Int, into out: UnsafeMutablePointer<Self>) {
        kernels.accumulateColumnSums(x, rows, cols, out)
    }

    /// out = row (+ v), `count` elements.
    static func copyRow(from row: UnsafePointer<Self>, adding v: UnsafePointer<Self>?, into out: UnsafeMutablePointer<Self>,
                        count: Int) {
        kernels.copyRow(row, v, out, count)
    }

    /// table[indices[r], :] += src[r, :]. src: count×cols.
    static func scatterAddRows(_ src: UnsafePointer<Self>, cols: Int, indices: UnsafePointer<Int32>, count: Int,
                               into table: UnsafeMutablePointer<Self>) {
        kernels.scatterAddRows(src, cols, indices, count, table)
    }
}
