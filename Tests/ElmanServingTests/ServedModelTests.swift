import Elman
import Foundation
import XCTest
@testable import ElmanServing

/// `infer` on each kind of model equals the library's own inference (one symbol at a time, an independent path),
/// and the protocol's errors name what was wrong.
final class ServedModelTests: XCTestCase {
    func served(_ model: TrainedModel, limits: ServeLimits = ServeLimits()) throws -> ServedModel {
        let m = try ServedModel(name: "m", model: model, limits: limits)
        addTeardownBlock { m.shutdown() }
        return m
    }

    func testClassifierOutputsEqualClassify() async throws {
        for (labels, bidirectional) in [(["neg", "pos"], false), (["x", "y", "z"], false), (["neg", "pos"], true), (["x", "y", "z"], true)] {
            let model = try Models.classifier(labels: labels, bidirectional: bidirectional, layers: 2)
            let texts = ["abc", "a", "cab bac\nab", "ééa", "bbbbbbbbbbbbbbbbbbbbbbbbba"]
            let response = try await served(model).infer(InferRequest(body: Models.textRequest(texts), headerLength: nil))
            let probabilities = try XCTUnwrap(fp32(response, "PROBABILITIES"))
            XCTAssertEqual(response.outputs.map(\.shape), [[texts.count], [texts.count, labels.count]])
            for (k, text) in texts.enumerated() {
                let ranked = try model.classify(text)
                let expected = labels.map { label in ranked.first { $0.label == label }!.probability }
                XCTAssertTrue(close(Array(probabilities[(k * labels.count)..<((k + 1) * labels.count)]), expected, 1e-5), "\(labels) \(bidirectional) \(text)")
                XCTAssertEqual(strings(response, "LABEL")?[k], ranked[0].label)
            }
            XCTAssertEqual(response.parameters["unknown_symbols"], .int(0))
        }
    }

    func testLanguageModelNextProbabilitiesAndLoss() async throws {
        let model = try Models.languageModel()
        let texts = ["ab", "abc cab\n", "b", "a\u{1F600}c"]  // the emoji is not in the vocabulary: read as <unk>
        let response = try await served(model).infer(InferRequest(body: Models.textRequest(texts, outputs: ["NEXT_PROBABILITIES"]), headerLength: nil))
        let v = model.vocabulary.count
        let next = try XCTUnwrap(fp32(response, "NEXT_PROBABILITIES"))
        for (k, text) in texts.enumerated() {
            var state = model.initialState()
            XCTAssertTrue(close(Array(next[(k * v)..<((k + 1) * v)]), try model.predict(text, state: &state)), text)
        }
        XCTAssertEqual(response.parameters["unknown_symbols"], .int(1))
        XCTAssertNil(fp32(response, "LOSS"), "only the output asked for")

        let longer = ["abcab", "cc a\n"]
        let withLoss = try await served(model).infer(InferRequest(body: Models.textRequest(longer), headerLength: nil))
        let loss = try XCTUnwrap(fp32(withLoss, "LOSS"))
        for (k, text) in longer.enumerated() {  // −log p(next symbol), symbol by symbol through a session
            let ids = try model.vocabulary.encode(text)
            let session = model.session()
            var total = 0.0
            for i in 0..<(ids.count - 1) {
                let p = try session.predict(model.vocabulary.symbols[Int(ids[i])])
                total -= log(Double(p[Int(ids[i + 1])]))
            }
            XCTAssertEqual(Double(loss[k]), total / Double(ids.count - 1), accuracy: 1e-5 * max(1, total), text)
        }
    }

