import Elman
import Foundation

/// A stateful request's place in its sequence (Triton's sequence batcher's request parameters).
struct SequenceParameters {
    var id: String
    var start: Bool
    var end: Bool
}

extension ServedModel {
    /// `sequence_id` (a non-zero integer or a non-empty string), `sequence_start`, `sequence_end`; nil without an id.
    func sequenceParameters(_ request: InferRequest) throws -> SequenceParameters? {
        let p = request.parameters
        let start = try p.bool("sequence_start") ?? false, end = try p.bool("sequence_end") ?? false
        let id: String
        switch p.values["sequence_id"] {
        case nil, .null?, .int(0)?, .string("")?:
            guard !start, !end else { throw ServeError.badRequest("parameters.sequence_start/sequence_end need a sequence_id") }
            return nil
        case .int(let i)? where i > 0: id = "\(i)"
        case .string(let s)? where s.utf8.count <= 256: id = s
        case let v?:
            throw ServeError.badRequest("parameters.sequence_id is \(RequestParameters.show(v)); expected a positive integer or a string of at most 256 bytes")
        }
        return SequenceParameters(id: id, start: start, end: end)
    }

    /// Feeds `ids` after what the sequence read before: the next-symbol distribution after them, and the loss of
    /// every symbol predicted (the first from the previous request's last, where there was one).
    func continueSequence(_ sequence: SequenceParameters, ids: [Int32], needsLoss: Bool) throws -> TextResult {
        var entry = try sequences.checkOut(sequence.id, start: sequence.start, initial: model.initialState())
        var kept: SequenceStore.Entry? = nil
        defer { sequences.checkIn(sequence.id, kept, end: sequence.end) }
        let predicted = ids.count - (entry.next == nil ? 1 : 0)
        if needsLoss, predicted < 1 {
            throw ServeError.badRequest("TEXT has 1 symbol and starts its sequence; LOSS needs a symbol to predict (ask for NEXT_PROBABILITIES alone)")
        }
        let stepper = Stepper(model.params)
        var state = entry.state.values
        var loss = 0.0
        var next = entry.next
        for id in ids {
            if let next { loss -= log(Double(max(next[Int(id)], .leastNonzeroMagnitude))) }
            stepper.step(id, state: &state)
            next = stepper.probabilities(head: model.config.head)
        }
        entry.state.values = state
        entry.next = next
        kept = entry
        return TextResult(probabilities: next ?? [], loss: predicted >= 1 ? Float(loss / Double(predicted)) : nil)
    }
}
