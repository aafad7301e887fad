/// Timing of the training step and of the backend's GEMM, for `elman bench`.
package enum Benchmark {
    /// FLOPs per token of one training step (forward, backward, update), counting multiply-adds of the
    /// matrix products as 2: 6H² per layer for the recurrence, 6H² per layer above the first for its
    /// input projection, and 6HC for the output layer. Token input is a gather, so it counts 0.
    public static func flopsPerToken(hidden h: Int, classes c: Int, layers: Int) -> Double {
        let h = Double(h), c = Double(c), l = Double(layers)
        return 6 * h * h * l + 6 * h * h * (l - 1) + 6 * h * c
    }

    /// Median GFLOP/s of a square n×n·n×n product in Float through the current backend: the better of the
    /// engine's own path (split over the lanes) and, when Elman owns the threads of a BLAS, the BLAS's own
    /// threading on as many cores, so that "% of sgemm" is measured against the faster of the two.
    public static func sgemmGFLOPS(size n: Int = 1024, repeats: Int = 7, clock: () -> Double) -> Double {
        let engine = sgemmRate(size: n, repeats: repeats, clock: clock, gemm: Float.gemm)
        guard Backend.ownsThreads, let blas = Backend.blas, let lanes = Lanes.shared else { return engine }
        let native = blas.withThreads(lanes.count) {
            sgemmRate(size: n, repeats: repeats, clock: clock, gemm: Float.directGEMM)
        }
        return max(engine, native)
    }

    private static func sgemmRate(size n: Int, repeats: Int, clock: () -> Double, gemm: GEMMFunction<Float>) -> Double {
        let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        var rates: [Double] = []
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { cp in
                    for i in 0...repeats {
                        let start = clock()
                        gemm(.none, .none, n, n, n, 1, a.baseAddress!, n, b.baseAddress!, n, 0, cp.baseAddress!, n)
                        let seconds = clock() - start
                        if i > 0 { rates.append(2 * Double(n * n * n) / seconds / 1e9) }  // first is warm-up
                    }
                }
            }
        }
        return median(rates)
    }

    public static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        guard !s.isEmpty else { return .nan }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
