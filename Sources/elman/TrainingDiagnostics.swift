import Foundation
import Elman

/// `elman train --diagnose-every K`: every K steps, the per-parameter gradient norms, the share of steps
/// clipped since the last record and the gradient's lag profile; written to DIR/diagnostics.jsonl (one
/// JSON object per record) and plotted in DIR/diagnostics.svg.
struct TrainingDiagnostics {
    struct Record {
        var step: Int
        var parameterNorms: [(name: String, norm: Double)]
        var globalNorm: Double
        var clipRate: Double
        var flow: GradientFlowReport
    }

    let every: Int
    let directory: String
    private(set) var records: [Record] = []
    private var steps = 0, clipped = 0

    init(every: Int, directory: String) {
        self.every = every
        self.directory = directory
    }

    /// Counts one accepted step; at every K-th, measures and rewrites both files.
    mutating func observe(_ report: StepReport, trainer: Trainer<LanguageModelTask>) throws {
        steps += 1
        clipped += report.clipped ? 1 : 0
        guard trainer.step % every == 0 else { return }
        let record = Record(step: trainer.step, parameterNorms: report.parameterNorms, globalNorm: report.gradientNorm,
                            clipRate: Double(clipped) / Double(max(steps, 1)), flow: try trainer.gradientFlow())
        records.append(record)
        steps = 0
        clipped = 0
        try write()
    }

    /// One line of diagnostics.jsonl.
    private struct Line: Encodable {
        var step: Int
        var gradientNorm: Double
        var clipRate: Double
        var parameterNorms: [String: Double]
        var gradientFlow: GradientFlowReport
    }

    private func write() throws {
        var bytes: [UInt8] = []
        for r in records {
            let line = Line(step: r.step, gradientNorm: r.globalNorm, clipRate: r.clipRate,
                            parameterNorms: Dictionary(r.parameterNorms.map { ($0.name, $0.norm) }) { a, _ in a },
                            gradientFlow: r.flow)
            bytes += JSONLines.line(line)
        }
        try FileIO.writeAtomically(bytes, to: "\(directory)/diagnostics.jsonl")
        try FileIO.writeAtomically(Array(svg().utf8), to: "\(directory)/diagnostics.svg")
    }

    func svg() -> String {
        let names = records.first?.parameterNorms.map(\.name) ?? []
        let norms = ([("global (all parameters)", { (r: Record) in r.globalNorm })]
                     + names.enumerated().map { i, name in (name, { (r: Record) in r.parameterNorms[i].norm }) })
            .enumerated().map { k, entry in
                LinePlot.Series(name: entry.0, color: LinePlot.colors[k % LinePlot.colors.count],
                                points: records.map { (x: Double($0.step), y: entry.1($0)) })
            }
        let shown = min(5, records.count)  // evenly spaced records, first and last included
        let picked = Set((0..<shown).map { $0 * (records.count - 1) / max(1, shown - 1) }).sorted()
        let profiles = picked.enumerated().map { k, i in
            LinePlot.Series(name: "step \(records[i].step): \(fixed(records[i].flow.decayPerStep, 3))×/step",
                            color: LinePlot.colors[k % LinePlot.colors.count],
                            points: records[i].flow.lagRatios.enumerated().map { (x: Double($0.offset), y: $0.element) })
        }
        return LinePlot.svg([
            LinePlot.Panel(title: "gradient norms before clipping", xLabel: "step", yLabel: "‖∂L/∂θ‖ (log scale)",
                           logY: true, series: norms),
            LinePlot.Panel(title: "clipping and the spectrum of W", xLabel: "step", yLabel: "value",
                           series: [.init(name: "share of steps clipped", color: LinePlot.colors[0],
                                          points: records.map { (x: Double($0.step), y: $0.clipRate) }),
                                    .init(name: "spectral radius ρ(W)", color: LinePlot.colors[1],
                                          points: records.map { (x: Double($0.step), y: $0.flow.spectralRadius) }),
                                    .init(name: "gradient decay per step back", color: LinePlot.colors[2],
                                          points: records.map { (x: Double($0.step), y: $0.flow.decayPerStep) })]),
            LinePlot.Panel(title: "lag profile during training", xLabel: "lag t − k",
                           yLabel: "‖∂L_t/∂s_k‖ relative to lag 0 (log scale)", logY: true, series: profiles),
        ])
    }
}
