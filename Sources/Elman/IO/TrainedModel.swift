/// A model file written by `elman train`, checked as a whole: its parameters, its vocabulary and, for a
/// classifier, its labels agree in size, so that nothing read from the file can index out of range later.
public struct TrainedModel {
    public let params: Parameters<Float>
    public let vocabulary: Vocabulary
    /// The class names of a sequence classifier; nil for a language model.
    public let labels: [String]?

    public var isClassifier: Bool { labels != nil }

    /// Reads and checks `path`.
    public static func load(_ path: String) throws -> TrainedModel {
        try TrainedModel(file: SafeTensorsFile.read(path), name: path)
    }

    public init(file: SafeTensorsFile, name: String) throws {
        let labels = try ClassifierTrainer.labels(of: file, name: name)
        let vocabulary = try Trainer.vocabulary(of: file, name: name)
        let params: Parameters<Float> = try ModelFile.parameters(from: file, name: name)
        let config = params.config
        func fail(_ what: String) -> ElmanError { ElmanError("\(name): \(what); expected a model written by elman train") }
        guard vocabulary.count >= 1, vocabulary.count == config.inputSize else {
            throw fail("its vocabulary has \(vocabulary.count) symbols but the model takes \(config.inputSize) inputs")
        }
        if let labels {
            let outputs = labels.count == 2 ? 1 : labels.count
            guard config.outputSize == outputs, config.head == (labels.count == 2 ? .sigmoid : .softmax) else {
                throw fail("\(labels.count) labels but a \(config.head.rawValue) head with \(config.outputSize) outputs")
            }
        } else {
            guard config.head == .softmax, config.outputSize == vocabulary.count else {
                throw fail("a language model needs a softmax over its \(vocabulary.count) symbols, "
                    + "found a \(config.head.rawValue) head with \(config.outputSize) outputs")
            }
        }
        self.params = params
        self.vocabulary = vocabulary
        self.labels = labels
    }
}
