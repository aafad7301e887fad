import Elman
import Foundation
import XCTest
@testable import ElmanServing

/// Stateful sequences (Triton's sequence batcher) and the generate extension.
final class SequenceAndGenerationTests: XCTestCase {
    func request(_ text: String, _ parameters: String, outputs: [String]? = nil) throws -> InferRequest {
        try InferRequest(body: Models.textRequest([text], outputs: outputs, parameters: parameters), headerLength: nil)
    }

    /// A text sent in chunks of one sequence gives what the whole text gives at once: the next-symbol
    /// distribution, and the loss over the same predicted symbols.
    func testChunksOfASequenceEqualTheWholeText() async throws {
        let model = try Models.languageModel()
        let m = try ServedModel(name: "lm", model: model)
        defer { m.shutdown() }
        let chunks = ["abc", "a", " cab\n", "bb"]
        var lossTotal = 0.0
        var last: InferResponse?
        for (k, chunk) in chunks.enumerated() {
            let r = try await m.infer(request(chunk, #""sequence_id":"s1","sequence_start":\#(k == 0),"sequence_end":\#(k == chunks.count - 1)"#))
            let predicted = chunk.count - (k == 0 ? 1 : 0)
            lossTotal += Double(try XCTUnwrap(fp32(r, "LOSS"))[0]) * Double(predicted)
            last = r
        }
        let whole = try await m.infer(request(chunks.joined(), ""))
        XCTAssertTrue(close(try XCTUnwrap(fp32(try XCTUnwrap(last), "NEXT_PROBABILITIES")), try XCTUnwrap(fp32(whole, "NEXT_PROBABILITIES")), 1e-5))
        let n = Double(chunks.joined().count - 1)
        XCTAssertEqual(lossTotal / n, Double(try XCTUnwrap(fp32(whole, "LOSS"))[0]), accuracy: 1e-5)
        XCTAssertEqual(m.sequences.count, 0, "sequence_end forgets the sequence")
    }

    func testSequenceLifecycleErrors() async throws {
        var limits = ServeLimits()
        limits.maxSequences = 2
        limits.sequenceIdleTimeout = .milliseconds(100)
        let m = try ServedModel(name: "lm", model: try Models.languageModel(), limits: limits)
        defer { m.shutdown() }
        func status(_ r: InferRequest) async -> (Int, String)? {
            do { _ = try await m.infer(r); return nil } catch let e as ServeError { return (e.status, e.message) } catch { return (0, "\(error)") }
        }
        let never = await status(try request("ab", #""sequence_id":9"#))
        XCTAssertEqual(never?.0, 400)
        XCTAssertTrue(never?.1.hasPrefix("parameters.sequence_id 9 is not a live sequence") == true, never?.1 ?? "")
        _ = try await m.infer(request("ab", #""sequence_id":1,"sequence_start":true"#))
        _ = try await m.infer(request("ab", #""sequence_id":2,"sequence_start":true"#))
        let full = await status(try request("ab", #""sequence_id":3,"sequence_start":true"#))
        XCTAssertEqual(full?.0, 503)
        let endWithoutID = await status(try request("ab", #""sequence_end":true"#))
        XCTAssertEqual(endWithoutID?.1, "parameters.sequence_start/sequence_end need a sequence_id")
        let negative = await status(try request("ab", #""sequence_id":-4"#))
        XCTAssertEqual(negative?.1, "parameters.sequence_id is -4; expected an integer in 1...18446744073709551615 or a string of at most 256 bytes")
        let first = await status(try request("ab", #""sequence_id":7,"sequence_start":true"#))
        XCTAssertEqual(first?.0, 503, "still full")
        try await Task.sleep(for: .milliseconds(150))  // idle sequences expire
        let oneSymbol = await status(try request("a", #""sequence_id":7,"sequence_start":true"#))
        XCTAssertEqual(oneSymbol?.1, "TEXT has 1 symbol and starts its sequence; LOSS needs a symbol to predict (ask for NEXT_PROBABILITIES alone)")
        _ = try await m.infer(request("a", #""sequence_id":7,"sequence_start":true"#, outputs: ["NEXT_PROBABILITIES"]))
        _ = try await m.infer(request("b", #""sequence_id":7"#))  // one symbol, predicted from the previous request's
        XCTAssertEqual(m.sequences.count, 1)
        // Ids as Triton's: any uint64, and the number 18 and the string "18" are two sequences.
        try await Task.sleep(for: .milliseconds(150))
        _ = try await m.infer(request("ab", #""sequence_id":18446744073709551615,"sequence_start":true"#))
        _ = try await m.infer(request("ab", #""sequence_id":18446744073709551615"#))
        let text = await status(try request("ab", #""sequence_id":"18446744073709551615""#))
        XCTAssertEqual(text?.0, 400, "the string id is not the number's sequence")
    }

    func testGenerateEqualsTheLibraryAndRefusesBadParameters() async throws {
        let model = try Models.languageModel()
        let m = try ServedModel(name: "lm", model: model)
        defer { m.shutdown() }
        let body = #"{"text_input":"ab","parameters":{"max_tokens":40,"temperature":0.7,"top_k":3,"seed":42}}"#
        let text = try await m.generate(GenerateRequest(body: Array(body.utf8), for: m))
        XCTAssertEqual(text, try model.generate(prime: "ab", length: 40, temperature: 0.7, topK: 3, seed: 42))
        XCTAssertFalse(text.isEmpty)
        let flat = #"{"id":"g1","text_input":"ab","max_tokens":40,"temperature":0.7,"top_k":3,"seed":42}"#  // Triton's flat form
        let flatRequest = try GenerateRequest(body: Array(flat.utf8), for: m)
        XCTAssertEqual(flatRequest.id, "g1")
        let flatText = try await m.generate(flatRequest)
        XCTAssertEqual(flatText, text)

        let cases: [(String, String)] = [
            (#"{"text_input":"a","parameters":{"max_tokens":10001}}"#, "parameters.max_tokens is 10001; expected an integer in 0...10000"),
            (#"{"text_input":"a","parameters":{"temperature":-1}}"#, "parameters.temperature is -1; expected a number ≥ 0.0"),
            (#"{"text_input":"a","parameters":{"top_k":1.5}}"#, "parameters.top_k is 1.5; expected an integer ≥ 0"),
            (#"{"text_input":"a","parameters":{"max_token":5}}"#, "parameters.max_token is not a generate parameter; expected max_tokens, temperature, top_k, seed"),
            (#"{"prompt":"a"}"#, "\"prompt\" is not a field of a generate request; expected text_input, id, parameters, and max_tokens, temperature, top_k, seed beside them or in parameters"),
            (#"{"text_input":"a","seed":1,"parameters":{"seed":2}}"#, "seed is given twice, beside text_input and in parameters"),
            (#"{"text_input":5}"#, "text_input is a number; expected a string (the prompt, may be empty)"),
            (#"[1]"#, "the request body is not a generate request (the top level is not an object); expected {\"text_input\": \"…\", \"parameters\": {…}}"),
        ]
        for (body, message) in cases {
            XCTAssertThrowsError(try GenerateRequest(body: Array(body.utf8), for: m), body) {
                XCTAssertEqual(($0 as? ServeError)?.message, message, body)
            }
        }
    }

    /// A stream whose reader goes away stops its generation: the thread ends, the count returns to zero, and a
    /// bounded number run at once.
    func testCancelledStreamsStopAndAreBounded() async throws {
        var limits = ServeLimits()
        limits.maxGenerations = 3
        let m = try ServedModel(name: "lm", model: try Models.languageModel(hidden: 64), limits: limits)
        defer { m.shutdown() }
        let request = try GenerateRequest(body: Array(#"{"text_input":"a","parameters":{"max_tokens":10000}}"#.utf8), for: m)
        let running = try (0..<3).map { _ in try m.generateStream(request) }
        XCTAssertThrowsError(try m.generateStream(request)) { XCTAssertEqual(($0 as? ServeError)?.status, 503) }
        for g in running {
            var it = g.pieces.makeAsyncIterator()
            _ = try await it.next()  // it started
            g.cancel()
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while m.activeGenerations > 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        XCTAssertEqual(m.activeGenerations, 0, "cancelled generations still running")
        _ = try m.generateStream(request).cancel()
    }
}
