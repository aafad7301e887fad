import Foundation
import Testing
@testable import Elman

/// ``TrainingRun``: the loop both tasks share, its files, and a history that survives interrupts and resumes.
@Suite struct TrainingRunTests {
    static func directory(_ name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("elman-run-\(name)-\(getpid())").path
        try? FileManager.default.removeItem(atPath: path)
        return path
    }

    static func languageTask() throws -> LanguageModelTask {
        let text = ReberGrammar.corpus(strings: 300, seed: 1)
        let vocabulary = Vocabulary.build(from: text, level: .char)
        let tokens = try vocabulary.encode(text)
        return try LanguageModelTask(vocabulary: vocabulary, train: Array(tokens[..<3000]), validation: Array(tokens[3000...]))
    }

    static func options(steps: Int, evalEvery: Int) -> TrainingOptions {
        var o = TrainingOptions()
        o.hidden = 12
        o.seq = 8
        o.batch = 4
        o.steps = steps
        o.evalEvery = evalEvery
        o.lr = 1e-2
        return o
    }

    /// Interrupted at a step that is neither logged nor validated, then resumed from the checkpoint: the same
    /// weights, checkpoint bytes and history as a run that was never interrupted.
    @Test func anInterruptedRunResumesToTheSameWeightsAndHistory() throws {
        let straightDirectory = try Self.directory("straight"), splitDirectory = try Self.directory("split")
        defer { for d in [straightDirectory, splitDirectory] { try? FileManager.default.removeItem(atPath: d) } }
        let straight = try TrainingRun(Trainer(options: Self.options(steps: 60, evalEvery: 20), task: Self.languageTask()),
                                       directory: straightDirectory)
        #expect(try straight.run() == .finished)

        let first = try TrainingRun(Trainer(options: Self.options(steps: 60, evalEvery: 20), task: Self.languageTask()),
                                    directory: splitDirectory)
        var asked = 0
        first.stopRequested = {
            asked += 1
            return asked == 28 ? 2 : nil  // before step 28: past validation 20 and log line 27 (every evalEvery/20 = 1)
        }
        #expect(try first.run() == .interrupted(signal: 2))
        #expect(first.trainer.step == 27)
        #expect(FileIO.exists(first.reportPath) && FileIO.exists(first.modelPath))
        // A later run went on past the checkpoint and crashed: its lines beyond the checkpoint must go.
        try FileIO.append(Array(#"{"kind":"train","step":99,"items":1,"wall_time":0,"loss":1}"#.utf8) + [10], to: first.metricsPath)

        let checkpoint = try SafeTensorsFile.read(first.checkpointPath)
        let resumed = try Trainer(resuming: checkpoint, task: Self.languageTask(), name: "last")
        let second = try TrainingRun(resumed, directory: splitDirectory, resumedFrom: checkpoint)
        #expect(try second.run() == .finished)
        #expect(resumed.params.values == straight.trainer.params.values)
        #expect(try FileIO.read(second.checkpointPath) == FileIO.read(straight.checkpointPath))
        func history(_ path: String) throws -> [MetricsRecord] {
            try MetricsLog.read(path).map { var r = $0; r.wallTime = 0; r.itemsPerSecond = nil; return r }
        }
        let a = try history(straight.metricsPath), b = try history(second.metricsPath)
        #expect(a == b)
        #expect(a.filter { $0.kind == .train }.map(\.step) == Array(1...60))
        #expect(a.filter { $0.kind == .validation }.map(\.step) == [20, 40, 60])
        #expect(try String(contentsOfFile: second.reportPath, encoding: .utf8).contains("<polyline"))
    }

    /// The classifier's model.safetensors is the one with the best validation loss, not the best accuracy, and
    /// early stopping counts validations since it.
    @Test func theBestModelIsChosenByValidationLossAndPatienceStopsTheRun() throws {
        let data = try LabeledSequences.parse(LabeledSequences.parity(count: 200, maxLength: 6, seed: 4), name: "p", level: .char)
        let task = try ClassificationTask(labels: data.labels, vocabulary: data.vocabulary, train: Array(data.examples[..<150]),
                                          validation: Array(data.examples[150...]))
        var o = Self.options(steps: 400, evalEvery: 10)
        o.lr = 0.2  // large enough that the validation loss goes up and down
        let directory = try Self.directory("best")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try TrainingRun(Trainer(options: o, task: task), directory: directory)
        run.patience = 3
        var validations: [ValidationEvent] = []
        run.observer = { if case .validation(let v) = $0 { validations.append(v) } }
        let outcome = try run.run()
        let losses = validations.compactMap { $0.score?.loss }
        let best = try #require(run.trainer.best)
        #expect(best.score.loss == losses.min())
        #expect(validations.filter(\.isBest).last?.step == best.step)
        let saved = try TrainedModel.load(run.modelPath)
        let rescored = try ClassificationTask.score(saved.params, task.validation)
        #expect(abs(rescored.loss - best.score.loss) < 1e-9)
        if outcome == .stoppedEarly {
            #expect(validations.suffix(3).allSatisfy { !$0.isBest })
            #expect(run.trainer.step < 400)
        } else {
            #expect(run.trainer.step == 400)
        }
    }

    @Test func metricsLogSkipsATornLastLineAndNamesAnyOtherBadLine() throws {
        let directory = try Self.directory("log")
        try FileIO.createDirectory(directory)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/metrics.jsonl"
        var log = try MetricsLog(path: path, keepingThrough: 0)
        try log.append(MetricsRecord(kind: .train, step: 1, items: 10, wallTime: 5, loss: 2.5))
        try FileIO.append(Array(#"{"kind":"train","st"#.utf8), to: path)
        #expect(try MetricsLog.read(path).map(\.step) == [1])
        try FileIO.writeAtomically(Array("not json\n".utf8) + (try FileIO.read(path)), to: path)
        #expect(throws: ElmanError.self) { try MetricsLog.read(path) }
    }

    /// TFRecord framing: CRC-32C's check value, and a record parsed back by its lengths and checksums.
    @Test func tensorBoardRecordsAreFramedWithMaskedCRC32C() throws {
        #expect(TensorBoardEvents.crc32c(Array("123456789".utf8)) == 0xe306_9283)
        let record = TensorBoardEvents.record([1, 2, 3])
        #expect(record.count == 8 + 4 + 3 + 4)
        #expect(Array(record[0..<8]) == [3, 0, 0, 0, 0, 0, 0, 0])
        let lengthCRC = record[8..<12].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * $1.offset) }
        #expect(lengthCRC == TensorBoardEvents.maskedCRC(Array(record[0..<8])))
        #expect(lengthCRC != TensorBoardEvents.crc32c(Array(record[0..<8])))
    }
}

@Suite struct OptionErrorTests {
    /// Library errors speak of TrainingOptions' properties and list them, so that a front end can name its own flags.
    @Test func optionErrorsNameTheParameterNotAFlag() throws {
        var o = TrainingOptions()
        o.evalEvery = 0
        let error = try #require(#expect(throws: ElmanError.self) { try o.validate() })
        #expect(error.message == "evalEvery is 0; expected a positive integer")
        #expect(error.parameters == ["evalEvery"])
        o.evalEvery = 1
        o.hidden = 1 << 40
        let memory = try #require(#expect(throws: ElmanError.self) { try o.checkMemory(inputSize: 10, outputSize: 10) })
        #expect(memory.parameters == ["hidden", "seq", "batch"] && !memory.message.contains("--"))
    }
}
