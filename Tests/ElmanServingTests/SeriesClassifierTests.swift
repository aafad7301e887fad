import Elman
import Foundation
import XCTest
@testable import ElmanServing

/// A classifier of real-valued series over the protocol: SERIES [N, T, D] (step-major) in, the library's own
/// `classify(series:)` of the same series (channel-major) out, and its errors by name.
final class SeriesClassifierTests: XCTestCase {
    func served(_ model: TrainedModel, limits: ServeLimits = ServeLimits()) throws -> ServedModel {
        let m = try ServedModel(name: "m", model: model, limits: limits)
        addTeardownBlock { m.shutdown() }
        return m
    }

    /// Series k's value at step s of channel c: channels far apart, so that reading one as another shows.
    static func value(_ k: Int, _ s: Int, _ c: Int) -> Double { Double(c) * 10 + sin(Double(s) / 2 + Double(k)) * Double(c + 1) + Double(s % 3) * 0.1 }

    /// A JSON body of N series of T steps and D channels, nested [N][T][D] as a client writes it.
    static func request(n: Int, t: Int, d: Int, parameters: String = "") -> [UInt8] {
        let data = (0..<n).map { k in "[" + (0..<t).map { s in "[" + (0..<d).map { c in "\(value(k, s, c))" }.joined(separator: ",") + "]" }
            .joined(separator: ",") + "]" }.joined(separator: ",")
        let params = parameters.isEmpty ? "" : ",\"parameters\":{\(parameters)}"
        return Array("{\"inputs\":[{\"name\":\"SERIES\",\"datatype\":\"FP32\",\"shape\":[\(n),\(t),\(d)],\"data\":[\(data)]}]\(params)}".utf8)
    }

    /// The same series as the library reads them: channel by channel.
    static func examples(n: Int, t: Int, d: Int) -> [LabeledSeries.Example] {
        (0..<n).map { k in LabeledSeries.Example(values: (0..<d).flatMap { c in (0..<t).map { s in value(k, s, c) } }, length: t, label: nil, line: k + 1) }
    }

    func testProbabilitiesAndLabelsEqualClassifySeries() async throws {
        for (labels, channels, bidirectional) in [(["neg", "pos"], 2, true), (["x", "y", "z"], 3, true), (["x", "y", "z"], 2, false)] {
            let model = try Models.seriesClassifier(labels: labels, channels: channels, bidirectional: bidirectional)
            let (n, t) = (4, 11)  // 11 steps in windows of 3: the first window padded
            let response = try await served(model).infer(InferRequest(body: Self.request(n: n, t: t, d: channels), headerLength: nil))
            XCTAssertEqual(response.outputs.map(\.name), ["LABEL", "PROBABILITIES"])
            XCTAssertEqual(response.outputs.map(\.shape), [[n], [n, labels.count]])
            let got = try XCTUnwrap(fp32(response, "PROBABILITIES"))
            let expected = try model.classify(series: Self.examples(n: n, t: t, d: channels))
            for k in 0..<n {
                XCTAssertTrue(close(Array(got[(k * labels.count)..<((k + 1) * labels.count)]), expected[k], 1e-5), "\(labels) series \(k)")
                XCTAssertEqual(strings(response, "LABEL")?[k], model.ranked(expected[k]).first?.label)
            }
            // The answers differ between series: the check above compares something.
            XCTAssertNotEqual(expected[0], expected[1])
        }
    }

