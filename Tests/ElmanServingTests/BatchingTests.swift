import Elman
import Foundation
import XCTest
@testable import ElmanServing

/// Dynamic batching and chunking change which kernels run, never the answers.
final class BatchingTests: XCTestCase {
    /// Texts of many lengths, some longer than the others' chunks.
    static func texts(_ count: Int, seed: UInt64) -> [String] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            String((0..<(1 + Int(g.next() % 40))).map { _ in Array("abc \né")[Int(g.next() % 6)] })
        }
    }

    /// Chunks of time with the state carried, finished sequences dropped between chunks: the same numbers as one
    /// pass over everything (and as each sequence alone).
    func testChunkedReadingEqualsOnePass() throws {
        for model in [try Models.languageModel(layers: 2), try Models.classifier(labels: ["x", "y", "z"], layers: 2)] {
            let sequences = try Self.texts(12, seed: 5).map { try model.vocabulary.encode($0) }
            let whole = try TextBatch(model).run(sequences)
            for budget in [1, 7, 30, 64] {
                let chunked = try TextBatch(model, cellBudget: budget).run(sequences)
                for (a, b) in zip(chunked, whole) {
                    XCTAssertTrue(close(a.probabilities, b.probabilities, 1e-6), "budget \(budget)")
                    XCTAssertEqual(a.loss ?? 0, b.loss ?? 0, accuracy: 1e-5 * max(1, b.loss ?? 0))
                }
            }
            for (k, sequence) in sequences.enumerated() {
                let alone = try TextBatch(model).run([sequence])[0]
                XCTAssertTrue(close(alone.probabilities, whole[k].probabilities, 1e-6))
            }
        }
    }

    /// A burst of concurrent requests is merged into engine batches (the model's batch report says so) and every
    /// answer equals the same request served alone with batching off.
    func testBurstEqualsEachAlone() async throws {
        let model = try Models.languageModel(layers: 2)
        let largest = Locked(0)
        var batched = ServeLimits()
        batched.maxBatch = 64
        batched.maxQueueDelay = .milliseconds(20)
        batched.workers = 1
        let merged = try ServedModel(name: "b", model: model, limits: batched) { sequences, _ in largest.withLock { $0 = max($0, sequences) } }
        var single = ServeLimits()
        single.maxBatch = 1
        let alone = try ServedModel(name: "a", model: model, limits: single)
        defer { merged.shutdown(); alone.shutdown() }

        let requests = (0..<24).map { k in Self.texts(1 + k % 3, seed: UInt64(100 + k)).map { $0 + "ab" } }
        let burst = try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
            for (k, texts) in requests.enumerated() {
                group.addTask {
                    let r = try await merged.infer(InferRequest(body: Models.textRequest(texts), headerLength: nil))
                    return (k, (fp32(r, "NEXT_PROBABILITIES") ?? []) + (fp32(r, "LOSS") ?? []))
                }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        XCTAssertGreaterThan(largest.withLock { $0 }, 3, "the burst was never merged into a batch")
        for (k, texts) in requests.enumerated() {
            let r = try await alone.infer(InferRequest(body: Models.textRequest(texts), headerLength: nil))
            XCTAssertTrue(close(burst[k] ?? [], (fp32(r, "NEXT_PROBABILITIES") ?? []) + (fp32(r, "LOSS") ?? []), 1e-6), "request \(k)")
        }
    }

    /// A full queue answers 503 at once; a request that waited past the timeout answers 503 when a worker takes it.
    func testFullQueueAndTimeoutAre503() async throws {
        var limits = ServeLimits()
        limits.maxQueue = 1
        limits.requestTimeout = .milliseconds(50)
        let m = try ServedModel(name: "q", model: try Models.classifier(labels: ["a", "b"]), limits: limits, onBatch: { _, _ in },
                                startWorkers: false)
        defer { m.shutdown() }
        let first = Task { try await m.infer(InferRequest(body: Models.textRequest(["ab"]), headerLength: nil)) }
        while m.queueDepth == 0 { try await Task.sleep(for: .milliseconds(1)) }
        do {
            _ = try await m.infer(InferRequest(body: Models.textRequest(["ab"]), headerLength: nil))
            XCTFail("a full queue took a request")
        } catch let e as ServeError {
            XCTAssertEqual(e, ServeError.overloaded("1 requests are queued for this model (--max-queue); retry later"))
            XCTAssertEqual(e.retryAfter, 1)
        }
        try await Task.sleep(for: .milliseconds(80))
        m.startWorkers()
        do {
            _ = try await first.value
            XCTFail("a request answered after waiting past the timeout")
        } catch let e as ServeError {
            XCTAssertEqual(e.status, 503)
            XCTAssertTrue(e.message.hasSuffix("in the queue, longer than --request-timeout"), e.message)
        }
        let after = try await m.infer(InferRequest(body: Models.textRequest(["ab"]), headerLength: nil))
        XCTAssertEqual(after.outputs.count, 2)
    }
}
