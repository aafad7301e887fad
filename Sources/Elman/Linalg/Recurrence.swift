/// The step-by-step part of BPTT (DESIGN.md §4, steps 2 and 7): the only products that cannot be hoisted
/// out of the time loop. Forward and backward are written side by side, on a range of H's columns, so
/// that one text serves the single-threaded loop (all columns) and each lane of the split one.
enum Recurrence {
    /// The forward recurrence of one layer (Eqs. 74–75), in place: for t = 1…T, Z(t) += S(t−1)·W and
    /// S(t) = f(Z(t)). `states`: (T+1)·N×H with N = `rows`, S(0) and Z(1..T) on entry, S(0..T) on return.
    /// `w`: H×H. Split by columns over the lanes when a step is large enough (``LaneSplit``).
    /// Returns the number of lanes that ran it.
    @discardableResult
    static func forward<T: ElmanFloat>(
        _ f: Nonlinearity, states: UnsafeMutablePointer<T>, w: UnsafePointer<T>, steps: Int, rows: Int, hidden: Int
    ) -> Int {
        if let lanes = splitLanes(rows: rows, hidden: hidden), lanes.run({ lane in
            forwardColumns(f, states: states, w: w, steps: steps, rows: rows, hidden: hidden,
                           cols: laneRange(lane, of: lanes.count, extent: hidden, align: 16), sync: lanes.barrier)
        }) { return lanes.count }
        forwardColumns(f, states: states, w: w, steps: steps, rows: rows, hidden: hidden, cols: 0..<hidden, sync: {})
        return 1
    }

    /// The backward recurrence of one layer (Eqs. 107–109, corrected), in place: for t = T…1,
    /// dZ(t) = (dS(t) + dZ(t+1)·Wᵀ) ∘ f′(S(t)). `grad`: T·N×H, dS(1..T) on entry, dZ(1..T) on return.
    /// `states`: S(0..T) as the forward recurrence left it. `w`: H×H.
    /// Returns the number of lanes that ran it.
    @discardableResult
    static func backward<T: ElmanFloat>(
        _ f: Nonlinearity, grad: UnsafeMutablePointer<T>, states: UnsafePointer<T>, w: UnsafePointer<T>,
        steps: Int, rows: Int, hidden: Int
    ) -> Int {
        if let lanes = splitLanes(rows: rows, hidden: hidden), lanes.run({ lane in
            backwardColumns(f, grad: grad, states: states, w: w, steps: steps, rows: rows, hidden: hidden,
                            cols: laneRange(lane, of: lanes.count, extent: hidden, align: 16), sync: lanes.barrier)
        }) { return lanes.count }
        backwardColumns(f, grad: grad, states: states, w: w, steps: steps, rows: rows, hidden: hidden,
                        cols: 0..<hidden, sync: {})
        return 1
    }

    /// The lanes to split a step of N·H² multiply-adds over, or nil to stay on this thread.
    private static func splitLanes(rows: Int, hidden: Int) -> Lanes? {
        guard Backend.ownsThreads, let lanes = Lanes.shared, hidden >= 16 * lanes.count,
              Double(rows) * Double(hidden) * Double(hidden) >= Double(LaneSplit.minimumStepWork) else { return nil }
        return lanes
    }

    /// Columns `cols` of the forward recurrence (Eqs. 74–75): for t = 1…T,
    /// Z(t)[:, cols] += S(t−1)·W[:, cols] and S(t)[:, cols] = f(Z(t)[:, cols]); `sync` after every step,
    /// since step t + 1 reads all of S(t).
    ///
    /// `states`: (T+1)·N×H, S(0) then Z(1..T) on entry, S(0..T) on return. `w`: H×H.
    private static func forwardColumns<T: ElmanFloat>(
        _ f: Nonlinearity, states s: UnsafeMutablePointer<T>, w: UnsafePointer<T>, steps: Int, rows n: Int,
        hidden h: Int, cols: Range<Int>, sync: () -> Void
    ) {
        let lo = cols.lowerBound, width = cols.count
        for t in 1...steps {
            let zt = s + t * n * h
            T.directGEMM(.none, .none, m: n, n: width, k: h, alpha: 1, a: zt - n * h, lda: h, b: w + lo, ldb: h,
                         beta: 1, c: zt + lo, ldc: h)  // S(t−1): N×H, W[:, cols]: H×width
            if width == h {
                T.activate(f, zt, count: n * h)
            } else {
                for r in 0..<n { T.activate(f, zt + r * h + lo, count: width) }
            }
            sync()
        }
    }

    /// Columns `cols` of the backward recurrence (Eqs. 107–109, corrected): for t = T…1,
    /// dZ(t)[:, cols] = (dS(t)[:, cols] + dZ(t+1)·Wᵀ[:, cols]) ∘ f′(S(t)[:, cols]); `sync` after every step.
    ///
    /// `grad`: T·N×H, dS(1..T) on entry, dZ(1..T) on return. `states`: (T+1)·N×H, S(0..T). `w`: H×H.
    private static func backwardColumns<T: ElmanFloat>(
        _ f: Nonlinearity, grad dS: UnsafeMutablePointer<T>, states s: UnsafePointer<T>, w: UnsafePointer<T>,
        steps: Int, rows n: Int, hidden h: Int, cols: Range<Int>, sync: () -> Void
    ) {
        let lo = cols.lowerBound, width = cols.count
        for t in stride(from: steps, through: 1, by: -1) {
            let dZt = dS + (t - 1) * n * h
            if t < steps {  // dZ(t+1): N×H, Wᵀ[:, cols] = W[cols, :]ᵀ: H×width
                T.directGEMM(.none, .transposed, m: n, n: width, k: h, alpha: 1, a: dZt + n * h, lda: h, b: w + lo * h,
                             ldb: h, beta: 1, c: dZt + lo, ldc: h)
            }
            let st = s + t * n * h
            if width == h {
                T.multiplyByDerivative(f, dZt, output: st, count: n * h)
            } else {
                for r in 0..<n { T.multiplyByDerivative(f, dZt + r * h + lo, output: st + r * h + lo, count: width) }
            }
            sync()
        }
    }
}
