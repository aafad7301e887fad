/// The `.ts` format of the UCR/UEA archive (see ``LabeledSeries/parse(ts:name:)``).
struct TSReader {
    let fields: ByteFields
    let name: String

    init(_ fields: ByteFields, name: String) {
        self.fields = fields
        self.name = name
    }

    /// What the header declares.
    struct Header {
        var problemName: String?
        /// The `@classLabel` list; nil when `@classLabel false` (or `@targetLabel false`) says the file is unlabeled.
        var labels: [String]?
        var labelsDeclared = false
        var univariate: Bool?
        var dimensions: Int?
        var equalLength: Bool?
        var seriesLength: Int?
    }

    func error(_ line: Int, _ message: String) -> ElmanError { ElmanError("\(name):\(line): \(message)") }

    func read() throws -> LabeledSeries {
        var lines = fields.lines()
        let header = try readHeader(&lines)
        let labelIndex = header.labels.map { Dictionary($0.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a }) }
        var parser = DecimalParser()
        var examples: [LabeledSeries.Example] = []
        var channels: (count: Int, line: Int)?
        var firstLength: (count: Int, line: Int)?
        var capacity = 0
        for (number, line) in lines {
            let range = fields.trimmed(line)
            guard !range.isEmpty, fields.bytes[range.lowerBound] != UInt8(ascii: "#"),
                  fields.bytes[range.lowerBound] != UInt8(ascii: "%") else { continue }
            var pieces = fields.split(range, on: UInt8(ascii: ":"))
            var label: String?
            if let declared = header.labels {
                guard pieces.count >= 2, let last = pieces.popLast() else {
                    throw error(number, "no ':' before a label; expected CHANNEL:…:LABEL with LABEL one of \(declared.joined(separator: ", "))")
                }
                let text = Self.unquoted(fields.string(fields.trimmed(last)))
                guard labelIndex?[text] != nil else {
                    throw error(number, text.isEmpty ? "no label after the last ':'; expected one of \(declared.joined(separator: ", "))"
                        : "the label '\(text)' is not in @classLabel (\(declared.joined(separator: ", ")))")
                }
                label = text
            }
            if let expected = header.dimensions ?? (header.univariate == true ? 1 : nil), pieces.count != expected {
                let source = header.dimensions != nil ? "@dimensions \(expected)" : "@univariate true"
                throw error(number, "\(pieces.count) channel\(pieces.count == 1 ? "" : "s"); expected \(expected) (\(source))")
            }
            if let first = channels, pieces.count != first.count {
                throw error(number, "\(pieces.count) channel\(pieces.count == 1 ? "" : "s"); expected \(first.count) as on line \(first.line)")
            }
            channels = channels ?? (pieces.count, number)
            var values: [Double] = []
            values.reserveCapacity(capacity)
            var length = 0
            for (c, piece) in pieces.enumerated() {
                let count = try readChannel(piece, channel: c + 1, line: number, into: &values, parser: &parser)
                if c == 0 {
                    length = count
                } else if count != length {
                    throw error(number, "channel \(c + 1) has \(count) value\(count == 1 ? "" : "s"); expected \(length) as "
                        + "channel 1 has (the channels of one example share its length)")
                }
            }
            if let declared = header.seriesLength, header.equalLength != false, length != declared {
                throw error(number, "\(length) value\(length == 1 ? "" : "s") per channel; expected \(declared) (@seriesLength \(declared))")
            }
            if header.equalLength == true, let first = firstLength, length != first.count {
                throw error(number, "\(length) value\(length == 1 ? "" : "s") per channel; expected \(first.count) as on line "
                    + "\(first.line) (@equalLength true)")
            }
            firstLength = firstLength ?? (length, number)
            capacity = values.count
            examples.append(LabeledSeries.Example(values: values, length: length, label: label, line: number))
        }
        guard let channels else { throw ElmanError("\(name): no examples after @data; expected one line per example") }
        return LabeledSeries(format: .ts, problemName: header.problemName, labels: header.labels ?? [],
                             channels: channels.count, examples: examples)
    }

    /// Appends the values of one channel (`v1,v2,…`) to `values` and returns their count.
    func readChannel(_ piece: Range<Int>, channel c: Int, line: Int, into values: inout [Double],
                     parser: inout DecimalParser) throws -> Int {
        let range = fields.trimmed(piece)
        guard !range.isEmpty else { throw error(line, "channel \(c) is empty; expected values separated by ','") }
        if fields.bytes[range.lowerBound] == UInt8(ascii: "(") {
            throw error(line, "channel \(c) starts with '('; timestamped values (t,v) are not supported (expected @timeStamps false)")
        }
        var count = 0, start = range.lowerBound
        for i in range.lowerBound...range.upperBound where i == range.upperBound || fields.bytes[i] == UInt8(ascii: ",") {
            count += 1
            let cell = fields.trimmed(start..<i)
            start = i + 1
            if let v = parser.parse(fields.bytes, cell) {
                values.append(v)
                continue
            }
            let at = "channel \(c), value \(count)"
            if cell.isEmpty { throw error(line, "\(at) is empty; expected a number between the commas") }
            if fields.isMissing(cell) {
                throw error(line, "\(at) is missing (\(fields.quoted(cell))); expected a number (missing values are not supported)")
            }
            throw error(line, "\(at) is \(fields.quoted(cell)); expected a finite decimal number")
        }
        return count
    }

    /// Reads the header up to and including `@data`; `lines` is left on the first data line.
    func readHeader(_ lines: inout ByteFields.Lines) throws -> Header {
        var header = Header()
        while let (number, line) = lines.next() {
            let range = fields.trimmed(line)
            // As sktime and aeon do, lines that are no header key are skipped: comments (#, %), blank lines, prose.
            guard !range.isEmpty, fields.bytes[range.lowerBound] == UInt8(ascii: "@") else { continue }
            let tokens = Self.tokens(fields.string(range))
            guard let key = tokens.first?.lowercased() else { continue }
            let values = Array(tokens.dropFirst())
            func flag() throws -> Bool {
                guard values.count == 1, let v = ["true": true, "false": false][values[0].lowercased()] else {
                    throw error(number, "\(tokens[0]) \(values.joined(separator: " ")); expected \(tokens[0]) true or \(tokens[0]) false")
                }
                return v
            }
            func count() throws -> Int {
                guard values.count == 1, let v = Int(values[0]), v >= 1 else {
                    throw error(number, "\(tokens[0]) \(values.joined(separator: " ")); expected \(tokens[0]) and a whole number ≥ 1")
                }
                return v
            }
            switch key {
            case "@data":
                guard values.isEmpty else { throw error(number, "'\(fields.string(range))'; expected @data alone on its line") }
                guard header.labelsDeclared else {
                    throw error(number, "@data before @classLabel; expected '@classLabel true LABEL…' or '@classLabel false' in the header")
                }
                return header
            case "@problemname":
                header.problemName = values.isEmpty ? nil : values.joined(separator: " ")
            case "@timestamps":
                if try flag() {
                    throw error(number, "@timeStamps true: timestamped values (t,v) are not supported; expected @timeStamps false")
                }
            case "@targetlabel":
                if try flag() {
                    throw error(number, "@targetLabel true: a regression file (a number per example) is not supported; "
                        + "expected a classification file with @classLabel true LABEL…")
                }
                if !header.labelsDeclared { header.labelsDeclared = true; header.labels = nil }
            case "@classlabel":
                guard let first = values.first, let labeled = ["true": true, "false": false][first.lowercased()] else {
                    throw error(number, "\(tokens[0]) \(values.joined(separator: " ")); expected \(tokens[0]) true LABEL… or \(tokens[0]) false")
                }
                if labeled {
                    let labels = Array(values.dropFirst())
                    guard !labels.isEmpty else { throw error(number, "\(tokens[0]) true without labels; expected \(tokens[0]) true LABEL…") }
                    if let repeated = labels.enumerated().first(where: { labels[..<$0.offset].contains($0.element) }) {
                        throw error(number, "\(tokens[0]) lists '\(repeated.element)' twice; expected each label once")
                    }
                    header.labels = labels
                } else {
                    header.labels = nil
                }
                header.labelsDeclared = true
            case "@univariate": header.univariate = try flag()
            case "@dimensions", "@dimension": header.dimensions = try count()
            case "@equallength": header.equalLength = try flag()
            case "@serieslength": header.seriesLength = try count()
            case "@missing": _ = try flag()
            default: continue  // a key of a later version of the format (sktime and aeon skip them too)
            }
        }
        throw ElmanError("\(name): no @data line; expected a header ending with @data, then one example per line")
    }

    /// The words of a header line: separated by spaces or tabs, a word in double or single quotes kept whole.
    static func tokens(_ line: String) -> [String] {
        var tokens: [String] = [], current = "", quote: Character?, inToken = false
        for ch in line {
            if let q = quote {
                if ch == q { quote = nil } else { current.append(ch) }
            } else if ch == " " || ch == "\t" {
                if inToken { tokens.append(current); current = ""; inToken = false }
            } else if (ch == "\"" || ch == "'") && !inToken {
                quote = ch
                inToken = true
            } else {
                current.append(ch)
                inToken = true
            }
        }
        if inToken { tokens.append(current) }
        return tokens
    }

    /// `text` without one pair of enclosing double or single quotes.
    static func unquoted(_ text: String) -> String {
        guard text.count >= 2, let first = text.first, first == "\"" || first == "'", text.last == first else { return text }
        return String(text.dropFirst().dropLast())
    }
}
