import Foundation

/// One output tensor of a response.
public struct OutputTensor: Sendable, Equatable {
    public enum Data: Sendable, Equatable {
        case bytes([String])
        case fp32([Float])
    }

    public let name: String
    public let shape: [Int]
    public let data: Data

    public init(name: String, shape: [Int], data: Data) {
        self.name = name
        self.shape = shape
        self.data = data
    }

    public var datatype: String {
        switch data {
        case .bytes: "BYTES"
        case .fp32: "FP32"
        }
    }

    /// The binary extension's form: BYTES as a 4-byte little-endian length and the UTF-8 bytes each; FP32
    /// little-endian.
    var binary: [UInt8] {
        var out: [UInt8] = []
        switch data {
        case .bytes(let strings):
            for s in strings {
                let n = UInt32(s.utf8.count)
                out += [UInt8(n & 0xff), UInt8(n >> 8 & 0xff), UInt8(n >> 16 & 0xff), UInt8(n >> 24)]
                out += Array(s.utf8)
            }
        case .fp32(let values):
            out.reserveCapacity(values.count * 4)
            for v in values {
                let b = v.bitPattern
                out += [UInt8(b & 0xff), UInt8(b >> 8 & 0xff), UInt8(b >> 16 & 0xff), UInt8(b >> 24)]
            }
        }
        return out
    }
}

/// The protocol's `infer` response, written as JSON or, where outputs were asked for in binary, as the binary
/// extension's JSON header and binary section.
public struct InferResponse: Sendable {
    public let modelName: String
    public let id: String?
    public let parameters: [String: JSON]
    public let outputs: [OutputTensor]

    public init(modelName: String, id: String?, parameters: [String: JSON] = [:], outputs: [OutputTensor]) {
        self.modelName = modelName
        self.id = id
        self.parameters = parameters
        self.outputs = outputs
    }

    /// The body and, where some output is binary, the value of its `Inference-Header-Content-Length` header.
    public func encoded(binary: (String) -> Bool) -> (body: [UInt8], headerLength: Int?) {
        struct Output: Encodable {
            var name: String, datatype: String, shape: [Int]
            var parameters: [String: Int]?
            var data: Data?
            enum Data: Encodable {
                case strings([String]), floats([Float])
                func encode(to encoder: any Encoder) throws {
                    switch self {
                    case .strings(let s): try s.encode(to: encoder)
                    case .floats(let f): try f.map(JSONFloat.init).encode(to: encoder)
                    }
                }
            }
        }
        struct Wire: Encodable {
            var model_name: String, model_version: String, id: String?
            var parameters: [String: JSON]?
            var outputs: [Output]
        }
        var section: [UInt8] = []
        let outputs = outputs.map { t -> Output in
            if binary(t.name) {
                let bytes = t.binary
                section += bytes
                return Output(name: t.name, datatype: t.datatype, shape: t.shape, parameters: ["binary_data_size": bytes.count])
            }
            let data: Output.Data = switch t.data {
            case .bytes(let s): .strings(s)
            case .fp32(let f): .floats(f)
            }
            return Output(name: t.name, datatype: t.datatype, shape: t.shape, data: data)
        }
        let wire = Wire(model_name: modelName, model_version: "1", id: id,
                        parameters: parameters.isEmpty ? nil : parameters, outputs: outputs)
        let json = Array(encodeJSON(wire))
        return section.isEmpty && !outputs.contains { $0.parameters != nil } ? (json, nil) : (json + section, json.count)
    }
}

/// A Float written as JSON: a number where finite; a non-finite value (never produced by a trained model's
/// probabilities, but a diverged regression can) as null rather than an encoding failure.
struct JSONFloat: Encodable {
    let value: Float
    init(_ value: Float) { self.value = value }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        if value.isFinite { try c.encode(value) } else { try c.encodeNil() }
    }
}

/// JSON of a value whose encoding cannot fail (strings, finite numbers, nested containers of them).
public func encodeJSON(_ value: some Encodable) -> Foundation.Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return (try? encoder.encode(value)) ?? Foundation.Data("{\"error\":\"the response could not be encoded\"}".utf8)
}
