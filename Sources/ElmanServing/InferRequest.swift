import Foundation

/// One input tensor of an `infer` request, its data read from JSON or from the binary section.
public struct InputTensor: Sendable {
    public enum Data: Sendable, Equatable {
        /// BYTES elements.
        case bytes([[UInt8]])
        /// Numeric elements (any numeric datatype), as Double.
        case numbers([Double])
    }

    public let name: String
    public let datatype: String
    public let shape: [Int]
    public let data: Data
    /// Its index in `inputs`, for messages.
    public let index: Int
}

/// An output the client asked for by name, and whether it wants it in the binary section (nil: as the request's
/// `binary_data_output` says).
public struct RequestedOutput: Sendable {
    public let name: String
    public let binary: Bool?
}

/// An Open Inference Protocol `infer` request (KServe v2 REST), with Triton's binary tensor data extension: the
/// body is `Inference-Header-Content-Length` bytes of JSON followed by the inputs that declare `binary_data_size`,
/// in order (BYTES elements as a 4-byte little-endian length and the bytes; numbers little-endian).
public struct InferRequest: Sendable {
    public let id: String?
    public let parameters: RequestParameters
    public let inputs: [InputTensor]
    /// Nil: every output.
    public let outputs: [RequestedOutput]?
    /// `binary_data_output`: every output not asked for by name goes to the binary section.
    public let binaryOutput: Bool

    private struct Wire: Decodable {
        struct Input: Decodable {
            var name: String?
            var shape: [JSON]?
            var datatype: String?
            var parameters: [String: JSON]?
            var data: JSON?
        }
        struct Output: Decodable {
            var name: String?
            var parameters: [String: JSON]?
        }
        var id: JSON?
        var parameters: [String: JSON]?
        var inputs: [Input]?
        var outputs: [Output]?
    }

    /// Reads a request body; `headerLength` is the `Inference-Header-Content-Length` header's value, if any.
    public init(body: [UInt8], headerLength: String?) throws {
        var jsonEnd = body.count
        if let headerLength {
            guard let n = Int(headerLength.trimmingCharacters(in: .whitespaces)), (0...body.count).contains(n) else {
                throw ServeError.badRequest("Inference-Header-Content-Length is \"\(headerLength.prefix(40))\"; expected the JSON "
                    + "header's length in bytes, 0...\(body.count) (the body's length)")
            }
            jsonEnd = n
        }
        let wire: Wire
        do {
            wire = try JSONDecoder().decode(Wire.self, from: Foundation.Data(body[0..<jsonEnd]))
        } catch {
            throw ServeError.badRequest("the request body is not a JSON inference request: \(Self.describe(error))")
        }
        switch wire.id {
        case nil, .null?: id = nil
        case .string(let s)?: id = s
        case let other?: throw ServeError.badRequest("id is \(other.kind); expected a string")
        }
        parameters = RequestParameters(wire.parameters, path: "parameters")
        binaryOutput = try parameters.bool("binary_data_output") ?? false
        guard let wireInputs = wire.inputs, !wireInputs.isEmpty else {
            throw ServeError.badRequest("inputs is missing or empty; expected at least one input tensor")
        }
        var binary = body[jsonEnd...]
        var inputs: [InputTensor] = []
        for (i, input) in wireInputs.enumerated() {
            inputs.append(try Self.read(input, index: i, binary: &binary, hasBinary: headerLength != nil))
        }
        guard binary.isEmpty else {
            throw ServeError.badRequest("the binary section has \(binary.count) bytes that no input's binary_data_size claims")
        }
        var seen = Set<String>()
        for t in inputs where !seen.insert(t.name).inserted {
            throw ServeError.badRequest("inputs has \"\(t.name)\" twice; expected each input once")
        }
        self.inputs = inputs
        outputs = try wire.outputs.map { outputs in
            try outputs.enumerated().map { i, o in
                guard let name = o.name else { throw ServeError.badRequest("outputs[\(i)].name is missing") }
                let p = RequestParameters(o.parameters, path: "outputs[\(i)].parameters")
                if let other = p.values.keys.sorted().first(where: { $0 != "binary_data" }) {
                    throw ServeError.badRequest("outputs[\(i)].parameters.\(other.prefix(40)) is not read (Triton's classification "
                        + "extension included); expected binary_data only")
                }
                return RequestedOutput(name: name, binary: try p.bool("binary_data"))
            }
        }
    }

