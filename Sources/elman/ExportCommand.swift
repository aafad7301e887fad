import ArgumentParser
import Elman
import ElmanONNX

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a trained model as an ONNX model, for ONNX Runtime and the other ONNX runtimes.",
        discussion: """
            Every model kind exports: language models (inputs tokens, lengths, initial_state; outputs logits, \
            final_state), sequence classifiers (inputs tokens, lengths; outputs probabilities, logits) and \
            regression models (input series, output prediction, both in original units). The file's \
            metadata_props hold the model's vocabulary, labels, columns and config. An existing OUT is replaced \
            atomically. README: "Export to ONNX".
            """)

    @Argument(help: "Model file or run directory written by elman train.") var model: String
    @Option(help: "The ONNX file to write.") var onnx: String

    func run() throws {
        let version = ElmanCommand.configuration.version.split(separator: " ").last.map(String.init) ?? "unknown"
        try ONNXExporter.export(modelAt: model, to: onnx, producerVersion: version)
    }
}
