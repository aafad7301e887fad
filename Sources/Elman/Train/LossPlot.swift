/// A learning-curve plot as a self-contained SVG: loss (nats per token) against tokens seen.
public enum LossPlot {
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

    public static func svg(title: String, xLabel: String = "tokens seen", yLabel: String = "loss (nats/token)",
                           series: [Series]) -> String {
        let width = 720.0, height = 420.0, left = 70.0, right = 20.0, top = 40.0, bottom = 50.0
        let all = series.flatMap(\.points).filter { $0.y.isFinite }
        let xMax = max(all.map(\.x).max() ?? 1, 1e-9)
        var yMin = all.map(\.y).min() ?? 0, yMax = all.map(\.y).max() ?? 1
        if yMax - yMin < 1e-9 { yMax += 0.5; yMin -= 0.5 }
        yMin = max(0, yMin - 0.05 * (yMax - yMin))
        func px(_ x: Double) -> Double { left + x / xMax * (width - left - right) }
        func py(_ y: Double) -> Double { top + (yMax - y) / (yMax - yMin) * (height - top - bottom) }
        func f(_ v: Double) -> String { String(Double(Int(v * 10)) / 10) }
        var s = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
            font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(f(width / 2))" y="22" text-anchor="middle" font-size="15">\(escape(title))</text>

            """
        for i in 0...5 {  // grid and tick labels
            let y = yMin + (yMax - yMin) * Double(i) / 5, x = xMax * Double(i) / 5
            s += "<line x1=\"\(f(left))\" y1=\"\(f(py(y)))\" x2=\"\(f(width - right))\" y2=\"\(f(py(y)))\" stroke=\"#ddd\"/>\n"
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(py(y) + 4))\" text-anchor=\"end\">\(short(y))</text>\n"
            s += "<text x=\"\(f(px(x)))\" y=\"\(f(height - bottom + 18))\" text-anchor=\"middle\">\(short(x))</text>\n"
        }
        s += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(width - left - right))\" height=\"\(f(height - top - bottom))\" fill=\"none\" stroke=\"#444\"/>\n"
        s += "<text x=\"\(f(width / 2))\" y=\"\(f(height - 10))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        s += "<text transform=\"translate(16,\(f(height / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>\n"
        for (k, line) in series.enumerated() {
            let pts = line.points.filter { $0.y.isFinite }.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
            s += "<polyline fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"1.8\" points=\"\(pts)\"/>\n"
            let ly = top + 16 + Double(k) * 18
            s += "<line x1=\"\(f(width - 190))\" y1=\"\(f(ly - 4))\" x2=\"\(f(width - 165))\" y2=\"\(f(ly - 4))\" stroke=\"\(line.color)\" stroke-width=\"3\"/>\n"
            s += "<text x=\"\(f(width - 158))\" y=\"\(f(ly))\">\(escape(line.name))</text>\n"
        }
        return s + "</svg>\n"
    }

    static func short(_ v: Double) -> String {
        if abs(v) >= 1e6 { return "\(Double(Int(v / 1e5)) / 10)M" }
        if abs(v) >= 1e3 { return "\(Double(Int(v / 1e2)) / 10)k" }
        return "\(Double(Int((v * 100).rounded())) / 100)"
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
    }
}

import Foundation
