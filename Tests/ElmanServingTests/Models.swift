import Elman
import Foundation
@testable import ElmanServing

/// Small models with random weights (seeded): the protocol's arithmetic is checked against the library's own
/// inference, which needs outputs that vary with the input, not a trained model.
enum Models {
    static let symbols = [Vocabulary.unknown, "a", "b", "c", " ", "\n", "é"]

    static func params(_ config: ModelConfig, seed: UInt64) -> Parameters<Float> {
        var g = SeededGenerator(seed: seed)
        return Parameters<Float>(config: config, generator: &g)
    }

    static func languageModel(layers: Int = 2, hidden: Int = 12, symbols: [String] = symbols) throws -> TrainedModel {
        let config = ModelConfig(inputSize: symbols.count, hiddenSize: hidden, outputSize: symbols.count, layers: layers)
        return try TrainedModel(params: params(config, seed: 7), vocabulary: Vocabulary(level: .char, symbols: symbols))
    }

    static func classifier(labels: [String], bidirectional: Bool = false, layers: Int = 1) throws -> TrainedModel {
        let config = ModelConfig(inputSize: symbols.count, hiddenSize: 10, outputSize: labels.count == 2 ? 1 : labels.count,
                                 layers: layers, head: labels.count == 2 ? .sigmoid : .softmax, bidirectional: bidirectional)
        return try TrainedModel(params: params(config, seed: 11), vocabulary: Vocabulary(level: .char, symbols: symbols), labels: labels)
    }

    static func regression() throws -> TrainedModel {
        var values: [Double] = []
        for t in 0..<40 {
            let time = Double(t)
            values += [sin(time / 3), cos(time / 5) * 2 + 1]
        }
        let series = NumericSeries(columns: ["x", "y"], values: values)
        let task = try RegressionTask(train: series, validation: NumericSeries(columns: ["x", "y"], values: []))
        let config = ModelConfig(inputSize: 2, hiddenSize: 8, outputSize: 2, head: .linear)
        return try TrainedModel(params: params(config, seed: 3), columns: task.columns)
    }

    /// A classifier of `channels`-channel series, `window` steps per input step, with channels standardized by
    /// different means and scales (so that a channel read as another changes the answer).
    static func seriesClassifier(labels: [String], channels: Int = 2, window: Int = 3, bidirectional: Bool = true) throws -> TrainedModel {
        let input = SeriesInput(channels: channels, window: window, standardization: Standardization(
            mean: (0..<channels).map { Double($0) * 10 }, scale: (0..<channels).map { 1 + Double($0) }))
        let config = ModelConfig(inputSize: input.features, hiddenSize: 9, outputSize: labels.count == 2 ? 1 : labels.count,
                                 head: labels.count == 2 ? .sigmoid : .softmax, bidirectional: bidirectional)
        return try TrainedModel(params: params(config, seed: 5), series: input, labels: labels)
    }

    /// A JSON infer request body with TEXT.
    static func textRequest(_ texts: [String], outputs: [String]? = nil, parameters: String = "") -> [UInt8] {
        let data = texts.map { "\"\($0.replacingOccurrences(of: "\n", with: "\\n"))\"" }.joined(separator: ",")
        let outs = outputs.map { o in ",\"outputs\":[" + o.map { "{\"name\":\"\($0)\"}" }.joined(separator: ",") + "]" } ?? ""
        let params = parameters.isEmpty ? "" : ",\"parameters\":{\(parameters)}"
        return Array("{\"inputs\":[{\"name\":\"TEXT\",\"datatype\":\"BYTES\",\"shape\":[\(texts.count)],\"data\":[\(data)]}]\(outs)\(params)}".utf8)
    }
}

/// |a − b| ≤ tolerance · max(1, |b|), elementwise.
func close(_ a: [Float], _ b: [Float], _ tolerance: Float = 1e-5) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) }
}

func fp32(_ response: InferResponse, _ name: String) -> [Float]? {
    guard let t = response.outputs.first(where: { $0.name == name }), case .fp32(let v) = t.data else { return nil }
    return v
}

func strings(_ response: InferResponse, _ name: String) -> [String]? {
    guard let t = response.outputs.first(where: { $0.name == name }), case .bytes(let v) = t.data else { return nil }
    return v
}
