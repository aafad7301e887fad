import Foundation
import Prometheus

/// `GET /metrics`, in Prometheus's text format: requests by model, endpoint and status; request latency by
/// endpoint; engine batch sizes and queue time by model; live queue depth and generations.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private static let latencyBuckets: [Duration] = [.microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
                                                     .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                                                     .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                                                     .seconds(1), .seconds(2.5), .seconds(5), .seconds(10)]
    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "elman", metricName: metric, unitName: unit, helpText: help)
    }
    private static var requests: MetricNameDescriptor { name("requests", "total", "Requests answered, by model, endpoint and HTTP status.") }
    private static var latency: MetricNameDescriptor { name("request_duration", "seconds", "Time from a request's arrival to its response's head (a stream's first byte).") }
    private static var batch: MetricNameDescriptor { name("batch", "sequences", "Sequences per engine batch (dynamic batching merges concurrent requests).") }
    private static var queue: MetricNameDescriptor { name("queue", "seconds", "Time a request waited for a worker.") }
    static var queueDepth: MetricNameDescriptor { name("queue", "depth", "Requests waiting for a worker now.") }
    static var generations: MetricNameDescriptor { name("generations", "active", "Generations streaming now.") }

    func recordRequest(model: String, endpoint: String, status: Int, duration: Duration) {
        registry.makeCounter(descriptor: Self.requests, labels: [("model", model), ("endpoint", endpoint), ("status", "\(status)")]).increment()
        registry.makeDurationHistogram(descriptor: Self.latency, labels: [("endpoint", endpoint)], buckets: Self.latencyBuckets)
            .recordNanoseconds(Self.nanoseconds(duration))
    }

    func recordBatch(model: String, sequences: Int, queueTimes: [Duration]) {
        registry.makeValueHistogram(descriptor: Self.batch, labels: [("model", model)], buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256])
            .record(Double(sequences))
        let queue = registry.makeDurationHistogram(descriptor: Self.queue, labels: [("model", model)], buckets: Self.latencyBuckets)
        for t in queueTimes { queue.recordNanoseconds(Self.nanoseconds(t)) }
    }

    func setGauge(_ descriptor: MetricNameDescriptor, model: String, _ value: Int) {
        registry.makeGauge(descriptor: descriptor, labels: [("model", model)]).set(Double(value))
    }

    static func nanoseconds(_ d: Duration) -> Int64 {
        d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000
    }
}
