import Foundation
import Testing
@testable import Elman

/// The classifier of real-valued series (the seed's §1 on real data): how a series becomes input steps, that
/// packed batches of different lengths equal each series alone, that it learns, and that its model file
/// round-trips and refuses a malformed `series` key.
@Suite struct SeriesClassifierTests {
    static func example(_ channels: [[Double]], label: String? = nil, line: Int = 1) -> LabeledSeries.Example {
        LabeledSeries.Example(values: channels.flatMap { $0 }, length: channels[0].count, label: label, line: line)
    }

    /// Two classes of 2-channel series: a rising or a falling ramp in channel 0 (channel 1 noise), lengths 9–16.
    static func ramps(_ count: Int, seed: UInt64) -> LabeledSeries {
        var g = SeededGenerator(seed: seed)
        func noise() -> Double { Double(g.next() % 1000) / 1000 - 0.5 }
        let examples = (0..<count).map { i -> LabeledSeries.Example in
            let length = 9 + Int(g.next() % 8), up = i % 2 == 0
            let ramp = (0..<length).map { t in (up ? 1.0 : -1.0) * Double(t) / Double(length) + 0.3 * noise() + 5 }
            return example([ramp, (0..<length).map { _ in 3 * noise() }], label: up ? "up" : "down", line: i + 1)
        }
        return LabeledSeries(format: .ts, problemName: "ramps", labels: ["up", "down"], channels: 2, examples: examples)
    }

    @Test func windowsPadTheFirstStepAtItsStartAndStandardizeEachChannel() {
        let input = SeriesInput(channels: 2, window: 3, standardization: Standardization(mean: [1, 10], scale: [2, 5]))
        let e = Self.example([[1, 3, 5, 7, 9], [10, 15, 20, 25, 30]])  // L = 5 → 2 steps, pad 1
        #expect(input.features == 6)
        #expect(input.steps(length: 5) == 2)
        // Step 0: [pad, t0, t1], step 1: [t2, t3, t4]; feature j·D + c.
        func a(_ v: Double) -> Float { Float((v - 1) / 2) }
        func b(_ v: Double) -> Float { Float((v - 10) / 5) }
        let expected: [Float] = [0, 0, a(1), b(10), a(3), b(15), a(5), b(20), a(7), b(25), a(9), b(30)]
        #expect(input.encode(e) == expected)
    }

    @Test func theDefaultWindowReadsTheLongestSeriesInAtMost32Steps() {
        #expect(SeriesInput.defaultWindow(longest: 24) == 1)
        #expect(SeriesInput.defaultWindow(longest: 32) == 1)
        #expect(SeriesInput.defaultWindow(longest: 33) == 2)
        #expect(SeriesInput.defaultWindow(longest: 150) == 5)
        #expect(SeriesInput.defaultWindow(longest: 1460) == 46)
        let measured = SeriesInput(measuring: Self.ramps(10, seed: 1).examples, channels: 2)
        #expect(measured.window == 1)
    }

    @Test func standardizationIsMeasuredOverEveryValueOfAChannel() {
        let examples = [Self.example([[1, 2, 3], [0, 0, 0]]), Self.example([[5], [4]])]
        let input = SeriesInput(measuring: examples, channels: 2, window: 2)
        #expect(input.standardization.mean == [2.75, 1])
        let deviations: [Double] = [1 - 2.75, 2 - 2.75, 3 - 2.75, 5 - 2.75]
        let variance0: Double = deviations.map { $0 * $0 }.reduce(0, +) / 4
        #expect(abs(input.standardization.scale[0] - variance0.squareRoot()) < 1e-12)
        #expect(abs(input.standardization.scale[1] - (12.0 / 4).squareRoot()) < 1e-12)
        #expect(input.window == 2)
    }