    private static func read(_ input: Wire.Input, index i: Int, binary: inout ArraySlice<UInt8>, hasBinary: Bool) throws -> InputTensor {
        let at = "inputs[\(i)]"
        guard let name = input.name else { throw ServeError.badRequest("\(at).name is missing") }
        guard let datatype = input.datatype else { throw ServeError.badRequest("\(at).datatype is missing (input \"\(name)\")") }
        guard let wireShape = input.shape else { throw ServeError.badRequest("\(at).shape is missing (input \"\(name)\")") }
        let shape = try wireShape.map { d -> Int in
            guard case .int(let v) = d, v >= 0, v <= Int64(Int32.max) else {
                throw ServeError.badRequest("\(at).shape has \(RequestParameters.show(d)); expected non-negative integers (input \"\(name)\")")
            }
            return Int(v)
        }
        var count = 1
        for d in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, product <= 1 << 28 else { throw ServeError.badRequest("\(at).shape \(shape) has too many elements") }
            count = product
        }
        let parameters = RequestParameters(input.parameters, path: "\(at).parameters")
        let data: InputTensor.Data
        if let size = try parameters.int("binary_data_size", in: 0...Int.max) {
            guard hasBinary else {
                throw ServeError.badRequest("\(at).parameters.binary_data_size is set but the request has no Inference-Header-Content-Length header")
            }
            guard input.data == nil else { throw ServeError.badRequest("\(at) has both data and binary_data_size; expected one") }
            guard size <= binary.count else {
                throw ServeError.badRequest("\(at).parameters.binary_data_size is \(size) but the binary section has \(binary.count) bytes left")
            }
            data = try decodeBinary(binary.prefix(size), datatype: datatype, count: count, at: at)
            binary = binary.dropFirst(size)
        } else {
            guard let json = input.data else { throw ServeError.badRequest("\(at).data is missing (input \"\(name)\")") }
            data = try decodeJSON(json, datatype: datatype, count: count, at: at)
        }
        return InputTensor(name: name, datatype: datatype, shape: shape, data: data, index: i)
    }

    /// Flat or nested JSON data: strings for BYTES, numbers otherwise; as many as the shape holds.
    private static func decodeJSON(_ json: JSON, datatype: String, count: Int, at: String) throws -> InputTensor.Data {
        var flat: [JSON] = []
        func flatten(_ v: JSON) {
            if case .array(let a) = v { a.forEach(flatten) } else { flat.append(v) }
        }
        flatten(json)
        guard flat.count == count else {
            throw ServeError.badRequest("\(at).data has \(flat.count) elements but its shape holds \(count)")
        }
        if datatype == "BYTES" {
            return .bytes(try flat.enumerated().map { k, v in
                guard case .string(let s) = v else { throw ServeError.badRequest("\(at).data[\(k)] is \(v.kind); expected a string (BYTES)") }
                return Array(s.utf8)
            })
        }
        guard numericTypes.contains(datatype) else { throw unknownType(datatype, at: at) }
        return .numbers(try flat.enumerated().map { k, v in
            guard let d = v.number else { throw ServeError.badRequest("\(at).data[\(k)] is \(v.kind); expected a number (\(datatype))") }
            return d
        })
    }

    private static func decodeBinary(_ bytes: ArraySlice<UInt8>, datatype: String, count: Int, at: String) throws -> InputTensor.Data {
        if datatype == "BYTES" {
            var elements: [[UInt8]] = []
            var rest = bytes
            while !rest.isEmpty {
                guard rest.count >= 4 else { throw ServeError.badRequest("\(at): a BYTES element's 4-byte length is cut off") }
                let n = rest.prefix(4).reversed().reduce(0) { $0 << 8 | Int($1) }
                rest = rest.dropFirst(4)
                guard n <= rest.count else {
                    throw ServeError.badRequest("\(at): a BYTES element claims \(n) bytes but \(rest.count) are left")
                }
                elements.append(Array(rest.prefix(n)))
                rest = rest.dropFirst(n)
            }
            guard elements.count == count else {
                throw ServeError.badRequest("\(at) has \(elements.count) BYTES elements but its shape holds \(count)")
            }
            return .bytes(elements)
        }
        guard let width = byteWidth[datatype] else { throw unknownType(datatype, at: at) }
        guard bytes.count == count * width else {
            throw ServeError.badRequest("\(at) has \(bytes.count) bytes of \(datatype); its shape holds \(count) × \(width) bytes")
        }
        var values: [Double] = []
        values.reserveCapacity(count)
        var k = bytes.startIndex
        for _ in 0..<count {
            let word = bytes[k..<(k + width)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            k += width
            switch datatype {
            case "FP32": values.append(Double(Float(bitPattern: UInt32(word))))
            case "FP64": values.append(Double(bitPattern: word))
            case "INT8": values.append(Double(Int8(truncatingIfNeeded: word)))
            case "INT16": values.append(Double(Int16(truncatingIfNeeded: word)))
            case "INT32": values.append(Double(Int32(truncatingIfNeeded: word)))
            case "INT64": values.append(Double(Int64(bitPattern: word)))
            default: values.append(Double(word))  // UINT8…UINT64, BOOL
            }
        }
        return .numbers(values)
    }

    static let byteWidth = ["BOOL": 1, "UINT8": 1, "UINT16": 2, "UINT32": 4, "UINT64": 8, "INT8": 1, "INT16": 2,
                            "INT32": 4, "INT64": 8, "FP32": 4, "FP64": 8]
    static let numericTypes = Set(byteWidth.keys)

    private static func unknownType(_ datatype: String, at: String) -> ServeError {
        ServeError.badRequest("\(at).datatype is \"\(datatype.prefix(20))\"; expected one of the protocol's: BYTES, "
            + byteWidth.keys.sorted().joined(separator: ", ") + " (FP16 and BF16 are not read)")
    }

    /// A decoding error in one line: what and where.
    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.typeMismatch(_, let c) where c.codingPath.isEmpty:
            return "the top level is not an object"
        case DecodingError.typeMismatch(let type, let c):
            let name = "\(type)"
            let expected = name.hasPrefix("String") ? "a string" : name.hasPrefix("Array") ? "an array"
                : name.hasPrefix("Dictionary") ? "an object" : name.hasPrefix("Bool") ? "true or false" : "a number"
            return "\(path(c.codingPath)) has the wrong type; expected \(expected)"
        case DecodingError.keyNotFound(let key, let c):
            return "\(path(c.codingPath + [key])) is missing"
        case DecodingError.valueNotFound(_, let c):
            return "\(path(c.codingPath)) is null"
        case DecodingError.dataCorrupted(let c):
            return c.codingPath.isEmpty ? "malformed JSON" : "\(path(c.codingPath)) is malformed"
        default:
            return "malformed JSON"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.reduce("") { p, k in k.intValue.map { "\(p)[\($0)]" } ?? (p.isEmpty ? k.stringValue : "\(p).\(k.stringValue)") }
    }
}
