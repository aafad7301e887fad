/// The UCR archive's 2018 `.tsv` form (see ``LabeledSeries/parse(tsv:name:)``): `LABEL<TAB>v1<TAB>v2…` per line,
/// trailing `NaN` padding a shorter series; comma-separated lines (the 2015 `.csv` form) read the same way.
struct TSVReader {
    let fields: ByteFields
    let name: String

    init(_ fields: ByteFields, name: String) {
        self.fields = fields
        self.name = name
    }

    func error(_ line: Int, _ message: String) -> ElmanError { ElmanError("\(name):\(line): \(message)") }

    func read() throws -> LabeledSeries {
        var parser = DecimalParser()
        var examples: [LabeledSeries.Example] = []
        var separator: UInt8?
        for (number, line) in fields.lines() {
            let range = fields.trimmed(line, keepingTabs: true)
            guard !range.isEmpty else { continue }
            let sep = separator ?? (fields.contains(0x09, in: range) ? 0x09 : UInt8(ascii: ","))
            separator = sep
            let what = sep == 0x09 ? "tab" : "comma"
            let expected = sep == 0x09 ? "LABEL<TAB>VALUE<TAB>VALUE…" : "LABEL,VALUE,VALUE…"
            var cells = fields.split(range, on: sep)
            guard cells.count >= 2 else { throw error(number, "no \(what); expected \(expected)") }
            let label = fields.string(fields.trimmed(cells[0]))
            guard !label.isEmpty else { throw error(number, "column 1 (the label) is empty; expected \(expected)") }
            // Trailing NaN or empty cells pad a series shorter than the file's longest.
            while cells.count > 1, let last = cells.last, fields.trimmed(last).isEmpty || fields.isMissing(last) { cells.removeLast() }
            guard cells.count >= 2 else { throw error(number, "no values after the label (only NaN padding); expected \(expected)") }
            var values: [Double] = []
            values.reserveCapacity(cells.count - 1)
            for (k, cell) in cells.enumerated().dropFirst() {
                let c = fields.trimmed(cell)
                if let v = parser.parse(fields.bytes, c) {
                    values.append(v)
                    continue
                }
                if c.isEmpty || fields.isMissing(c) {
                    throw error(number, "column \(k + 1) is \(c.isEmpty ? "empty" : fields.quoted(c)) before the last value; expected a "
                        + "number (NaN may only pad the end of a shorter series)")
                }
                throw error(number, "column \(k + 1) is \(fields.quoted(c)); expected a finite decimal number")
            }
            examples.append(LabeledSeries.Example(values: values, length: values.count, label: label, line: number))
        }
        guard !examples.isEmpty else { throw ElmanError("\(name): no examples; expected lines LABEL<TAB>VALUE<TAB>VALUE…") }
        return LabeledSeries(format: .tsv, problemName: nil, labels: Self.order(Set(examples.compactMap(\.label))),
                             channels: 1, examples: examples)
    }

    /// Labels in numeric order when all are numbers (`-1`, `1`, `2`, `10`), else sorted as strings.
    static func order(_ labels: Set<String>) -> [String] {
        let numbers = labels.compactMap { l in Double(l).flatMap { $0.isFinite ? (l, $0) : nil } }
        guard numbers.count == labels.count else { return labels.sorted() }
        return numbers.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }.map(\.0)
    }
}
