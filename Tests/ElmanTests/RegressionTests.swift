import Foundation
import Testing
@testable import Elman

/// Numeric series: CSV reading, the regression task's batches and standardization, resume, forecasting, and
/// that training beats persistence.
@Suite struct RegressionTests {
    static func sine(_ steps: Int) -> NumericSeries {
        NumericSeries(columns: ["s", "c"], values: (0..<steps).flatMap { t -> [Double] in
            let a = Double(t) * 0.3
            return [3 + 2 * Foundation.sin(a), Foundation.cos(0.5 * a) * Foundation.sin(a)]
        })
    }

    @Test func csvIsReadWithItsHeaderAndBadCellsAreNamed() throws {
        let series = try NumericSeries.parse(csv: "t,temp\r\n1,2.5\r\n2, -3e2\r\n\r\n", name: "f.csv")
        #expect(series.columns == ["t", "temp"])
        #expect(series.values == [1, 2.5, 2, -300])
        #expect(throws: ElmanError("f.csv:3: column 2 ('temp') is 'warm'; expected a finite number")) {
            try NumericSeries.parse(csv: "t,temp\n1,2\n2,warm\n", name: "f.csv")
        }
        #expect(throws: ElmanError("f.csv:2: 3 cells; expected 2, one per column of the header")) {
            try NumericSeries.parse(csv: "t,temp\n1,2,3\n2,4\n", name: "f.csv")
        }
        // A short row is named with its line and its cell count (the parser pads it), an empty cell as empty; a quoted
        // delimiter is inside a cell.
        #expect(throws: ElmanError("f.csv:4: 1 cell; expected 2, one per column of the header (t, temp)")) {
            try NumericSeries.parse(csv: "t,temp\r\n1,2\r\n\r\n3\r\n4,5\r\n", name: "f.csv")
        }
        #expect(throws: ElmanError("f.csv:3: column 2 ('temp') is ''; expected a finite number")) {
            try NumericSeries.parse(csv: "t,temp\n1,2\n3,\n", name: "f.csv")
        }
        #expect(throws: ElmanError("f.csv:2: 2 cells; expected 3, one per column of the header (a, b, c)")) {
            try NumericSeries.parse(csv: "a,b,c\n\"1,5\",2\n", name: "f.csv")
        }
        #expect(throws: ElmanError.self) { try NumericSeries.parse(csv: "t,temp\n1,nan\n2,3\n", name: "f.csv") }
        #expect(throws: ElmanError.self) { try NumericSeries.parse(csv: "x\n1\n", name: "f.csv") }  // one step
        #expect(try series.columnIndices("temp,1", option: "--inputs", file: "f.csv") == [1, 0])
        // The error names the bad item (not the first or the whole list) and the file's own columns.
        #expect(throws: ElmanError("--inputs temp,wind: f.csv has no column 'wind'; its columns are 't', 'temp' "
                                   + "(or their numbers 1…2)")) {
            try series.columnIndices("temp,wind", option: "--inputs", file: "f.csv")
        }
    }

    /// Batches: inputs are step t's columns, targets step t + 1's, both standardized with the training rows'
    /// mean and standard deviation only.
    @Test func batchesPredictTheNextRowInStandardizedUnits() throws {
        let all = Self.sine(200)
        let train = all.rows(0..<150), validation = all.rows(150..<200)
        var task = try RegressionTask(train: train, validation: validation, inputs: [0, 1], targets: [1])
        var o = TrainingOptions()
        o.seq = 5
        o.batch = 3
        let config = try task.prepare(for: o)
        #expect(config.head == .linear && config.inputSize == 2 && config.outputSize == 1)
        let s = task.columns.standardization
        let mean = train.column(1).reduce(0, +) / 150
        #expect(abs(s.mean[1] - mean) < 1e-12)
        let batch = task.nextBatch()
        guard case .dense(let x) = batch.inputs, case .values(let y) = batch.targets else { Issue.record("not dense"); return }
        let streamLength = 149 / 3
        for (t, n) in [(0, 0), (4, 2), (2, 1)] {
            let row = n * streamLength + t, cell = t * 3 + n
            #expect(abs(Double(x[cell * 2]) - s.standardize(train.values[row * 2], column: 0)) < 1e-5)
            #expect(abs(Double(y[cell]) - s.standardize(train.values[(row + 1) * 2 + 1], column: 1)) < 1e-5)
        }
    }

    /// Trained on a sine pair, the model predicts the next step far better than persistence; its forecast of one
    /// step equals the batched engine's last one-step prediction, and a resumed run ends with the same weights.
    @Test func trainingBeatsPersistenceAndResumesBitForBit() throws {
        let all = Self.sine(1200)
        let make = { try RegressionTask(train: all.rows(0..<1000), validation: all.rows(1000..<1200)) }
        var o = TrainingOptions()
        o.hidden = 16
        o.seq = 16
        o.batch = 8
        o.steps = 300
        o.lr = 1e-2
        let straight = try Trainer(options: o, task: make())
        for _ in 0..<300 { try straight.trainStep() }
        let first = try Trainer(options: o, task: make())
        for _ in 0..<130 { try first.trainStep() }
        let resumed = try Trainer(resuming: SafeTensorsFile.parse(first.checkpoint().serialized(), name: "last"), task: make(), name: "last")
        for _ in 0..<170 { try resumed.trainStep() }
        #expect(resumed.params.values == straight.params.values)

        let validation = all.rows(1000..<1200)
        let report = try RegressionReport.measure(straight.params, columns: straight.task.columns, on: validation)
        #expect(report.overall.mse < 0.2 * report.overall.persistenceMSE, "\(report.overall)")
        #expect(report.columns.keys.sorted() == ["c", "s"])

        let model = try TrainedModel(params: straight.params, columns: straight.task.columns)
        let history = all.rows(1000..<1100)
        let next = try model.forecast(history: history, horizon: 3)
        #expect(next.columns == ["s", "c"] && next.steps == 3)
        // The engine's prediction after the history, in original units.
        let s = straight.task.columns.standardization
        let x = history.values.enumerated().map { Float(s.standardize($0.element, column: $0.offset % 2)) }
        let (g, _) = try Engine<Float>(config: model.config).logits(model.params, inputs: .dense(x), steps: 100, size: 1)
        for j in 0..<2 {
            #expect(abs(next.values[j] - s.original(Double(g[99 * 2 + j]), column: j)) < 1e-4)
        }
        #expect(abs(next.values[2] - all.values[1101 * 2]) < 0.3)  // the second step, fed its own prediction, still on the curve
    }

    @Test func forecastNeedsEveryInputAmongTheTargets() throws {
        let all = Self.sine(300)
        let task = try RegressionTask(train: all.rows(0..<250), validation: all.rows(250..<300), inputs: [0, 1], targets: [0])
        var o = TrainingOptions()
        o.hidden = 4
        o.seq = 8
        o.batch = 2
        let trainer = try Trainer(options: o, task: task)
        let model = try TrainedModel(params: trainer.params, columns: task.columns)
        let error = try #require(#expect(throws: ElmanError.self) { try model.forecast(history: all.rows(0..<10), horizon: 2) })
        #expect(error.message.contains("reads c but does not predict it"))
    }
}
