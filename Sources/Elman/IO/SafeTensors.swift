import Foundation

/// The element types Elman reads and writes in safetensors files.
public enum DType: String, Sendable, CaseIterable {
    case f32 = "F32", f64 = "F64", i64 = "I64", i32 = "I32", u8 = "U8", bool = "BOOL"

    public var byteSize: Int {
        switch self {
        case .f32, .i32: return 4
        case .f64, .i64: return 8
        case .u8, .bool: return 1
        }
    }

    public var isFloatingPoint: Bool { self == .f32 || self == .f64 }
}

/// One tensor: dtype, shape and its little-endian bytes.
public struct SafeTensor: Equatable, Sendable {
    public let dtype: DType
    public let shape: [Int]
    public let bytes: [UInt8]

    /// Elements: the product of the shape (1 for a scalar).
    public var count: Int { shape.reduce(1, *) }  // checked not to overflow where the tensor was made

    /// The product of `shape`, or nil when a dimension is negative or the product overflows.
    static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { return nil }
            count = product
        }
        return count
    }

    /// A tensor from its raw little-endian bytes; throws unless there are exactly shape's product × the dtype's
    /// size of them.
    public init(dtype: DType, shape: [Int], bytes: [UInt8]) throws {
        guard let count = Self.elementCount(shape), count <= bytes.count, bytes.count == count * dtype.byteSize else {
            throw ElmanError("tensor of shape \(shape) and dtype \(dtype.rawValue): \(bytes.count) bytes; expected "
                + "the shape's element count × \(dtype.byteSize)")
        }
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// A tensor of `values` (F32 or F64 as T); throws unless there are shape's product of them.
    public init<T: ElmanFloat>(shape: [Int], values: [T]) throws {
        guard Self.elementCount(shape) == values.count else {
            throw ElmanError("tensor of shape \(shape): \(values.count) values; expected the shape's element count")
        }
        self.init(sized: shape, values: values)
    }

    /// A tensor of 64-bit integers; throws unless there are shape's product of them.
    public init(shape: [Int], int64s values: [Int64]) throws {
        guard Self.elementCount(shape) == values.count else {
            throw ElmanError("tensor of shape \(shape): \(values.count) integers; expected the shape's element count")
        }
        self.init(sized: shape, int64s: values)
    }

    /// The library's own tensors, whose shape is made from the values' count.
    init<T: ElmanFloat>(sized shape: [Int], values: [T]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * MemoryLayout<T>.size)
        if let floats = values as? [Float] {
            for v in floats { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
            dtype = .f32
        } else {
            for v in values { withUnsafeBytes(of: Double(v).bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
            dtype = .f64
        }
        self.shape = shape
        self.bytes = bytes
    }

    init(sized shape: [Int], int64s values: [Int64]) {
        var bytes: [UInt8] = []
        for v in values { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        dtype = .i64
        self.shape = shape
        self.bytes = bytes
    }

    /// The values as Double (any dtype).
    public func doubles() -> [Double] {
        bytes.withUnsafeBytes { raw in
            (0..<count).map { i in
                let at = i * dtype.byteSize
                switch dtype {
                case .f32: return Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self))))
                case .f64: return Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)))
                case .i64: return Double(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: Int64.self)))
                case .i32: return Double(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: Int32.self)))
                case .u8, .bool: return Double(raw[at])
                }
            }
        }
    }

    /// Integer values (I64, I32, U8, BOOL) as Int64; floating-point values rounded toward zero.
    public func int64s() -> [Int64] {
        switch dtype {
        case .i64:
            return bytes.withUnsafeBytes { raw in
                (0..<count).map { Int64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
            }
        default:
            return doubles().map { $0.isFinite && abs($0) < 9.2e18 ? Int64($0) : 0 }
        }
    }

    /// The values converted to T (floating-point dtypes keep their value up to T's precision).
    public func values<T: ElmanFloat>(as: T.Type = T.self) -> [T] {
        if dtype == .f64, T.self == Double.self, let d = doubles() as? [T] { return d }
        return doubles().map { T($0) }
    }
}

/// A safetensors file: an 8-byte little-endian header length, a JSON header, then the tensor bytes.
public struct SafeTensorsFile: Sendable {
    public var tensors: [String: SafeTensor]
    public var metadata: [String: String]

    /// Headers above this size are refused before anything is allocated for them.
    public static let maxHeaderBytes = 100 << 20

