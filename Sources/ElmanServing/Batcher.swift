import Elman
import Foundation

/// Triton's dynamic batcher for one model: concurrent requests wait in one queue, and each worker thread takes as
/// many as fit in `maxBatch` sequences (waiting up to `maxQueueDelay` for more to arrive) and reads them in one
/// engine batch. Inference runs on these threads, never on the server's event loops or Swift's cooperative pool.
final class Batcher: @unchecked Sendable {  // state under `condition`; listed in tools/concurrency-escapes.txt
    enum Work: Sendable {
        /// Texts, and whether a language model's loss is wanted: merged with other text work into engine batches.
        case texts([[Int32]], loss: Bool)
        /// Work that runs by itself on a worker (a forecast feeds itself back; a sequence carries its own state; a
        /// series classifier's request batches its own series).
        case alone(@Sendable () throws -> Output)
    }
    enum Output: Sendable {
        case texts([TextResult])
        case series([NumericSeries])
        /// A series classifier's label probabilities, one row per series.
        case probabilities([[Float]])
    }
    /// What a finished batch reports: its sequences, and how long each of its requests waited in the queue.
    struct BatchReport: Sendable {
        var sequences: Int
        var queueTimes: [Duration]
    }

    private final class Job: @unchecked Sendable {  // handed from the submitting task to one worker, under `condition`
        let work: Work
        let enqueued = ContinuousClock.now
        let continuation: CheckedContinuation<Output, any Error>
        init(_ work: Work, _ continuation: CheckedContinuation<Output, any Error>) {
            self.work = work
            self.continuation = continuation
        }
        var sequences: Int {
            switch work {
            case .texts(let t, _): t.count
            case .alone: 1
            }
        }
    }

    let limits: ServeLimits
    private let model: TrainedModel
    private let condition = NSCondition()
    private var queue: [Job] = []
    private var stopping = false
    /// Workers reading a batch now.
    private var computing = 0
    private let onBatch: @Sendable (BatchReport) -> Void

    init(model: TrainedModel, limits: ServeLimits, onBatch: @escaping @Sendable (BatchReport) -> Void) throws {
        self.limits = limits
        self.onBatch = onBatch
        self.model = model
        _ = try TextBatch(model)  // the model's engine can be made (each worker makes its own: an engine is one thread's)
    }

    /// Starts the worker threads.
    func start() {
        for k in 0..<limits.workers {
            let thread = Thread { [self] in
                if let runner = try? TextBatch(model) { work(runner) }
            }
            thread.name = "elman-serve worker \(k)"
            thread.start()
        }
    }

    /// The number of requests waiting.
    var depth: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count
    }

    /// Queues `work` and waits for its result; a full queue is answered at once with 503.
    func submit(_ work: Work) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            defer { condition.unlock() }
            guard !stopping else {
                continuation.resume(throwing: ServeError.overloaded("the server is shutting down"))
                return
            }
            guard queue.count < limits.maxQueue else {
                continuation.resume(throwing: ServeError.overloaded("\(queue.count) requests are queued for this model (--max-queue); retry later"))
                return
            }
            queue.append(Job(work, continuation))
            condition.broadcast()
        }
    }

    /// Stops the workers once the queue is empty; requests still queued are answered first.
    func shutdown() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    private func work(_ runner: TextBatch) {
        while let jobs = take() {
            let started = ContinuousClock.now
            var live: [Job] = []
            for job in jobs {
                if started - job.enqueued > limits.requestTimeout {
                    job.continuation.resume(throwing: ServeError.overloaded(
                        "the request waited \(started - job.enqueued) in the queue, longer than --request-timeout"))
                } else {
                    live.append(job)
                }
            }
            if !live.isEmpty {
                onBatch(BatchReport(sequences: live.reduce(0) { $0 + $1.sequences }, queueTimes: live.map { started - $0.enqueued }))
                run(live, on: runner)
            }
            condition.lock()
            computing -= jobs.isEmpty ? 0 : 1
            condition.unlock()
        }
    }

    /// Text jobs together in one engine batch; other work alone.
    private func run(_ jobs: [Job], on runner: TextBatch) {
        if case .alone(let work) = jobs[0].work {
            do { jobs[0].continuation.resume(returning: try work()) } catch { jobs[0].continuation.resume(throwing: Self.served(error)) }
            return
        }
        var all: [[Int32]] = [], loss = false
        for job in jobs {
            if case .texts(let texts, let wanted) = job.work {
                all += texts
                loss = loss || wanted
            }
        }
        do {
            let results = try runner.run(all, loss: loss)
            var start = 0
            for job in jobs {
                job.continuation.resume(returning: .texts(Array(results[start..<(start + job.sequences)])))
                start += job.sequences
            }
        } catch {
            for job in jobs { job.continuation.resume(throwing: Self.served(error)) }
        }
    }

    /// The next batch: waits for a first job, then up to `maxQueueDelay` for more until `maxBatch` sequences; nil
    /// when stopping with nothing left.
    private func take() -> [Job]? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty {
            if stopping { return nil }
            condition.wait()
        }
        // Wait for more only while another worker computes: the server is loaded and requests are arriving. An idle
        // server answers a lone request at once instead of holding it for the delay.
        if limits.maxBatch > 1, limits.maxQueueDelay > .zero, computing > 0, isText(queue[0]) {
            let deadline = Date().addingTimeInterval(Self.seconds(limits.maxQueueDelay))
            while !stopping, queuedTextSequences() < limits.maxBatch, condition.wait(until: deadline) {}
        }
        guard !queue.isEmpty else { return [] }  // another worker took them while this one waited
        computing += 1
        if !isText(queue[0]) { return [queue.removeFirst()] }
        var jobs = [queue.removeFirst()]
        var sequences = jobs[0].sequences
        while let next = queue.first, isText(next), sequences + next.sequences <= limits.maxBatch {
            jobs.append(queue.removeFirst())
            sequences += next.sequences
        }
        return jobs
    }

    private func isText(_ job: Job) -> Bool {
        if case .texts = job.work { true } else { false }
    }

    private func queuedTextSequences() -> Int {
        var n = 0
        for job in queue {
            guard isText(job) else { break }
            n += job.sequences
        }
        return n
    }

    /// An error as the client sees it: a ServeError as it is, the library's (a model's own check) as a 400; anything
    /// else is the server's fault and stays an internal error (500).
    static func served(_ error: any Error) -> any Error {
        if let e = error as? ElmanError { return ServeError.badRequest(e.message) }
        return error
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
