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

    package static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }

    /// The records of a JSON-lines file; a torn last line (a process killed while writing it) is skipped, any other
    /// malformed line is an error that names the file, the line and `what` a line should be.
    package static func read<V: Decodable>(_ path: String, as: V.Type, what: String) throws -> [V] {
        let decoder = decoder()
        let bytes = try FileIO.read(path)
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        var records: [V] = []
        for (i, line) in lines.enumerated() where !line.isEmpty {
            do {
                records.append(try decoder.decode(V.self, from: Data(line)))
            } catch {
                if i == lines.count - 1 { break }  // torn: no newline after it
                throw ElmanError("\(path): line \(i + 1) is not \(what); expected one JSON object per line as elman train writes")
            }
        }
        return records
    }

    /// `value` as one line, newline included.
    package static func line<V: Encodable>(_ value: V) -> [UInt8] {
        Array((try? encoder().encode(value)) ?? Data("{}".utf8)) + [UInt8(ascii: "\n")]
    }
}
