import Foundation

/// The one JSON style of Elman's line-oriented output (`metrics.jsonl`, `diagnostics.jsonl`, every `--json`): one
/// object per line, keys in snake case and sorted, non-finite numbers as the strings "inf", "-inf" and "nan".
package enum JSONLines {
    package static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = .sortedKeys
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    /// `value` as one line, newline included.
    package static func line<V: Encodable>(_ value: V) -> [UInt8] {
        Array((try? encoder().encode(value)) ?? Data("{}".utf8)) + [UInt8(ascii: "\n")]
    }
}
