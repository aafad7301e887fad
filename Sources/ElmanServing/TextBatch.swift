import Elman
import Foundation

/// What a text model answers for one sequence: the head's outputs after its last symbol (class probabilities in
/// label order, or the next-symbol distribution in vocabulary order) and, for a language model, the loss of the
/// symbols it predicts (nats per predicted symbol; nil below 2 symbols).
public struct TextResult: Sendable, Equatable {
    public var probabilities: [Float]
    public var loss: Float?
}

/// Many sequences through one engine at once, as packed sequences of different lengths: the forward equations of
/// the seed's batched form (Eqs. 74–76) over N = the number of sequences. A one-way model reads them in chunks of
/// time with the state carried, so that memory stays bounded however long a sequence is; a bidirectional one reads
/// each whole (its reverse direction starts at the end).
///
/// An engine is one thread's: a batch runner belongs to one worker.
final class TextBatch {
    let model: TrainedModel
    private let engine: Engine<Float>
    /// The most T·N cells of one engine call, by its widest row (C logits or H states): about 32 MB of logits.
    private let cellBudget: Int

    /// `cellBudget`: the default unless a test forces small chunks.
    init(_ model: TrainedModel, cellBudget: Int? = nil) throws {
        self.model = model
        engine = try Engine<Float>(config: model.config)
        self.cellBudget = cellBudget ?? Self.defaultCellBudget(model.config)
    }

    /// T·N cells of 8M floats (32 MB) at the widest row: C logits or H states.
    static func defaultCellBudget(_ config: ModelConfig) -> Int {
        max(1, (8 << 20) / max(config.outputSize, config.hiddenSize, 1))
    }

    /// `loss`: a language model's loss is wanted (else only the last step's outputs are read).
    func run(_ sequences: [[Int32]], loss wantsLoss: Bool = true) throws -> [TextResult] {
        guard !sequences.isEmpty, sequences.allSatisfy({ !$0.isEmpty }) else {
            throw ServeError.badRequest("a text input is empty; expected at least one symbol each")
        }
        var last: (logits: [[Float]], loss: [Double]) = ([], [])
        for start in stride(from: 0, to: sequences.count, by: cellBudget) {  // N ≤ the budget too: one step of N rows fits
            let group = Array(sequences[start..<min(start + cellBudget, sequences.count)])
            let part = try model.config.bidirectional ? wholeSequences(group) : chunked(group, loss: wantsLoss)
            last.logits += part.logits
            last.loss += part.loss
        }
        let head = model.config.head
        return sequences.indices.map { n in
            var p = [Float](repeating: 0, count: model.config.outputSize)
            head.outputs(of: last.logits[n], into: &p)
            let probabilities = model.labelProbabilities(p)
            let predicted = sequences[n].count - 1
            return TextResult(probabilities: probabilities,
                              loss: model.isClassifier || !wantsLoss || predicted < 1 ? nil : Float(last.loss[n] / Double(predicted)))
        }
    }

    /// One-way: time in chunks, longest sequences first so that those still running are always a prefix.
    private func chunked(_ sequences: [[Int32]], loss wantsLoss: Bool) throws -> (logits: [[Float]], loss: [Double]) {
        let config = model.config, c = config.outputSize, h = config.hiddenSize, layers = config.layers
        let order = sequences.indices.sorted { sequences[$0].count > sequences[$1].count }
        let longest = sequences[order[0]].count
        var lastLogits = [[Float]](repeating: [], count: sequences.count)
        var loss = [Double](repeating: 0, count: sequences.count)
        var state: [Float]? = nil  // L×active×H
        var activeBefore = order.count
        var t0 = 0
        while t0 < longest {
            let active = order.prefix { sequences[$0].count > t0 }.count
            if var s = state, active < activeBefore {  // drop the finished sequences' rows: L×N×H → L×active×H
                s = (0..<layers).flatMap { l in s[(l * activeBefore * h)..<((l * activeBefore + active) * h)] }
                state = s
            }
            let steps = min(longest - t0, max(1, cellBudget / active))
            let lengths = order.prefix(active).map { min(sequences[$0].count - t0, steps) }
            var ids = [Int32](repeating: 0, count: steps * active)  // time-major: (t, n) at t·N + n
            for (n, i) in order.prefix(active).enumerated() {
                for t in 0..<lengths[n] { ids[t * active + n] = sequences[i][t0 + t] }
            }
            let (logits, final) = try engine.logits(model.params, inputs: .tokens(ids), steps: steps, size: active,
                                                    initialState: state, lengths: lengths)  // logits: T·N×C
            for (n, i) in order.prefix(active).enumerated() {
                let sequence = sequences[i]
                for t in 0..<lengths[n] {
                    let row = (t * active + n) * c, position = t0 + t
                    if wantsLoss, model.labels == nil, position + 1 < sequence.count {
                        loss[i] += Self.crossEntropy(logits, row: row, count: c, target: Int(sequence[position + 1]))
                    }
                    if position == sequence.count - 1 { lastLogits[i] = Array(logits[row..<(row + c)]) }
                }
            }
            state = final
            activeBefore = active
            t0 += steps
        }
        return (lastLogits, loss)
    }

    /// Bidirectional (classifiers only): each sequence whole, in groups that fit the budget.
    private func wholeSequences(_ sequences: [[Int32]]) throws -> (logits: [[Float]], loss: [Double]) {
        let c = model.config.outputSize
        let order = sequences.indices.sorted { sequences[$0].count > sequences[$1].count }
        var lastLogits = [[Float]](repeating: [], count: sequences.count)
        var start = 0
        while start < order.count {
            let steps = sequences[order[start]].count
            let size = max(1, min(order.count - start, cellBudget / steps))
            let group = Array(order[start..<(start + size)])
            let lengths = group.map { sequences[$0].count }
            var ids = [Int32](repeating: 0, count: steps * size)
            for (n, i) in group.enumerated() {
                for t in 0..<lengths[n] { ids[t * size + n] = sequences[i][t] }
            }
            let (logits, _) = try engine.logits(model.params, inputs: .tokens(ids), steps: steps, size: size, lengths: lengths)
            for (n, i) in group.enumerated() {
                let row = ((lengths[n] - 1) * size + n) * c
                lastLogits[i] = Array(logits[row..<(row + c)])
            }
            start += size
        }
        return (lastLogits, [Double](repeating: 0, count: sequences.count))
    }

    /// −log softmax(G)[target] of one row of logits, in Double.
    static func crossEntropy(_ logits: [Float], row: Int, count: Int, target: Int) -> Double {
        var m = -Double.infinity
        for k in row..<(row + count) { m = max(m, Double(logits[k])) }
        var total = 0.0
        for k in row..<(row + count) { total += exp(Double(logits[k]) - m) }
        return m + log(total) - Double(logits[row + target])
    }
}
