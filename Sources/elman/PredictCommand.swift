import ArgumentParser
import Elman
import Foundation

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Label sequences (text, or real-valued series) with a classifier, or show a language model's most likely next symbols.",
        discussion: """
            Reads one sequence per line (empty lines are skipped; a line LABEL<TAB>SEQUENCE, as in training files, \
            is read as its SEQUENCE). A classifier prints LABEL<TAB>PROBABILITY<TAB>SEQUENCE: the most likely label, \
            its probability and the sequence it answers; a language model prints the --top-k most likely symbols to \
            follow the line with their probabilities, a tab, and the line. Each answer is printed as soon as it is made. \
            A classifier of real-valued series reads a UCR/UEA .ts or .tsv file (labels, if any, are ignored) and \
            prints LABEL<TAB>PROBABILITY<TAB>line N for each series.
            """)

    @Argument(help: "Model file or run directory written by elman train.") var model: String
    @Argument(help: "UTF-8 text file, or a .ts/.tsv file for a classifier of series, or - for standard input (default: standard input).") var file: String?
    @Option(help: "Next symbols shown per line, language models only (default: 5).") var topK: Int?
    @Flag(help: "One JSON object per line, with every label's probability (classifier) or the top symbols (language model).")
    var json = false
    @Flag(help: strictHelp) var strict = false

    func run() throws {
        let trained = try TrainedModel.load(model)
        if trained.isClassifier, let k = topK { throw ElmanError("--top-k \(k) is for language models; \(model) is a classifier") }
        let k = topK ?? 5
        guard k >= 1 else { throw ElmanError("--top-k is \(k); expected ≥ 1") }
        let name = file ?? "-"
        if trained.series != nil { return try predictSeries(trained, name: name) }
        let text: String
        if name == "-" {
            guard let s = String(validating: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) else {
                throw ElmanError("standard input is not UTF-8 text")
            }
            text = s
        } else {
            text = try TextFile.read(name, expected: trained.isClassifier ? TextFile.classifierText : "UTF-8 text")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if !trained.isRegressor {
            let unknown = unknownSymbols(in: lines.lazy.map(Self.sequence), vocabulary: trained.vocabulary)
            try reportUnknownSymbols(unknown, in: name == "-" ? "standard input" : name, strict: strict)
        }
        for (number, line) in lines.enumerated() {
            let sequence = Self.sequence(line)
            guard !sequence.isEmpty else { continue }
            do {
                if trained.isClassifier {
                    try printLabel(trained.classify(sequence), input: sequence)
                } else {
                    var state = trained.initialState()
                    try printNext(trained.predict(sequence, state: &state), vocabulary: trained.vocabulary, k: k, input: sequence)
                }
            } catch let e as ElmanError {
                throw ElmanError("\(name == "-" ? "standard input" : name):\(number + 1): \(e.message)")
            }
            StreamingOutput.flushPrinted()  // each answer as soon as it is made, and a reader that stops early stops us
        }
    }

    /// A classifier of real-valued series on a `.ts` or `.tsv` file (labeled or not): one answer per series,
    /// LABEL<TAB>PROBABILITY<TAB>line N.
    private func predictSeries(_ trained: TrainedModel, name: String) throws {
        if strict { throw ElmanError("--strict is for symbols of text; \(model) classifies real-valued series") }
        let data: LabeledSeries
        if name == "-" {
            data = try LabeledSeries.parse(bytes: Array(FileHandle.standardInput.readDataToEndOfFile()), name: "standard input")
        } else {
            data = try LabeledSeries.read(name)
        }
        let probabilities = try trained.classify(series: data.examples, name: name == "-" ? "standard input" : name)
        for (e, p) in zip(data.examples, probabilities) {
            let ranked = trained.ranked(p)
            if json {
                struct Line: Encodable { var line: Int, label: String, probabilities: [String: Float] }
                printJSON(Line(line: e.line, label: ranked[0].label,
                               probabilities: Dictionary(uniqueKeysWithValues: ranked.map { ($0.label, $0.probability) })))
            } else {
                print("\(ranked[0].label)\t\(fixed(Double(ranked[0].probability), 4))\tline \(e.line)")
            }
        }
    }

    /// The sequence a line holds: the line itself, or SEQUENCE of LABEL<TAB>SEQUENCE; without a CR line end.
    static func sequence(_ rawLine: Substring) -> String {
        let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
        return String(line.split(separator: "\t", omittingEmptySubsequences: false).last ?? "")
    }

    private func printLabel(_ ranked: [(label: String, probability: Float)], input: String) {
        if json {
            struct Line: Encodable { var input: String, label: String, probabilities: [String: Float] }
            printJSON(Line(input: input, label: ranked[0].label,
                           probabilities: Dictionary(uniqueKeysWithValues: ranked.map { ($0.label, $0.probability) })))
        } else {
            print("\(ranked[0].label)\t\(fixed(Double(ranked[0].probability), 4))\t\(input)")
        }
    }

    private func printNext(_ p: [Float], vocabulary: Vocabulary, k: Int, input: String) {
        let top = p.indices.sorted { p[$0] > p[$1] || (p[$0] == p[$1] && $0 < $1) }.prefix(k)
        if json {
            struct Next: Encodable { var symbol: String, probability: Float }
            struct Line: Encodable { var input: String, next: [Next] }
            printJSON(Line(input: input, next: top.map { Next(symbol: vocabulary.symbols[$0], probability: p[$0]) }))
        } else {
            let shown = top.map { i in
                "'\(vocabulary.symbols[i].unicodeScalars.map { $0.escaped(asASCII: false) }.joined())' \(fixed(Double(p[i]), 4))"
            }
            print(shown.joined(separator: "  ") + "\t\(input)")
        }
    }
}
