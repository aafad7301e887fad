import Dispatch
import Foundation
import Testing
@testable import Elman

/// One ``TrainedModel`` shared by eight threads: every thread's predictions, generated text, class ranking and
/// session state equal what one thread computes alone, bit for bit. CI runs this under ThreadSanitizer too, which
/// reports any two threads touching the same memory.
@Suite struct SharedModelTests {
    struct Results: Equatable, Sendable {
        var next: [Float]
        var generated: String
        var sessionNext: [Float]
        var sessionState: [Float]
        var ranking: [String]
        var rankingProbabilities: [Float]
    }

    static func results(_ lm: TrainedModel, _ classifier: TrainedModel, thread i: Int) throws -> Results {
        let text = ["BTSX", "BPVV", "BTXXT", "BPTTV"][i % 4]
        var state = lm.initialState()
        let next = try lm.predict(text, state: &state)
        let generated = try lm.generate(prime: "B", length: 60, temperature: 0.9, seed: UInt64(i))
        let session = lm.session()
        _ = try session.predict(String(text.prefix(2)))
        let sessionNext = try session.predict(String(text.dropFirst(2)))
        let ranked = try classifier.classify(["xyxy", "xyx", "yy", "xxyyx"][i % 4])
        return Results(next: next, generated: generated, sessionNext: sessionNext, sessionState: session.state.values,
                       ranking: ranked.map(\.label), rankingProbabilities: ranked.map(\.probability))
    }

    @Test func eightThreadsShareOneModelAndGetTheSingleThreadedResults() throws {
        let lm = try InferenceTests.languageModel(layers: 2)
        let classifier = try InferenceTests.classifier(labelCount: 3, steps: 10).model
        let alone = try (0..<8).map { try Self.results(lm, classifier, thread: $0) }
        #expect(Set(alone.map(\.generated)).count > 1)  // the threads' work differs, so a mix-up would show
        #expect(alone[0].next == alone[0].sessionNext)  // a session split in two parts gives the whole text's answer
        let shared = Locked<[Int: [Results]]>([:])
        let failures = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            do {
                for _ in 0..<3 {
                    let r = try Self.results(lm, classifier, thread: i)
                    shared.withLock { $0[i, default: []].append(r) }
                }
            } catch {
                failures.withLock { $0.append("thread \(i): \(error)") }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
        let together = shared.withLock { $0 }
        for i in 0..<8 {
            #expect(together[i]?.count == 3)
            for r in together[i] ?? [] { #expect(r == alone[i], "thread \(i) differs from the single-threaded result") }
        }
    }

    /// A session's state is its own: two sessions fed different texts do not see each other's symbols, and a reset
    /// session starts again from zeros.
    @Test func sessionsKeepTheirOwnState() throws {
        let lm = try InferenceTests.languageModel(layers: 1)
        let a = lm.session(), b = lm.session()
        let pa = try a.predict("BTSSX")
        _ = try b.predict("BPVPS")
        #expect(try a.predict("X") != (try b.predict("X")))
        var state = lm.initialState()
        #expect(try lm.predict("BTSSXX", state: &state) == (try lm.session().predict("BTSSXX")))
        #expect(a.state == state)
        a.reset()
        #expect(a.state == lm.initialState())
        #expect(try a.predict("BTSSX") == pa)
        #expect(throws: ElmanError.self) { try a.predict("") }
    }
}
