import ElmanServing
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The routes of the Open Inference Protocol's REST API (v2), Triton's generate extension and the server's own
/// pages, over the served models.
struct Server: Sendable {
    let models: [String: ServedModel]
    let order: [String]
    let limits: ServeLimits
    let maxBody: Int
    let metrics: ServerMetrics

    init(models: [ServedModel], limits: ServeLimits, maxBody: Int, metrics: ServerMetrics) {
        self.models = Dictionary(uniqueKeysWithValues: models.map { ($0.name, $0) })
        order = models.map(\.name)
        self.limits = limits
        self.maxBody = maxBody
        self.metrics = metrics
    }

    typealias Context = BasicRequestContext

    func router(logger: Logger) -> Router<Context> {
        let router = Router(context: Context.self)
        router.add(middleware: ObservedRequests(server: self, logger: logger))
        router.get("/v2/health/live") { _, _ in json(["live": true]) }
        router.get("/v2/health/ready") { _, _ in json(["ready": true]) }
        router.get("/v2") { _, _ in json(ServerMetadata()) }
        router.post("/v2/repository/index") { _, _ in
            json(order.map { ["name": $0, "version": "1", "state": "READY"] })
        }
        for prefix in ["/v2/models/:name", "/v2/models/:name/versions/:version"] {
            router.get(RouterPath(prefix)) { _, context in json(try model(context).metadata) }
            router.get(RouterPath("\(prefix)/ready")) { _, context in
                struct Ready: Encodable { var name: String, ready: Bool }
                return json(Ready(name: try model(context).name, ready: true))
            }
            router.post(RouterPath("\(prefix)/infer")) { request, context in try await infer(request, context) }
            router.post(RouterPath("\(prefix)/generate")) { request, context in try await generate(request, context) }
            router.post(RouterPath("\(prefix)/generate_stream")) { request, context in try await generateStream(request, context) }
        }
        router.get("/metrics") { _, _ in
            for m in models.values {
                metrics.setGauge(ServerMetrics.queueDepth, model: m.name, m.queueDepth)
                metrics.setGauge(ServerMetrics.generations, model: m.name, m.activeGenerations)
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer())))
        }
        router.get("/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"],
                     body: .init(byteBuffer: ByteBuffer(bytes: openAPIDocument(models: order))))
        }
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: PackageResources.playground_html)))
        }
        return router
    }

    /// The model a path names, at version 1.
    func model(_ context: Context) throws -> ServedModel {
        let name = try context.parameters.require("name")
        guard let served = models[name] else {
            throw ServeError.notFound("no model named \"\(name.prefix(64))\"; this server has \(order.joined(separator: ", "))")
        }
        if let version = context.parameters.get("version"), version != "1" {
            throw ServeError.notFound("model \(name) has version 1 only; the path asks for version \"\(version.prefix(20))\"")
        }
        return served
    }

    func body(_ request: Request) async throws -> [UInt8] {
        do {
            let buffer = try await request.body.collect(upTo: maxBody)
            return Array(buffer.readableBytesView)
        } catch let e as any HTTPResponseError where e.status == .contentTooLarge {  // collect(upTo:) throws NIOTooManyBytesError
            throw ServeError.tooLarge("the request body is larger than \(maxBody) bytes (--max-body)")
        } catch {
            throw ServeError.badRequest("the request body could not be read: it ended before its announced length")
        }
    }

    func infer(_ request: Request, _ context: Context) async throws -> Response {
        let served = try model(context)
        if let encoding = request.headers[.contentEncoding], encoding.lowercased() != "identity" {
            throw ServeError(status: 415, "Content-Encoding \(encoding.prefix(20)) is not read; send the body uncompressed")
        }
        let inferRequest = try InferRequest(body: try await body(request), headerLength: request.headers[inferenceHeaderLength])
        let response = try await served.infer(inferRequest)
        var named: [String: Bool] = [:]
        for output in inferRequest.outputs ?? [] { named[output.name] = output.binary ?? inferRequest.binaryOutput }
        let (bytes, headerLength) = response.encoded { named[$0] ?? inferRequest.binaryOutput }
        var headers: HTTPFields = [.contentType: headerLength == nil ? "application/json" : "application/octet-stream"]
        if let headerLength { headers[inferenceHeaderLength] = "\(headerLength)" }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    func generate(_ request: Request, _ context: Context) async throws -> Response {
        let served = try model(context)
        let generateRequest = try GenerateRequest(body: try await body(request), for: served)
        let text = try await served.generate(generateRequest)
        return json(GenerateResponse(model_name: served.name, id: generateRequest.id, text_output: text))
    }

    /// Server-Sent Events, one `data:` event per generated symbol as it is made, as Triton's generate_stream
    /// writes them; an error after the stream began is a last event `{"error": …}`.
    func generateStream(_ request: Request, _ context: Context) async throws -> Response {
        let served = try model(context)
        let generateRequest = try GenerateRequest(body: try await body(request), for: served)
        let generation = try served.generateStream(generateRequest)
        let name = served.name, id = generateRequest.id
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                defer { generation.cancel() }  // a client gone: the write throws, and the generation stops
                do {
                    for try await piece in generation.pieces {
                        try await writer.write(event(GenerateResponse(model_name: name, id: id, text_output: piece)))
                    }
                } catch let e as ServeError {
                    try await writer.write(event(["error": e.message]))
                }
                try await writer.finish(nil)
            })
    }
}

let inferenceHeaderLength = HTTPField.Name("Inference-Header-Content-Length")!

/// `GET /v2`.
struct ServerMetadata: Encodable {
    var name = "elman"
    var version = elmanServeVersion
    var extensions = ["binary_tensor_data", "generate", "sequence", "parameters"]
}

let elmanServeVersion = "0.1.0"

struct GenerateResponse: Encodable {
    var model_name: String
    var model_version = "1"
    var id: String?
    var text_output: String
}

func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [.contentType: "application/json"],
             body: .init(byteBuffer: ByteBuffer(bytes: encodeJSON(value))))
}

func event(_ value: some Encodable) -> ByteBuffer {
    ByteBuffer(bytes: Array("data: ".utf8) + encodeJSON(value) + Array("\n\n".utf8))
}
