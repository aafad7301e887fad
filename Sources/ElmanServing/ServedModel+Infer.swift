import Elman
import Foundation

extension ServedModel {
    /// `POST /v2/models/{name}/infer`: checks the request against this model's tensors and answers it, through
    /// the dynamic batcher (or a live sequence's state, for a language model's `sequence_id`).
    public func infer(_ request: InferRequest) async throws -> InferResponse {
        let wanted = try requestedOutputs(request)
        switch kind {
        case .regression: return try await forecast(request, wanted: wanted)
        case .classifier, .languageModel: return try await readTexts(request, wanted: wanted)
        case .seriesClassifier: return try await classifySeries(request, wanted: wanted)
        }
    }

    /// The outputs to return, in the order asked (every one, in metadata order, when none are named).
    private func requestedOutputs(_ request: InferRequest) throws -> [String] {
        let names = outputs.map(\.name)
        guard let asked = request.outputs else { return names }
        var seen = Set<String>()
        for (i, o) in asked.enumerated() {
            guard names.contains(o.name) else {
                throw ServeError.badRequest("outputs[\(i)].name is \"\(o.name.prefix(40))\"; model \(name)'s outputs are \(names.joined(separator: ", "))")
            }
            guard seen.insert(o.name).inserted else { throw ServeError.badRequest("outputs names \"\(o.name)\" twice") }
        }
        return asked.map(\.name)
    }

    /// The one input this model reads, checked by name and rank (TEXT: [N], or [N, 1] as many clients send BYTES).
    func onlyInput(_ request: InferRequest, rank: Int) throws -> InputTensor {
        let expected = inputs[0]
        for t in request.inputs where t.name != expected.name {
            throw ServeError.badRequest("inputs[\(t.index)].name is \"\(t.name.prefix(40))\"; model \(name) reads one input, \(expected.name) "
                + "(\(expected.datatype), shape \(expected.shape))")
        }
        guard let input = request.inputs.first else { throw ServeError.badRequest("inputs is empty; expected \(expected.name)") }
        guard input.shape.count == rank || (rank == 1 && input.shape.count == 2 && input.shape[1] == 1) else {
            throw ServeError.badRequest("inputs[\(input.index)] (\(input.name)) has shape \(input.shape); expected \(rank) dimensions, \(expected.shape)")
        }
        return input
    }

