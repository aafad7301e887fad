import ArgumentParser
import Elman

struct GradCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grad",
        abstract: "Compute the loss and the exact BPTT gradient of every parameter for one batch.",
        discussion: """
            PARAMS: safetensors with PyTorch nn.RNN + nn.Linear names (rnn.weight_ih_l0, rnn.weight_hh_l0, \
            rnn.bias_ih_l0, rnn.bias_hh_l0, …, fc.weight, fc.bias). BATCH: safetensors with 'inputs' (T×N \
            int64 token ids or T×N×D floats), 'targets' (T×N int64 class ids, floats 0/1 for the sigmoid \
            head, T×N×C floats for the linear head), optional 'mask' (T×N, 1 = counts), 'h0' (L×N×H, 2L×N×H \
            bidirectional), 'dropout' (L×T×N×H multipliers, 2H bidirectional) and 'lengths' (N int64, a packed \
            batch). Parameters with '_reverse' tensors are a bidirectional model. GRADS gets one tensor per \
            parameter (same name, shape and dtype), 'loss' (a scalar) and 'h_n' (as h0). F64 parameters are \
            computed in Double, F32 in Float.
            """)

    @Argument(help: "Parameters file (.safetensors).") var params: String
    @Argument(help: "Batch file (.safetensors).") var batch: String
    @Option(help: "Output gradient file (.safetensors).") var out: String
    @Option(help: "sum (over unmasked steps, the seed's Eqs. 71–73) or mean.") var reduction: Reduction = .sum

    func run() throws {
        let paramsFile = try SafeTensorsFile.read(params)
        let batchFile = try SafeTensorsFile.read(batch)
        let output = ModelFile.isDouble(paramsFile)
            ? try compute(Double.self, paramsFile, batchFile) : try compute(Float.self, paramsFile, batchFile)
        try output.write(to: out)
    }

    private func compute<T: ElmanFloat>(_: T.Type, _ paramsFile: SafeTensorsFile, _ batchFile: SafeTensorsFile)
        throws -> SafeTensorsFile
    {
        let hint: Head? = batchFile.tensors["targets"].map { !$0.dtype.isFloatingPoint ? .softmax : $0.shape.count == 3 ? .linear : .sigmoid }
        if hint == .sigmoid, let classes = paramsFile.tensors[ModelFile.fcWeight]?.shape.first, classes > 1 {
            throw ElmanError("\(batch): targets are floating-point (0/1, for a one-output sigmoid head), but \(params) "
                + "has \(classes) outputs (a softmax head); expected int64 class ids")
        }
        let parameters: Parameters<T> = try ModelFile.parameters(from: paramsFile, name: params, headHint: hint)
        let config = parameters.config
        let b: Batch<T> = try BatchFile.batch(batchFile, name: batch, config: config)
        var gradient = Parameters<T>(config: config)
        let engine = try Engine<T>(config: config)
        let result: Evaluation<T>
        do {
            result = try engine.gradient(parameters, b, reduction: reduction, into: &gradient)
        } catch let error as ElmanError {
            throw ElmanError("\(batch): \(error.message)")
        }
        var tensors = ModelFile.gradientTensors(gradient, namedAs: paramsFile)
        tensors["loss"] = try SafeTensor(shape: [], values: [T(result.loss)])
        tensors["h_n"] = try SafeTensor(shape: [config.layers * config.directions, b.size, config.hiddenSize], values: result.finalState)
        return SafeTensorsFile(tensors: tensors, metadata: ModelSchema.metadata([.format: ModelSchema.format, .reduction: reduction.rawValue]))
    }
}

extension Reduction: ExpressibleByArgument {}
