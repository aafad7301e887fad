import CElmanKernels

/// The recurrence on the C kernels (docs/ARCHITECTURE.md, steps 2 and 7), for Float: the kernel a BLAS cannot be.
///
/// Each lane owns a block of H's columns. Before the first step it packs its columns of W (forward) or of
/// Wᵀ (backward) into panels, once per chunk, in memory it touches first, so they stay in its L2 for all T
/// steps. Each step is then one `elman_block` call per lane whose epilogue does the rest in registers:
/// forward, Z(t) = S(t−1)·W + (U's token row or X·U) + b and S(t) = f(Z(t)); backward,
/// dZ(t) = (dS(t) + dZ(t+1)·Wᵀ) ∘ f′(S(t)). No other pass over the step's memory.
struct PackedRecurrence {
    let kernels: CKernels
    let f: Nonlinearity
    let rows: Int, hidden: Int
    let split: Recurrence.Split

    init(_ kernels: CKernels, _ f: Nonlinearity, rows: Int, hidden: Int) {
        self.kernels = kernels
        self.f = f
        self.rows = rows
        self.hidden = hidden
        split = Recurrence.Split(rows: rows, hidden: hidden)
    }

    /// As ``Recurrence/forward(_:states:w:steps:rows:hidden:input:)``.
    func forward(states s: UnsafeMutablePointer<Float>, w: UnsafePointer<Float>, steps: Int,
                 input: Recurrence.Input<Float>) -> Int {
        let n = rows, h = hidden
        return withLaneBuffers { buffers in
            split.run(steps: 1...steps, prepare: { lane, cols in
                pack(w, cols: cols, into: buffers[lane].b)  // W[:, cols]: H×width
            }) { t, lane, cols in
                guard !cols.isEmpty else { return }
                let zt = s + t * n * h, lo = cols.lowerBound
                let addRows = buffers[lane].rows
                if let (table, ids) = input.tokens {  // U's rows of step t's tokens
                    for r in 0..<n { addRows[r] = UnsafePointer(table + Int(ids[(t - 1) * n + r]) * h + lo) }
                } else {  // Z(t) already holds X·U
                    for r in 0..<n { addRows[r] = UnsafePointer(zt + r * h + lo) }
                }
                // S(t−1): N×H, W̃[:, cols]: H×width → Z(t), S(t)[:, cols]: N×width
                var block = elman_block(
                    m: Int64(n), n: Int64(cols.count), k: Int64(h), a: UnsafePointer(zt - n * h), rsa: Int64(h), csa: 1,
                    b: UnsafePointer(buffers[lane].b), c: zt + lo, ldc: Int64(h),
                    epilogue: Int32(ELMAN_EPILOGUE_FORWARD), nonlinearity: code, alpha: 1, beta: 0,
                    add_rows: UnsafePointer(addRows), bias: input.bias.map { $0 + lo }, s: nil, lds: 0)
                kernels.block(&block)
            }
        }
    }

    /// As ``Recurrence/backward(_:grad:states:transposedW:steps:rows:hidden:)``.
    func backward(grad dS: UnsafeMutablePointer<Float>, states s: UnsafePointer<Float>,
                  transposedW wT: UnsafePointer<Float>, steps: Int) -> Int {
        let n = rows, h = hidden
        return withLaneBuffers { buffers in
            split.run(steps: (1...steps).reversed(), prepare: { lane, cols in
                pack(wT, cols: cols, into: buffers[lane].b)  // Wᵀ[:, cols]: H×width
            }) { t, lane, cols in
                guard !cols.isEmpty else { return }
                let dZt = dS + (t - 1) * n * h, lo = cols.lowerBound
                // dZ(t+1): N×H, W̃ᵀ[:, cols]: H×width; the last step has no dZ(t+1): k = 0, the epilogue alone
                var block = elman_block(
                    m: Int64(n), n: Int64(cols.count), k: Int64(t < steps ? h : 0), a: UnsafePointer(dZt + n * h),
                    rsa: Int64(h), csa: 1, b: UnsafePointer(buffers[lane].b), c: dZt + lo, ldc: Int64(h),
                    epilogue: Int32(ELMAN_EPILOGUE_BACKWARD), nonlinearity: code, alpha: 1, beta: 0, add_rows: nil,
                    bias: nil, s: s + t * n * h + lo, lds: Int64(h))
                kernels.block(&block)
            }
        }
    }

    private var code: Int32 { f == .tanh ? Int32(ELMAN_TANH) : Int32(ELMAN_RELU) }

    /// One lane's memory: its packed panels and its step's N row pointers.
    struct LaneBuffers {
        let b: UnsafeMutablePointer<Float>
        let rows: UnsafeMutablePointer<UnsafePointer<Float>?>
    }

    /// Runs `body` with one set of buffers per column block, taken from the scratch pool and given back after.
    private func withLaneBuffers(_ body: ([LaneBuffers]) -> Int) -> Int {
        let nr = kernels.nr, parts = split.parts
        let widest = (0..<parts).map { split.columns($0).count }.max() ?? hidden
        let panelFloats = hidden * (widest + nr - 1) / nr * nr
        let taken = (0..<parts).map { _ in Scratch.take(bCount: panelFloats, aCount: 2 * rows) }
        defer { taken.forEach(Scratch.give) }
        // The row pointers live in the pair's second buffer (two floats a pointer, 8-byte aligned).
        let buffers = taken.map {
            LaneBuffers(b: $0.b, rows: UnsafeMutableRawPointer($0.a).bindMemory(to: UnsafePointer<Float>?.self,
                                                                                 capacity: rows))
        }
        return body(buffers)
    }

    /// M[:, cols] (H×width of an H×H matrix) as the kernels' panels.
    private func pack(_ m: UnsafePointer<Float>, cols: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        guard !cols.isEmpty else { return }
        KernelGEMM.packPanels(.none, m, ldb: hidden, rows: 0..<hidden, cols: cols, nr: kernels.nr, into: out)
    }
}
