/// How text is split into tokens.
public enum TokenLevel: String, Sendable, Codable, CaseIterable {
    /// One token per Unicode scalar.
    case char
    /// Whitespace-separated words, with `<unk>` for rare ones.
    case word
}

/// The symbols of a model, in id order.
public struct Vocabulary: Codable, Equatable, Sendable {
    public static let unknown = "<unk>"

    public let level: TokenLevel
    public let symbols: [String]
    private let index: [String: Int32]

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

    public var count: Int { symbols.count }

    /// Builds the vocabulary of `text`: sorted characters, or words seen at least `minCount` times
    /// (most frequent first) plus `<unk>`.
    public static func build(from text: String, level: TokenLevel, minCount: Int = 1) -> Vocabulary {
        switch level {
        case .char:
            let scalars = Set(text.unicodeScalars)
            return Vocabulary(level: .char, symbols: scalars.sorted().map { String($0) })
        case .word:
            var counts: [String: Int] = [:]
            for w in words(text) { counts[w, default: 0] += 1 }
            let kept = counts.filter { $0.value >= minCount }.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
            return Vocabulary(level: .word, symbols: kept.map(\.key) + [unknown])
        }
    }

    /// Token ids of `text`. Unknown symbols map to `<unk>` if the vocabulary has it; otherwise the
    /// error names them.
    public func encode(_ text: String) throws -> [Int32] {
        let pieces = level == .char ? text.unicodeScalars.map { String($0) } : Self.words(text)
        let unk = index[Self.unknown]
        var ids: [Int32] = []
        ids.reserveCapacity(pieces.count)
        var missing: [String] = []
        for p in pieces {
            if let id = index[p] ?? unk { ids.append(id) } else if missing.count < 5, !missing.contains(p) { missing.append(p) }
        }
        if !missing.isEmpty {
            throw ElmanError("symbols not in the model's vocabulary: "
                + missing.map { "'\($0.unicodeScalars.map { $0.escaped(asASCII: true) }.joined())'" }.joined(separator: ", "))
        }
        return ids
    }

    public func decode(_ ids: [Int32]) -> String {
        let pieces = ids.map { Int($0) < symbols.count && $0 >= 0 ? symbols[Int($0)] : "" }
        return pieces.joined(separator: level == .word ? " " : "")
    }

    public func id(_ symbol: String) -> Int32? { index[symbol] }

    static func words(_ text: String) -> [String] {
        text.split(whereSeparator: { $0.isWhitespace }).map(String.init)
    }
}
