import Elman
import Foundation
import Testing
@testable import ElmanONNX

/// The exported ONNX model, read back with the generated messages: its inputs and outputs, operators, weights in
/// ONNX's layout and metadata. (That onnxruntime computes Elman's numbers from it is tools/check_onnx.py's check.)
@Suite struct ONNXExporterTests {
    static func parameters(_ config: ModelConfig, seed: UInt64 = 3) -> Parameters<Float> {
        var g = SeededGenerator(seed: seed)
        return Parameters(config: config, generator: &g)
    }

    static func read(_ bytes: [UInt8]) throws -> Onnx_ModelProto { try Onnx_ModelProto(serializedBytes: bytes) }

    /// The float32 values of initializer `name`, with its shape.
    static func constant(_ model: Onnx_ModelProto, _ name: String) -> (dims: [Int], values: [Float])? {
        guard let t = model.graph.initializer.first(where: { $0.name == name }) else { return nil }
        let raw = [UInt8](t.rawData)
        let values = stride(from: 0, to: raw.count, by: 4).map { i in
            Float(bitPattern: UInt32(raw[i]) | UInt32(raw[i + 1]) << 8 | UInt32(raw[i + 2]) << 16 | UInt32(raw[i + 3]) << 24)
        }
        return (t.dims.map(Int.init), values)
    }

    static func shape(_ info: Onnx_ValueInfoProto) -> [String] {
        info.type.tensorType.shape.dim.map { d in
            switch d.value {
            case .dimValue(let n): return String(n)
            case .dimParam(let s): return s
            case nil: return "?"
            }
        }
    }

