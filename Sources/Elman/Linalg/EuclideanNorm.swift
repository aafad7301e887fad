/// ‖x‖₂, accumulated in Double: for the per-row and per-tensor norms of the diagnostics.
func euclideanNorm<T: ElmanFloat>(_ x: UnsafeBufferPointer<T>) -> Double {
    var sum = 0.0
    for v in x { let d = Double(v); sum += d * d }
    return sum.squareRoot()
}
