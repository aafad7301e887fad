import Foundation
import XCTest
@testable import ElmanServing

/// The request's two wire forms: JSON (flat or nested data) and Triton's binary tensor extension.
final class InferRequestTests: XCTestCase {
    func testJSONDataFlatOrNestedAndOutputs() throws {
        let body = #"{"id":"r1","parameters":{"binary_data_output":true},"inputs":[{"name":"SERIES","datatype":"FP32","shape":[1,2,2],"data":[[[1,2.5],[3,4]]]}],"outputs":[{"name":"FORECAST","parameters":{"binary_data":false}}]}"#
        let r = try InferRequest(body: Array(body.utf8), headerLength: nil)
        XCTAssertEqual(r.id, "r1")
        XCTAssertTrue(r.binaryOutput)
        XCTAssertEqual(r.inputs[0].shape, [1, 2, 2])
        XCTAssertEqual(r.inputs[0].data, .numbers([1, 2.5, 3, 4]))
        XCTAssertEqual(r.outputs?.map(\.name), ["FORECAST"])
        XCTAssertEqual(r.outputs?.map(\.binary), [false])
    }

    /// As tritonclient writes it: the JSON header, then each binary input's bytes in order.
    func testBinaryExtensionBytesAndFP32() throws {
        func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 24)] }
        let texts = ["ab", "", "é"]
        let bytes = texts.flatMap { le32(UInt32($0.utf8.count)) + Array($0.utf8) }
        let floats: [Float] = [1.5, -2, 1e-3]
        let fbytes = floats.flatMap { le32($0.bitPattern) }
        let header = #"{"inputs":[{"name":"TEXT","datatype":"BYTES","shape":[3],"parameters":{"binary_data_size":\#(bytes.count)}},{"name":"X","datatype":"FP32","shape":[3],"parameters":{"binary_data_size":12}}]}"#
        let body = Array(header.utf8) + bytes + fbytes
        let r = try InferRequest(body: body, headerLength: "\(header.utf8.count)")
        XCTAssertEqual(r.inputs[0].data, .bytes(texts.map { Array($0.utf8) }))
        XCTAssertEqual(r.inputs[1].data, .numbers(floats.map(Double.init)))

        XCTAssertThrowsError(try InferRequest(body: body + [0], headerLength: "\(header.utf8.count)")) {
            XCTAssertEqual(($0 as? ServeError)?.message, "the binary section has 1 bytes that no input's binary_data_size claims")
        }
        XCTAssertThrowsError(try InferRequest(body: body, headerLength: "99999")) {
            XCTAssertEqual(($0 as? ServeError)?.status, 400)
        }
        XCTAssertThrowsError(try InferRequest(body: Array(header.utf8) + bytes, headerLength: "\(header.utf8.count)")) {
            XCTAssertEqual(($0 as? ServeError)?.message, "inputs[1].parameters.binary_data_size is 12 but the binary section has 0 bytes left")
        }
    }

    func testMalformedRequestsNameTheField() {
        let cases: [(String, String)] = [
            ("{", "the request body is not a JSON inference request: malformed JSON"),
            (#"{"inputs":[]}"#, "inputs is missing or empty; expected at least one input tensor"),
            (#"{"inputs":[{"name":"TEXT","datatype":"BYTES","shape":[2],"data":["a"]}]}"#, "inputs[0].data has 1 elements but its shape holds 2"),
            (#"{"inputs":[{"name":"TEXT","datatype":"BYTES","shape":[1],"data":[3]}]}"#, "inputs[0].data[0] is a number; expected a string (BYTES)"),
            (#"{"inputs":[{"name":"X","datatype":"FP33","shape":[1],"data":[3]}]}"#,
             "inputs[0].datatype is \"FP33\"; expected one of the protocol's: BYTES, BOOL, FP32, FP64, INT16, INT32, INT64, INT8, UINT16, UINT32, UINT64, UINT8 (FP16 and BF16 are not read)"),
            (#"{"inputs":[{"name":"X","datatype":"FP32","shape":[-1],"data":[3]}]}"#, "inputs[0].shape has -1; expected non-negative integers (input \"X\")"),
            (#"{"inputs":[{"name":"X","datatype":"FP32","shape":[1],"data":[1]},{"name":"X","datatype":"FP32","shape":[1],"data":[1]}]}"#,
             "inputs has \"X\" twice; expected each input once"),
            (#"{"id":3,"inputs":[{"name":"X","datatype":"FP32","shape":[1],"data":[1]}]}"#, "id is a number; expected a string"),
            (#"{"inputs":[{"name":"X","datatype":"FP32","shape":[1],"data":[1]}],"parameters":{"binary_data_output":"yes"}}"#,
             "parameters.binary_data_output is a string; expected true or false"),
            (#"{"inputs":[{"name":"X","datatype":"FP32","shape":[1000000,1000000],"data":[1]}]}"#, "inputs[0].shape [1000000, 1000000] has too many elements"),
        ]
        for (body, message) in cases {
            XCTAssertThrowsError(try InferRequest(body: Array(body.utf8), headerLength: nil), body) { error in
                XCTAssertEqual((error as? ServeError)?.message, message, body)
                XCTAssertEqual((error as? ServeError)?.status, 400)
            }
        }
    }

    func testBinaryResponseLayout() {
        let response = InferResponse(modelName: "m", id: nil, outputs: [
            OutputTensor(name: "LABEL", shape: [2], data: .bytes(["a", "bé"])),
            OutputTensor(name: "P", shape: [1], data: .fp32([0.25])),
        ])
        let (body, headerLength) = response.encoded { $0 == "LABEL" }
        let json = String(decoding: body.prefix(headerLength ?? 0), as: UTF8.self)
        XCTAssertEqual(json, #"{"model_name":"m","model_version":"1","outputs":[{"datatype":"BYTES","name":"LABEL","parameters":{"binary_data_size":12},"shape":[2]},{"data":[0.25],"datatype":"FP32","name":"P","shape":[1]}]}"#)
        XCTAssertEqual(body.count, (headerLength ?? 0) + 12)
        XCTAssertEqual(Array(body.suffix(12)), [1, 0, 0, 0, 97, 3, 0, 0, 0, 98, 0xc3, 0xa9])
    }
}
