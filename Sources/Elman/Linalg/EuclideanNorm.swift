/// ‖x‖₂, accumulated in Double: for the per-row and per-tensor norms of the diagnostics.
func euclideanNorm<C: Collection>(_ x: C) -> Double where C.Element: ElmanFloat {
    var sum = 0.0
    for v in x { let d = Double(v); sum += d * d }
    return sum.squareRoot()
}
