import Elman
import Foundation

/// The live sequences of a language model, as Triton's sequence batcher keeps them: a request with
/// `sequence_id` continues the hidden state its sequence left; `sequence_start` begins it anew, `sequence_end`
/// forgets it after the request. At most `capacity` live at once; one idle longer than `idleTimeout` is forgotten.
final class SequenceStore: Sendable {
    /// A sequence between requests: the state after its text and the logits of its last symbol (nil before any).
    struct Entry: Sendable {
        var state: TrainedModel.State
        var last: [Float]?
        var lastUsed: ContinuousClock.Instant
        var busy: Bool
    }

    let capacity: Int
    let idleTimeout: Duration
    private let entries = Locked([SequenceID: Entry]())

    init(capacity: Int, idleTimeout: Duration) {
        self.capacity = capacity
        self.idleTimeout = idleTimeout
    }

    var count: Int { entries.withLock { $0.count } }

    /// Takes sequence `id` for one request (fresh when `start`); it stays busy until ``checkIn(_:_:end:)``.
    func checkOut(_ id: SequenceID, start: Bool, initial: TrainedModel.State) throws -> Entry {
        let now = ContinuousClock.now
        return try entries.withLock { entries in
            entries = entries.filter { $0.value.busy || now - $0.value.lastUsed < idleTimeout }
            if var entry = entries[id] {
                guard !entry.busy else {
                    throw ServeError(status: 409, "sequence \(id) is busy with another request; send one sequence's requests one after another")
                }
                if start { entry = Entry(state: initial, last: nil, lastUsed: now, busy: true) }
                entry.busy = true
                entries[id] = entry
                return entry
            }
            guard start else {
                throw ServeError.badRequest("parameters.sequence_id \(id) is not a live sequence (never started, ended, or idle "
                    + "longer than \(idleTimeout)); expected sequence_start: true on its first request")
            }
            guard entries.count < capacity else {
                throw ServeError.overloaded("\(capacity) sequences are live (--max-sequences); end one with sequence_end, or retry later")
            }
            let entry = Entry(state: initial, last: nil, lastUsed: now, busy: true)
            entries[id] = entry
            return entry
        }
    }

    /// Returns a sequence after its request: kept with its new state, or forgotten at its end.
    func checkIn(_ id: SequenceID, _ entry: Entry, end: Bool) {
        entries.withLock { entries in
            if end {
                entries[id] = nil
            } else {
                var kept = entry
                kept.busy = false
                kept.lastUsed = .now
                entries[id] = kept
            }
        }
    }
}
