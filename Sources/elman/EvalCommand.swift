import RealModule
import ArgumentParser
import Elman

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval", abstract: "Loss, perplexity and bits per token of a model on a text; loss and accuracy of a classifier.")

    @Argument(help: "Model file written by elman train.") var model: String
    @Argument(help: "UTF-8 text file (for a classifier: lines LABEL<TAB>SEQUENCE).") var file: String
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let trained = try TrainedModel.load(model)
        let (params, vocabulary) = (trained.params, trained.vocabulary)
        if let labels = trained.labels {
            return try evaluateClassifier(params, labels: labels, vocabulary: vocabulary)
        }
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