    func testRegressionForecastEqualsTheLibrarys() async throws {
        let model = try Models.regression()
        let history: [Double] = [0.1, 1, 0.3, 2.5, 0.2, 1.7]  // 1 series × 3 steps × 2 columns, then a second
        let body = #"{"inputs":[{"name":"SERIES","datatype":"FP32","shape":[2,3,2],"data":[0.1,1,0.3,2.5,0.2,1.7,1,1,1,1,1,1]}],"parameters":{"horizon":4}}"#
        let response = try await served(model).infer(InferRequest(body: Array(body.utf8), headerLength: nil))
        XCTAssertEqual(response.outputs.map(\.shape), [[2, 4, 2]])
        let got = try XCTUnwrap(fp32(response, "FORECAST"))
        for (k, values) in [history, [Double](repeating: 1, count: 6)].enumerated() {
            let expected = try model.forecast(history: NumericSeries(columns: ["x", "y"], values: values.map { Double(Float($0)) }), horizon: 4)
            XCTAssertTrue(close(Array(got[(k * 8)..<((k + 1) * 8)]), expected.values.map(Float.init)), "series \(k)")
        }
    }

    func testErrorsNameTheFieldAndWhatWasExpected() async throws {
        let lm = try served(try Models.languageModel())
        let classifier = try served(try Models.classifier(labels: ["neg", "pos"]))
        let regression = try served(try Models.regression())
        let cases: [(ServedModel, String, Int, String)] = [
            (lm, #"{"inputs":[{"name":"TXT","datatype":"BYTES","shape":[1],"data":["a"]}]}"#, 400,
             "inputs[0].name is \"TXT\"; model m reads one input, TEXT (BYTES, shape [-1])"),
            (lm, #"{"inputs":[{"name":"TEXT","datatype":"FP32","shape":[1],"data":[1]}]}"#, 400,
             "inputs[0] (TEXT) has datatype FP32; expected BYTES (UTF-8 text)"),
            (lm, #"{"inputs":[{"name":"TEXT","datatype":"BYTES","shape":[1,2],"data":["a","b"]}]}"#, 400,
             "inputs[0] (TEXT) has shape [1, 2]; expected 1 dimensions, [-1]"),
            (lm, #"{"inputs":[{"name":"TEXT","datatype":"BYTES","shape":[1],"data":[""]}]}"#, 400,
             "TEXT[0] is empty; expected at least one symbol"),
            (lm, #"{"inputs":[{"name":"TEXT","datatype":"BYTES","shape":[1],"data":["a"]}]}"#, 400,
             "TEXT[0] has 1 symbol; LOSS needs at least 2 (ask for NEXT_PROBABILITIES alone with outputs to read one symbol)"),
            (lm, #"{"inputs":[{"name":"TEXT","datatype":"BYTES","shape":[1],"data":["ab"]}],"outputs":[{"name":"LABEL"}]}"#, 400,
             "outputs[0].name is \"LABEL\"; model m's outputs are NEXT_PROBABILITIES, LOSS"),
            (lm, #"{"inputs":[{"name":"TEXT","datatype":"BYTES","shape":[1],"data":["ab\u00ff"]}],"parameters":{"strict":true}}"#, 400,
             "TEXT has 1 symbols the model never saw ('ÿ'); parameters.strict is true"),
            (classifier, #"{"inputs":[{"name":"TEXT","datatype":"BYTES","shape":[1],"data":["ab"]}],"parameters":{"sequence_id":4,"sequence_start":true}}"#, 400,
             "parameters.sequence_id is for language models; model m is a classifier"),
            (regression, #"{"inputs":[{"name":"SERIES","datatype":"FP32","shape":[1,2,3],"data":[1,2,3,4,5,6]}]}"#, 400,
             "inputs[0] (SERIES) has 3 columns in its last dimension; model m reads 2: x, y"),
            (regression, #"{"inputs":[{"name":"SERIES","datatype":"FP32","shape":[1,1,2],"data":[1,2]}],"parameters":{"horizon":0}}"#, 400,
             "parameters.horizon is 0; expected an integer in 1...10000"),
        ]
        for (model, body, status, message) in cases {
            do {
                _ = try await model.infer(InferRequest(body: Array(body.utf8), headerLength: nil))
                XCTFail("accepted: \(body)")
            } catch let e as ServeError {
                XCTAssertEqual(e.status, status, body)
                XCTAssertEqual(e.message, message, body)
            }
        }
        // Non-UTF-8 text through the binary extension (JSON cannot carry it).
        let header = #"{"inputs":[{"name":"TEXT","datatype":"BYTES","shape":[1],"parameters":{"binary_data_size":6}}]}"#
        let body = Array(header.utf8) + [2, 0, 0, 0, 0x61, 0xff]
        do {
            _ = try await lm.infer(InferRequest(body: body, headerLength: "\(header.utf8.count)"))
            XCTFail("accepted non-UTF-8 text")
        } catch let e as ServeError {
            XCTAssertEqual(e.message, "TEXT[0] is not UTF-8; expected UTF-8 text")
        }
    }

