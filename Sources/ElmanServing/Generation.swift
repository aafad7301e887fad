import Elman
import Foundation

/// Triton's generate extension: `{"text_input": "…", "parameters": {"max_tokens", "temperature", "top_k",
/// "seed"}}` — the parameters may also stand beside `text_input`, as Triton passes a request's other fields — read and
/// checked before anything is generated, so that a bad request is a 400 and never a broken stream.
public struct GenerateRequest: Sendable {
    /// The request's `id`, echoed in the response.
    public let id: String?
    public let prompt: String
    public let maxTokens: Int
    public let temperature: Double
    public let topK: Int
    public let seed: UInt64

    private static let fields: Set = ["text_input", "parameters", "id"]
    private static let parameterNames: Set = ["max_tokens", "temperature", "top_k", "seed", "stream"]

    /// Reads a request body for `model` (a language model) under `limits`.
    public init(body: [UInt8], for model: ServedModel) throws {
        guard model.kind == .languageModel else {
            throw ServeError.badRequest("generate needs a language model; model \(model.name) is a \(model.kind.noun) (use infer)")
        }
        let object: [String: JSON]
        do { object = try JSONDecoder().decode([String: JSON].self, from: Data(body)) } catch {
            throw ServeError.badRequest("the request body is not a generate request (\(InferRequest.describe(error))); expected {\"text_input\": \"…\", \"parameters\": {…}}")
        }
        if let unknown = object.keys.sorted().first(where: { !Self.fields.contains($0) && !Self.parameterNames.contains($0) }) {
            throw ServeError.badRequest("\"\(unknown.prefix(40))\" is not a field of a generate request; expected text_input, id, "
                + "parameters, and max_tokens, temperature, top_k, seed beside them or in parameters")
        }
        switch object["id"] {
        case nil, .null?: id = nil
        case .string(let s)?: id = s
        case let v?: throw ServeError.badRequest("id is \(v.kind); expected a string")
        }
        guard case .string(let prompt)? = object["text_input"] else {
            throw ServeError.badRequest("text_input is \(object["text_input"]?.kind ?? "missing"); expected a string (the prompt, may be empty)")
        }
        var parameters: [String: JSON] = [:]
        switch object["parameters"] {
        case nil, .null?: break
        case .object(let o)?: parameters = o
        case let v?: throw ServeError.badRequest("parameters is \(v.kind); expected an object")
        }
        for key in Self.parameterNames where object[key] != nil {
            guard parameters[key] == nil else { throw ServeError.badRequest("\(key) is given twice, beside text_input and in parameters") }
            parameters[key] = object[key]
        }
        if let unknown = parameters.keys.sorted().first(where: { !Self.parameterNames.contains($0) }) {
            throw ServeError.badRequest("parameters.\(unknown.prefix(40)) is not a generate parameter; expected max_tokens, temperature, top_k, seed")
        }
        let p = RequestParameters(parameters, path: "parameters")
        _ = try p.bool("stream")
        maxTokens = try p.int("max_tokens", in: 0...model.limits.maxTokens) ?? 100
        temperature = try p.double("temperature", in: 0...Double.infinity) ?? 1
        topK = try p.int("top_k", in: 0...Int.max) ?? 0
        seed = try p.uint64("seed") ?? 1
        do { _ = try model.model.vocabulary.encode(prompt) } catch let e as ElmanError {
            throw ServeError.badRequest("text_input: \(e.message)")
        }
        self.prompt = prompt
    }
}

/// Stops a generation whose client went away.
struct GenerationCancelled: Error {}

/// A generation running on its own thread: its pieces as they are made, and a way to stop it.
public struct Generation: Sendable {
    /// The generated text, one piece per symbol; ends after `max_tokens` or at ``cancel()``.
    public let pieces: AsyncThrowingStream<String, any Error>
    /// Stops the generation at its next symbol (its thread then ends).
    public let cancel: @Sendable () -> Void
}

extension ServedModel {
    /// The whole generated text (the prompt excluded), made on a thread of its own.
    public func generate(_ request: GenerateRequest) async throws -> String {
        let generation = try generateStream(request)
        defer { generation.cancel() }
        var text = ""
        for try await piece in generation.pieces { text += piece }
        return text
    }

    /// The generated text as it is made, one piece per symbol (a word with its space), produced on a thread of its
    /// own; ``Generation/cancel()`` (a client disconnecting) stops it at its next symbol. Throws 503 when
    /// `maxGenerations` are running.
    public func generateStream(_ request: GenerateRequest) throws -> Generation {
        let (stream, continuation) = AsyncThrowingStream<String, any Error>.makeStream(bufferingPolicy: .unbounded)
        let admitted = generations.withLock { n in
            guard n < limits.maxGenerations else { return false }
            n += 1
            return true
        }
        guard admitted else { throw ServeError.overloaded("\(limits.maxGenerations) generations are running; retry later") }
        let cancelled = Locked(false)
        continuation.onTermination = { _ in cancelled.withLock { $0 = true } }
        let model = self.model
        let thread = Thread { [generations] in
            defer { generations.withLock { $0 -= 1 } }
            do {
                try model.generate(prime: request.prompt, length: request.maxTokens, temperature: request.temperature,
                                   topK: request.topK, seed: request.seed) { piece in
                    if cancelled.withLock({ $0 }) { throw GenerationCancelled() }
                    continuation.yield(piece)
                }
                continuation.finish()
            } catch is GenerationCancelled {
                continuation.finish()
            } catch let e as ElmanError {
                continuation.finish(throwing: ServeError.badRequest(e.message))
            } catch {
                continuation.finish(throwing: error)
            }
        }
        thread.name = "elman-serve generate"
        thread.start()
        return Generation(pieces: stream) { cancelled.withLock { $0 = true } }
    }

    /// Generations running now.
    public var activeGenerations: Int { generations.withLock { $0 } }
}
