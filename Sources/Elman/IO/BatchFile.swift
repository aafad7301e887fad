/// Batch files for `elman grad` (docs/ARCHITECTURE.md, Files): `inputs`, `targets`, optional `mask`, `h0`, `dropout`
/// and `lengths`.
package enum BatchFile {
    /// Reads a batch for `config`; every error names the file and the tensor.
    public static func batch<T: ElmanFloat>(_ file: SafeTensorsFile, name: String, config: ModelConfig) throws
        -> Batch<T>
    {
        func fail(_ what: String) -> ElmanError { ElmanError("\(name): \(what)") }
        guard let inputs = file.tensors["inputs"] else { throw fail("missing tensor 'inputs'") }
        guard let targets = file.tensors["targets"] else { throw fail("missing tensor 'targets'") }
        guard inputs.shape.count >= 2, inputs.shape[0] > 0, inputs.shape[1] > 0 else {
            throw fail("tensor 'inputs' has shape \(inputs.shape); expected [T, N] token ids or [T, N, D] floats")
        }
        let steps = inputs.shape[0], size = inputs.shape[1]
        let batchInputs: Batch<T>.Inputs
        if inputs.shape.count == 2 {
            guard !inputs.dtype.isFloatingPoint else {
                throw fail("tensor 'inputs' is \(inputs.dtype.rawValue) [T, N]; token ids must be integers "
                    + "(or give dense floats as [T, N, D])")
            }
            batchInputs = .tokens(ids(inputs))
        } else if inputs.shape.count == 3 && inputs.dtype.isFloatingPoint {
            guard inputs.shape[2] == config.inputSize else {
                throw fail("tensor 'inputs' has shape \(inputs.shape); the model expects D = \(config.inputSize)")
            }
            batchInputs = .dense(inputs.values(as: T.self))
        } else {
            throw fail("tensor 'inputs' is \(inputs.dtype.rawValue) \(inputs.shape); expected [T, N] integer "
                + "token ids or [T, N, D] floats")
        }
        func expectShape(_ t: SafeTensor, _ tensor: String, _ shape: [Int], _ letters: String) throws {
            if t.shape != shape { throw fail("tensor '\(tensor)' has shape \(t.shape); expected \(letters) = \(shape)") }
        }
        if config.head == .linear {
            try expectShape(targets, "targets", [steps, size, config.outputSize], "[T, N, C]")
        } else {
            try expectShape(targets, "targets", [steps, size], "[T, N]")
        }
        let batchTargets: Batch<T>.Targets
        switch config.head {
        case .softmax:
            guard !targets.dtype.isFloatingPoint else {
                throw fail("tensor 'targets' is \(targets.dtype.rawValue); the softmax head expects integer class ids")
            }
            batchTargets = .classes(ids(targets))
        case .sigmoid:
            batchTargets = .binary(targets.values(as: T.self))
        case .linear:
            guard targets.dtype.isFloatingPoint else {
                throw fail("tensor 'targets' is \(targets.dtype.rawValue); the linear head expects float values")
            }
            batchTargets = .values(targets.values(as: T.self))
        }
        var mask: [T]?
        if let m = file.tensors["mask"] {
            try expectShape(m, "mask", [steps, size], "[T, N]")
            mask = m.values(as: T.self)
        }
        var h0: [T]?
        let states = config.layers * config.directions, width = config.outputWidth
        if let s = file.tensors["h0"] {
            try expectShape(s, "h0", [states, size, config.hiddenSize], config.bidirectional ? "[2L, N, H]" : "[L, N, H]")
            guard s.dtype.isFloatingPoint else { throw fail("tensor 'h0' is \(s.dtype.rawValue); expected floats") }
            h0 = s.values(as: T.self)
        }
        var dropout: [T]?
        if let d = file.tensors["dropout"] {
            try expectShape(d, "dropout", [config.layers, steps, size, width], config.bidirectional ? "[L, T, N, 2H]" : "[L, T, N, H]")
            guard d.dtype.isFloatingPoint else { throw fail("tensor 'dropout' is \(d.dtype.rawValue); expected float multipliers") }
            dropout = d.values(as: T.self)
        }
        var lengths: [Int]?
        if let l = file.tensors["lengths"] {
            try expectShape(l, "lengths", [size], "[N]")
            guard !l.dtype.isFloatingPoint else { throw fail("tensor 'lengths' is \(l.dtype.rawValue); expected integers") }
            lengths = ids(l).map(Int.init)
        }
        let batch = Batch(steps: steps, size: size, inputs: batchInputs, targets: batchTargets, mask: mask,
                          initialState: h0, dropout: dropout, lengths: lengths)
        do { try batch.validate(for: config) } catch let e as ElmanError { throw fail(e.message) }
        return batch
    }

    /// Integer ids; values outside Int32 become −1 so that validation reports them (unless masked).
    private static func ids(_ t: SafeTensor) -> [Int32] {
        t.doubles().map { v in v >= -2_147_483_648 && v <= 2_147_483_647 ? Int32(v) : -1 }
    }
}
