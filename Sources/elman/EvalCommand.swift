import RealModule
import ArgumentParser
import Elman
import Foundation

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval", abstract: "Loss, perplexity and bits per token of a model on a text; loss and accuracy of a classifier; MSE, RMSE and MAE of a regression model beside persistence.")

    @Argument(help: "Model file written by elman train.") var model: String
    @Argument(help: "UTF-8 text file (for a classifier: lines LABEL<TAB>SEQUENCE; for a regression model: a CSV series). Without it: the validation part of the run the model comes from, read as elman train read it.") var file: String?
    @Flag(help: "Print one JSON object.") var json = false
    @Flag(help: strictHelp) var strict = false

    func run() throws {
        let trained = try TrainedModel.load(model)
        let (params, vocabulary) = (trained.params, trained.vocabulary)
        guard let file else { return try evaluateValidation(trained, run: runSettings()) }
        if let labels = trained.labels, trained.series != nil {
            return try evaluateSeriesClassifier(trained, labels: labels, data: LabeledSeries.read(file), name: file)
        }
        if let labels = trained.labels {
            let text = try TextFile.read(file, expected: TextFile.classifierText)
            return try evaluateClassifier(params, labels: labels, vocabulary: vocabulary, rows: LabeledSequences.rows(text, name: file).rows,
                                          name: file)
        }
        if let columns = trained.columns { return try evaluateRegression(params, columns: columns, file: file) }
        let tokens: [Int32]
        var unknown = UnknownSymbols()
        do { tokens = try vocabulary.encode(try Corpus.read(file, level: vocabulary.level), unknown: &unknown) } catch let e as ElmanError {
            throw ElmanError(e.message.contains("not in the model's vocabulary") ? "\(file): \(e.message)" : e.message)
        }
        try reportUnknownSymbols(unknown, in: file, strict: strict)
        try evaluateLanguageModel(params, vocabulary: vocabulary, tokens: tokens, name: file)
    }

    /// The settings of the run `model` comes from: its directory's last.safetensors (or the file itself).
    private func runSettings() throws -> RunSettings {
        var isDirectory: ObjCBool = false
        let isRun = FileManager.default.fileExists(atPath: model, isDirectory: &isDirectory) && isDirectory.boolValue
        let directory = isRun ? model : (model as NSString).deletingLastPathComponent
        let last = (directory.isEmpty ? "." : directory) + "/last.safetensors"
        let checkpoint = FileIO.exists(last) ? last : model
        do { return try RunSettings.saved(in: SafeTensorsFile.read(checkpoint), name: checkpoint) } catch let e as ElmanError {
            throw ElmanError("\(e.message); or give eval a FILE to evaluate on")
        }
    }

    /// The validation part of the run, as elman train read it; the first line of the output says which data it is.
    private func evaluateValidation(_ trained: TrainedModel, run: RunSettings) throws {
        let (params, vocabulary) = (trained.params, trained.vocabulary)
        let share = "\(fixed(100 * run.valFraction, 0))%"
        func describe(_ source: String, part: String) -> String {
            run.valFile.map { "validation file \($0)" } ?? "validation part (\(part)) of \(source)"
        }
        guard run.valFile != nil || run.valFraction > 0 else {
            throw ElmanError("\(model): its run trained without validation (--val-fraction 0); give eval a FILE to evaluate on")
        }
        if let labels = trained.labels, trained.series != nil {
            let data = try run.seriesClassificationData()
            guard let validation = data.validation else {
                throw ElmanError("\(model): its run has no validation series; give eval a FILE to evaluate on")
            }
            return try evaluateSeriesClassifier(trained, labels: labels, data: validation,
                                                name: describe(data.name, part: "\(share) of each label"))
        }
        if let labels = trained.labels {
            let data = try run.classificationData(labels: labels, say: { _ in })
            return try evaluateClassifier(params, labels: labels, vocabulary: vocabulary, rows: data.validation,
                                          name: describe(data.name, part: "\(share) of each label"))
        }
        if let columns = trained.columns {
            let data = try run.regressionData(time: columns.timeColumn)
            return try evaluateRegression(params, columns: columns, series: data.validation,
                                          name: describe(data.name, part: "the last \(share) of the rows"))
        }
        let validation = try run.languageData(vocabulary: run.initFrom == nil ? nil : vocabulary).2
        try evaluateLanguageModel(params, vocabulary: vocabulary, tokens: validation,
                                  name: describe(run.file ?? "built-in Reber grammar corpus", part: "the last \(share) of the text"))
    }

    private func evaluateLanguageModel(_ params: Parameters<Float>, vocabulary: Vocabulary, tokens: [Int32], name file: String) throws {
        guard let score = try LanguageModelTask.evaluate(params, tokens: tokens, batch: 32, seq: 64) else {
            throw ElmanError("\(file): \(tokens.count) token\(tokens.count == 1 ? "" : "s"); needs at least 2 (one prediction)")
        }
        let loss = score.loss, perplexity = Double.exp(loss), bits = loss / Double.log(2)
        if json {
            struct Result: Encodable { var loss, perplexity, bitsPerToken: Double, tokens, predictions: Int, unknownShare: Double }
            printJSON(Result(loss: loss, perplexity: perplexity, bitsPerToken: bits, tokens: tokens.count, predictions: score.items,
                             unknownShare: vocabulary.unknownShare(tokens)))
        } else {
            print("\(file): \(tokens.count) tokens, \(score.items) prediction\(score.items == 1 ? "" : "s") · loss \(fixed(loss, 4)) nats/token · "
                  + "perplexity \(fixed(perplexity, 3)) · \(fixed(bits, 4)) bits/token · "
                  + "\(fixed(100 * vocabulary.unknownShare(tokens), 2))% unknown (<unk>)")
        }
    }

    /// The file as one stream from a zero state: every step's one-step-ahead prediction against the next row.
    private func evaluateRegression(_ params: Parameters<Float>, columns: RegressionTask.Columns, file: String) throws {
        let text = try TextFile.read(file)
        // A classifier's TSV given to a regression model would otherwise fail on its first cell that is no number.
        if let first = text.split(separator: "\n", maxSplits: 1).first, first.contains("\t"), !first.contains(",") {
            throw ElmanError("\(file): tab-separated lines; a regression model reads a CSV series: a header line "
                + "naming the columns (this model's: \(columns.names.joined(separator: ","))), then rows of numbers separated by commas")
        }
        try evaluateRegression(params, columns: columns, series: NumericSeries.parse(csv: text, name: file, time: columns.timeColumn), name: file)
    }

    private func evaluateRegression(_ params: Parameters<Float>, columns: RegressionTask.Columns, series: NumericSeries,
                                    name file: String) throws {
        let report: RegressionReport
        do { report = try RegressionReport.measure(params, columns: columns, on: series) } catch let e as ElmanError {
            throw ElmanError("\(file): \(e.message)")
        }
        if json { return printJSON(report) }
        let o = report.overall
        print("\(file): \(series.steps - 1) steps, \(report.predictions) predictions · MSE \(plain(o.mse)) · RMSE \(plain(o.rmse)) · "
              + "MAE \(plain(o.mae)) · RMSE / the targets' standard deviation \(fixed(o.normalizedRMSE, 4)) · persistence MSE \(plain(o.persistenceMSE)) "
              + "(\(fixed(o.mse / o.persistenceMSE, 3))×)")
        guard report.columns.count > 1 else { return }
        for (name, e) in report.columns.sorted(by: { $0.key < $1.key }) {
            print("  \(name): MSE \(plain(e.mse)) · RMSE \(plain(e.rmse)) · MAE \(plain(e.mae)) · persistence MSE \(plain(e.persistenceMSE))")
        }
    }

    private func evaluateClassifier(_ params: Parameters<Float>, labels: [String], vocabulary: Vocabulary,
                                    rows: [LabeledSequences.Row], name file: String) throws {
        try reportUnknownSymbols(unknownSymbols(in: rows.lazy.map(\.sequence), vocabulary: vocabulary), in: file, strict: strict)
        let examples = try LabeledSequences.encode(rows, name: file, labels: labels, vocabulary: vocabulary)
        let score = try ClassificationTask.score(params, examples)
        let model = try TrainedModel(params: params, vocabulary: vocabulary, labels: labels)
        let predicted = try examples.map { e in labels.firstIndex(of: try model.classify(vocabulary.decode(e.tokens))[0].label) ?? 0 }
        report(score, labels: labels, truth: examples.map { Int($0.label) }, predicted: predicted, items: "sequences", name: file)
    }

    /// A classifier of real-valued series on the labeled series of `data`.
    private func evaluateSeriesClassifier(_ model: TrainedModel, labels: [String], data: LabeledSeries, name file: String) throws {
        guard let input = model.series else { return }
        if strict { throw ElmanError("--strict is for symbols of text; \(self.model) classifies real-valued series") }
        guard data.isLabeled else { throw ElmanError("\(file): the series have no labels (@classLabel false); eval needs labeled series") }
        let examples = try SeriesClassificationTask.encode(data, name: file, labels: labels, input: input)
        let score = try SeriesClassificationTask.score(model.params, examples)
        let probabilities = try model.classify(series: data.examples, name: file)
        let predicted = probabilities.map { p in p.indices.max { p[$0] < p[$1] || (p[$0] == p[$1] && $0 > $1) } ?? 0 }
        report(score, labels: labels, truth: examples.map { Int($0.label) }, predicted: predicted, items: "series", name: file)
    }

    /// Loss, accuracy, the confusion matrix and per-label precision and recall, as text or JSON.
    private func report(_ score: ValidationScore, labels: [String], truth: [Int], predicted: [Int], items: String, name file: String) {
        let accuracy = score.accuracy ?? 0
        // confusion[truth][predicted]
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: labels.count), count: labels.count)
        for (t, p) in zip(truth, predicted) { confusion[t][p] += 1 }
        struct PerLabel: Encodable { var label: String, precision, recall: Double, support: Int }
        let perLabel = labels.indices.map { k in
            let predictedK = labels.indices.reduce(0) { $0 + confusion[$1][k] }, actualK = confusion[k].reduce(0, +)
            return PerLabel(label: labels[k], precision: predictedK > 0 ? Double(confusion[k][k]) / Double(predictedK) : 0,
                            recall: actualK > 0 ? Double(confusion[k][k]) / Double(actualK) : 0, support: actualK)
        }
        if json {
            struct Result: Encodable {
                var loss, accuracy: Double, examples: Int, labels: [String], confusion: [[Int]], perLabel: [PerLabel]
            }
            printJSON(Result(loss: score.loss, accuracy: accuracy, examples: score.items, labels: labels, confusion: confusion,
                             perLabel: perLabel))
        } else {
            print("\(file): \(score.items) \(items) · loss \(fixed(score.loss, 4)) nats/sequence · "
                  + "accuracy \(fixed(100 * accuracy, 2))%")
            let width = max(8, (labels.map(\.count).max() ?? 0) + 2)
            func pad(_ s: String) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
            print(pad("truth \\ predicted") + labels.map(pad).joined() + pad("recall"))
            for (k, row) in confusion.enumerated() {
                print(pad(labels[k]) + row.map { pad("\($0)") }.joined() + pad(fixed(100 * perLabel[k].recall, 1) + "%"))
            }
            print(pad("precision") + perLabel.map { pad(fixed(100 * $0.precision, 1) + "%") }.joined())
        }
    }
}
