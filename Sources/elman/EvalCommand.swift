import ArgumentParser
import Elman

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval", abstract: "Loss, perplexity and bits per token of a model on a text.")

    @Argument(help: "Model file written by elman train.") var model: String
    @Argument(help: "UTF-8 text file.") var file: String
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let modelFile = try SafeTensorsFile.read(model)
        let vocabulary = try Trainer.vocabulary(of: modelFile, name: model)
        let params: Parameters<Float> = try ModelFile.parameters(from: modelFile, name: model)
        let tokens: [Int32]
        do { tokens = try vocabulary.encode(try TextFile.read(file)) } catch let e as ElmanError {
            throw ElmanError(e.message.hasPrefix("symbols") ? "\(file): \(e.message)" : e.message)
        }
        guard let loss = try Trainer.evaluate(params, tokens: tokens, batch: 32, seq: 64) else {
            throw ElmanError("\(file): needs at least 2 tokens")
        }
        let perplexity = Double.exp(loss), bits = loss / Double.log(2)
        if json {
            print("{\"loss\": \(loss), \"perplexity\": \(perplexity), \"bits_per_token\": \(bits), \"tokens\": \(tokens.count)}")
        } else {
            print("\(file): \(tokens.count) tokens · loss \(fixed(loss, 4)) nats/token · perplexity \(fixed(perplexity, 3)) · \(fixed(bits, 4)) bits/token")
        }
    }
}

import RealModule