    public init(tensors: [String: SafeTensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Reads and validates `path`.
    public static func read(_ path: String) throws -> SafeTensorsFile {
        try parse(FileIO.read(path), name: path)
    }

    /// Writes atomically: `path` ends up with either its old content or this file.
    public func write(to path: String) throws {
        try FileIO.writeAtomically(serialized(), to: path)
    }

    /// Validates everything (header length, JSON, dtypes, shapes, offsets) before copying any tensor.
    public static func parse(_ bytes: [UInt8], name: String) throws -> SafeTensorsFile {
        func fail(_ what: String) -> ElmanError { ElmanError("\(name): not a valid safetensors file: \(what)") }
        guard bytes.count >= 8 else { throw fail("\(bytes.count) bytes, shorter than the 8-byte header length") }
        let declared = bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | (UInt64($1.element) << (8 * UInt64($1.offset))) }
        guard declared <= UInt64(bytes.count - 8) else {
            throw notSafeTensors(bytes, name: name) ?? fail("header length \(declared) exceeds the \(bytes.count - 8) bytes after it")
        }
        guard declared <= UInt64(maxHeaderBytes) else {
            throw notSafeTensors(bytes, name: name) ?? fail("header length \(declared) exceeds the limit of \(maxHeaderBytes) bytes")
        }
        let headerEnd = 8 + Int(declared)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd]))
        } catch {
            throw notSafeTensors(bytes, name: name) ?? fail("the header is not valid JSON")
        }
        guard let header = json as? [String: Any] else { throw fail("the header is not a JSON object") }
        let dataLength = bytes.count - headerEnd
        var file = SafeTensorsFile()
        var spans: [(begin: Int, end: Int, name: String)] = []
        for (key, value) in header {
            if key == "__metadata__" {
                guard let meta = value as? [String: Any] else { throw fail("__metadata__ is not an object") }
                for (k, v) in meta {
                    guard let s = v as? String else { throw fail("metadata value '\(k)' is not a string") }
                    file.metadata[k] = s
                }
                continue
            }
            guard let entry = value as? [String: Any] else { throw fail("tensor '\(key)' is not an object") }
            guard let dtypeName = entry["dtype"] as? String else { throw fail("tensor '\(key)' has no dtype") }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw fail("tensor '\(key)' has dtype \(dtypeName); expected one of "
                    + DType.allCases.map(\.rawValue).joined(separator: ", "))
            }
            guard let shapeValues = entry["shape"] as? [Any] else { throw fail("tensor '\(key)' has no shape") }
            var count = 1
            var shape: [Int] = []
            for dim in shapeValues {
                guard let d = exactInt(dim), d >= 0 else { throw fail("tensor '\(key)' has a bad dimension \(dim)") }
                let (product, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow, product <= dataLength else {
                    throw fail("tensor '\(key)' shape \(shapeValues) holds more elements than the file has bytes")
                }
                count = product
                shape.append(d)
            }
            guard let offsets = entry["data_offsets"] as? [Any], offsets.count == 2,
                  let begin = exactInt(offsets[0]), let end = exactInt(offsets[1]) else {
                throw fail("tensor '\(key)' needs data_offsets [begin, end]")
            }
            guard begin >= 0, begin <= end, end <= dataLength else {
                throw fail("tensor '\(key)' data_offsets [\(begin), \(end)] are outside the \(dataLength) data bytes")
            }
            guard end - begin == count * dtype.byteSize else {
                throw fail("tensor '\(key)' has \(end - begin) bytes; \(dtype.rawValue) × \(shape) needs "
                    + "\(count * dtype.byteSize)")
            }
            spans.append((begin, end, key))
            file.tensors[key] = try SafeTensor(dtype: dtype, shape: shape,
                                           bytes: Array(bytes[(headerEnd + begin)..<(headerEnd + end)]))
        }
        // The tensors cover the data exactly, as the format requires: no overlaps, and no bytes that belong to
        // no tensor (a tensor deleted from the header, say, whose bytes were left behind).
        spans.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var covered = 0, previous = ""
        for span in spans {
            if span.begin < covered { throw fail("tensors '\(previous)' and '\(span.name)' overlap") }
            if span.begin > covered {
                throw fail("data bytes \(covered)..<\(span.begin) belong to no tensor; the tensors must cover the data exactly")
            }
            covered = span.end
            previous = span.name
        }
        guard covered == dataLength else {
            throw fail("data bytes \(covered)..<\(dataLength) belong to no tensor; the tensors must cover the data exactly")
        }
        return file
    }

    /// The file's bytes: header padded with spaces to a multiple of 8, tensors in name order.
    public func serialized() -> [UInt8] {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            guard let t = tensors[name] else { continue }
            header[name] = ["dtype": t.dtype.rawValue, "shape": t.shape, "data_offsets": [offset, offset + t.bytes.count]]
            offset += t.bytes.count
        }
        // JSONSerialization cannot fail on dictionaries of strings, numbers and arrays.
        var json = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])).map { [UInt8]($0) } ?? []
        while json.count % 8 != 0 { json.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: json)
        for name in names { out.append(contentsOf: tensors[name]?.bytes ?? []) }
        return out
    }

    /// The error for bytes that are not a safetensors file at all (a text file, an archive, an image given for a
    /// model), which the header-length and JSON checks would report as an absurd header length: nil unless the
    /// byte after the length is not the `{` the spec requires a header to begin with.
    private static func notSafeTensors(_ bytes: [UInt8], name: String) -> ElmanError? {
        guard bytes.count > 8, bytes[8] != UInt8(ascii: "{") else { return nil }
        let head = bytes.prefix(8)
        let found = head.allSatisfy({ (0x20...0x7E).contains($0) || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D })
            ? "it begins with text ('\(String(decoding: head, as: UTF8.self).replacingOccurrences(of: "\n", with: "\\n"))…')"
            : "it begins with the bytes " + bytes.prefix(12).map { ($0 < 16 ? "0" : "") + String($0, radix: 16, uppercase: true) }
                .joined(separator: " ")
        return ElmanError("\(name) is not a safetensors model file: \(found); expected a model written by elman train "
            + "(an 8-byte header length, then a JSON header beginning with '{')")
    }

    /// A JSON number that is an integer exactly (not 1.5, not "3").
    private static func exactInt(_ value: Any) -> Int? {
        guard let n = value as? NSNumber else { return nil }
        let d = n.doubleValue
        guard d == d.rounded(), abs(d) < 9.0e15 else { return nil }
        return n.intValue
    }
}