    @Test func aLanguageModelIsOneRNNPerLayerWithTheWeightsTransposedAsONNXReadsThem() throws {
        let config = ModelConfig(inputSize: 5, hiddenSize: 3, outputSize: 5, layers: 2, nonlinearity: .relu)
        let params = Self.parameters(config)
        let model = try TrainedModel(params: params, vocabulary: Vocabulary(level: .char, symbols: ["a", "b", "c", "\n", "<unk>"]))
        let onnx = try Self.read(ONNXExporter.export(model, metadata: ["training": "{}", "resume": "{}"], producerVersion: "9.9"))
        #expect(onnx.irVersion == 8 && onnx.opsetImport.map(\.version) == [17] && onnx.opsetImport[0].domain == "")
        #expect(onnx.graph.input.map(\.name) == ["tokens", "lengths", "initial_state"])
        #expect(onnx.graph.input.map { $0.type.tensorType.elemType } == [7, 6, 1])  // int64, int32, float
        #expect(Self.shape(onnx.graph.input[2]) == ["2", "batch", "3"])
        #expect(onnx.graph.output.map(\.name) == ["logits", "final_state"])
        #expect(Self.shape(onnx.graph.output[0]) == ["batch", "time", "5"])
        #expect((onnx.graph.input + onnx.graph.output).allSatisfy { !$0.docString.isEmpty } && !onnx.graph.docString.isEmpty)
        #expect(onnx.graph.node.allSatisfy { $0.domain == "" })
        let rnns = onnx.graph.node.filter { $0.opType == "RNN" }
        #expect(rnns.count == 2)
        for (l, rnn) in rnns.enumerated() {
            #expect(rnn.attribute.first { $0.name == "activations" }?.strings == [Data("Relu".utf8)])
            let w = try #require(Self.constant(onnx, rnn.input[1])), r = try #require(Self.constant(onnx, rnn.input[2]))
            let b = try #require(Self.constant(onnx, rnn.input[3]))
            let u = try #require(params.matrix(.inputWeights(layer: l))), recurrent = try #require(params.matrix(.recurrentWeights(layer: l)))
            #expect(w.dims == [1, 3, u.rows] && r.dims == [1, 3, 3] && b.dims == [1, 6])
            #expect(w.values == u.transposed.storage)  // ONNX's W = Uᵀ: W[j, i] = U[i, j]
            #expect(r.values == recurrent.transposed.storage)
            let biases = try #require(params.matrix(.inputBias(layer: l))).storage + #require(params.matrix(.hiddenBias(layer: l))).storage
            #expect(b.values == biases)
        }
        let meta = Dictionary(uniqueKeysWithValues: onnx.metadataProps.map { ($0.key, $0.value) })
        #expect(meta["elman_version"] == "9.9" && meta["format"] == ModelSchema.format && meta["training"] == "{}")
        #expect(meta["resume"] == nil)  // a checkpoint's state is not the model's
        let vocabulary = try JSONDecoder().decode(Vocabulary.self, from: Data(try #require(meta["vocabulary"]).utf8))
        #expect(vocabulary == model.vocabulary)
        #expect(try JSONDecoder().decode(ModelConfig.self, from: Data(try #require(meta["config"]).utf8)) == config)
    }

    @Test func classifiersGiveProbabilitiesAndLogitsAndABidirectionalLayerStacksItsDirections() throws {
        let config = ModelConfig(inputSize: 4, hiddenSize: 3, outputSize: 3, bidirectional: true, readout: .finalState)
        let params = Self.parameters(config)
        let model = try TrainedModel(params: params, vocabulary: Vocabulary(level: .char, symbols: ["x", "y", "z", "<unk>"]),
                                     labels: ["red", "green", "blue"])
        let onnx = try Self.read(ONNXExporter.export(model, producerVersion: "1"))
        #expect(onnx.graph.input.map(\.name) == ["tokens", "lengths"])
        #expect(onnx.graph.output.map(\.name) == ["probabilities", "logits"])
        #expect(Self.shape(onnx.graph.output[0]) == ["batch", "3"])
        let rnn = try #require(onnx.graph.node.first { $0.opType == "RNN" })
        #expect(rnn.input[4] == "lengths")  // each direction starts and ends at the sequence's real steps
        #expect(rnn.attribute.first { $0.name == "direction" }?.s == Data("bidirectional".utf8))
        let w = try #require(Self.constant(onnx, rnn.input[1]))
        #expect(w.dims == [2, 3, 4])
        #expect(Array(w.values[12...]) == params.matrix(.inputWeights(layer: 0, reverse: true))?.transposed.storage)
        #expect(onnx.graph.node.contains { $0.opType == "Softmax" && $0.output == ["probabilities"] })
        let meta = Dictionary(uniqueKeysWithValues: onnx.metadataProps.map { ($0.key, $0.value) })
        #expect(meta["labels"] == #"["red","green","blue"]"# && meta["task"] == "classify")

        let sigmoid = ModelConfig(inputSize: 4, hiddenSize: 3, outputSize: 1, head: .sigmoid)
        let twoLabels = try TrainedModel(params: Self.parameters(sigmoid), vocabulary: Vocabulary(level: .char, symbols: ["0", "1", "2", "<unk>"]),
                                         labels: ["even", "odd"])
        let binary = try Self.read(ONNXExporter.export(twoLabels, producerVersion: "1"))
        #expect(binary.graph.output.map(Self.shape) == [["batch", "2"], ["batch", "1"]])
        #expect(binary.graph.node.contains { $0.opType == "Sigmoid" })
    }

    @Test func aRegressionModelStandardizesItsInputsAndRestoresItsOutputsInTheGraph() throws {
        let config = ModelConfig(inputSize: 2, hiddenSize: 4, outputSize: 1, head: .linear)
        let columns = try JSONDecoder().decode(RegressionTask.Columns.self, from: Data(#"""
            {"names": ["a", "b", "c"], "inputs": [0, 2], "targets": [2],
             "standardization": {"mean": [2, 20, 300], "scale": [1, 10, 200]}}
            """#.utf8))
        let model = try TrainedModel(params: Self.parameters(config), columns: columns)
        let onnx = try Self.read(ONNXExporter.export(model, producerVersion: "1"))
        #expect(onnx.graph.input.map(\.name) == ["series"] && Self.shape(onnx.graph.input[0]) == ["batch", "time", "2"])
        #expect(onnx.graph.output.map(\.name) == ["prediction"] && Self.shape(onnx.graph.output[0]) == ["batch", "time", "1"])
        let sub = try #require(onnx.graph.node.first { $0.opType == "Sub" && $0.input[0] == "series" })
        #expect(Self.constant(onnx, sub.input[1])?.values == [2, 300])  // the means of columns a and c
        let div = try #require(onnx.graph.node.first { $0.opType == "Div" && $0.input[0] == sub.output[0] })
        #expect(Self.constant(onnx, div.input[1])?.values == [1, 200])  // their standard deviations
        let mul = try #require(onnx.graph.node.first { $0.opType == "Mul" })
        #expect(Self.constant(onnx, mul.input[1])?.values == [200])
        #expect(onnx.graph.node.contains { $0.opType == "RNN" && $0.input[4] == "" })  // every step is real
    }

    @Test func exportingAFileNamesWhatFailsAndReplacesTheOutputWhole() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("elman-onnx-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = ModelConfig(inputSize: 3, hiddenSize: 2, outputSize: 3)
        let vocabulary = Vocabulary(level: .char, symbols: ["a", "b", "<unk>"])
        try ModelFile.file(Self.parameters(config), metadata: ["vocabulary": ModelSchema.json(vocabulary)]).write(to: "\(dir)/model.safetensors")
        let out = "\(dir)/model.onnx"
        try Data("old".utf8).write(to: URL(fileURLWithPath: out))
        try ONNXExporter.export(modelAt: dir, to: out, producerVersion: "1")
        let written = try Self.read([UInt8](Data(contentsOf: URL(fileURLWithPath: out))))
        #expect(written.graph.output.map(\.name) == ["logits", "final_state"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["model.onnx", "model.safetensors"])

        let missing = #expect(throws: ElmanError.self) { try ONNXExporter.export(modelAt: "\(dir)/none.safetensors", to: out, producerVersion: "1") }
        #expect(missing?.message.contains("none.safetensors") == true)
        let nowhere = #expect(throws: ElmanError.self) { try ONNXExporter.export(modelAt: dir, to: "\(dir)/no/such/m.onnx", producerVersion: "1") }
        #expect(nowhere?.message == "cannot write '\(dir)/no/such/m.onnx': the directory '\(dir)/no/such' does not exist")
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: "\(dir)/bad.safetensors"))
        #expect(throws: ElmanError.self) { try ONNXExporter.export(modelAt: "\(dir)/bad.safetensors", to: out, producerVersion: "1") }
        #expect(try Self.read([UInt8](Data(contentsOf: URL(fileURLWithPath: out)))) == written)  // untouched by the failures
    }

    @Test func aClassifierOfRealValuedSeriesIsRefusedInOneLine() throws {
        let input = SeriesInput(channels: 2, window: 3, standardization: Standardization(mean: [0, 1], scale: [1, 2]))
        let config = ModelConfig(inputSize: input.features, hiddenSize: 4, outputSize: 3, head: .softmax, bidirectional: true)
        let model = try TrainedModel(params: Self.parameters(config), series: input, labels: ["a", "b", "c"])
        let error = #expect(throws: ElmanError.self) { try ONNXExporter.export(model, producerVersion: "1") }
        #expect(error?.message.hasPrefix("exporting a classifier of real-valued series to ONNX is not supported yet: ") == true)
        #expect(error?.message.contains("\n") == false)
    }

    @Test func aDifferencedRegressionModelIsRefusedInOneLine() throws {
        var columns = RegressionTask.Columns(names: ["x"], inputs: [0], targets: [0], standardization: Standardization(mean: [0], scale: [1]))
        let config = ModelConfig(inputSize: 1, hiddenSize: 4, outputSize: 1, head: .linear)
        #expect(throws: Never.self) { try ONNXExporter.export(TrainedModel(params: Self.parameters(config), columns: columns), producerVersion: "1") }
        columns.difference = true
        let model = try TrainedModel(params: Self.parameters(config), columns: columns)
        let error = #expect(throws: ElmanError.self) { try ONNXExporter.export(model, producerVersion: "1") }
        #expect(error?.message.hasPrefix("exporting a differenced regression model to ONNX is not supported yet: ") == true)
    }

    @Test func aFloat64ModelFileExportsAsFloat32() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("elman-onnx64-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let params = Self.parameters(ModelConfig(inputSize: 3, hiddenSize: 2, outputSize: 3))
        let vocabulary = Vocabulary(level: .char, symbols: ["a", "b", "<unk>"])
        try ModelFile.file(params.converted(to: Double.self), metadata: ["vocabulary": ModelSchema.json(vocabulary)])
            .write(to: "\(dir)/model.safetensors")
        try ONNXExporter.export(modelAt: "\(dir)/model.safetensors", to: "\(dir)/m.onnx", producerVersion: "1")
        let onnx = try Self.read([UInt8](Data(contentsOf: URL(fileURLWithPath: "\(dir)/m.onnx"))))
        #expect(onnx.graph.initializer.allSatisfy { $0.dataType == 1 || $0.dataType == 7 })  // float32 or int64 indices
        let rnn = try #require(onnx.graph.node.first { $0.opType == "RNN" })
        #expect(Self.constant(onnx, rnn.input[1])?.values == params.matrix(.inputWeights(layer: 0))?.transposed.storage)
    }
}
