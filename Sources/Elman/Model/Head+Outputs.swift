import RealModule

/// What each head means outside its forward/backward pair (Stages/OutputStage.swift): the targets it trains on
/// and what it makes of the logits at inference. A new head adds its case to ``Head``, its loss and gradient to
/// the output stage, and its answers here.
extension Head {
    /// Whether the targets are class ids (``Batch/Targets/classes(_:)``) rather than real values.
    var takesClassIDs: Bool { self == .softmax }

    /// Real target values per (t, n): none for class ids, one 0/1 label, or all C outputs.
    func realTargetsPerCell(outputs c: Int) -> Int {
        switch self {
        case .softmax: return 0
        case .sigmoid: return 1
        case .linear: return c
        }
    }

    /// Targets of the right kind and size that nothing reads: the forward pass alone (``Engine/logits``).
    func placeholderTargets<T: ElmanFloat>(cells: Int, outputs c: Int) -> Batch<T>.Targets {
        takesClassIDs ? .classes([Int32](repeating: 0, count: cells))
            : self == .sigmoid ? .binary([T](repeating: 0, count: cells)) : .values([T](repeating: 0, count: cells * c))
    }

    /// One step's outputs at inference, from its logits G (1×C): softmax(G), σ(G) for the sigmoid's one logit, or G.
    package func outputs(of logits: [Float], into out: inout [Float]) {
        switch self {
        case .sigmoid:
            let g = Double(logits[0])
            out[0] = Float(g >= 0 ? 1 / (1 + Double.exp(-g)) : Double.exp(g) / (1 + Double.exp(g)))
        case .linear:
            for k in logits.indices { out[k] = logits[k] }
        case .softmax:
            let m = Double(logits.max() ?? 0)
            var total = 0.0
            for k in logits.indices { total += Double.exp(Double(logits[k]) - m) }
            for k in logits.indices { out[k] = Float(Double.exp(Double(logits[k]) - m) / total) }
        }
    }
}