    private func readTexts(_ request: InferRequest, wanted: [String]) async throws -> InferResponse {
        let input = try onlyInput(request, rank: 1)
        guard input.datatype == "BYTES", case .bytes(let elements) = input.data else {
            throw ServeError.badRequest("inputs[\(input.index)] (TEXT) has datatype \(input.datatype); expected BYTES (UTF-8 text)")
        }
        guard !elements.isEmpty else { throw ServeError.badRequest("inputs[\(input.index)] (TEXT) has no elements; expected at least one text") }
        guard elements.count <= limits.maxTexts else {
            throw ServeError.badRequest("TEXT has \(elements.count) texts; expected at most \(limits.maxTexts) per request")
        }
        let width = max(1, model.labels?.count ?? model.config.outputSize)
        guard elements.count <= limits.maxOutputValues / width else {
            throw ServeError.badRequest("TEXT has \(elements.count) texts; the answer would hold \(elements.count) × \(width) values, "
                + "more than \(limits.maxOutputValues) (send at most \(limits.maxOutputValues / width) texts per request)")
        }
        let strict = try request.parameters.bool("strict") ?? false
        let sequence = try sequenceParameters(request)
        var unknown = UnknownSymbols()
        var sequences: [[Int32]] = []
        var symbols = 0
        for (k, bytes) in elements.enumerated() {
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw ServeError.badRequest("TEXT[\(k)] is not UTF-8; expected UTF-8 text")
            }
            let ids: [Int32]
            do { ids = try model.vocabulary.encode(text, unknown: &unknown) } catch let e as ElmanError {
                throw ServeError.badRequest("TEXT[\(k)]: \(e.message)")
            }
            guard !ids.isEmpty else { throw ServeError.badRequest("TEXT[\(k)] is empty; expected at least one symbol") }
            if model.config.bidirectional, ids.count > limits.maxBidirectionalSteps(model.config) {
                throw ServeError.badRequest("TEXT[\(k)] has \(ids.count) symbols; a bidirectional model reads a text whole, at most "
                    + "\(limits.maxBidirectionalSteps(model.config)) here")
            }
            if wanted.contains("LOSS"), ids.count < 2, sequence == nil {  // a sequence's first symbol may follow its last request's
                throw ServeError.badRequest("TEXT[\(k)] has \(ids.count) symbol; LOSS needs at least 2 (ask for NEXT_PROBABILITIES "
                    + "alone with outputs to read one symbol)")
            }
            sequences.append(ids)
            symbols += ids.count
            guard symbols <= limits.maxSteps else {
                throw ServeError.badRequest("TEXT has more than \(limits.maxSteps) symbols in all; expected at most that many per request")
            }
        }
        if strict, !unknown.isEmpty {
            throw ServeError.badRequest("TEXT has \(unknown.count) symbols the model never saw (\(unknown.shown)); parameters.strict is true")
        }
        let results: [TextResult]
        if let sequence {
            guard kind == .languageModel else {
                throw ServeError.badRequest("parameters.sequence_id is for language models; model \(name) is a \(kind.noun)")
            }
            guard sequences.count == 1 else {
                throw ServeError.badRequest("a sequence request carries one text; TEXT has \(sequences.count) elements")
            }
            let ids = sequences[0], needsLoss = wanted.contains("LOSS")
            guard case .texts(let r) = try await batcher.submit(.alone { [self] in
                .texts([try continueSequence(sequence, ids: ids, needsLoss: needsLoss)])
            }) else {
                throw ServeError.badRequest("internal: a sequence answered with a forecast")
            }
            results = r
        } else {
            guard case .texts(let r) = try await batcher.submit(.texts(sequences, loss: wanted.contains("LOSS"))) else {
                throw ServeError.badRequest("internal: the batcher answered a text request with a forecast")
            }
            results = r
        }
        let n = results.count
        let outputs: [OutputTensor] = wanted.map { name in
            switch name {
            case "LABEL":
                return OutputTensor(name: name, shape: [n], data: .bytes(results.map { model.ranked($0.probabilities).first?.label ?? "" }))
            case "LOSS":
                return OutputTensor(name: name, shape: [n], data: .fp32(results.map { $0.loss ?? .nan }))
            default:  // PROBABILITIES, NEXT_PROBABILITIES
                return OutputTensor(name: name, shape: [n, results.first?.probabilities.count ?? 0], data: .fp32(results.flatMap(\.probabilities)))
            }
        }
        return InferResponse(modelName: self.name, id: request.id, parameters: ["unknown_symbols": .int(Int64(unknown.count))],
                             outputs: outputs)
    }

    private func forecast(_ request: InferRequest, wanted: [String]) async throws -> InferResponse {
        guard let columns = model.columns else { throw ServeError.badRequest("model \(name) is not a regression model") }
        let input = try onlyInput(request, rank: 3)
        guard input.datatype == "FP32" || input.datatype == "FP64", case .numbers(let values) = input.data else {
            throw ServeError.badRequest("inputs[\(input.index)] (SERIES) has datatype \(input.datatype); expected FP32 (or FP64)")
        }
        let (b, t, d) = (input.shape[0], input.shape[1], input.shape[2])
        guard d == columns.names.count else {
            throw ServeError.badRequest("inputs[\(input.index)] (SERIES) has \(d) columns in its last dimension; model \(name) reads "
                + "\(columns.names.count): \(columns.names.joined(separator: ", "))")
        }
        guard b >= 1, t >= 1 else { throw ServeError.badRequest("inputs[\(input.index)] (SERIES) has shape \(input.shape); expected at least one series of one step") }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw ServeError.badRequest("SERIES element \(bad) is not a finite number")
        }
        if try sequenceParameters(request) != nil { throw ServeError.badRequest("parameters.sequence_id is for language models; model \(name) is a \(kind.noun)") }
        let horizon = try request.parameters.int("horizon", in: 1...limits.maxHorizon) ?? 1
        guard b * (t + horizon) <= limits.maxSteps else {
            throw ServeError.badRequest("\(b) series × (\(t) steps + horizon \(horizon)) is more than the \(limits.maxSteps) steps one request may ask for")
        }
        guard b <= limits.maxOutputValues / (horizon * columns.targets.count) else {
            throw ServeError.badRequest("\(b) series × horizon \(horizon) × \(columns.targets.count) targets is more than the "
                + "\(limits.maxOutputValues) values one answer holds; send fewer series or a shorter horizon")
        }
        let series = (0..<b).map { k in NumericSeries(columns: columns.names, values: Array(values[(k * t * d)..<((k + 1) * t * d)])) }
        let model = self.model
        guard case .series(let forecasts) = try await batcher.submit(.alone { .series(try series.map { try model.forecast(history: $0, horizon: horizon) }) }) else {
            throw ServeError.badRequest("internal: the batcher answered a forecast with texts")
        }
        let targets = columns.targets.count
        let out = OutputTensor(name: "FORECAST", shape: [b, horizon, targets], data: .fp32(forecasts.flatMap { $0.values.map { Float($0) } }))
        return InferResponse(modelName: name, id: request.id, outputs: wanted.contains("FORECAST") ? [out] : [])
    }
}

extension ServeLimits {
    /// The longest text a bidirectional model reads whole (its cells fit one engine batch's budget).
    func maxBidirectionalSteps(_ config: ModelConfig) -> Int { TextBatch.defaultCellBudget(config) }
}
