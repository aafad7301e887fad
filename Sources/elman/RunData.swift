import Elman

/// The data of a run, as `elman train` reads it from its ``RunSettings``: `elman eval RUN` reads the same
/// validation part.
extension RunSettings {
    /// The vocabulary and the training and validation tokens of a language-model run.
    /// With `fixed` (a model being fine-tuned), the text is read with that vocabulary: at word level unseen words
    /// become `<unk>`, otherwise an unseen symbol is an error that names it.
    func languageData(vocabulary fixed: Vocabulary? = nil) throws -> (Vocabulary, [Int32], [Int32]) {
        let s = self
        let text = try s.file.map { try Corpus.read($0, level: fixed?.level ?? s.level) } ?? .text(ReberGrammar.corpus(strings: 6000, seed: 2024))
        if let fixed {
            let tokens: [Int32], validation: [Int32]
            do {
                tokens = try fixed.encode(text)
                validation = try s.valFile.map { try fixed.encode(Corpus.read($0, level: fixed.level)) } ?? []
            } catch let e as ElmanError {
                throw ElmanError("\(s.file ?? "the built-in corpus"): \(e.message) (the model of --init-from reads only its own)")
            }
            if s.valFile != nil { return (fixed, tokens, validation) }
            let cut = tokens.count - Int(Double(tokens.count) * s.valFraction)
            return (fixed, Array(tokens[..<cut]), Array(tokens[cut...]))
        }
        // The vocabulary comes from the training part only; validation symbols it lacks become <unk>.
        if let valFile = s.valFile {
            let valText = try Corpus.read(valFile, level: s.level)
            let vocabulary = Vocabulary.build(from: text, level: s.level, minCount: s.minCount)
            return (vocabulary, try vocabulary.encode(text), try vocabulary.encode(valText))
        }
        guard case .text(let string) = text else {  // bytes: every byte is a symbol
            let vocabulary = Vocabulary.build(from: text, level: s.level)
            let tokens = try vocabulary.encode(text)
            let cut = tokens.count - Int(Double(tokens.count) * s.valFraction)
            return (vocabulary, Array(tokens[..<cut]), Array(tokens[cut...]))
        }
        let pieces = Vocabulary.pieces(of: string, level: s.level)
        let cut = pieces.count - Int(Double(pieces.count) * s.valFraction)
        let vocabulary = Vocabulary.build(pieces: pieces[..<cut], level: s.level, minCount: s.minCount)
        let tokens = try vocabulary.encode(pieces: pieces)
        return (vocabulary, Array(tokens[..<cut]), Array(tokens[cut...]))
    }

    /// The whole series of a regression run and its training and validation parts; `name` is the file or the
    /// built-in series, for messages.
    /// `fixed`: the time column of the model being fine-tuned (default: --time-column, else detected).
    func regressionData(time fixed: NumericSeries.TimeColumn? = nil) throws
        -> (name: String, series: NumericSeries, train: NumericSeries, validation: NumericSeries) {
        let name = file ?? "built-in Mackey–Glass series (τ = 17)"
        let time = fixed ?? timeColumn.map { $0 == "none" ? .none : .named($0) } ?? .detect
        let series = try file.map { try NumericSeries.parse(csv: TextFile.read($0), name: $0, time: time) }
            ?? NumericSeries.mackeyGlass(steps: 4000)
        if let valFile {
            let timeColumn = series.time.map { NumericSeries.TimeColumn.named($0.name) } ?? .none
            return (name, series, series, try NumericSeries.parse(csv: TextFile.read(valFile), name: valFile, time: timeColumn))
        }
        let cut = series.steps - Int(Double(series.steps) * valFraction)
        return (name, series, series.rows(0..<cut), series.rows(cut..<series.steps))
    }

