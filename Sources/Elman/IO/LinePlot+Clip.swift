import RealModule

extension LinePlot {
    /// `points` (in drawing order) cut to the y values `range`: points outside it are left out and a segment that
    /// crosses a bound gets a point on it, interpolated linearly (in log₁₀ y when `logY`, as the axis draws it).
    /// A reference line cut to the range of the curve it is compared with can no longer stretch the axis and
    /// squash that curve. With `logY`, points with y ≤ 0 are left out, as the plot leaves them out.
    static func clipped(_ points: [(x: Double, y: Double)], toY range: ClosedRange<Double>, logY: Bool) -> [(x: Double, y: Double)] {
        func axis(_ y: Double) -> Double? {
            guard y.isFinite, !logY || y > 0 else { return nil }
            return logY ? Double.log10(y) : y
        }
        func value(_ a: Double) -> Double { logY ? Double.pow(10, a) : a }
        guard let lo = axis(range.lowerBound), let hi = axis(range.upperBound) else { return [] }
        let drawable = points.compactMap { p in axis(p.y).map { (x: p.x, a: $0, y: p.y) } }.filter { $0.x.isFinite }
        var out: [(x: Double, y: Double)] = []
        for (i, p) in drawable.enumerated() {
            if (lo...hi).contains(p.a) { out.append((p.x, p.y)) }
            guard i + 1 < drawable.count else { break }
            let q = drawable[i + 1]
            // Where the segment p → q crosses a bound strictly between its ends, in the order it meets them.
            let crossings = [lo, hi].filter { (p.a - $0) * (q.a - $0) < 0 }.map { ($0 - p.a) / (q.a - p.a) }.sorted()
            for t in crossings {
                let a = min(max(p.a + t * (q.a - p.a), lo), hi)
                out.append((p.x + t * (q.x - p.x), value(a)))
            }
        }
        return out
    }
}
