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