    /// The labels and the training and validation rows of a classifier run (the split stratified by label);
    /// `known` are the labels of the model it starts from, if any. `say` gets the note on a detected header.
    func classificationData(labels known: [String]?, say: (String) -> Void) throws
        -> (name: String, labels: [String], train: [LabeledSequences.Row], validation: [LabeledSequences.Row], validationName: String) {
        let s = self
        let name = s.file ?? "built-in parity task"
        let text = try s.file.map { try TextFile.read($0, expected: TextFile.classifierText) } ?? LabeledSequences.parity(count: 6000, maxLength: 12, seed: 2024)
        let (rows, header) = try LabeledSequences.rows(text, name: name, header: s.header)
        if let header { say("\(name): line 1 ('\(header.replacingOccurrences(of: "\t", with: "<TAB>"))') read as a header (--no-header reads it as data)") }
        // Before the split: a one-label file's split errors and warnings would point away from the cause.
        let labels = known ?? Set(rows.map(\.label)).sorted()
        guard labels.count >= 2 else {
            throw ElmanError("\(name): every example has the label '\(labels.first ?? "")'; a classifier needs at least 2 labels")
        }
        var trainRows = rows, validationRows: [LabeledSequences.Row] = []
        var validationName = name
        if let valFile = s.valFile {
            validationRows = try LabeledSequences.rows(TextFile.read(valFile, expected: TextFile.classifierText), name: valFile, header: s.header).rows
            validationName = valFile
        } else {
            let split = LabeledSequences.stratifiedSplit(rows, validationFraction: s.valFraction)
            (trainRows, validationRows) = (split.train, split.validation)
            guard !validationRows.isEmpty || s.valFraction == 0 else {  // refused, not a run that validates nothing
                throw ElmanError("\(name): \(rows.count) example\(rows.count == 1 ? " gives" : "s give") no validation sequence at "
                    + "--val-fraction \(s.valFraction) (a label needs at least \(max(2, Int((0.5 / s.valFraction).rounded(.up)))) "
                    + "lines to give one); add lines, give --val-file, or train without validation with --val-fraction 0")
            }
            if !split.unvalidated.isEmpty {
                printToStandardError("warning: \(name): no validation example of \(split.unvalidated.joined(separator: ", ")) (too few lines)")
            }
        }
        guard !trainRows.isEmpty else { throw ElmanError("\(name): no training examples left after the validation split") }
        return (name, labels, trainRows, validationRows, validationName)
    }
}

extension RunSettings {
    /// Whether a classifier run reads real-valued series: --input, else detected (a `.ts` file, or lines of a
    /// label and numbers: ``LabeledSeries/looksNumeric(_:)``); the built-in parity task is text. `note` says how
    /// it was chosen, for the header line.
    func classifierInput() throws -> (input: ClassifierInput, note: String) {
        try Self.classifierInput(file: file, given: input)
    }

    static func classifierInput(file: String?, given: ClassifierInput?) throws -> (input: ClassifierInput, note: String) {
        guard let file else { return (.text, "") }
        if let given { return (given, "--input \(given.rawValue)") }
        let text = try TextFile.read(file, expected: TextFile.classifierText)
        return LabeledSeries.looksNumeric(text) ? (.real, "detected: numeric series; --input text reads it as text")
            : (.text, "detected: text; --input real reads numeric series")
    }

    /// The training and validation series of a real-valued classifier run (the split stratified by label, as for
    /// text), with the file names for messages. `say` gets the warnings.
    func seriesClassificationData() throws
        -> (name: String, train: LabeledSeries, validation: LabeledSeries?, validationName: String) {
        guard let file else { throw ElmanError("a real-valued classifier needs a FILE (a UCR/UEA .ts or .tsv file)") }
        if level != .char { throw ElmanError("--level \(level.rawValue) is for text; \(file) holds real-valued series") }
        if let header { throw ElmanError("--\(header ? "" : "no-")header is for text lines; \(file) holds real-valued series") }
        let data = try LabeledSeries.read(file)
        guard data.isLabeled else {
            throw ElmanError("\(file): the series have no labels (@classLabel false); training needs labeled series")
        }
        if let valFile { return (file, data, try LabeledSeries.read(valFile), valFile) }
        let split = LabeledSequences.stratifiedSplit(data.examples, label: { $0.label ?? "" }, validationFraction: valFraction)
        guard !split.validation.isEmpty || valFraction == 0 else {
            throw ElmanError("\(file): \(data.examples.count) series give no validation series at --val-fraction \(valFraction); "
                + "give --val-file, or train without validation with --val-fraction 0")
        }
        if !split.unvalidated.isEmpty {
            printToStandardError("warning: \(file): no validation example of \(split.unvalidated.joined(separator: ", ")) (too few series)")
        }
        var train = data, validation = data
        train.examples = split.train
        validation.examples = split.validation
        guard !train.examples.isEmpty else { throw ElmanError("\(file): no training series left after the validation split") }
        return (file, train, validation.examples.isEmpty ? nil : validation, file)
    }
}
