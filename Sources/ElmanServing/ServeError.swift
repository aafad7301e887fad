/// An answer other than success, with the HTTP status the Open Inference Protocol gives it and a message that names
/// the field, the value and what was expected. Client input maps to 4xx; only overload is a 5xx (503).
public struct ServeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status: 400, 404, 409 (a sequence busy), 413, 415 (a compressed body) or 503.
    public let status: Int
    /// The protocol's `{"error": message}`.
    public let message: String
    /// Seconds a client should wait before retrying (503 only): the `Retry-After` header.
    public let retryAfter: Int?

    public init(status: Int, _ message: String, retryAfter: Int? = nil) {
        self.status = status
        self.message = message
        self.retryAfter = retryAfter
    }

    /// 400: the request is malformed or does not fit the model.
    public static func badRequest(_ message: String) -> ServeError { ServeError(status: 400, message) }
    /// 404: no such model (or path).
    public static func notFound(_ message: String) -> ServeError { ServeError(status: 404, message) }
    /// 413: the body is larger than `--max-body`.
    public static func tooLarge(_ message: String) -> ServeError { ServeError(status: 413, message) }
    /// 503: the server is full (queue, live sequences) or a request waited past its timeout; retry later.
    public static func overloaded(_ message: String, retryAfter: Int = 1) -> ServeError {
        ServeError(status: 503, message, retryAfter: retryAfter)
    }

    public var description: String { "\(status): \(message)" }
}
