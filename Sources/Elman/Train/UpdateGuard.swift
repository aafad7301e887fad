/// Makes an optimizer update undoable: the parameters and optimizer state are copied before it (into
/// buffers allocated once) and put back if the update left any parameter non-finite, as a huge learning
/// rate does even when the loss and gradient were finite. Adam in Float on Elman's kernels needs no copies:
/// the kernel writes the new state into the spare buffers, checking it as it goes, and the buffers trade places.
struct UpdateGuard<T: ElmanFloat> {
    private var params: [T] = [], first: [T] = [], second: [T] = []

    /// Applies the update; false, with parameters and optimizer exactly as before, when it made a
    /// parameter non-finite.
    @_specialize(where T == Float)
    mutating func update(_ optimizer: inout Optimizer<T>, _ values: inout [T], gradient: [T], lr: Double) -> Bool {
        if optimizer.kind == .adam || optimizer.kind == .adamw, let kernel = T.kernels.fused.adamOutOfPlace {
            return adamOutOfPlace(kernel, &optimizer, &values, gradient: gradient, lr: lr)
        }
        Self.copy(values, into: &params)
        Self.copy(optimizer.first, into: &first)
        Self.copy(optimizer.second, into: &second)
        let step = optimizer.step
        optimizer.update(&values, gradient: gradient, lr: lr)
        if Self.allFinite(values) { return true }
        Self.copy(params, into: &values)
        Self.copy(first, into: &optimizer.first)
        Self.copy(second, into: &optimizer.second)
        optimizer.step = step
        return false
    }

    /// Adam from (values, first, second) into the spare buffers, split over the lanes; on success the spares
    /// become the state and the old state the spares.
    mutating func adamOutOfPlace(
        _ kernel: FusedKernels<T>.AdamOutOfPlace,
        _ optimizer: inout Optimizer<T>, _ values: inout [T], gradient: [T], lr: Double
    ) -> Bool {
        let count = values.count
        precondition(gradient.count == count && optimizer.first.count == count && optimizer.second.count == count,
                     "optimizer: size mismatch")
        Self.size(&params, count)
        Self.size(&first, count)
        Self.size(&second, count)
        optimizer.step += 1
        let constants = optimizer.adamConstants(lr: lr)
        let nonFiniteBlocks = values.withUnsafeBufferPointer { p in
            gradient.withUnsafeBufferPointer { g in
                optimizer.first.withUnsafeBufferPointer { m in
                    optimizer.second.withUnsafeBufferPointer { v in
                        params.withUnsafeMutableBufferPointer { pOut in
                            first.withUnsafeMutableBufferPointer { mOut in
                                second.withUnsafeMutableBufferPointer { vOut in
                                    guard count > 0 else { return 0.0 }
                                    return LaneSplit.sum(count: count, align: 16) { r in
                                        let i = r.lowerBound
                                        let finite = kernel(
                                            p.baseAddress! + i, g.baseAddress! + i, m.baseAddress! + i, v.baseAddress! + i,
                                            pOut.baseAddress! + i, mOut.baseAddress! + i, vOut.baseAddress! + i, r.count, constants)
                                        return finite ? 0 : 1
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        guard nonFiniteBlocks == 0 else {
            optimizer.step -= 1
            return false
        }
        swap(&values, &params)
        swap(&optimizer.first, &first)
        swap(&optimizer.second, &second)
        return true
    }

    private static func size(_ buffer: inout [T], _ count: Int) {
        if buffer.count != count { buffer = [T](repeating: 0, count: count) }
    }

    /// Element copy into a buffer of its own (never shared storage, so the source's next write does not
    /// trigger a copy-on-write allocation).
    private static func copy(_ source: [T], into destination: inout [T]) {
        if destination.count != source.count { destination = [T](repeating: 0, count: source.count) }
        destination.withUnsafeMutableBufferPointer { d in
            source.withUnsafeBufferPointer { s in
                guard let to = d.baseAddress, let from = s.baseAddress else { return }
                LaneSplit.forEach(count: s.count) { r in (to + r.lowerBound).update(from: from + r.lowerBound, count: r.count) }
            }
        }
    }

    /// x·0 is NaN exactly for ±∞ and NaN: one branch-free pass, eight independent sums so that it runs
    /// at the adder's throughput rather than its latency.
    private static func allFinite(_ values: [T]) -> Bool {
        values.withUnsafeBufferPointer { all in
            LaneSplit.sum(count: all.count) { r in  // one block a lane; each block's sum is 0 or NaN
                guard let base = all.baseAddress else { return 0 }  // no values: all finite
                let p = base + r.lowerBound, count = r.count
                var a = (T(0), T(0), T(0), T(0), T(0), T(0), T(0), T(0))
                var i = 0
                while i + 8 <= count {
                    a.0 += p[i] * 0; a.1 += p[i + 1] * 0; a.2 += p[i + 2] * 0; a.3 += p[i + 3] * 0
                    a.4 += p[i + 4] * 0; a.5 += p[i + 5] * 0; a.6 += p[i + 6] * 0; a.7 += p[i + 7] * 0
                    i += 8
                }
                while i < count { a.0 += p[i] * 0; i += 1 }
                return Double((a.0 + a.1 + a.2 + a.3) + (a.4 + a.5 + a.6 + a.7))
            } == 0
        }
    }
}
