/// Sequence-classification data: one example per line, `LABEL<TAB>SEQUENCE`.
public struct LabeledSequences: Sendable {
    /// One sequence and its label.
    public struct Example: Sendable, Equatable {
        /// The sequence's token ids.
        public var tokens: [Int32]
        /// The index of its label in ``LabeledSequences/labels``.
        public var label: Int32
    }

    /// Label names, sorted; label ids index this.
    public var labels: [String]
    /// The symbols of the sequences.
    public var vocabulary: Vocabulary
    /// The examples in file order.
    public var examples: [Example]

    /// Parses `text`; `name` is the file named in errors. Lines that are empty are skipped; a line
    /// without a tab or with an empty sequence is an error naming its line number.
    public static func parse(_ text: String, name: String, level: TokenLevel,
                             labels known: [String]? = nil, vocabulary fixed: Vocabulary? = nil) throws -> LabeledSequences {
        var rows: [(label: String, sequence: String)] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = line.hasSuffix("\r") ? line.dropLast() : line
            if line.isEmpty { continue }
            guard let tab = line.firstIndex(of: "\t") else {
                throw ElmanError("\(name):\(i + 1): no tab; expected LABEL<TAB>SEQUENCE")
            }
            let label = String(line[..<tab]), sequence = String(line[line.index(after: tab)...])
            guard !label.isEmpty, !sequence.isEmpty else {
                throw ElmanError("\(name):\(i + 1): empty \(label.isEmpty ? "label" : "sequence"); expected LABEL<TAB>SEQUENCE")
            }
            rows.append((label, sequence))
        }
        guard !rows.isEmpty else { throw ElmanError("\(name): no examples; expected lines LABEL<TAB>SEQUENCE") }
        let labels = known ?? Set(rows.map(\.label)).sorted()
        guard labels.count >= 2 else {
            throw ElmanError("\(name): every example has the label '\(labels.first ?? "")'; a classifier needs at least 2 labels")
        }
        let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, Int32($0)) })
        let vocabulary = fixed ?? Vocabulary.build(from: rows.map(\.sequence).joined(separator: "\n"), level: level)
        var examples: [Example] = []
        examples.reserveCapacity(rows.count)
        for (i, row) in rows.enumerated() {
            guard let label = index[row.label] else {
                throw ElmanError("\(name): example \(i + 1) has the label '\(row.label)', unknown to the model (labels: \(labels.joined(separator: ", ")))")
            }
            let tokens: [Int32]
            do { tokens = try vocabulary.encode(row.sequence) } catch let e as ElmanError {
                throw ElmanError("\(name): example \(i + 1): \(e.message)")
            }
            guard !tokens.isEmpty else { throw ElmanError("\(name): example \(i + 1) has no tokens") }
            examples.append(Example(tokens: tokens, label: label))
        }
        return LabeledSequences(labels: labels, vocabulary: vocabulary, examples: examples)
    }

    /// The built-in task: parity. Binary strings of 1…`maxLength` digits, labelled `even` or `odd` by their
    /// count of ones — the answer depends on every symbol, so the state must carry it to the end.
    public static func parity(count: Int, maxLength: Int, seed: UInt64) -> String {
        var g = SeededGenerator(seed: seed)
        var lines: [String] = []
        for _ in 0..<count {
            let length = 1 + Int(g.next() % UInt64(maxLength))
            let digits = (0..<length).map { _ in g.next() & 1 == 1 }
            let ones = digits.filter { $0 }.count
            lines.append("\(ones % 2 == 0 ? "even" : "odd")\t" + String(digits.map { $0 ? "1" : "0" }))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
