import Elman
import Foundation
import SwiftProtobuf

/// Writes a model trained by Elman as an ONNX model that any ONNX runtime runs with the same outputs.
///
/// ```swift
/// try ONNXExporter.export(modelAt: "run", to: "model.onnx", producerVersion: "0.5.0")
/// ```
///
/// The graph uses standard operators of the default domain only (``opset``): each layer is one `RNN` node
/// (time-major, the layout onnxruntime's CPU kernel takes, with `Transpose` around it), symbols enter as `OneHot`
/// rows, and the head is `MatMul`, `Add` and `Softmax` or `Sigmoid`. What the graph takes and gives:
///
/// - Language models: `tokens` (int64 [batch, time]), `lengths` (int32 [batch]) and `initial_state` (float
///   [layers, batch, H]) in; `logits` (float [batch, time, V]) and `final_state` out, to generate symbol by
///   symbol with the state carried.
/// - Sequence classifiers: `tokens` and `lengths` in; `probabilities` (float [batch, labels], at each sequence's
///   last real step; a two-label sigmoid model gives [1 − p, p]) and `logits` out. A bidirectional model's
///   reverse direction starts at each sequence's last real step, so padding never reaches a result.
/// - Regression models: `series` (float [batch, time, inputs], in original units) in; `prediction` (float
///   [batch, time, targets], the next step's targets in original units) out: the model's standardization is
///   in the graph.
/// - Classifiers of real-valued series are refused (their standardization and windowing are not in a graph yet).
///
/// The model file's metadata (``ModelSchema`` keys: `format`, `task`, `head`, `nonlinearity`, `config`,
/// `vocabulary`, `labels`, `columns`, `training`) is copied into the ONNX file's `metadata_props`, with
/// `elman_version`, so that the file alone says how to encode text and read the outputs.
///
/// Elman's loader reads parameters as Float32 (a Float64 file is converted as it is read), so every exported
/// model is Float32, the type onnxruntime's `RNN` kernel has.
public enum ONNXExporter {
    /// The operator set the graph is written against.
    public static let opset = 17
    /// The ONNX IR version that goes with ``opset``.
    public static let irVersion = 8
    /// The metadata key of the exporting Elman's version.
    public static let versionKey = "elman_version"

    /// The ONNX model (a serialized `ModelProto`) of `model`; `metadata` is the model file's, of which the
    /// ``ModelSchema`` keys that describe a model are kept (a key the file lacks is written from `model`).
    public static func export(_ model: TrainedModel, metadata: [String: String] = [:], producerVersion: String) throws -> [UInt8] {
        if let series = model.series {
            throw ElmanError("exporting a classifier of real-valued series to ONNX is not supported yet: the graph would have to "
                + "standardize its \(series.channels) channel(s) and read \(series.window) step(s) per input step, which the exporter "
                + "does not write; serve it with elman-serve (input SERIES) or label files with elman predict")
        }
        if model.columns?.difference == true {
            throw ElmanError("exporting a differenced regression model to ONNX is not supported yet: its graph would have to take "
                + "each row's change and add the predicted changes to the last value, which the exporter does not write; "
                + "train with --no-difference to export, or serve it with elman-serve")
        }
        let config = model.config
        let kind = model.isRegressor ? "regression model" : model.isClassifier ? "sequence classifier" : "language model"
        var b = GraphBuilder(
            name: "elman_\(model.isRegressor ? "regression" : model.isClassifier ? "classifier" : "language_model")",
            doc: "An Elman network exported by elman \(producerVersion): a \(kind) of \(config.layers) "
                + "\(config.bidirectional ? "bidirectional " : "")\(config.nonlinearity.rawValue) layer(s) of \(config.hiddenSize) "
                + "units and a \(config.head.rawValue) head. metadata_props holds the model file's metadata (vocabulary, labels, "
                + "columns, config): everything needed to encode inputs and read outputs.")
        if let columns = model.columns {
            RegressionGraph.build(&b, model, columns: columns)
        } else if let labels = model.labels {
            TextGraphs.classifier(&b, model, labels: labels)
        } else {
            TextGraphs.languageModel(&b, model)
        }
        var proto = Onnx_ModelProto()
        proto.irVersion = Int64(irVersion)
        proto.producerName = "elman"
        proto.producerVersion = producerVersion
        proto.docString = b.graph.docString
        var opsetID = Onnx_OperatorSetIdProto()
        opsetID.domain = ""
        opsetID.version = Int64(opset)
        proto.opsetImport = [opsetID]
        proto.graph = b.graph
        proto.metadataProps = properties(model, metadata: metadata, version: producerVersion)
            .sorted { $0.key < $1.key }
            .map { key, value in
                var entry = Onnx_StringStringEntryProto()
                entry.key = key
                entry.value = value
                return entry
            }
        return try proto.serializedBytes()
    }

    /// Reads the model file (or run directory) at `path` and writes its ONNX model to `out`, atomically: `out`
    /// holds its old content or all of the new one, never part of it. Errors name the file: the model reader's for
    /// an unreadable model, one line for an `out` that cannot be written.
    public static func export(modelAt path: String, to out: String, producerVersion: String) throws {
        var isDirectory: ObjCBool = false
        let file = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
            ? "\(path)/model.safetensors" : path
        let contents = try SafeTensorsFile.read(file)
        let model = try TrainedModel(file: contents, name: file)
        let directory = (out as NSString).deletingLastPathComponent
        let parent = directory.isEmpty ? "." : directory
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ElmanError("cannot write '\(out)': the directory '\(parent)' does not exist")
        }
        try FileIO.writeAtomically(export(model, metadata: contents.metadata, producerVersion: producerVersion), to: out)
    }

    /// The metadata_props: the model keys of `metadata`, those it lacks from `model`, and the version.
    static func properties(_ model: TrainedModel, metadata: [String: String], version: String) -> [String: String] {
        let modelKeys = ModelSchema.keys.filter { $0.files == "model" || $0.files == "all" }.map(\.name)
        var out = metadata.filter { modelKeys.contains($0.key) }
        let config = model.config
        var own: [ModelSchema.Key: String] = [
            .format: ModelSchema.format, .head: config.head.rawValue, .nonlinearity: config.nonlinearity.rawValue,
            .config: ModelSchema.json(config),
        ]
        if let columns = model.columns {
            own[.task] = "regress"
            own[.columns] = ModelSchema.json(columns)
        } else {
            own[.vocabulary] = ModelSchema.json(model.vocabulary)
            if let labels = model.labels {
                own[.task] = "classify"
                own[.labels] = ModelSchema.json(labels)
            }
        }
        for (key, value) in own where out[key.name] == nil { out[key.name] = value }
        out[versionKey] = version
        return out
    }
}
