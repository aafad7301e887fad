/// The symbols of a text that a vocabulary does not have, as `Vocabulary.encode(_:unknown:)` counts them.
///
/// One policy for every reader of a model: a symbol the vocabulary lacks is read as `<unk>` where the vocabulary
/// has one (every char- and word-level vocabulary Elman builds does) and counted here; where it has none the
/// encoding is refused with an error that names the first few. A byte-level vocabulary has all 256 bytes, so
/// it never meets one.
///
/// ```swift
/// var unknown = UnknownSymbols()
/// let ids = try vocabulary.encode("naïve café", unknown: &unknown)
/// if !unknown.isEmpty { print(unknown) }   // 2 symbols not in the model's vocabulary: 'ï', 'é'
/// ```
public struct UnknownSymbols: Sendable, Equatable, CustomStringConvertible {
    /// How many distinct symbols ``first`` keeps.
    public static let shownLimit = 5

    /// Occurrences of symbols not in the vocabulary (a symbol seen three times counts three).
    public private(set) var count = 0
    /// The first ``shownLimit`` distinct unknown symbols, in the order they first occur.
    public private(set) var first: [String] = []
    /// True when more distinct unknown symbols were met than ``first`` keeps.
    public private(set) var hasMore = false

    /// No unknown symbols counted yet.
    public init() {}

    /// True when no unknown symbol was met.
    public var isEmpty: Bool { count == 0 }

    /// Counts one occurrence of `symbol`.
    public mutating func record(_ symbol: String) {
        count += 1
        guard !first.contains(symbol) else { return }
        if first.count < Self.shownLimit { first.append(symbol) } else { hasMore = true }
    }

    /// ``first`` quoted and comma-separated, control characters escaped, `…` after them when there are more
    /// distinct ones: `'é', '\t'`.
    public var shown: String {
        (first.map { "'\($0.unicodeScalars.map { $0.escaped(asASCII: false) }.joined())'" } + (hasMore ? ["…"] : []))
            .joined(separator: ", ")
    }

    /// "3 symbols not in the model's vocabulary: 'é', 'ü'" (the first few distinct ones).
    public var description: String {
        "\(count) symbol\(count == 1 ? "" : "s") not in the model's vocabulary: \(shown)"
    }
}
