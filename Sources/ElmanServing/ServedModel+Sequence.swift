import Elman
import Foundation

/// A sequence's id: a uint64 or a string, as Triton's (the number 5 and the string "5" are different sequences).
enum SequenceID: Hashable, Sendable, CustomStringConvertible {
    case number(UInt64)
    case text(String)

    var description: String {
        switch self {
        case .number(let n): "\(n)"
        case .text(let s): "\"\(s)\""
        }
    }
}

/// A stateful request's place in its sequence (Triton's sequence batcher's request parameters).
struct SequenceParameters {
    var id: SequenceID
    var start: Bool
    var end: Bool
}

extension ServedModel {
    /// `sequence_id` (a non-zero integer or a non-empty string), `sequence_start`, `sequence_end`; nil without an id.
    func sequenceParameters(_ request: InferRequest) throws -> SequenceParameters? {
        let p = request.parameters
        let start = try p.bool("sequence_start") ?? false, end = try p.bool("sequence_end") ?? false
        let id: SequenceID
        switch p.values["sequence_id"] {
        case nil, .null?, .int(0)?, .string("")?:
            guard !start, !end else { throw ServeError.badRequest("parameters.sequence_start/sequence_end need a sequence_id") }
            return nil
        case .int(let i)? where i > 0: id = .number(UInt64(i))
        case .uint(let u)?: id = .number(u)
        case .string(let s)? where s.utf8.count <= 256: id = .text(s)
        case let v?:
            throw ServeError.badRequest("parameters.sequence_id is \(RequestParameters.show(v)); expected an integer in 1...\(UInt64.max) or a string of at most 256 bytes")
        }
        return SequenceParameters(id: id, start: start, end: end)
    }

    /// Feeds `ids` after what the sequence read before: the next-symbol distribution after them, and the loss of
    /// every symbol predicted (the first from the previous request's last, where there was one).
    func continueSequence(_ sequence: SequenceParameters, ids: [Int32], needsLoss: Bool) throws -> TextResult {
        // Checked before the sequence is touched: a refused request leaves it as it was. A live sequence always has
        // a symbol to predict its next text's first from.
        if needsLoss, sequence.start, ids.count < 2 {
            throw ServeError.badRequest("TEXT has 1 symbol and starts its sequence; LOSS needs a symbol to predict (ask for NEXT_PROBABILITIES alone)")
        }
        var entry = try sequences.checkOut(sequence.id, start: sequence.start, initial: model.initialState())
        let stepper = Stepper(model.params)
        var state = entry.state.values
        var loss = 0.0, predicted = 0
        var last = entry.last
        for id in ids {
            if let last {  // −log softmax(G)[id] of the previous symbol's logits, in Double
                loss += TextBatch.crossEntropy(last, row: 0, count: last.count, target: Int(id))
                predicted += 1
            }
            stepper.step(id, state: &state)
            last = stepper.logits
        }
        entry.state.values = state
        entry.last = last
        sequences.checkIn(sequence.id, entry, end: sequence.end)
        var p = [Float](repeating: 0, count: model.config.outputSize)
        model.config.head.outputs(of: last ?? p, into: &p)
        return TextResult(probabilities: p, loss: predicted >= 1 ? Float(loss / Double(predicted)) : nil)
    }
}
