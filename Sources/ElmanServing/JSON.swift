import Foundation

/// A JSON value as a request carries it: the protocol's `parameters` and tensor `data` are free-form (a number, a
/// string, a boolean, nested arrays), so they are read as this and checked field by field.
public enum JSON: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    /// An integer above Int64.max (Triton's sequence ids are uint64).
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .int(i) }
        else if let u = try? c.decode(UInt64.self) { self = .uint(u) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSON].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSON].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .uint(let u): try c.encode(u)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// The value's kind in an error message: "a string", "an array", …
    public var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .uint, .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// A number as Double (an integer too); nil otherwise.
    public var number: Double? {
        switch self {
        case .int(let i): Double(i)
        case .uint(let u): Double(u)
        case .double(let d): d
        default: nil
        }
    }
}

/// Request parameters (`"parameters": {…}`), read with the checks and messages every field needs.
public struct RequestParameters: Sendable {
    public let values: [String: JSON]
    /// Where they are in the request, for messages: "parameters", "inputs[0].parameters".
    public let path: String

    public init(_ values: [String: JSON]?, path: String) {
        self.values = values ?? [:]
        self.path = path
    }

    public func bool(_ key: String) throws -> Bool? {
        guard let v = values[key], v != .null else { return nil }
        guard case .bool(let b) = v else { throw ServeError.badRequest("\(path).\(key) is \(v.kind); expected true or false") }
        return b
    }

    /// An integer in `range`.
    public func int(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let v = values[key], v != .null else { return nil }
        let bounds = range.upperBound == .max ? "≥ \(range.lowerBound)" : "in \(range.lowerBound)...\(range.upperBound)"
        guard let d = v.number, d.rounded() == d, let i = Int(exactly: d), range.contains(i) else {
            throw ServeError.badRequest("\(path).\(key) is \(Self.show(v)); expected an integer \(bounds)")
        }
        return i
    }

    /// A finite number in `range`.
    public func double(_ key: String, in range: ClosedRange<Double>) throws -> Double? {
        guard let v = values[key], v != .null else { return nil }
        guard let d = v.number, d.isFinite, range.contains(d) else {
            let bounds = range.upperBound == .infinity ? "≥ \(range.lowerBound)" : "in \(range.lowerBound)...\(range.upperBound)"
            throw ServeError.badRequest("\(path).\(key) is \(Self.show(v)); expected a number \(bounds)")
        }
        return d
    }

    /// An unsigned 64-bit integer (a seed), given as a number or a decimal string.
    public func uint64(_ key: String) throws -> UInt64? {
        guard let v = values[key], v != .null else { return nil }
        switch v {
        case .int(let i) where i >= 0: return UInt64(i)
        case .uint(let u): return u
        case .string(let s) where UInt64(s) != nil: return UInt64(s)
        default: throw ServeError.badRequest("\(path).\(key) is \(Self.show(v)); expected an integer in 0...\(UInt64.max)")
        }
    }

    /// The value as the message shows it: short, JSON-like.
    static func show(_ v: JSON) -> String {
        switch v {
        case .null: "null"
        case .bool(let b): "\(b)"
        case .int(let i): "\(i)"
        case .uint(let u): "\(u)"
        case .double(let d): "\(d)"
        case .string(let s): "\"\(s.prefix(40))\(s.count > 40 ? "…" : "")\""
        case .array: "an array"
        case .object: "an object"
        }
    }
}
