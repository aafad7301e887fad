import ElmanServing
import Hummingbird
import Logging

/// Every request's answer, whatever happened: an error as the protocol's `{"error": "…"}` with its status (a
/// ServeError's own; Hummingbird's 404 and 413 reworded), one access-log line, and the request metrics. Anything
/// else thrown is a 500 logged with its description, never a crash.
struct ObservedRequests: RouterMiddleware {
    typealias Context = Server.Context
    let server: Server
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch let e as ServeError {
            response = json(["error": e.message], status: .init(code: e.status))
            if let after = e.retryAfter { response.headers[.retryAfter] = "\(after)" }
        } catch let e as any HTTPResponseError {  // Hummingbird's HTTPError, NIOTooManyBytesError, …: their own status
            let message = switch e.status {
            case .notFound: "no endpoint \(request.method) \(request.uri.path.prefix(100)); see GET /openapi.yaml"
            case .contentTooLarge: "the request body is larger than \(server.maxBody) bytes (--max-body)"
            default: (e as? HTTPError)?.body ?? e.status.reasonPhrase
            }
            response = json(["error": message], status: e.status)
        } catch {
            logger.error("\(request.method) \(request.uri.path): \(error)")
            response = json(["error": "internal error: \(error)"], status: .internalServerError)
        }
        let elapsed = ContinuousClock.now - start
        let (model, endpoint) = route(request.uri.path)
        server.metrics.recordRequest(model: model, endpoint: endpoint, status: response.status.code, duration: elapsed)
        logger.info("\(request.method) \(request.uri.path.prefix(200)) \(response.status.code) \(String(format: "%.2f", Double(ServerMetrics.nanoseconds(elapsed)) / 1e6)) ms")
        return response
    }

    /// The metrics' labels of a path: a served model's name (else empty, so that a client cannot grow the label
    /// set) and the endpoint.
    func route(_ path: String) -> (model: String, endpoint: String) {
        let parts = path.split(separator: "/").map(String.init)
        guard parts.count >= 3, parts[0] == "v2", parts[1] == "models" else {
            switch path {
            case "/v2/health/live", "/v2/health/ready": return ("", "health")
            case "/v2": return ("", "server_metadata")
            case "/v2/repository/index": return ("", "repository_index")
            case "/metrics": return ("", "metrics")
            case "/openapi.yaml": return ("", "openapi")
            case "/": return ("", "playground")
            default: return ("", "other")
            }
        }
        let model = server.models[parts[2]] != nil ? parts[2] : ""
        var rest = Array(parts.dropFirst(3))
        if rest.count >= 2, rest[0] == "versions" { rest.removeFirst(2) }
        let endpoint = switch rest.first {
        case nil: "model_metadata"
        case "ready"?: "model_ready"
        case let e? where ["infer", "generate", "generate_stream"].contains(e): e
        default: "other"
        }
        return (model, endpoint)
    }
}
