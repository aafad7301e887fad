import ArgumentParser
import Elman
import ElmanServing
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

@main
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "elman-serve",
        abstract: "Serve models trained by elman over the Open Inference Protocol (KServe v2, Triton's HTTP/REST API).",
        discussion: """
            Each MODEL is a model file or a run directory. Its name in /v2/models/{name} is the run directory's name \
            (for a directory, model.safetensors or last.safetensors) or the file's name without its extension; --name \
            sets them in MODEL order. Endpoints: the protocol's health, metadata and infer (JSON, or Triton's binary \
            tensor extension), Triton's generate and generate_stream (Server-Sent Events) for language models, \
            POST /v2/repository/index, GET /metrics (Prometheus), GET /openapi.yaml, and a playground at GET /. \
            SIGTERM or SIGINT stops accepting, finishes the requests in flight and exits 0.
            """)

    /// The library's defaults, declared once in ServeLimits.
    private static let defaults = ServeLimits()
    private var defaults: ServeLimits { Self.defaults }

    @Argument(help: "Model files or run directories written by elman train.") var models: [String]
    @Option(help: "A model's name, once per MODEL in order (default: from its path).") var name: [String] = []
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port, printed at start).") var port = 8000
    @Option(help: "Most sequences in one engine batch (1: no dynamic batching).") var maxBatch = defaults.maxBatch
    @Option(help: "Microseconds a worker waits for more requests to fill a batch.") var maxQueueDelayUs = Int(defaults.maxQueueDelay / .microseconds(1))
    @Option(help: "Most requests waiting per model; past it, 503 with Retry-After.") var maxQueue = defaults.maxQueue
    @Option(help: "Seconds a request may wait in the queue; past it, 503.") var requestTimeout = Double(defaults.requestTimeout / .milliseconds(1)) / 1000
    @Option(help: "Worker threads per model (default: the number of cores).") var workers: Int?
    @Option(help: "Largest request body in bytes; past it, 413.") var maxBody = 8 << 20
    @Option(help: "Most max_tokens a generation may ask for.") var maxTokens = defaults.maxTokens
    @Option(help: "Most generations streaming at once; past it, 503.") var maxGenerations = defaults.maxGenerations
    @Option(help: "Most live stateful sequences per language model (sequence_id).") var maxSequences = defaults.maxSequences
    @Option(help: "Seconds an idle stateful sequence is kept.") var sequenceTimeout = Double(defaults.sequenceIdleTimeout / .milliseconds(1)) / 1000

    func validate() throws {
        for (flag, value, least) in [("--max-batch", maxBatch, 1), ("--max-queue-delay-us", maxQueueDelayUs, 0), ("--max-queue", maxQueue, 1),
                                     ("--max-body", maxBody, 1024), ("--max-tokens", maxTokens, 1), ("--max-generations", maxGenerations, 1),
                                     ("--max-sequences", maxSequences, 1), ("--workers", workers ?? 1, 1)] where value < least {
            throw ValidationError("\(flag) is \(value); expected ≥ \(least)")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port is \(port); expected 0...65535") }
        for (flag, value) in [("--request-timeout", requestTimeout), ("--sequence-timeout", sequenceTimeout)] where !(value > 0 && value <= 86_400) {
            throw ValidationError("\(flag) is \(value); expected seconds in (0, 86400]")
        }
    }

    func run() async throws {
        var limits = ServeLimits()
        limits.maxBatch = maxBatch
        limits.maxQueueDelay = .microseconds(maxQueueDelayUs)
        limits.maxQueue = maxQueue
        limits.requestTimeout = .milliseconds(Int64(requestTimeout * 1000))
        limits.workers = workers ?? ProcessInfo.processInfo.activeProcessorCount
        limits.maxTokens = maxTokens
        limits.maxGenerations = maxGenerations
        limits.maxSequences = maxSequences
        limits.sequenceIdleTimeout = .milliseconds(Int64(sequenceTimeout * 1000))

        // Each worker reads its batches on one core: the engine's lanes (one thread per core) would give every worker
        // all the cores at once, more threads than cores. ELMAN_THREADS set by the user wins; one worker keeps the lanes.
        if limits.workers > 1 { setenv("ELMAN_THREADS", "1", 0) }
        let metrics = ServerMetrics()
        let served: [ServedModel]
        do {
            let names = try ModelNames.resolve(paths: models, names: name)
            served = try zip(models, names).map { path, name in
                let model: TrainedModel
                do { model = try TrainedModel.load(path) } catch let e as ElmanError { throw ServeError.badRequest(e.message) }
                return try ServedModel(name: name, model: model, limits: limits) { sequences, queueTimes in
                    metrics.recordBatch(model: name, sequences: sequences, queueTimes: queueTimes)
                }
            }
        } catch let e as ServeError {
            Self.fail(e.message)
        } catch {
            Self.fail("\(error)")
        }
        var logger = Logger(label: "elman-serve")
        logger.logLevel = .info
        let server = Server(models: served, limits: limits, maxBody: maxBody, metrics: metrics)
        let app = Application(
            router: server.router(logger: logger),
            server: .http1(configuration: .init(idleTimeout: .seconds(Int64(Self.idleTimeout)))),
            configuration: .init(address: .hostname(host, port: port), serverName: "elman-serve"),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                let list = served.map { "\($0.name) (\($0.kind.rawValue))" }.joined(separator: ", ")
                FileHandle.standardOutput.write(Data("elman-serve: \(list) on http://\(host):\(bound) — playground at /, API at /v2, OpenAPI at /openapi.yaml\n".utf8))
            },
            logger: logger)
        // SIGTERM/SIGINT: stop accepting, let the requests in flight finish, but not for longer than the bound (a
        // client that never reads its stream must not keep the process alive).
        var group = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = .seconds(Self.shutdownGrace)
        do {
            try await ServiceGroup(configuration: group).run()
        } catch {
            Self.fail("cannot serve on \(host):\(port): \(Self.reason(error))")
        }
        served.forEach { $0.shutdown() }
    }

    /// Seconds an idle connection stays open, and the longest a shutdown waits for requests in flight.
    static let idleTimeout = 60, shutdownGrace = 15

    /// One line on standard error and exit 1: the start-up errors (a model file, a name, the address).
    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("elman-serve: \(message)\n".utf8))
        Foundation.exit(1)
    }

    static func reason(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("Address already in use") || text.contains("EADDRINUSE") { return "the address is in use" }
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }
}
