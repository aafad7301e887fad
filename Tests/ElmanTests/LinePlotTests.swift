import Foundation
import Testing
@testable import Elman

/// The SVG plots of a run's report.
@Suite struct LinePlotTests {
    @Test func drawsAnyFiniteValueAndSkipsWhatALogAxisCannotShow() {
        let huge = LinePlot.svg(title: "t", series: [.init(name: "a", color: "#000", points: [(0, 1e300), (1, -1e300), (2, .nan)])])
        #expect(huge.hasPrefix("<svg") && huge.hasSuffix("</svg>\n"))
        let log = LinePlot.svg([.init(title: "t", xLabel: "x", yLabel: "y", logY: true,
                                      series: [.init(name: "a", color: "#000", points: [(0, 1), (1, 0), (2, 1e-6)])])])
        #expect(log.contains(">1e0<") && log.contains(">1e-6<"))
        #expect(log.components(separatedBy: "<polyline").count == 2)  // one line, of the two positive points
        let points = log.components(separatedBy: "points=\"")[1].prefix { $0 != "\"" }
        #expect(points.split(separator: " ").count == 2)
    }

    @Test func ticksAreRound() {
        #expect(LinePlot.ticks(0, 2_000_000, decades: false) == [0, 500_000, 1_000_000, 1_500_000, 2_000_000])
        #expect(LinePlot.ticks(-12, 0, decades: true) == [-12, -10, -8, -6, -4, -2, 0])
        #expect(LinePlot.short(20) == "20" && LinePlot.short(1.5e6) == "1.5M" && LinePlot.short(0.25) == "0.25")
    }
}

/// `elman diagnose --svg`: the reference lines stay within the measured curve's range, so the axis is the measured
/// curve's and ρ(W)^lag cannot squash it.
@Suite struct GradientFlowPlotTests {
    /// A report whose measured ratios are 0.95^lag over 20 lags, with ρ(W) = `rho`.
    static func report(rho: Double) -> GradientFlowReport {
        let (h, steps, n) = (6, 20, 2)
        var g = SeededGenerator(seed: 3)
        let w = Initialization.orthogonal(h, &g).map { 0.95 * $0 }
        let states = (0..<(steps * n * h)).map { _ in g.uniform(-1, 1) }
        let seeds = (0..<(steps * n * h)).map { _ in g.uniform(-1, 1) }
        var profile = LagProfile(maxLag: steps - 1)
        profile.add(recurrent: w, hidden: h, states: states, stateGradients: seeds, steps: steps, size: n, nonlinearity: nil)
        return GradientFlowReport(profile: profile, stepJacobianNorms: [], spectralRadius: rho, maxSingularValue: rho)
    }

    @Test(arguments: [0.5, 2.0])
    func referenceLinesStayWithinTheMeasuredRange(rho: Double) throws {
        let report = Self.report(rho: rho)
        let lo = try #require(report.lagRatios.min()), hi = try #require(report.lagRatios.max())
        #expect(abs(lo - pow(0.95, 19)) < 1e-9 && abs(hi - 1) < 1e-9)
        let lines = report.referenceLines
        for p in lines.spectral + lines.fit {
            #expect(p.y >= lo * (1 - 1e-12) && p.y <= hi * (1 + 1e-12), "(\(p.x), \(p.y)) outside \(lo)…\(hi)")
        }
        if rho < 1 {  // 0.5^lag leaves the range at 0.5^x = 0.95^19: cut there, on the bound
            let end = try #require(lines.spectral.last)
            #expect(abs(end.x - 19 * log(0.95) / log(0.5)) < 1e-9 && abs(end.y - lo) < 1e-12)
            #expect(lines.spectral.map(\.x) == [0, 1, end.x])
        } else {
            #expect(lines.spectral.count == 1)  // 2^lag is above the range after lag 0
        }
        // The axis is the measured curve's: 0.377…1 spans one decade, where 0.5^19 or 2^19 would span six.
        let svg = report.svg(title: "t")
        #expect(svg.contains(">1e-1<") && svg.contains(">1e0<"))
        #expect(!svg.contains(">1e-2<") && !svg.contains(">1e1<"))
    }

    @Test func clippingInterpolatesEachCrossingInOrder() {
        // Up through the range and out of its top, on a linear axis: 0 → 4 crosses 1 at x = 0.25 and 3 at x = 0.75.
        let up = LinePlot.clipped([(0, 0), (1, 4)], toY: 1...3, logY: false)
        #expect(up.map(\.x) == [0.25, 0.75] && up.map(\.y) == [1, 3])
        // On a log axis the crossing is interpolated in log₁₀ y: 1 → 100 crosses 10 half way.
        let log = LinePlot.clipped([(0, 1), (2, 100)], toY: 10...1000, logY: true)
        #expect(log.count == 2 && abs(log[0].x - 1) < 1e-12 && abs(log[0].y - 10) < 1e-9 && log[1].x == 2)
        #expect(LinePlot.clipped([(0, 5), (1, 6)], toY: 1...3, logY: false).isEmpty)
    }
}
