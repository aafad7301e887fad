import RealModule

/// How the gradient of each loss term reaches earlier hidden states: ‖∂L_t/∂s_{t−ℓ}‖ against the lag ℓ,
/// accumulated over the loss terms (t, n) of one or more chunks.
///
/// The seed's Eqs. 58–63 write ∂s_t/∂s_k as W^{t−k} times a product of tanh derivatives; the matrices do
/// not commute, and the product is, in row form,
///
///     ∂L_t/∂S(k−1) = (∂L_t/∂S(k) ∘ f′(S(k))) · Wᵀ        ∂L_t/∂S(k): 1×H, Wᵀ: H×H
///
/// applied once per step of lag. All loss terms advance one lag together, so each lag is one GEMM over
/// every (t, n) row still inside the chunk: O(T²·N·H²) in all.
public struct LagProfile: Sendable, Equatable {
    /// Σ over terms of ‖∂L_t/∂s_{t−ℓ}‖, per lag ℓ.
    public private(set) var normSums: [Double]
    /// Σ over terms of log(‖∂L_t/∂s_{t−ℓ}‖ / ‖∂L_t/∂s_t‖), per lag, for terms whose gradient is non-zero.
    public private(set) var logRatioSums: [Double]
    /// Terms measured at each lag.
    public private(set) var counts: [Int]
    /// Terms whose gradient at this lag was exactly zero (underflow, or dead relu units).
    public private(set) var zeroCounts: [Int]

    public init(maxLag: Int) {
        normSums = Array(repeating: 0, count: maxLag + 1)
        logRatioSums = normSums
        counts = Array(repeating: 0, count: maxLag + 1)
        zeroCounts = counts
    }

    /// The largest lag with any measurement.
    public var maxLag: Int { (counts.lastIndex { $0 > 0 }) ?? 0 }

    /// Mean ‖∂L_t/∂s_{t−ℓ}‖ over the terms, ℓ = 0…maxLag.
    public var meanNorms: [Double] { (0...maxLag).map { counts[$0] > 0 ? normSums[$0] / Double(counts[$0]) : 0 } }

    /// Geometric mean over the terms of ‖∂L_t/∂s_{t−ℓ}‖ / ‖∂L_t/∂s_t‖ (1 at ℓ = 0); 0 where a term's
    /// gradient vanished completely.
    public var ratios: [Double] {
        (0...maxLag).map { l in
            let n = counts[l] - zeroCounts[l]
            guard zeroCounts[l] == 0, n > 0 else { return 0 }
            return Double.exp(logRatioSums[l] / Double(n))
        }
    }

    /// Adds the loss terms of one chunk.
    /// - Parameters:
    ///   - w: W, H×H, with Z(t) = … + S(t−1)·W.
    ///   - states: S(1..T), T·N×H (time-major rows, row (t−1)·N + n).
    ///   - stateGradients: ∂L_{t,n}/∂S(t)_n, T·N×H: the gradient of each term at its own step.
    ///   - nonlinearity: f; nil for a linear recurrence (f′ = 1), used by the known-answer tests.
    mutating func add<T: ElmanFloat>(recurrent w: UnsafePointer<T>, hidden h: Int, states: UnsafePointer<T>,
                                            stateGradients: UnsafePointer<T>, steps: Int, size n: Int,
                                            nonlinearity: Nonlinearity?) {
        let rows = steps * n
        var current = [T](UnsafeBufferPointer(start: stateGradients, count: rows * h))
        var next = [T](repeating: 0, count: rows * h)
        var base = [Double](repeating: 0, count: rows)
        current.withUnsafeMutableBufferPointer { cb in
            next.withUnsafeMutableBufferPointer { nb in
                var g = cb.baseAddress.unsafelyUnwrapped, spare = nb.baseAddress.unsafelyUnwrapped
                for r in 0..<rows { base[r] = euclideanNorm(UnsafeBufferPointer(start: g + r * h, count: h)) }
                for lag in 0..<min(steps, counts.count) {
                    // Rows lag·N ..< T·N hold ∂L_t/∂S(t − lag) for t = lag+1 … T.
                    for r in (lag * n)..<rows where base[r] > 0 {
                        let norm = euclideanNorm(UnsafeBufferPointer(start: g + r * h, count: h))
                        normSums[lag] += norm
                        counts[lag] += 1
                        if norm > 0 { logRatioSums[lag] += Double.log(norm / base[r]) } else { zeroCounts[lag] += 1 }
                    }
                    let first = (lag + 1) * n  // rows that still have a step to go back within the chunk
                    guard first < rows else { break }
                    let active = rows - first
                    // ∘ f′(S(t − lag)): S(t − lag) of row r is row r − lag·N of S(1..T)
                    if let f = nonlinearity {
                        T.multiplyByDerivative(f, g + first * h, output: states + (first - lag * n) * h, count: active * h)
                    }
                    T.gemm(.none, .transposed, m: active, n: h, k: h, alpha: 1, a: g + first * h, lda: h, b: w, ldb: h,
                           beta: 0, c: spare + first * h, ldc: h)  // G: active×H, Wᵀ: H×H
                    swap(&g, &spare)
                }
            }
        }
    }
}