    @Test(arguments: [false, true])
    func aPackedBatchOfDifferentLengthsEqualsEachSeriesAlone(bidirectional: Bool) throws {
        let data = Self.ramps(5, seed: 3)
        var options = TrainingOptions()
        options.hidden = 6
        options.bidirectional = bidirectional
        options.batch = 5
        var task = try SeriesClassificationTask(train: data, validation: nil, window: 2)
        let config = try task.prepare(for: options)
        #expect(config.inputSize == 4 && config.head == .sigmoid && config.bidirectional == bidirectional)
        var g = SeededGenerator(seed: 4)
        let params = Parameters<Float>(config: config, generator: &g)
        let model = try TrainedModel(params: params, series: task.input, labels: task.labels)
        let together = try model.classify(series: data.examples)
        #expect(Set(data.examples.map(\.length)).count > 1)
        for (e, row) in zip(data.examples, together) {
            let alone = try model.classify(series: [e])[0]
            #expect(zip(alone, row).allSatisfy { abs($0 - $1) < 1e-5 }, "line \(e.line): \(alone) alone, \(row) in a batch")
            #expect(abs(row.reduce(0, +) - 1) < 1e-5)
        }
        // The batch the trainer sees: each series' values at its own steps, its loss at its last step.
        let b = SeriesClassificationTask.batch(task.train[...], features: 4, head: .sigmoid)
        try b.validate(for: config)
        #expect(b.lengths == task.train.map(\.steps))
        guard case .dense(let x) = b.inputs, let mask = b.mask else { Issue.record("expected dense inputs and a mask"); return }
        for (i, e) in task.train.enumerated() {
            for t in 0..<e.steps { #expect(Array(x[((t * 5 + i) * 4)..<((t * 5 + i + 1) * 4)]) == Array(e.inputs[(t * 4)..<((t + 1) * 4)])) }
            #expect((0..<b.steps).map { mask[$0 * 5 + i] } == (0..<b.steps).map { $0 == e.steps - 1 ? 1 : 0 })
        }
    }

    @Test func itLearnsToTellRisingFromFallingSeries() throws {
        var options = TrainingOptions()
        options.hidden = 16
        options.steps = 150
        options.batch = 16
        options.lr = 0.01
        options.bidirectional = true
        let task = try SeriesClassificationTask(train: Self.ramps(64, seed: 5), validation: Self.ramps(40, seed: 6))
        let trainer = try Trainer(options: options, task: task)
        let before = try #require(try trainer.validate())
        for _ in 0..<options.steps { _ = try trainer.trainStep() }
        let after = try #require(try trainer.validate())
        #expect(before.accuracy ?? 1 < 0.8)
        #expect(after.accuracy ?? 0 >= 0.95, "validation accuracy \(after.accuracy ?? 0) after \(options.steps) steps")
        #expect(after.loss < 0.5 * before.loss)
    }

    @Test func theModelFileKeepsTheSeriesInputAndGivesTheSameAnswers() throws {
        let data = Self.ramps(8, seed: 7)
        var options = TrainingOptions()
        options.hidden = 5
        options.steps = 3
        let trainer = try Trainer(options: options, task: try SeriesClassificationTask(train: data, validation: nil, window: 3))
        for _ in 0..<3 { _ = try trainer.trainStep() }
        let file = trainer.modelFile()
        #expect(file.metadata["format"] == "elman/2")
        let loaded = try TrainedModel(file: SafeTensorsFile.parse(file.serialized(), name: "m"), name: "m")
        #expect(loaded.series == trainer.task.input && loaded.labels == ["up", "down"] && loaded.isClassifier && !loaded.isRegressor)
        let inMemory = try TrainedModel(params: trainer.params, series: trainer.task.input, labels: ["up", "down"])
        #expect(try loaded.classify(series: data.examples) == inMemory.classify(series: data.examples))
        #expect(throws: ElmanError.self) { try loaded.classify("abc") }
        var broken = file
        broken.metadata["series"] = #"{"channels":2,"window":0,"standardization":{"mean":[0,0],"scale":[1,1]}}"#
        let error = #expect(throws: ElmanError.self) { try TrainedModel(file: broken, name: "m.safetensors") }
        #expect(error?.message.hasPrefix("m.safetensors: the 'series' metadata is not a valid series input") == true)
    }

    @Test func badSeriesAreRefusedByLineAndWhatWasExpected() throws {
        let data = Self.ramps(6, seed: 8)
        let task = try SeriesClassificationTask(train: data, validation: nil, name: "r.ts")
        var options = TrainingOptions()
        options.hidden = 3
        let trainer = try Trainer(options: options, task: task)
        let model = try TrainedModel(params: trainer.params, series: task.input, labels: task.labels)
        let oneChannel = Self.example([[1, 2, 3]], line: 7)
        let error = #expect(throws: ElmanError.self) { try model.classify(series: [oneChannel], name: "x.ts") }
        #expect(error?.message == "x.ts:7: 1 channel; the model reads 2")
        var unknown = data
        unknown.examples[0].label = "sideways"
        let labelError = #expect(throws: ElmanError.self) {
            try SeriesClassificationTask.encode(unknown, name: "t.ts", labels: task.labels, input: task.input)
        }
        #expect(labelError?.message == "t.ts:1: the label 'sideways' is not one of the model's (up, down)")
        #expect(throws: ElmanError.self) { try SeriesClassificationTask(train: data, validation: nil, window: 0) }
        var unlabeled = data
        for i in unlabeled.examples.indices { unlabeled.examples[i].label = nil }
        #expect(throws: ElmanError.self) { try SeriesClassificationTask(train: unlabeled, validation: nil) }
    }
}
