/// The embedded Reber grammar (Reber 1967; Hochreiter & Schmidhuber 1997): the built-in corpus.
///
/// An embedded string is B T ⟨reber⟩ T E or B P ⟨reber⟩ P E: to close it, a model must remember its
/// second symbol across the whole inner string, a long-range dependency that BPTT has to learn.
public enum ReberGrammar {
    /// Transitions of the inner grammar: state → [(symbol, next state)]; state 6 ends with E.
    static let transitions: [[(Character, Int)]] = [
        [("B", 1)],
        [("T", 2), ("P", 3)],
        [("S", 2), ("X", 4)],
        [("T", 3), ("V", 5)],
        [("X", 3), ("S", 6)],
        [("P", 4), ("V", 6)],
        [("E", -1)],
    ]

    /// One random inner Reber string, "BTSSXXTVVE"-like.
    public static func reberString(using g: inout SeededGenerator) -> String {
        var state = 0
        var out = ""
        while state >= 0 {
            let choices = transitions[state]
            let (symbol, next) = choices[Int(g.next() % UInt64(choices.count))]
            out.append(symbol)
            state = next
        }
        return out
    }

    /// One random embedded Reber string.
    public static func embeddedString(using g: inout SeededGenerator) -> String {
        let wrap: Character = g.next() % 2 == 0 ? "T" : "P"
        return "B\(wrap)\(reberString(using: &g))\(wrap)E"
    }

    /// `count` embedded strings, concatenated: every string starts with B and ends with E.
    public static func corpus(strings count: Int, seed: UInt64) -> String {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { _ in embeddedString(using: &g) }.joined()
    }

    public static func isReber(_ s: Substring) -> Bool {
        var state = 0
        for c in s {
            guard state >= 0, let next = transitions[state].first(where: { $0.0 == c })?.1 else { return false }
            state = next
        }
        return state == -1
    }

    public static func isEmbeddedReber(_ s: Substring) -> Bool {
        let chars = Array(s)
        guard chars.count >= 4 + 5, chars.first == "B", chars.last == "E",
              chars[1] == "T" || chars[1] == "P", chars[chars.count - 2] == chars[1] else { return false }
        return isReber(s.dropFirst(2).dropLast(2))
    }

    /// Cuts generated text after every outer ending "E T E" or "E P E" (the inner string's E, the
    /// repeated second symbol, the outer E) and returns the share of the pieces that are grammatical
    /// embedded Reber strings. The unfinished tail is not counted.
    public static func grammaticalShare(of text: String) -> (share: Double, strings: Int) {
        let chars = Array(text)
        var pieces: [Substring] = []
        var start = 0
        var i = 2
        while i < chars.count {
            if chars[i] == "E", chars[i - 2] == "E", chars[i - 1] == "T" || chars[i - 1] == "P" {
                pieces.append(Substring(String(chars[start...i])))
                start = i + 1
                i += 3
            } else {
                i += 1
            }
        }
        let good = pieces.filter(isEmbeddedReber).count
        return (pieces.isEmpty ? 0 : Double(good) / Double(pieces.count), pieces.count)
    }
}
