/// Reading training text.
package enum TextFile {
    /// What a language model's text file should be: a file that is not UTF-8 can still be read as bytes.
    public static let languageModelText = "UTF-8 text, or use --level byte to train on raw bytes"
    /// What a classifier's file should be; a classifier has no byte level, so the file has to be converted.
    public static let classifierText = "UTF-8 text, lines LABEL<TAB>SEQUENCE or a UCR/UEA .ts or .tsv file of numbers (convert the file, e.g. iconv -t UTF-8)"

    /// The UTF-8 text of `path`; errors name the file and, for bad UTF-8, the byte offset and `expected`, what the
    /// reader wanted (``languageModelText``, ``classifierText``).
    public static func read(_ path: String, expected: String = "UTF-8 text") throws -> String {
        let bytes = try FileIO.read(path)
        guard !bytes.isEmpty else { throw ElmanError("'\(path)' is empty; expected text") }
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        var scalars = String.UnicodeScalarView()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let s):
                scalars.append(s)
                offset += String(s).utf8.count
            case .emptyInput:
                return String(scalars)
            case .error:
                let line = bytes[..<min(offset, bytes.count)].reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
                throw ElmanError("'\(path)' is not valid UTF-8: bad byte 0x\(String(bytes[min(offset, bytes.count - 1)], radix: 16, uppercase: true)) "
                    + "at byte offset \(offset) (line \(line)); expected \(expected)")
            }
        }
    }
}

/// Training or evaluation data: text, or raw bytes at `--level byte`.
public enum Corpus: Sendable {
    case text(String)
    case bytes([UInt8])

    /// Reads `path` as the level needs: raw bytes for `.byte` (any content but empty), UTF-8 text otherwise.
    public static func read(_ path: String, level: TokenLevel) throws -> Corpus {
        guard level == .byte else { return .text(try TextFile.read(path, expected: TextFile.languageModelText)) }
        let bytes = try FileIO.read(path)
        guard !bytes.isEmpty else { throw ElmanError("'\(path)' is empty; expected data") }
        return .bytes(bytes)
    }

    /// Both parts joined (for building one vocabulary from training and validation files).
    public static func + (a: Corpus, b: Corpus) -> Corpus {
        switch (a, b) {
        case (.text(let x), .text(let y)): return .text(x + y)
        case (.bytes(let x), .bytes(let y)): return .bytes(x + y)
        case (.text(let x), .bytes(let y)): return .bytes(Array(x.utf8) + y)
        case (.bytes(let x), .text(let y)): return .bytes(x + Array(y.utf8))
        }
    }
}
