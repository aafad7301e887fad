import RealModule

/// Line plots as self-contained SVG: learning curves (`report.svg`), gradient-flow profiles
/// (`elman diagnose --svg`) and training diagnostics. Several panels stack vertically in one file.
package enum LinePlot {
    public struct Series {
        public var name: String
        public var color: String
        public var points: [(x: Double, y: Double)]
        public init(name: String, color: String, points: [(x: Double, y: Double)]) {
            self.name = name
            self.color = color
            self.points = points
        }
    }

    public struct Panel {
        public var title: String
        public var xLabel: String
        public var yLabel: String
        /// A log₁₀ y axis (points with y ≤ 0 are left out).
        public var logY: Bool
        public var series: [Series]
        public init(title: String, xLabel: String, yLabel: String, logY: Bool = false, series: [Series]) {
            self.title = title
            self.xLabel = xLabel
            self.yLabel = yLabel
            self.logY = logY
            self.series = series
        }
    }

    /// A categorical palette readable on white.
    public static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    /// The learning curve: loss against tokens (or sequences) seen.
    public static func svg(title: String, xLabel: String = "tokens seen", yLabel: String = "loss (nats/token)",
                           series: [Series]) -> String {
        svg([Panel(title: title, xLabel: xLabel, yLabel: yLabel, series: series)])
    }

    public static func svg(_ panels: [Panel]) -> String {
        let width = 720.0, panelHeight = 400.0
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" "
            + "height=\"\(Int(panelHeight) * max(1, panels.count))\" font-family=\"sans-serif\" font-size=\"12\">\n"
            + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        for (i, panel) in panels.enumerated() {
            s += draw(panel, top: Double(i) * panelHeight, width: width, height: panelHeight)
        }
        return s + "</svg>\n"
    }

    private static func draw(_ panel: Panel, top offset: Double, width: Double, height: Double) -> String {
        let left = 78.0, right = 20.0, top = offset + 40, bottom = offset + height - 50
        func transform(_ y: Double) -> Double? {
            guard y.isFinite else { return nil }
            if panel.logY { return y > 0 ? Double.log10(y) : nil }
            return y
        }
        let visible = panel.series.map { $0.points.compactMap { p in transform(p.y).map { (x: p.x, y: $0) } }
            .filter { $0.x.isFinite } }
        let all = visible.flatMap { $0 }
        let xMin = min(all.map(\.x).min() ?? 0, 0), xMax = max(all.map(\.x).max() ?? 1, xMin + 1e-9)
        var yMin = all.map(\.y).min() ?? 0, yMax = all.map(\.y).max() ?? 1
        if panel.logY {
            yMin = yMin.rounded(.down)
            yMax = max(yMax.rounded(.up), yMin + 1)
        } else {
            if yMax - yMin < 1e-9 * max(1, abs(yMax)) { yMax += 0.5; yMin -= 0.5 }
            yMin = yMin >= 0 ? max(0, yMin - 0.05 * (yMax - yMin)) : yMin - 0.05 * (yMax - yMin)
        }
        func px(_ x: Double) -> Double { left + (x - xMin) / (xMax - xMin) * (width - left - right) }
        func py(_ y: Double) -> Double { top + (yMax - y) / (yMax - yMin) * (bottom - top) }
        var s = "<text x=\"\(f(width / 2))\" y=\"\(f(offset + 22))\" text-anchor=\"middle\" font-size=\"15\">"
            + "\(escape(panel.title))</text>\n"
        for y in ticks(yMin, yMax, decades: panel.logY) {
            let label = panel.logY ? "1e\(Int(y.rounded()))" : short(y)
            s += "<line x1=\"\(f(left))\" y1=\"\(f(py(y)))\" x2=\"\(f(width - right))\" y2=\"\(f(py(y)))\" stroke=\"#ddd\"/>\n"
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(py(y) + 4))\" text-anchor=\"end\">\(label)</text>\n"
        }
        for x in ticks(xMin, xMax, decades: false) {
            s += "<text x=\"\(f(px(x)))\" y=\"\(f(bottom + 18))\" text-anchor=\"middle\">\(short(x))</text>\n"
        }
        s += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(width - left - right))\" height=\"\(f(bottom - top))\" "
            + "fill=\"none\" stroke=\"#444\"/>\n"
        s += "<text x=\"\(f(width / 2))\" y=\"\(f(bottom + 40))\" text-anchor=\"middle\">\(escape(panel.xLabel))</text>\n"
        s += "<text transform=\"translate(16,\(f((top + bottom) / 2))) rotate(-90)\" text-anchor=\"middle\">"
            + "\(escape(panel.yLabel))</text>\n"
        for (k, (line, points)) in zip(panel.series, visible).enumerated() {
            let pts = points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
            if points.count == 1, let p = points.first {
                s += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"3\" fill=\"\(line.color)\"/>\n"
            } else {
                s += "<polyline fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"1.8\" points=\"\(pts)\"/>\n"
            }
            let ly = top + 16 + Double(k) * 18
            let lx = width - right - 12 - 6.6 * Double(panel.series.map(\.name.count).max() ?? 0) - 32
            s += "<line x1=\"\(f(lx))\" y1=\"\(f(ly - 4))\" x2=\"\(f(lx + 25))\" y2=\"\(f(ly - 4))\" "
                + "stroke=\"\(line.color)\" stroke-width=\"3\"/>\n"
            s += "<text x=\"\(f(lx + 32))\" y=\"\(f(ly))\">\(escape(line.name))</text>\n"
        }
        return s
    }

    /// Tick positions at a round step (1, 2 or 5 × 10^k; whole decades on a log axis), at most 8 of them.
    static func ticks(_ lo: Double, _ hi: Double, decades: Bool) -> [Double] {
        let range = hi - lo
        guard range > 0, range.isFinite else { return [lo] }
        let base = Double.pow(10, (Double.log10(range / 5)).rounded(.down))
        let step0 = [1.0, 2, 5, 10].map { $0 * base }.first { range / $0 <= 7 } ?? 10 * base
        var step = step0
        if decades { step = max(1, step.rounded()) }
        var out: [Double] = []
        var t = (lo / step).rounded(.up) * step
        while t <= hi + 1e-9 * step && out.count < 30 {
            out.append(t)
            t += step
        }
        return out
    }

    /// One decimal, for coordinates (always within the canvas).
    private static func f(_ v: Double) -> String { "\((v * 10).rounded() / 10)" }

    /// A tick label: 1.5M, 20k, 0.25, 3e-05.
    static func short(_ v: Double) -> String {
        guard v.isFinite else { return "\(v)" }
        let a = abs(v)
        if a >= 1e9 || (a > 0 && a < 1e-3) { return "\(Float(v))" }
        if a >= 1e6 { return "\((v / 1e5).rounded() / 10)M" }
        if a >= 1e3 { return "\((v / 1e2).rounded() / 10)k" }
        if v == v.rounded() { return "\(Int(v))" }
        return "\((v * 100).rounded() / 100)"
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
