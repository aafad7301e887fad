// libFuzzer target: every byte string must either load (as a safetensors file, a trained model, a batch
// for `elman grad`) or be refused with an ElmanError. A trap, an out-of-bounds access (ASan) or any
// other error type is a finding. Built and run by fuzz/run; not part of the package build.
@testable import Elman  // ModelFile and BatchFile have package access

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let file = try SafeTensorsFile.parse(bytes, name: "fuzz")
        _ = file.serialized()
        if let params: Parameters<Float> = try? ModelFile.parameters(from: file, name: "fuzz") {
            _ = try? BatchFile.batch(file, name: "fuzz", config: params.config) as Batch<Float>
        }
        _ = try? ModelFile.parameters(from: file, name: "fuzz") as Parameters<Double>
        if let model = try? TrainedModel(file: file, name: "fuzz"), model.params.values.count < 1 << 16 {
            // What sample, predict, eval and forecast do with a model that loaded.
            let first = model.vocabulary.symbols.first ?? ""
            if model.isClassifier {
                _ = try? model.classify(first)
            } else if let columns = model.columns {
                let history = NumericSeries(columns: columns.names, values: [Double](repeating: 0.5, count: 2 * columns.names.count))
                _ = try? model.forecast(history: history, horizon: 2)
                _ = try? RegressionReport.measure(model.params, columns: columns, on: history)
            } else if let prime = try? model.vocabulary.encode(first), !prime.isEmpty {
                _ = try? model.generate(prime: first, length: 3, temperature: 1, topK: 2, seed: 1)
                var state = model.initialState()
                _ = try? model.predict(first, state: &state)
                _ = try? LanguageModelTask.evaluate(model.params, tokens: prime + prime + prime, batch: 2, seq: 2)
            }
        }
    } catch is ElmanError {
        return 0
    } catch {
        fatalError("unexpected error type: \(error)")
    }
    return 0
}
