import Foundation
import Elman

/// `elman train --diagnose-every K`: every K steps, the per-parameter gradient norms, the share of steps
/// clipped since the last record and the gradient's lag profile; written to DIR/diagnostics.jsonl (one
/// JSON object per record) and plotted in DIR/diagnostics.svg. A resumed run continues the file, as metrics.jsonl.
struct TrainingDiagnostics {
    /// What the plots need of one record, and the record's line as written.
    struct Record {
        var step: Int
        var parameterNorms: [(name: String, norm: Double)]
        var globalNorm: Double
        var clipRate: Double
        var spectralRadius: Double
        var decayPerStep: Double
        var lagRatios: [Double]
        var verdict: String
        var evidence: String
        var line: [UInt8]
    }

    let every: Int
    let directory: String
    private(set) var records: [Record] = []
    private var steps = 0, clipped = 0

    init(every: Int, directory: String) {
        self.every = every
        self.directory = directory
    }

    /// Continues the records of `diagnostics.jsonl` through `step` (a resumed run's checkpoint; 0 for a new run,
    /// which keeps none), their parameter norms in the order of `parameterNames`; a record after `step` is of a
    /// run that went on past its checkpoint and is dropped. Kept lines are kept byte for byte.
    mutating func resume(through step: Int, parameterNames: [String]) throws {
        let path = "\(directory)/diagnostics.jsonl"
        guard step > 0, FileIO.exists(path) else { return }
        let decoder = JSONLines.decoder()
        let lines = try FileIO.read(path).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        var kept: [Record] = [], read = 0
        for (i, line) in lines.enumerated() where !line.isEmpty {
            guard let r = try? decoder.decode(Line<SavedFlow>.self, from: Data(line)) else {
                if i == lines.count - 1 { break }  // torn: the process was killed while writing it
                throw ElmanError("\(path): line \(i + 1) is not a diagnostics record; expected one JSON object per line as elman train writes")
            }
            read += 1
            guard r.step <= step else { continue }
            let flow = r.gradientFlow
            kept.append(Record(step: r.step,
                               parameterNorms: parameterNames.compactMap { name in r.parameterNorms[name].map { (name: name, norm: $0) } },
                               globalNorm: r.gradientNorm, clipRate: r.clipRate, spectralRadius: flow.spectralRadius ?? .nan,
                               decayPerStep: flow.decayPerStep ?? .nan, lagRatios: flow.lagRatios.map { $0 ?? .nan },
                               verdict: flow.verdict, evidence: flow.evidence, line: Array(line) + [UInt8(ascii: "\n")]))
        }
        records = kept
        if records.count != read { try write() }
    }

    /// Counts one accepted step; at every K-th, measures and rewrites both files.
    mutating func observe(_ report: StepReport, trainer: Trainer<LanguageModelTask>) throws {
        steps += 1
        clipped += report.clipped ? 1 : 0
        guard trainer.step % every == 0 else { return }
        let flow = try trainer.gradientFlow(), clipRate = Double(clipped) / Double(max(steps, 1))
        let line = Line(step: trainer.step, gradientNorm: report.gradientNorm, clipRate: clipRate,
                        parameterNorms: Dictionary(report.parameterNorms.map { ($0.name, $0.norm) }) { a, _ in a },
                        gradientFlow: flow)
        records.append(Record(step: trainer.step, parameterNorms: report.parameterNorms, globalNorm: report.gradientNorm,
                              clipRate: clipRate, spectralRadius: flow.spectralRadius, decayPerStep: flow.decayPerStep,
                              lagRatios: flow.lagRatios, verdict: flow.verdict.rawValue, evidence: flow.evidence,
                              line: JSONLines.line(line)))
        steps = 0
        clipped = 0
        try write()
    }

    /// One line of diagnostics.jsonl: written with the whole gradient-flow report, read back with the fields the
    /// plots use (``SavedFlow``).
    fileprivate struct Line<Flow> {
        var step: Int
        var gradientNorm: Double
        var clipRate: Double
        var parameterNorms: [String: Double]
        var gradientFlow: Flow
    }


    /// The gradient-flow fields a line read back keeps.
    private struct SavedFlow: Decodable {
        var verdict: String
        var evidence: String
        var decayPerStep: Double?
        var spectralRadius: Double?
        var lagRatios: [Double?]
    }

    private func write() throws {
        try FileIO.writeAtomically(records.flatMap(\.line), to: "\(directory)/diagnostics.jsonl")
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
            LinePlot.Series(name: "step \(records[i].step): \(fixed(records[i].decayPerStep, 3))×/step",
                            color: LinePlot.colors[k % LinePlot.colors.count],
                            points: records[i].lagRatios.enumerated().map { (x: Double($0.offset), y: $0.element) })
        }
        return LinePlot.svg([
            LinePlot.Panel(title: "gradient norms before clipping", xLabel: "step", yLabel: "‖∂L/∂θ‖ (log scale)",
                           logY: true, series: norms),
            LinePlot.Panel(title: "clipping and the spectrum of W", xLabel: "step", yLabel: "value",
                           series: [.init(name: "share of steps clipped", color: LinePlot.colors[0],
                                          points: records.map { (x: Double($0.step), y: $0.clipRate) }),
                                    .init(name: "spectral radius ρ(W)", color: LinePlot.colors[1],
                                          points: records.map { (x: Double($0.step), y: $0.spectralRadius) }),
                                    .init(name: "gradient decay per step back", color: LinePlot.colors[2],
                                          points: records.map { (x: Double($0.step), y: $0.decayPerStep) })]),
            LinePlot.Panel(title: "lag profile during training", xLabel: "lag t − k",
                           yLabel: "‖∂L_t/∂s_k‖ relative to lag 0 (log scale)", logY: true, series: profiles),
        ])
    }
}

extension TrainingDiagnostics.Line: Encodable where Flow: Encodable {}
extension TrainingDiagnostics.Line: Decodable where Flow: Decodable {}
