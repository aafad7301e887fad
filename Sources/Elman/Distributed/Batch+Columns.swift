extension Batch {
    /// Sequences `part` of the batch (all steps): one process's share in data-parallel training. Every time-major
    /// array keeps its layout with N = part.count; `config` gives the row widths.
    package func columns(_ part: Range<Int>, config: ModelConfig) -> Batch {
        let n = size
        /// Rows of `width` values, `blocks` blocks of N rows each (T for inputs, L·T for dropout, layers for h0).
        func slice<V>(_ values: [V], blocks: Int, width: Int) -> [V] {
            var out: [V] = []
            out.reserveCapacity(blocks * part.count * width)
            for b in 0..<blocks {
                out.append(contentsOf: values[((b * n + part.lowerBound) * width)..<((b * n + part.upperBound) * width)])
            }
            return out
        }
        let inputs: Inputs
        switch self.inputs {
        case .tokens(let ids): inputs = .tokens(slice(ids, blocks: steps, width: 1))
        case .dense(let x): inputs = .dense(slice(x, blocks: steps, width: config.inputSize))
        }
        let targets: Targets
        switch self.targets {
        case .classes(let y): targets = .classes(slice(y, blocks: steps, width: 1))
        case .binary(let y): targets = .binary(slice(y, blocks: steps, width: 1))
        case .values(let y): targets = .values(slice(y, blocks: steps, width: config.outputSize))
        }
        return Batch(steps: steps, size: part.count, inputs: inputs, targets: targets,
                     mask: mask.map { slice($0, blocks: steps, width: 1) },
                     initialState: initialState.map { slice($0, blocks: config.layers * config.directions, width: config.hiddenSize) },
                     dropout: dropout.map { slice($0, blocks: config.layers * steps, width: config.outputWidth) },
                     lengths: lengths.map { Array($0[part]) })
    }
}

/// A state of all N sequences (S×N×H: S = L or 2L blocks) assembled from the processes' parts: each writes its
/// columns into zeros, and the sum over processes is the whole.
package func spread(_ state: [Float], part: Range<Int>, size n: Int, blocks: Int, hidden h: Int) -> [Float] {
    var out = [Float](repeating: 0, count: blocks * n * h)
    let width = part.count * h
    for b in 0..<blocks {
        out.replaceSubrange(((b * n + part.lowerBound) * h)..<((b * n + part.lowerBound) * h + width),
                            with: state[(b * width)..<((b + 1) * width)])
    }
    return out
}
