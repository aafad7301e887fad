/// How text is split into tokens.
public enum TokenLevel: String, Sendable, Codable, CaseIterable {
    /// One token per Unicode scalar.
    case char
    /// Whitespace-separated words, with `<unk>` for rare ones.
    case word
    /// One token per byte of the file: any encoding, even text that is not valid UTF-8. Each byte b is
    /// stored in the vocabulary as the character U+00b (Latin-1), so ASCII stays readable.
    case byte
}

/// The symbols of a model, in id order.
public struct Vocabulary: Codable, Equatable, Sendable {
    /// The symbol that stands for rare words at word level.
    public static let unknown = "<unk>"

    /// How text is split into symbols.
    public let level: TokenLevel
    /// The symbols in id order.
    public let symbols: [String]
    private let index: [String: Int32]

    /// A vocabulary of these symbols, ids in this order.
    public init(level: TokenLevel, symbols: [String]) {
        self.level = level
        self.symbols = symbols
        var index: [String: Int32] = [:]
        for (i, s) in symbols.enumerated() { index[s] = Int32(i) }
        self.index = index
    }

    enum CodingKeys: String, CodingKey { case level, symbols }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(level: try c.decode(TokenLevel.self, forKey: .level), symbols: try c.decode([String].self, forKey: .symbols))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(level, forKey: .level)
        try c.encode(symbols, forKey: .symbols)
    }

    /// The number of symbols.
    public var count: Int { symbols.count }

    /// Builds the vocabulary of `text`: its sorted characters, or its words seen at least `minCount` times (most
    /// frequent first), then `<unk>`, which every symbol not in the text becomes; at byte level all 256 bytes.
    public static func build(from text: String, level: TokenLevel, minCount: Int = 1) -> Vocabulary {
        level == .byte ? build(bytes: []) : build(pieces: pieces(of: text, level: level), level: level, minCount: minCount)
    }

    /// The vocabulary of text already split into `pieces` (``pieces(of:level:)``).
    public static func build(pieces: some Collection<String>, level: TokenLevel, minCount: Int = 1) -> Vocabulary {
        switch level {
        case .byte:
            return build(bytes: [])
        case .char:
            return Vocabulary(level: .char, symbols: Set(pieces.compactMap(\.unicodeScalars.first)).sorted().map { String($0) } + [unknown])
        case .word:
            var counts: [String: Int] = [:]
            for w in pieces { counts[w, default: 0] += 1 }
            let kept = counts.filter { $0.value >= minCount }.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
            return Vocabulary(level: .word, symbols: kept.map(\.key) + [unknown])
        }
    }

    /// `text` split into symbols as `level` splits it: Unicode scalars, words (runs of letters and digits; each
    /// punctuation mark and line break a token of its own), or bytes.
    public static func pieces(of text: String, level: TokenLevel) -> [String] {
        switch level {
        case .char: return text.unicodeScalars.map { String($0) }
        case .word: return words(text)
        case .byte: return text.utf8.map(byteSymbol)
        }
    }

    /// The ids of `pieces`; symbols not in the vocabulary become `<unk>` where it has one.
    public func encode(pieces: [String]) throws -> [Int32] {
        var unknown = UnknownSymbols()
        return try encodePieces(pieces, unknown: &unknown)
    }

    /// The ids of `pieces`, counting in `unknown` the symbols read as `<unk>` (see ``UnknownSymbols``).
    public func encode(pieces: [String], unknown: inout UnknownSymbols) throws -> [Int32] {
        try encodePieces(pieces, unknown: &unknown)
    }

    /// The share of `ids` that are `<unk>`.
    public func unknownShare(_ ids: [Int32]) -> Double {
        guard let unk = index[Self.unknown], !ids.isEmpty else { return 0 }
        return Double(ids.filter { $0 == unk }.count) / Double(ids.count)
    }

    /// The byte-level vocabulary: all 256 byte values, in order, whatever `bytes` holds, so that a byte model
    /// reads any file.
    public static func build(bytes: [UInt8]) -> Vocabulary {
        Vocabulary(level: .byte, symbols: (0..<256).map { byteSymbol(UInt8($0)) })
    }

    /// The vocabulary of a corpus at its level (`minCount` applies to words).
    public static func build(from corpus: Corpus, level: TokenLevel, minCount: Int = 1) -> Vocabulary {
        switch corpus {
        case .text(let text): return build(from: text, level: level, minCount: minCount)
        case .bytes(let bytes): return build(bytes: bytes)
        }
    }

    /// Token ids of a corpus.
    public func encode(_ corpus: Corpus) throws -> [Int32] {
        var unknown = UnknownSymbols()
        return try encode(corpus, unknown: &unknown)
    }

    /// Token ids of a corpus, counting in `unknown` the symbols read as `<unk>` (see ``UnknownSymbols``).
    public func encode(_ corpus: Corpus, unknown: inout UnknownSymbols) throws -> [Int32] {
        switch corpus {
        case .text(let text): return try encode(text, unknown: &unknown)
        case .bytes(let bytes): return try encodePieces(bytes.map(Self.byteSymbol), unknown: &unknown)
        }
    }

    static func byteSymbol(_ b: UInt8) -> String { String(Character(Unicode.Scalar(b))) }

    /// Token ids of `text` (its UTF-8 bytes at byte level). Unknown symbols map to `<unk>` if the
    /// vocabulary has it; otherwise the error names them. `encode(_:unknown:)` also counts them.
    public func encode(_ text: String) throws -> [Int32] {
        var unknown = UnknownSymbols()
        return try encode(text, unknown: &unknown)
    }

    /// Token ids of `text`, as `encode(_:)`, adding to `unknown` every symbol read as `<unk>`; where the
    /// vocabulary has no `<unk>` (never at byte level, whose 256 symbols cover every byte) an unknown symbol is
    /// an error naming the first few, and `unknown` is left as it was.
    public func encode(_ text: String, unknown: inout UnknownSymbols) throws -> [Int32] {
        switch level {
        case .char: return try encodePieces(text.unicodeScalars.map { String($0) }, unknown: &unknown)
        case .word: return try encodePieces(Self.words(text), unknown: &unknown)
        case .byte: return try encodePieces(text.utf8.map(Self.byteSymbol), unknown: &unknown)
        }
    }

    private func encodePieces(_ pieces: [String], unknown: inout UnknownSymbols) throws -> [Int32] {
        let unk = index[Self.unknown]
        var ids: [Int32] = []
        ids.reserveCapacity(pieces.count)
        var missing = UnknownSymbols()
        for p in pieces {
            if let id = index[p] {
                ids.append(id)
            } else if let unk {
                ids.append(unk)
                unknown.record(p)
            } else {
                missing.record(p)
            }
        }
        guard !missing.isEmpty else { return ids }
        let shown = level == .byte ? missing.first.map { String(format2: $0.unicodeScalars.first.map { $0.value } ?? 0) }.joined(separator: ", ")
            : missing.shown
        throw ElmanError("\(level == .byte ? "bytes" : "symbols") not in the model's vocabulary (which has no <unk>): " + shown)
    }

    /// The text of `ids`; at byte level the bytes decoded as UTF-8, invalid sequences shown as U+FFFD, as is `<unk>`
    /// at char level.
    public func decode(_ ids: [Int32]) -> String {
        let pieces = ids.map { Int($0) < symbols.count && $0 >= 0 ? symbols[Int($0)] : "" }
        if level == .byte {
            return String(decoding: ids.compactMap(decodeByte), as: UTF8.self)
        }
        return level == .word ? Self.joinWords(pieces) : pieces.map { $0 == Self.unknown ? "\u{FFFD}" : $0 }.joined()
    }

    /// The byte a byte-level id stands for; nil for an id outside the vocabulary.
    func decodeByte(_ id: Int32) -> UInt8? {
        guard id >= 0, Int(id) < symbols.count else { return nil }
        return symbols[Int(id)].unicodeScalars.first.map { UInt8(truncatingIfNeeded: $0.value) }
    }

    /// The id of `symbol`, if it is in the vocabulary.
    public func id(_ symbol: String) -> Int32? { index[symbol] }

    /// The word-level tokens of `text`, by one rule: a word is a run of letters and digits, with apostrophes and
    /// hyphens inside it ("don't", "well-met"); every other visible character (punctuation, symbols) is a token of
    /// its own; a line break is the token "\n" (a blank line gives two); other whitespace only separates.
    static func words(_ text: String) -> [String] {
        var tokens: [String] = []
        var word = ""
        func flush() {  // a trailing apostrophe or hyphen ("dogs'", "well-") is punctuation
            var trailing: [String] = []
            while let last = word.last, last == "'" || last == "’" || last == "-" {
                trailing.insert(String(last), at: 0)
                word.removeLast()
            }
            if !word.isEmpty { tokens.append(word) }
            tokens += trailing
            word = ""
        }
        for c in text {
            if c.isLetter || c.isNumber {
                word.append(c)
            } else if (c == "'" || c == "’" || c == "-") && !word.isEmpty {
                word.append(c)
            } else {
                flush()
                if c.isNewline {
                    tokens.append("\n")
                } else if !c.isWhitespace {
                    tokens.append(String(c))
                }
            }
        }
        flush()
        return tokens
    }

    /// Word-level tokens back to text: a space between two tokens, except after a line break or an opening bracket
    /// or quote, and before a line break or closing punctuation (`. , ; : ! ? ) ] }` and closing quotes).
    static func joinWords(_ tokens: [String]) -> String {
        let noSpaceBefore: Set<String> = [".", ",", ";", ":", "!", "?", ")", "]", "}", "\n", "”", "’", "…"]
        let noSpaceAfter: Set<String> = ["\n", "(", "[", "{", "“", "‘"]
        var out = ""
        for (i, t) in tokens.enumerated() {
            if i > 0 && !noSpaceBefore.contains(t) && !noSpaceAfter.contains(tokens[i - 1]) { out += " " }
            out += t
        }
        return out
    }
}

private extension String {
    /// 0x3F for a byte value.
    init(format2 value: UInt32) {
        let hex = String(value, radix: 16, uppercase: true)
        self = "0x" + (hex.count < 2 ? "0" : "") + hex
    }
}
