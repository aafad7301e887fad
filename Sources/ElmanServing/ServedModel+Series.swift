import Elman
import Foundation

extension ServedModel {
    /// A classifier of real-valued series: SERIES [N, T, D] (step-major, raw values: the model standardizes them)
    /// to LABEL and PROBABILITIES as a text classifier's. The N series run together on one worker, as packed
    /// batches of the library's own.
    func classifySeries(_ request: InferRequest, wanted: [String]) async throws -> InferResponse {
        guard let seriesInput = model.series, let labels = model.labels else {
            throw ServeError.badRequest("model \(name) is not a classifier of real-valued series")
        }
        let input = try onlyInput(request, rank: 3)
        guard input.datatype == "FP32" || input.datatype == "FP64", case .numbers(let values) = input.data else {
            throw ServeError.badRequest("inputs[\(input.index)] (SERIES) has datatype \(input.datatype); expected FP32 (or FP64)")
        }
        let (n, t, d) = (input.shape[0], input.shape[1], input.shape[2])
        guard d == seriesInput.channels else {
            throw ServeError.badRequest("inputs[\(input.index)] (SERIES) has \(d) channels in its last dimension; model \(name) reads "
                + "\(seriesInput.channels) (shape [N, T, \(seriesInput.channels)])")
        }
        guard n >= 1, t >= 1 else {
            throw ServeError.badRequest("inputs[\(input.index)] (SERIES) has shape \(input.shape); expected at least one series of one step")
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw ServeError.badRequest("SERIES[\(bad / (t * d))][\(bad / d % t)][\(bad % d)] (element \(bad)) is \(values[bad]); "
                + "expected a finite number")
        }
        if try sequenceParameters(request) != nil {
            throw ServeError.badRequest("parameters.sequence_id is for language models; model \(name) is a \(kind.noun)")
        }
        guard n * t <= limits.maxSteps else {
            throw ServeError.badRequest("SERIES holds \(n) series × \(t) steps, more than the \(limits.maxSteps) steps one request may send")
        }
        // The model reads each series whole (both directions, or its last state): bounded as a bidirectional text.
        let budget = limits.maxBidirectionalSteps(model.config), steps = seriesInput.steps(length: t)
        guard steps <= budget else {
            throw ServeError.badRequest("SERIES has \(t) steps per series, \(steps) input steps of \(seriesInput.window); model \(name) "
                + "reads a series whole, at most \(budget * seriesInput.window) steps here")
        }
        let width = labels.count
        guard n <= limits.maxOutputValues / width else {
            throw ServeError.badRequest("SERIES has \(n) series; the answer would hold \(n) × \(width) values, more than "
                + "\(limits.maxOutputValues) (send at most \(limits.maxOutputValues / width) series per request)")
        }
        // [N, T, D] step-major to each series' channel-major values: channel c's step s at c·T + s.
        let examples = (0..<n).map { k in
            var channelMajor = [Double](repeating: 0, count: t * d)
            for s in 0..<t {
                for c in 0..<d { channelMajor[c * t + s] = values[(k * t + s) * d + c] }
            }
            return LabeledSeries.Example(values: channelMajor, length: t, label: nil, line: k)
        }
        let model = self.model, group = max(1, budget / steps)  // series per call: its engine batches fit the budget
        guard case .probabilities(let probabilities) = try await batcher.submit(.alone {
            var rows: [[Float]] = []
            for start in stride(from: 0, to: examples.count, by: group) {
                rows += try model.classify(series: Array(examples[start..<min(start + group, examples.count)]), name: "SERIES")
            }
            return .probabilities(rows)
        }) else {
            throw ServeError.badRequest("internal: the batcher answered a series classification with another output")
        }
        let outputs: [OutputTensor] = wanted.map { output in
            output == "LABEL"
                ? OutputTensor(name: output, shape: [n], data: .bytes(probabilities.map { model.ranked($0).first?.label ?? "" }))
                : OutputTensor(name: output, shape: [n, width], data: .fp32(probabilities.flatMap { $0 }))
        }
        return InferResponse(modelName: name, id: request.id, outputs: outputs)
    }
}
