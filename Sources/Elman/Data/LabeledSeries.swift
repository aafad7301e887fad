/// Real-valued sequences, each with its label: a time-series classification dataset as the UCR/UEA archive
/// distributes it.
///
/// Two file formats are read:
/// - **`.ts`**, the archive's format as sktime, aeon and tsai read it: a header (`@problemName`, `@timeStamps`,
///   `@missing`, `@univariate`, `@dimensions`, `@equalLength`, `@seriesLength`, `@classLabel`), then after `@data`
///   one example per line, its channels separated by `:` and their values by `,`, the label last. See
///   ``parse(ts:name:)``.
/// - **`.tsv`**, the archive's 2018 univariate form: one example per line, the label then the values, tab-separated
///   (or comma-separated), a shorter series padded at its end with `NaN`. See ``parse(tsv:name:)``.
///
/// Every example of a dataset has the same number of channels; examples may differ in length, but the channels of
/// one example share its length. A missing value (`?` or `NaN`, except the `.tsv` end padding) is an error.
///
/// ```swift
/// let train = try LabeledSeries.read("BasicMotions_TRAIN.ts")
/// print(train.channels, train.examples.count, train.labels)  // 6 40 ["Standing", "Running", "Walking", "Badminton"]
/// let first = train.examples[0].channel(0)                     // its first channel's 100 values
/// ```
public struct LabeledSeries: Sendable, Equatable {
    /// A file format of the archive.
    public enum Format: String, Sendable, CaseIterable {
        /// The `.ts` format: a header, then `@data` and one example per line.
        case ts
        /// The 2018 tab-separated form: a label, then the values.
        case tsv
    }

    /// One example: its values, channel by channel, and its label.
    public struct Example: Sendable, Equatable {
        /// The values, channel-major: channel c's step t at `c * length + t`.
        public var values: [Double]
        /// The number of steps, the same in every channel.
        public var length: Int
        /// The label as the file writes it, or nil in an unlabeled file (`@classLabel false`).
        public var label: String?
        /// Its line in the file (1-based).
        public var line: Int

        public init(values: [Double], length: Int, label: String?, line: Int) {
            self.values = values
            self.length = length
            self.label = label
            self.line = line
        }

        /// The number of channels.
        public var channels: Int { length == 0 ? 0 : values.count / length }

        /// The values of channel `c` (0-based), in time order.
        public func channel(_ c: Int) -> ArraySlice<Double> { values[(c * length)..<((c + 1) * length)] }
    }

    /// The format the file was read as.
    public var format: Format
    /// The `@problemName` of a `.ts` file; nil when it has none, and for `.tsv`.
    public var problemName: String?
    /// The label set: a `.ts` file's `@classLabel` list in its declared order, or a `.tsv` file's labels in
    /// numeric order when all are numbers (else sorted as strings). Empty for an unlabeled file.
    public var labels: [String]
    /// The channels (dimensions) of every example: 1 for a univariate dataset.
    public var channels: Int
    /// The examples in file order.
    public var examples: [Example]

    public init(format: Format, problemName: String?, labels: [String], channels: Int, examples: [Example]) {
        self.format = format
        self.problemName = problemName
        self.labels = labels
        self.channels = channels
        self.examples = examples
    }

    /// Whether the examples carry labels.
    public var isLabeled: Bool { examples.first?.label != nil }

    /// Whether every example has the same length.
    public var isEqualLength: Bool { Set(examples.map(\.length)).count <= 1 }

    /// The shortest and the longest example's length.
    public var lengthRange: ClosedRange<Int> {
        (examples.map(\.length).min() ?? 0)...(examples.map(\.length).max() ?? 0)
    }

    /// Reads the file at `path`: `format`, or by its content when nil (see ``format(of:)``).
    ///
    /// - Throws: ``ElmanError`` naming the file, and for a malformed line its number and what was expected.
    public static func read(_ path: String, format: Format? = nil) throws -> LabeledSeries {
        try parse(bytes: FileIO.read(path), name: path, format: format)
    }

    /// Parses `text`; `name` is the file named in errors. `format`, or by the content when nil.
    public static func parse(_ text: String, name: String, format: Format? = nil) throws -> LabeledSeries {
        try parse(bytes: Array(text.utf8), name: name, format: format)
    }

    /// Parses the bytes of a file (UTF-8; a byte-order mark is skipped); `name` is the file named in errors.
    public static func parse(bytes: [UInt8], name: String, format: Format? = nil) throws -> LabeledSeries {
        let fields = ByteFields(bytes)
        switch format ?? detect(fields) {
        case .ts: return try TSReader(fields, name: name).read()
        case .tsv: return try TSVReader(fields, name: name).read()
        }
    }

    /// Parses a `.ts` file's text; `name` is the file named in errors.
    ///
    /// Header keys are case-insensitive, in any order, before `@data`; lines starting with `#` or `%` are comments;
    /// blank lines are skipped anywhere; values in quotes (`@problemName "Gun Point"`) lose them. Refused by name:
    /// `@timeStamps true` (values written as `(t,v)`), `@targetLabel true` (regression). Checked, each with an error
    /// naming the line: labels against `@classLabel`, channel counts against `@dimensions`, `@univariate` and the
    /// first example, lengths against `@seriesLength` and `@equalLength true`, the channels of one example against
    /// each other, every value a finite decimal number.
    public static func parse(ts text: String, name: String) throws -> LabeledSeries {
        try parse(text, name: name, format: .ts)
    }

    /// Parses a `.tsv` file's text (the archive's 2018 univariate form); `name` is the file named in errors.
    ///
    /// Each non-blank line is a label, then the values, separated by tabs (or by commas when the first line has no
    /// tab). Trailing `NaN` (or empty) cells pad a shorter series and are dropped; a `NaN` before the last value is
    /// an error naming its line and column.
    public static func parse(tsv text: String, name: String) throws -> LabeledSeries {
        try parse(text, name: name, format: .tsv)
    }

    /// The format `text` is in: `.ts` when a line is `@data` (in any case), else `.tsv`.
    public static func format(of text: String) -> Format { detect(ByteFields(Array(text.utf8))) }

    static func detect(_ fields: ByteFields) -> Format {
        for (_, range) in fields.lines() where fields.equals(range, ignoringCase: "@data") { return .ts }
        return .tsv
    }

    /// Whether `text` holds real-valued series rather than Elman's text-classification lines `LABEL<TAB>SEQUENCE`:
    /// true for a `.ts` file, and for lines (the first 20 that are not blank) that each hold a label and at least
    /// two further cells, every one a number or `NaN`, separated by tabs (or by commas when the first line has no
    /// tab). A text line has one tab, so a text whose sequences happen to be numbers is still text.
    public static func looksNumeric(_ text: String) -> Bool {
        let fields = ByteFields(Array(text.utf8))
        if detect(fields) == .ts { return true }
        var parser = DecimalParser()
        var separator: UInt8?, seen = 0
        for (_, line) in fields.lines() {
            let range = fields.trimmed(line, keepingTabs: true)
            guard !range.isEmpty else { continue }
            let sep = separator ?? (fields.contains(0x09, in: range) ? 0x09 : UInt8(ascii: ","))
            separator = sep
            let cells = fields.split(range, on: sep)
            guard cells.count >= 3 else { return false }
            for cell in cells.dropFirst() {
                let c = fields.trimmed(cell)
                guard c.isEmpty || fields.isMissing(c) || parser.parse(fields.bytes, c) != nil else { return false }
            }
            seen += 1
            if seen == 20 { break }
        }
        return seen > 0
    }
}
