#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Lines, fields and decimal numbers of a file held as UTF-8 bytes: the time-series readers split millions of
/// values, and a String per value would cost more than the parse itself.
struct ByteFields {
    let bytes: [UInt8]

    /// `bytes` without a leading UTF-8 byte-order mark.
    init(_ bytes: [UInt8]) {
        self.bytes = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
    }

    /// The lines after `start`, each with its 1-based number: LF, CRLF and CR all end a line.
    struct Lines: Sequence, IteratorProtocol {
        let bytes: [UInt8]
        var position: Int
        var number: Int

        mutating func next() -> (number: Int, range: Range<Int>)? {
            guard position < bytes.count else { return nil }
            let start = position
            var end = start
            while end < bytes.count, bytes[end] != 0x0A, bytes[end] != 0x0D { end += 1 }
            position = end
            if position < bytes.count {
                if bytes[position] == 0x0D, position + 1 < bytes.count, bytes[position + 1] == 0x0A { position += 1 }
                position += 1
            }
            number += 1
            return (number, start..<end)
        }
    }

    func lines() -> Lines { Lines(bytes: bytes, position: 0, number: 0) }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0B || b == 0x0C }

    /// `range` without leading and trailing spaces, and tabs unless they separate fields (`keepingTabs`).
    func trimmed(_ range: Range<Int>, keepingTabs: Bool = false) -> Range<Int> {
        var lo = range.lowerBound, hi = range.upperBound
        while lo < hi, Self.isSpace(bytes[lo]), !keepingTabs || bytes[lo] != 0x09 { lo += 1 }
        while hi > lo, Self.isSpace(bytes[hi - 1]), !keepingTabs || bytes[hi - 1] != 0x09 { hi -= 1 }
        return lo..<hi
    }

    /// The pieces of `range` between occurrences of `separator` (n separators give n + 1 pieces, empty ones kept).
    func split(_ range: Range<Int>, on separator: UInt8) -> [Range<Int>] {
        var pieces: [Range<Int>] = []
        var start = range.lowerBound
        for i in range where bytes[i] == separator {
            pieces.append(start..<i)
            start = i + 1
        }
        pieces.append(start..<range.upperBound)
        return pieces
    }

    func contains(_ byte: UInt8, in range: Range<Int>) -> Bool { bytes[range].contains(byte) }

    func string(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }

    /// The text of `range` for an error message, cut at 40 bytes.
    func quoted(_ range: Range<Int>) -> String {
        range.count <= 40 ? "'\(string(range))'" : "'\(string(range.lowerBound..<(range.lowerBound + 40)))…'"
    }

    /// Whether `range` (trimmed) reads as a missing value: `?`, or NaN in any case.
    func isMissing(_ range: Range<Int>) -> Bool {
        let r = trimmed(range)
        if r.count == 1 { return bytes[r.lowerBound] == UInt8(ascii: "?") }
        guard r.count == 3 else { return false }
        return (bytes[r.lowerBound] | 0x20) == UInt8(ascii: "n") && (bytes[r.lowerBound + 1] | 0x20) == UInt8(ascii: "a")
            && (bytes[r.lowerBound + 2] | 0x20) == UInt8(ascii: "n")
    }

    /// Whether `range` (trimmed) equals `word`, ignoring ASCII case.
    func equals(_ range: Range<Int>, ignoringCase word: String) -> Bool {
        let r = trimmed(range), w = Array(word.utf8)
        guard r.count == w.count else { return false }
        for (i, c) in w.enumerated() where (bytes[r.lowerBound + i] | 0x20) != (c | 0x20) { return false }
        return true
    }
}

/// Decimal numbers from bytes: `-0.58475375`, `1e-3`, `12`. Simple decimals of up to 15 significant digits are
/// computed exactly (an integer times or over a power of ten that are both exact in a Double, so one rounding);
/// anything else goes to Swift's `Double(String)`, which rounds correctly too. Only a whole field that is a finite
/// decimal number is accepted: not hexadecimal, not `inf` or `nan`, no spaces inside.
struct DecimalParser {
    private static let powers: [Double] = (0...22).map { e in (0..<e).reduce(1.0) { p, _ in p * 10 } }

    mutating func parse(_ bytes: [UInt8], _ range: Range<Int>) -> Double? {
        guard !range.isEmpty else { return nil }
        var i = range.lowerBound
        var negative = false
        if bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        var mantissa: UInt64 = 0, digits = 0, fraction = 0, seenDigit = false, seenPoint = false
        while i < range.upperBound {
            let b = bytes[i]
            if b >= 0x30 && b <= 0x39 {
                seenDigit = true
                if mantissa != 0 || b != 0x30 { digits += 1 }
                if digits > 15 { return fallback(bytes, range) }
                mantissa = mantissa * 10 + UInt64(b - 0x30)
                if seenPoint { fraction += 1 }
            } else if b == UInt8(ascii: ".") && !seenPoint {
                seenPoint = true
            } else if (b | 0x20) == UInt8(ascii: "e") {
                return seenDigit ? fallback(bytes, range) : nil
            } else {
                return nil
            }
            i += 1
        }
        guard seenDigit, fraction <= 22 else { return seenDigit ? fallback(bytes, range) : nil }
        let value = Double(mantissa) / Self.powers[fraction]
        return negative ? -value : value
    }

    /// Swift's own parse of the field (strtod underneath), accepted only when it reads the whole field as a finite
    /// number: the digits, sign, point and exponent checked first, since it also reads hexadecimal, inf and nan.
    private func fallback(_ bytes: [UInt8], _ range: Range<Int>) -> Double? {
        for b in bytes[range] where !((b >= 0x30 && b <= 0x39) || b == 0x2E || b == 0x2B || b == 0x2D || (b | 0x20) == 0x65) {
            return nil
        }
        guard let v = Double(String(decoding: bytes[range], as: UTF8.self)), v.isFinite else { return nil }
        return v
    }
}
