import Foundation

/// Writes TensorBoard event files (`events.out.tfevents.*`) of scalar summaries, so that
/// `tensorboard --logdir RUN` shows a run's curves.
///
/// Hand-written because the format needs only four protobuf fields and a CRC: an event file is a TFRecord
/// stream (length, masked CRC-32C of the length, the record, masked CRC-32C of the record) of `Event` messages
/// (wall_time = 1, step = 2, file_version = 3, summary = 5), each scalar a `Summary.Value` (tag = 1,
/// simple_value = 2). A protobuf dependency and its generated code would be larger than this file.
package struct TensorBoardEvents {
    public let path: String

    /// Creates a new event file in `directory` (TensorBoard reads every event file of a directory, so a resumed
    /// run adds a file of its own).
    public init(directory: String, wallTime: Double = Date().timeIntervalSince1970) throws {
        let host = ProcessInfo.processInfo.hostName.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." }
        path = "\(directory)/events.out.tfevents.\(Int(wallTime)).\(host.isEmpty ? "elman" : host).\(getpid())"
        var event = Self.field(1, fixed64: wallTime.bitPattern)
        event += Self.field(3, bytes: Array("brain.Event:2".utf8))
        try FileIO.writeAtomically(Self.record(event), to: path)
    }

    /// Appends one event with the scalars `values` (tag, value) at `step`.
    public func add(_ values: [(tag: String, value: Double)], step: Int, wallTime: Double = Date().timeIntervalSince1970) throws {
        var summary: [UInt8] = []
        for (tag, value) in values {
            let v = Self.field(1, bytes: Array(tag.utf8)) + Self.field(2, fixed32: Float(value).bitPattern)
            summary += Self.field(1, bytes: v)
        }
        var event = Self.field(1, fixed64: wallTime.bitPattern)
        event += Self.key(2, wire: 0) + Self.varint(UInt64(max(step, 0)))
        event += Self.field(5, bytes: summary)
        try FileIO.append(Self.record(event), to: path)
    }

    // MARK: - TFRecord framing

    static func record(_ data: [UInt8]) -> [UInt8] {
        let length = littleEndian(UInt64(data.count))
        return length + littleEndian(maskedCRC(length)) + data + littleEndian(maskedCRC(data))
    }

    static func maskedCRC(_ bytes: [UInt8]) -> UInt32 {
        let crc = crc32c(bytes)
        return ((crc >> 15) | (crc << 17)) &+ 0xa282_ead8
    }

    private static let crcTable: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82f6_3b78 : c >> 1 }  // Castagnoli, reflected
        return c
    }

    /// CRC-32C (Castagnoli), as TFRecord frames use.
    static func crc32c(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xffff_ffff
        for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xff)] ^ (c >> 8) }
        return c ^ 0xffff_ffff
    }

    private static func littleEndian<I: FixedWidthInteger>(_ x: I) -> [UInt8] {
        (0..<(I.bitWidth / 8)).map { UInt8(truncatingIfNeeded: x >> (8 * $0)) }
    }

    // MARK: - Protobuf fields

    private static func varint(_ x: UInt64) -> [UInt8] {
        var x = x, out: [UInt8] = []
        while x >= 0x80 {
            out.append(UInt8(x & 0x7f) | 0x80)
            x >>= 7
        }
        return out + [UInt8(x)]
    }

    private static func key(_ field: Int, wire: Int) -> [UInt8] { varint(UInt64(field << 3 | wire)) }
    private static func field(_ n: Int, fixed64 x: UInt64) -> [UInt8] { key(n, wire: 1) + littleEndian(x) }
    private static func field(_ n: Int, fixed32 x: UInt32) -> [UInt8] { key(n, wire: 5) + littleEndian(x) }
    private static func field(_ n: Int, bytes: [UInt8]) -> [UInt8] { key(n, wire: 2) + varint(UInt64(bytes.count)) + bytes }
}
