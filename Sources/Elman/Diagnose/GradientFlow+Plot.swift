import RealModule

extension GradientFlowReport {
    /// The plot of `elman diagnose --svg`: the measured lag profile on a log axis, the fitted decay and the
    /// seed's ρ(W)^lag view, both reference lines cut to the measured curve's range so that the axis is the
    /// measured curve's.
    package func svg(title: String) -> String {
        let series = referenceLines
        return LinePlot.svg([LinePlot.Panel(
            title: "gradient flow: \(title) — \(verdict.rawValue)", xLabel: "lag t − k (steps back in time)",
            yLabel: "‖∂L_t/∂s_k‖ relative to lag 0 (log scale)", logY: true,
            series: [.init(name: "measured (geometric mean)", color: LinePlot.colors[0], points: measured),
                     .init(name: "fit: \(Self.round(decayPerStep, 3))^lag", color: LinePlot.colors[1], points: series.fit),
                     .init(name: "the seed's Wᵗ⁻ᵏ view: ρ(W)^lag = \(Self.round(spectralRadius, 3))^lag" + spectralNote,
                           color: LinePlot.colors[2], points: series.spectral)])])
    }

    /// Where the ρ(W)^lag line is cut, what it reaches at the last lag: " (cut at the measured range; 10^21.3 at lag 63)".
    private var spectralNote: String {
        let last = lagRatios.count - 1
        let end = Double(last) * Double.log10(spectralRadius)
        let shown = lagRatios.filter { $0 > 0 && $0.isFinite }
        guard last > 0, end.isFinite, let lo = shown.min(), let hi = shown.max(),
              end < Double.log10(lo) || end > Double.log10(hi) else { return "" }
        return " (cut at the measured range; 10^\(Self.round(end, 1)) at lag \(last))"
    }

    /// The measured lag profile: (lag, ratio to lag 0).
    var measured: [(x: Double, y: Double)] { lagRatios.enumerated().map { (x: Double($0), y: $1) } }

    /// decayPerStep^lag and ρ(W)^lag over the measured lags, cut to the range of the measured ratios that a log
    /// axis shows (the positive ones); empty when there is none.
    var referenceLines: (fit: [(x: Double, y: Double)], spectral: [(x: Double, y: Double)]) {
        let shown = lagRatios.filter { $0 > 0 && $0.isFinite }
        guard let lo = shown.min(), let hi = shown.max() else { return ([], []) }
        func line(_ base: Double) -> [(x: Double, y: Double)] {
            LinePlot.clipped(lagRatios.indices.map { (x: Double($0), y: Double.pow(base, Double($0))) }, toY: lo...hi, logY: true)
        }
        return (line(decayPerStep), line(spectralRadius))
    }
}