    func testMetadataCarriesTheTensorsAndLabels() throws {
        let classifier = try served(try Models.classifier(labels: ["x", "y", "z"]))
        let json = String(decoding: encodeJSON(classifier.metadata), as: UTF8.self)
        XCTAssertEqual(json, #"{"inputs":[{"datatype":"BYTES","name":"TEXT","shape":[-1]}],"kind":"classifier","labels":["x","y","z"],"level":"char","name":"m","outputs":[{"datatype":"BYTES","name":"LABEL","shape":[-1]},{"datatype":"FP32","name":"PROBABILITIES","shape":[-1,3]}],"platform":"elman","versions":["1"]}"#)
        let regression = try served(try Models.regression())
        XCTAssertEqual(regression.metadata.inputs, [TensorMetadata(name: "SERIES", datatype: "FP32", shape: [-1, -1, 2])])
        XCTAssertEqual(regression.metadata.targets, ["x", "y"])
    }
}

/// An answer's size is bounded before anything is computed.
final class OutputBoundTests: XCTestCase {
    func testTooManyTextsOrForecastValuesAre400() async throws {
        var limits = ServeLimits()
        limits.maxOutputValues = 9
        let classifier = try ServedModel(name: "c", model: try Models.classifier(labels: ["x", "y", "z"]), limits: limits)
        let regression = try ServedModel(name: "r", model: try Models.regression(), limits: limits)
        defer { classifier.shutdown(); regression.shutdown() }
        _ = try await classifier.infer(InferRequest(body: Models.textRequest(["a", "b", "c"]), headerLength: nil))  // 3 × 3 = 9
        do {
            _ = try await classifier.infer(InferRequest(body: Models.textRequest(["a", "b", "c", "a"]), headerLength: nil))
            XCTFail("4 × 3 values accepted")
        } catch let e as ServeError {
            XCTAssertEqual(e.message, "TEXT has 4 texts; the answer would hold 4 × 3 values, more than 9 (send at most 3 texts per request)")
        }
        let body = #"{"inputs":[{"name":"SERIES","datatype":"FP32","shape":[1,1,2],"data":[1,2]}],"parameters":{"horizon":5}}"#
        do {
            _ = try await regression.infer(InferRequest(body: Array(body.utf8), headerLength: nil))
            XCTFail("1 × 5 × 2 values accepted")
        } catch let e as ServeError {
            XCTAssertEqual(e.message, "1 series × horizon 5 × 2 targets is more than the 9 values one answer holds; send fewer series or a shorter horizon")
        }
    }
}

/// BYTES as many clients shape them: [N, 1] reads as [N].
final class TextShapeTests: XCTestCase {
    func testColumnShapedTextEqualsFlat() async throws {
        let m = try ServedModel(name: "c", model: try Models.classifier(labels: ["x", "y", "z"]))
        defer { m.shutdown() }
        let flat = try await m.infer(InferRequest(body: Models.textRequest(["ab", "cab"]), headerLength: nil))
        let body = #"{"inputs":[{"name":"TEXT","datatype":"BYTES","shape":[2,1],"data":[["ab"],["cab"]]}]}"#
        let column = try await m.infer(InferRequest(body: Array(body.utf8), headerLength: nil))
        XCTAssertEqual(column.outputs, flat.outputs)
    }
}
