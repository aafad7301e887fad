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

    /// CRC-32C bit by bit (reflected polynomial 0x82F63B78), written apart from the table-driven one under test.
    static func bitwiseCRC32C<S: Sequence<UInt8>>(_ bytes: S) -> UInt32 {
        var c: UInt32 = 0xffff_ffff
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = (c >> 1) ^ (c & 1 == 0 ? 0 : 0x82f6_3b78) }
        }
        return ~c
    }

    /// TFRecord's mask (tensorflow/core/lib/hash/crc32c.h): rotate right by 15 bits, add 0xa282ead8.
    static func masked(_ crc: UInt32) -> UInt32 { (crc >> 15 | crc << 17) &+ 0xa282_ead8 }

    /// The records of a TFRecord stream, each checked as TensorFlow's reader checks it (length, masked CRC-32C
    /// of the length, data, masked CRC-32C of the data); `bad` is the offset of the first record that fails.
    static func records(_ bytes: [UInt8]) -> (records: [[UInt8]], bad: Int?) {
        func u64(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * $1) } }
        func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * $1) } }
        var out: [[UInt8]] = [], at = 0
        while at < bytes.count {
            guard bytes.count - at >= 12, masked(bitwiseCRC32C(bytes[at..<(at + 8)])) == u32(at + 8) else { return (out, at) }
            let length = u64(at)
            guard length <= UInt64(bytes.count - at - 16) else { return (out, at) }
            let data = Array(bytes[(at + 12)..<(at + 12 + Int(length))])
            guard masked(bitwiseCRC32C(data)) == u32(at + 12 + data.count) else { return (out, at) }
            out.append(data)
            at += 16 + data.count
        }
        return (out, nil)
    }

    /// CRC-32C against published check values (the CRC catalogue's "123456789"; RFC 3720 B.4's 32-byte
    /// vectors) and a bitwise CRC; the masked CRC against TensorFlow's mask; then an event file read back
    /// record by record: its CRCs hold, its events hold the step, tags and values, and a file with any one
    /// byte changed fails the check.
    @Test func tensorBoardRecordsAreFramedWithMaskedCRC32C() throws {
        #expect(TensorBoardEvents.crc32c(Array("123456789".utf8)) == 0xe306_9283)
        #expect(TensorBoardEvents.crc32c([UInt8](repeating: 0, count: 32)) == 0x8a91_36aa)
        #expect(TensorBoardEvents.crc32c([UInt8](repeating: 0xff, count: 32)) == 0x62a8_ab43)
        #expect(TensorBoardEvents.crc32c((0..<32).map(UInt8.init)) == 0x46dd_794e)
        #expect(TensorBoardEvents.crc32c((0..<32).reversed().map(UInt8.init)) == 0x113f_db5c)
        #expect(TensorBoardEvents.crc32c([]) == 0)
        var g = SeededGenerator(seed: 8)
        for length in [1, 3, 7, 8, 63, 300] {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: g.next()) }
            #expect(TensorBoardEvents.crc32c(bytes) == Self.bitwiseCRC32C(bytes), "length \(length)")
            #expect(TensorBoardEvents.maskedCRC(bytes) == Self.masked(Self.bitwiseCRC32C(bytes)), "length \(length)")
        }
        let record = TensorBoardEvents.record([1, 2, 3])
        #expect(record == [3, 0, 0, 0, 0, 0, 0, 0] + Self.le(Self.masked(0x576c_35e3)) + [1, 2, 3]
            + Self.le(Self.masked(Self.bitwiseCRC32C([1, 2, 3]))))
        #expect(Self.bitwiseCRC32C([3, 0, 0, 0, 0, 0, 0, 0]) == 0x576c_35e3)

        let directory = try Self.directory("events")
        try FileIO.createDirectory(directory)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let events = try TensorBoardEvents(directory: directory, wallTime: 1_700_000_000.5)
        try events.add([(tag: "loss", value: 2.5), (tag: "lr", value: 0.25)], step: 300, wallTime: 1_700_000_001)
        let bytes = try FileIO.read(events.path)
        let (read, bad) = Self.records(bytes)
        #expect(bad == nil && read.count == 2)
        // Event { wall_time = 1 (fixed64), file_version = 3 (string) }, then { wall_time, step = 2 (varint),
        // summary = 5 { value = 1 { tag = 1, simple_value = 2 (fixed32) } … } }.
        #expect(read.first == [0x09] + Self.le(Double(1_700_000_000.5).bitPattern) + [0x1a, 13] + Array("brain.Event:2".utf8))
        let loss: [UInt8] = [0x0a, 4] + Array("loss".utf8) + [0x15] + Self.le(Float(2.5).bitPattern)
        let lr: [UInt8] = [0x0a, 2] + Array("lr".utf8) + [0x15] + Self.le(Float(0.25).bitPattern)
        let summary: [UInt8] = [0x0a, UInt8(loss.count)] + loss + [0x0a, UInt8(lr.count)] + lr
        #expect(read.last == [0x09] + Self.le(Double(1_700_000_001).bitPattern) + [0x10, 0xac, 0x02]  // 300 as a varint
            + [0x2a, UInt8(summary.count)] + summary)
        for i in bytes.indices {
            var corrupted = bytes
            corrupted[i] ^= 0x04
            #expect(Self.records(corrupted).bad != nil, "byte \(i) changed, not detected")
        }
    }

    static func le<I: FixedWidthInteger>(_ x: I) -> [UInt8] { withUnsafeBytes(of: x.littleEndian) { Array($0) } }
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
