/// The server's bounds, one set for every model (elman-serve's flags).
public struct ServeLimits: Sendable {
    /// The most sequences in one engine batch (`--max-batch`); 1 turns dynamic batching off.
    public var maxBatch = 64
    /// How long a worker waits for more requests to fill a batch (`--max-queue-delay-us`).
    public var maxQueueDelay: Duration = .microseconds(500)
    /// The most requests waiting per model (`--max-queue`); past it, 503.
    public var maxQueue = 256
    /// The longest a request may wait in the queue (`--request-timeout`); past it, 503.
    public var requestTimeout: Duration = .seconds(30)
    /// Worker threads per model: requests run concurrently on the shared model.
    public var workers = 2
    /// The most `max_tokens` a generation may ask for (`--max-tokens`).
    public var maxTokens = 10_000
    /// The most steps a forecast may ask for (`horizon`).
    public var maxHorizon = 10_000
    /// The most texts in one request, and the most symbols (or series steps, history and horizon) it may ask to
    /// read: each request's memory and time are bounded, whatever the body holds.
    public var maxTexts = 16_384
    public var maxSteps = 1 << 20
    /// The most values one response may carry (N texts × C probabilities, B series × horizon × targets): 16 MB
    /// of FP32, about 60 MB as JSON.
    public var maxOutputValues = 1 << 22
    /// The most generations streaming at once (each holds a thread); past it, 503.
    public var maxGenerations = 64
    /// The most live stateful sequences per language model (`--max-sequences`), and how long an idle one lives.
    public var maxSequences = 1024
    public var sequenceIdleTimeout: Duration = .seconds(60)

    public init() {}
}