    func testOneSeriesAloneEqualsItInABatchAndFP64EqualsFP32() async throws {
        let model = try Models.seriesClassifier(labels: ["x", "y", "z"])
        let m = try served(model)
        let three = try await m.infer(InferRequest(body: Self.request(n: 3, t: 8, d: 2), headerLength: nil))
        let alone = try await m.infer(InferRequest(body: Self.request(n: 1, t: 8, d: 2), headerLength: nil))
        let batch = try XCTUnwrap(fp32(three, "PROBABILITIES")), one = try XCTUnwrap(fp32(alone, "PROBABILITIES"))
        XCTAssertTrue(close(one, Array(batch[0..<3]), 1e-6))
        // FP64 through the binary extension: the values as sent, little-endian.
        let values = (0..<8).flatMap { s in (0..<2).map { c in Self.value(0, s, c) } }
        let header = #"{"inputs":[{"name":"SERIES","datatype":"FP64","shape":[1,8,2],"parameters":{"binary_data_size":128}}]}"#
        let bytes = values.flatMap { v in (0..<8).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * UInt64($0))) } }
        let binary = try await m.infer(InferRequest(body: Array(header.utf8) + bytes, headerLength: "\(header.utf8.count)"))
        XCTAssertTrue(close(try XCTUnwrap(fp32(binary, "PROBABILITIES")), one, 1e-6))
    }

    func testErrorsNameTheElementTheChannelsAndTheShape() async throws {
        let m = try served(try Models.seriesClassifier(labels: ["neg", "pos"]))
        let cases: [(String, String)] = [
            (#"{"inputs":[{"name":"SERIES","datatype":"FP32","shape":[1,2,3],"data":[1,2,3,4,5,6]}]}"#,
             "inputs[0] (SERIES) has 3 channels in its last dimension; model m reads 2 (shape [N, T, 2])"),
            (#"{"inputs":[{"name":"SERIES","datatype":"FP32","shape":[0,5,2],"data":[]}]}"#,
             "inputs[0] (SERIES) has shape [0, 5, 2]; expected at least one series of one step"),
            (#"{"inputs":[{"name":"SERIES","datatype":"FP32","shape":[2,0,2],"data":[]}]}"#,
             "inputs[0] (SERIES) has shape [2, 0, 2]; expected at least one series of one step"),
            (#"{"inputs":[{"name":"SERIES","datatype":"BYTES","shape":[1,1,2],"data":["a","b"]}]}"#,
             "inputs[0] (SERIES) has datatype BYTES; expected FP32 (or FP64)"),
            (#"{"inputs":[{"name":"SERIES","datatype":"FP32","shape":[2,2],"data":[1,2,3,4]}]}"#,
             "inputs[0] (SERIES) has shape [2, 2]; expected 3 dimensions, [-1, -1, 2]"),
            (#"{"inputs":[{"name":"TEXT","datatype":"BYTES","shape":[1],"data":["ab"]}]}"#,
             "inputs[0].name is \"TEXT\"; model m reads one input, SERIES (FP32, shape [-1, -1, 2])"),
            (#"{"inputs":[{"name":"SERIES","datatype":"FP32","shape":[1,1,2],"data":[1,2]}],"parameters":{"sequence_id":3,"sequence_start":true}}"#,
             "parameters.sequence_id is for language models; model m is a classifier of real-valued series"),
            (#"{"inputs":[{"name":"SERIES","datatype":"FP32","shape":[1,1,2],"data":[1,2]}],"outputs":[{"name":"FORECAST"}]}"#,
             "outputs[0].name is \"FORECAST\"; model m's outputs are LABEL, PROBABILITIES"),
        ]
        for (body, message) in cases {
            do {
                _ = try await m.infer(InferRequest(body: Array(body.utf8), headerLength: nil))
                XCTFail("accepted: \(body)")
            } catch let e as ServeError {
                XCTAssertEqual(e.status, 400, body)
                XCTAssertEqual(e.message, message, body)
            }
        }
        // NaN and infinity (JSON has neither): FP32 in the binary section; element 5 is series 1, step 0, channel 1.
        for (bad, shown) in [(Float.nan, "nan"), (-Float.infinity, "-inf")] {
            var values: [Float] = [1, 2, 3, 4, 5, 6, 7, 8]
            values[5] = bad
            let header = #"{"inputs":[{"name":"SERIES","datatype":"FP32","shape":[2,2,2],"parameters":{"binary_data_size":32}}]}"#
            let bytes = values.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * UInt32($0))) } }
            do {
                _ = try await m.infer(InferRequest(body: Array(header.utf8) + bytes, headerLength: "\(header.utf8.count)"))
                XCTFail("accepted \(bad)")
            } catch let e as ServeError {
                XCTAssertEqual(e.message, "SERIES[1][0][1] (element 5) is \(shown); expected a finite number")
            }
        }
        do {
            _ = try GenerateRequest(body: Array(#"{"text_input":"a"}"#.utf8), for: m)
            XCTFail("generate accepted")
        } catch let e as ServeError {
            XCTAssertEqual(e.message, "generate needs a language model; model m is a classifier of real-valued series (use infer)")
        }
    }

    func testRequestsAreBoundedBeforeAnythingIsComputed() async throws {
        var limits = ServeLimits()
        limits.maxOutputValues = 9
        limits.maxSteps = 40
        let m = try served(try Models.seriesClassifier(labels: ["x", "y", "z"]), limits: limits)
        _ = try await m.infer(InferRequest(body: Self.request(n: 3, t: 5, d: 2), headerLength: nil))  // 3 × 3 values, 15 steps
        let cases: [([UInt8], String)] = [
            (Self.request(n: 4, t: 5, d: 2), "SERIES has 4 series; the answer would hold 4 × 3 values, more than 9 (send at most 3 series per request)"),
            (Self.request(n: 2, t: 21, d: 2), "SERIES holds 2 series × 21 steps, more than the 40 steps one request may send"),
        ]
        for (body, message) in cases {
            do {
                _ = try await m.infer(InferRequest(body: body, headerLength: nil))
                XCTFail("accepted: \(message)")
            } catch let e as ServeError {
                XCTAssertEqual(e.message, message)
            }
        }
    }

    func testMetadataNamesTheKindChannelsAndLabels() throws {
        let m = try served(try Models.seriesClassifier(labels: ["x", "y", "z"], channels: 3))
        XCTAssertEqual(m.kind, .seriesClassifier)
        let json = String(decoding: encodeJSON(m.metadata), as: UTF8.self)
        XCTAssertEqual(json, #"{"channels":3,"inputs":[{"datatype":"FP32","name":"SERIES","shape":[-1,-1,3]}],"kind":"series_classifier","labels":["x","y","z"],"name":"m","outputs":[{"datatype":"BYTES","name":"LABEL","shape":[-1]},{"datatype":"FP32","name":"PROBABILITIES","shape":[-1,3]}],"platform":"elman","versions":["1"]}"#)
    }
}
