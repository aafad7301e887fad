import RealModule
import ArgumentParser
import Elman

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval", abstract: "Loss, perplexity and bits per token of a model on a text; loss and accuracy of a classifier; MSE, RMSE and MAE of a regression model beside persistence.")

    @Argument(help: "Model file written by elman train.") var model: String
    @Argument(help: "UTF-8 text file (for a classifier: lines LABEL<TAB>SEQUENCE; for a regression model: a CSV series).") var file: String
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let trained = try TrainedModel.load(model)
        let (params, vocabulary) = (trained.params, trained.vocabulary)
        if let labels = trained.labels {
            return try evaluateClassifier(params, labels: labels, vocabulary: vocabulary)
        }
        if let columns = trained.columns { return try evaluateRegression(params, columns: columns) }
        let tokens: [Int32]
        do { tokens = try vocabulary.encode(try Corpus.read(file, level: vocabulary.level)) } catch let e as ElmanError {
            throw ElmanError(e.message.contains("not in the model's vocabulary") ? "\(file): \(e.message)" : e.message)
        }
        guard let loss = try LanguageModelTask.evaluate(params, tokens: tokens, batch: 32, seq: 64)?.loss else {
            throw ElmanError("\(file): needs at least 2 tokens")
        }
        let perplexity = Double.exp(loss), bits = loss / Double.log(2)
        if json {
            struct Result: Encodable { var loss, perplexity, bitsPerToken: Double, tokens: Int }
            printJSON(Result(loss: loss, perplexity: perplexity, bitsPerToken: bits, tokens: tokens.count))
        } else {
            print("\(file): \(tokens.count) tokens · loss \(fixed(loss, 4)) nats/token · perplexity \(fixed(perplexity, 3)) · \(fixed(bits, 4)) bits/token")
        }
    }

    /// The file as one stream from a zero state: every step's one-step-ahead prediction against the next row.
    private func evaluateRegression(_ params: Parameters<Float>, columns: RegressionTask.Columns) throws {
        let series = try NumericSeries.parse(csv: TextFile.read(file), name: file)
        let report: RegressionReport
        do { report = try RegressionReport.measure(params, columns: columns, on: series) } catch let e as ElmanError {
            throw ElmanError("\(file): \(e.message)")
        }
        if json { return printJSON(report) }
        let o = report.overall
        print("\(file): \(series.steps - 1) steps, \(report.predictions) predictions · MSE \(scientific(o.mse)) · RMSE \(scientific(o.rmse)) · "
              + "MAE \(scientific(o.mae)) · normalized RMSE \(fixed(o.normalizedRMSE, 4)) · persistence MSE \(scientific(o.persistenceMSE)) "
              + "(\(fixed(o.mse / o.persistenceMSE, 3))×)")
        guard report.columns.count > 1 else { return }
        for (name, e) in report.columns.sorted(by: { $0.key < $1.key }) {
            print("  \(name): MSE \(scientific(e.mse)) · RMSE \(scientific(e.rmse)) · MAE \(scientific(e.mae)) · persistence MSE \(scientific(e.persistenceMSE))")
        }
    }

    private func evaluateClassifier(_ params: Parameters<Float>, labels: [String], vocabulary: Vocabulary) throws {
        let data = try LabeledSequences.parse(try TextFile.read(file), name: file, level: vocabulary.level,
                                              labels: labels, vocabulary: vocabulary)
        let score = try ClassificationTask.score(params, data.examples)
        let accuracy = score.accuracy ?? 0
        if json {
            struct Result: Encodable { var loss, accuracy: Double, examples: Int }
            printJSON(Result(loss: score.loss, accuracy: accuracy, examples: score.items))
        } else {
            print("\(file): \(score.items) sequences · loss \(fixed(score.loss, 4)) nats/sequence · "
                  + "accuracy \(fixed(100 * accuracy, 2))%")
        }
    }
}
