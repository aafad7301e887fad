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

    /// One line of a labeled file before encoding.
    public struct Row: Sendable, Equatable {
        public var label: String
        public var sequence: String
        /// Its line number in the file (1-based).
        public var line: Int
    }

    /// The lines LABEL<TAB>SEQUENCE of `text` (LF, CRLF or CR line ends; empty lines skipped), and the header line
    /// if there is one. `header`: true, the first line is a header; false, it is data; nil, it is a header when its
    /// label appears on no other line while every other label appears on at least two (a column name such as
    /// `label`, above classes that repeat). A line without a tab, or with an empty label or sequence, is an error
    /// naming its line number.
    public static func rows(_ text: String, name: String, header: Bool? = nil) throws -> (rows: [Row], header: String?) {
        var rows: [Row] = []
        for (i, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() where !line.isEmpty {
            guard let tab = line.firstIndex(of: "\t") else {
                throw ElmanError("\(name):\(i + 1): no tab; expected LABEL<TAB>SEQUENCE")
            }
            let label = String(line[..<tab]), sequence = String(line[line.index(after: tab)...])
            guard !label.isEmpty, !sequence.isEmpty else {
                throw ElmanError("\(name):\(i + 1): empty \(label.isEmpty ? "label" : "sequence"); expected LABEL<TAB>SEQUENCE")
            }
            rows.append(Row(label: label, sequence: sequence, line: i + 1))
        }
        guard let first = rows.first else { throw ElmanError("\(name): no examples; expected lines LABEL<TAB>SEQUENCE") }
        let counts = Dictionary(grouping: rows.dropFirst(), by: \.label).mapValues(\.count)
        let isHeader = header ?? (rows.count >= 3 && counts[first.label] == nil && counts.values.allSatisfy { $0 >= 2 })
        guard isHeader else { return (rows, nil) }
        rows.removeFirst()
        guard !rows.isEmpty else { throw ElmanError("\(name): only a header line; expected lines LABEL<TAB>SEQUENCE below it") }
        return (rows, "\(first.label)\t\(first.sequence)")
    }

    /// Splits `rows` into training and validation rows with `fraction` of each label's rows in validation (the
    /// last ones of that label, in file order), so that a file sorted by label still validates on every label.
    /// Also returns the labels left without a validation example (too few rows).
    public static func stratifiedSplit(_ rows: [Row], validationFraction fraction: Double)
        -> (train: [Row], validation: [Row], unvalidated: [String]) {
        stratifiedSplit(rows, label: \.label, validationFraction: fraction)
    }

    /// The split of ``stratifiedSplit(_:validationFraction:)`` for any labeled items (`label` reads one's label).
    public static func stratifiedSplit<Item>(_ items: [Item], label: (Item) -> String, validationFraction fraction: Double)
        -> (train: [Item], validation: [Item], unvalidated: [String]) {
        let byLabel = Dictionary(grouping: items.indices, by: { label(items[$0]) })
        var validation = Set<Int>()
        var unvalidated: [String] = []
        for (label, indices) in byLabel {
            let take = Int((Double(indices.count) * fraction).rounded())
            validation.formUnion(indices.suffix(min(take, indices.count - 1)))
            if take == 0 || indices.count < 2, fraction > 0 { unvalidated.append(label) }
        }
        let train = items.indices.filter { !validation.contains($0) }.map { items[$0] }
        return (train, items.indices.filter { validation.contains($0) }.map { items[$0] }, unvalidated.sorted())
    }

    /// Encodes `rows` with `labels` and `vocabulary`; `name` is the file named in errors.
    public static func encode(_ rows: [Row], name: String, labels: [String], vocabulary: Vocabulary) throws -> [Example] {
        let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, Int32($0)) })
        return try rows.map { row in
            guard let label = index[row.label] else {
                throw ElmanError("\(name):\(row.line): the label '\(row.label)' is unknown to the model (labels: \(labels.joined(separator: ", ")))")
            }
            let tokens: [Int32]
            do { tokens = try vocabulary.encode(row.sequence) } catch let e as ElmanError {
                throw ElmanError("\(name):\(row.line): \(e.message)")
            }
            guard !tokens.isEmpty else { throw ElmanError("\(name):\(row.line): the sequence has no tokens") }
            return Example(tokens: tokens, label: label)
        }
    }

    /// Parses `text`; `name` is the file named in errors. With `labels` and `vocabulary`, encodes with those (a
    /// model's); otherwise the labels are the sorted set of the file's and the vocabulary is built from it.
    public static func parse(_ text: String, name: String, level: TokenLevel, labels known: [String]? = nil,
                             vocabulary fixed: Vocabulary? = nil, header: Bool? = nil) throws -> LabeledSequences {
        let rows = try rows(text, name: name, header: header).rows
        let labels = known ?? Set(rows.map(\.label)).sorted()
        guard labels.count >= 2 else {
            throw ElmanError("\(name): every example has the label '\(labels.first ?? "")'; a classifier needs at least 2 labels")
        }
        let vocabulary = fixed ?? Vocabulary.build(from: rows.map(\.sequence).joined(separator: "\n"), level: level)
        return LabeledSequences(labels: labels, vocabulary: vocabulary,
                                examples: try encode(rows, name: name, labels: labels, vocabulary: vocabulary))
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
