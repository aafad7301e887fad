/// The step-by-step part of BPTT (docs/ARCHITECTURE.md, steps 2 and 7): the only products that cannot be hoisted
/// out of the time loop. Forward and backward steps are written side by side on a block of H's columns,
/// so that one text serves the single-threaded loop (all columns) and each lane of the split one.
package enum Recurrence {
    /// What the forward recurrence adds to Z(t) in each lane just before S(t−1)·W, while those columns are in
    /// its cache: the rows of U picked by the tokens of step t (one-hot X·U, Eq. 74's first term, then
    /// Z(t) holds nothing on entry) and the bias b. Nil members: Z(t) already holds them.
    package struct Input<T> {
        /// U: ?×H and the T·N token ids (time-major).
        var tokens: (table: UnsafePointer<T>, ids: UnsafePointer<Int32>)?
        /// b: H.
        var bias: UnsafePointer<T>?
    }

    /// The forward recurrence of one layer (Eqs. 74–75), in place: for t = 1…T, Z(t) += S(t−1)·W and
    /// S(t) = f(Z(t)). `states`: (T+1)·N×H with N = `rows`, S(0) and Z(1..T) on entry (less what `input`
    /// adds), S(0..T) on return. `w`: H×H. Split by columns over the lanes when a step is large enough; while
    /// another thread holds the lanes, the same column blocks run one after another, so the result is the same.
    /// Returns the number of lanes that ran it.
    @discardableResult
    static func forward<T: ElmanFloat>(
        _ f: Nonlinearity, states: UnsafeMutablePointer<T>, w: UnsafePointer<T>, steps: Int, rows: Int, hidden: Int,
        input: Input<T> = Input()
    ) -> Int {
        if let fused = T.kernels.fused.recurrenceForward {
            return fused(f, states, w, steps, rows, hidden, input)
        }
        let split = Split(rows: rows, hidden: hidden)
        return split.run(steps: 1...steps) { t, _, cols in
            forwardStep(t, f, states: states, w: w, rows: rows, hidden: hidden, input: input, cols: cols)
        }
    }

    /// The backward recurrence of one layer (Eqs. 107–109, corrected), in place: for t = T…1,
    /// dZ(t) = (dS(t) + dZ(t+1)·Wᵀ) ∘ f′(S(t)). `grad`: T·N×H, dS(1..T) on entry, dZ(1..T) on return.
    /// `states`: S(0..T) as the forward recurrence left it. `transposedW`: Wᵀ, H×H, stored, so that each step
    /// is a plain product (faster than a transposed one in OpenBLAS, and eligible for its small-matrix
    /// kernels). Split as ``forward(_:states:w:steps:rows:hidden:input:)``.
    @discardableResult
    static func backward<T: ElmanFloat>(
        _ f: Nonlinearity, grad: UnsafeMutablePointer<T>, states: UnsafePointer<T>, transposedW wT: UnsafePointer<T>,
        steps: Int, rows: Int, hidden: Int
    ) -> Int {
        if let fused = T.kernels.fused.recurrenceBackward {
            return fused(f, grad, states, wT, steps, rows, hidden)
        }
        let split = Split(rows: rows, hidden: hidden)
        return split.run(steps: (1...steps).reversed()) { t, _, cols in
            backwardStep(t, f, grad: grad, states: states, wT: wT, steps: steps, rows: rows, hidden: hidden, cols: cols)
        }
    }

    /// C[:, cols] += A·B[:, cols] for one step (A: m×k, B: k×H, C: m×H, all with row stride H), cut into
    /// blocks of 64 columns and at least 16 rows holding at most 10⁶ multiply-adds each when such blocks exist:
    /// OpenBLAS runs those with its small-matrix kernels, which skip packing (faster than one packed product;
    /// docs/ARCHITECTURE.md, "Measurements behind the thresholds"). At H = 1024 no such block exists. The
    /// portable kernels pack every block, so they get one product.
    @inline(__always)
    private static func stepProduct<T: ElmanFloat>(
        _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ c: UnsafeMutablePointer<T>, m: Int, k: Int, hidden h: Int,
        cols: Range<Int>
    ) {
        let blockRows = Backend.blas == nil ? 0 : 1_000_000 / (64 * max(k, 1))
        let (rowBlocks, colBlocks) = blockRows >= 16 ? ((m + blockRows - 1) / blockRows, (cols.count + 63) / 64) : (1, 1)
        for cb in 0..<colBlocks {
            let cr = laneRange(cb, of: colBlocks, extent: cols.count, align: 16)
            for rb in 0..<rowBlocks {
                let rr = laneRange(rb, of: rowBlocks, extent: m, align: 1)
                let i = rr.lowerBound, j = cols.lowerBound + cr.lowerBound
                T.directGEMM(.none, .none, m: rr.count, n: cr.count, k: k, alpha: 1, a: a + i * h, lda: h, b: b + j,
                             ldb: h, beta: 1, c: c + i * h + j, ldc: h)
            }
        }
    }

    /// H's columns in one block a lane, or one block on one thread.
    struct Split {
        let lanes: Lanes?
        let hidden: Int

        /// The lanes when Elman owns the threads and a step of N·H² multiply-adds pays for a barrier.
        init(rows: Int, hidden: Int) {
            self.hidden = hidden
            if Backend.ownsThreads, let lanes = Lanes.shared, hidden >= 16 * lanes.count,
               Double(rows) * Double(hidden) * Double(hidden) >= Double(LaneSplit.minimumStepWork) {
                self.lanes = lanes
            } else {
                self.lanes = nil
            }
        }

        func columns(_ lane: Int) -> Range<Int> {
            guard let lanes else { return 0..<hidden }
            return laneRange(lane, of: lanes.count, extent: hidden, align: 16)
        }

        /// `prepare(lane, columns)` for every block, then `step(t, lane, columns)` for every t in order and every
        /// block; each lane meets the others after each step, since step t + 1 reads all of step t. Returns the
        /// number of lanes that ran it.
        func run<S: Sequence>(
            steps: S, prepare: (_ lane: Int, _ cols: Range<Int>) -> Void = { _, _ in },
            _ step: (_ t: Int, _ lane: Int, _ cols: Range<Int>) -> Void
        ) -> Int where S.Element == Int {
            guard let lanes else {
                prepare(0, 0..<hidden)
                for t in steps { step(t, 0, 0..<hidden) }
                return 1
            }
            if lanes.run({ lane in
                let cols = columns(lane)
                prepare(lane, cols)
                for t in steps {
                    step(t, lane, cols)
                    lanes.barrier()
                }
            }) { return lanes.count }
            for lane in 0..<lanes.count { prepare(lane, columns(lane)) }
            for t in steps { for lane in 0..<lanes.count { step(t, lane, columns(lane)) } }
            return 1
        }

        /// The number of column blocks.
        var parts: Int { lanes?.count ?? 1 }
    }

    /// Columns `cols` of step t of the forward recurrence: Z(t)[:, cols] (+= input) += S(t−1)·W[:, cols], then
    /// S(t)[:, cols] = f(Z(t)[:, cols]).
    @inline(__always)
    private static func forwardStep<T: ElmanFloat>(
        _ t: Int, _ f: Nonlinearity, states s: UnsafeMutablePointer<T>, w: UnsafePointer<T>, rows n: Int,
        hidden h: Int, input: Input<T>, cols: Range<Int>
    ) {
        let lo = cols.lowerBound, width = cols.count
        guard width > 0 else { return }
        let zt = s + t * n * h
        if let (table, ids) = input.tokens {  // Z(t)[r, cols] = U[x_{t,r}, cols] (+ b[cols])
            for r in 0..<n {
                T.copyRow(from: table + Int(ids[(t - 1) * n + r]) * h + lo, adding: input.bias.map { $0 + lo },
                          into: zt + r * h + lo, count: width)
            }
        } else if let bias = input.bias {  // Z(t)[r, cols] += b[cols]
            for r in 0..<n { T.addRowVector(zt + r * h + lo, rows: 1, cols: width, bias + lo) }
        }
        stepProduct(zt - n * h, w, zt, m: n, k: h, hidden: h, cols: cols)  // S(t−1): N×H, W[:, cols]: H×width
        if width == h {
            T.activate(f, zt, count: n * h)
        } else {
            for r in 0..<n { T.activate(f, zt + r * h + lo, count: width) }
        }
    }

    /// Columns `cols` of step t of the backward recurrence:
    /// dZ(t)[:, cols] = (dS(t)[:, cols] + dZ(t+1)·Wᵀ[:, cols]) ∘ f′(S(t)[:, cols]).
    @inline(__always)
    private static func backwardStep<T: ElmanFloat>(
        _ t: Int, _ f: Nonlinearity, grad dS: UnsafeMutablePointer<T>, states s: UnsafePointer<T>,
        wT: UnsafePointer<T>, steps: Int, rows n: Int, hidden h: Int, cols: Range<Int>
    ) {
        let lo = cols.lowerBound, width = cols.count
        guard width > 0 else { return }
        let dZt = dS + (t - 1) * n * h
        if t < steps {  // dZ(t+1): N×H, Wᵀ[:, cols]: H×width
            stepProduct(dZt + n * h, wT, dZt, m: n, k: h, hidden: h, cols: cols)
        }
        let st = s + t * n * h
        if width == h {
            T.multiplyByDerivative(f, dZt, output: st, count: n * h)
        } else {
            for r in 0..<n { T.multiplyByDerivative(f, dZt + r * h + lo, output: st + r * h + lo, count: width) }
        }
    }
}
