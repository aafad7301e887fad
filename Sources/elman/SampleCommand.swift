import ArgumentParser
import Elman

struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample", abstract: "Generate text from a trained model.",
        discussion: "The text is printed as it is generated; piped into a reader that stops early (head), sampling stops too.")

    @Argument(help: "Model file written by elman train.") var model: String
    @Option(help: "Tokens to generate.") var length: Int = 500
    @Option(help: "Softmax temperature; 0 is greedy: the most likely token at each step.") var temperature: Double = 1
    @Option(help: "Sample only from the k most likely tokens (0: all).") var topK: Int = 0
    @Option(help: "Text fed to the model first.") var prime: String?
    @Option(help: "Random seed; the same seed gives the same text.") var seed: UInt64 = 1
    @Flag(help: strictHelp) var strict = false

    func run() throws {
        guard (0...100_000_000).contains(length) else { throw ElmanError("--length is \(length); expected 0 … 100000000 tokens") }
        guard topK >= 0 else { throw ElmanError("--top-k is \(topK); expected ≥ 0") }
        guard temperature >= 0, temperature.isFinite else { throw ElmanError("--temperature is \(temperature); expected ≥ 0 (0: greedy)") }
        let trained = try TrainedModel.load(model)
        if trained.isClassifier {
            throw ElmanError("\(model): a sequence classifier; sample needs a language model (score it with elman eval)")
        }
        if let prime {
            try reportUnknownSymbols(unknownSymbols(in: [prime], vocabulary: trained.vocabulary), in: "--prime", strict: strict)
        }
        // The text is printed as it is generated; a prime the model cannot read is refused before any of it.
        var out = StreamingOutput()
        do {
            _ = try trained.vocabulary.encode(prime ?? "")
        } catch let e as ElmanError {
            throw ElmanError(prime != nil && e.message.contains("not in the model's vocabulary") ? "--prime: \(e.message)" : e.message)
        }
        out.write(prime ?? "")
        try trained.generate(prime: prime ?? "", length: length, temperature: temperature, topK: topK, seed: seed) { out.write($0) }
        out.write("\n")
    }
}
