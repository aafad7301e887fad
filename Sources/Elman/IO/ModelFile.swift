import Foundation

/// Model parameters in safetensors with PyTorch's `nn.RNN` + `nn.Linear` names and layouts
/// (docs/ARCHITECTURE.md, Files), so a file written by either side loads in the other.
///
/// | Elman | shape | tensor | shape |
/// |---|---|---|---|
/// | U_l | D×H | `rnn.weight_ih_l{l}` = Uᵀ | H×D |
/// | W_l | H×H | `rnn.weight_hh_l{l}` = Wᵀ | H×H |
/// | bi_l, b_l (b = bi + b) | H | `rnn.bias_ih_l{l}`, `rnn.bias_hh_l{l}` | H |
/// | V | H×C | `fc.weight` = Vᵀ | C×H |
/// | c | C | `fc.bias` | C |
///
/// A bidirectional model's reverse direction has the same four per layer with the suffix `_reverse`, the input of a
/// layer above the first is 2H wide, and so is V's.
/// The metadata keys and the format version are ``ModelSchema``'s.
package enum ModelFile {

    private static func suffix(_ reverse: Bool) -> String { reverse ? "_reverse" : "" }
    public static func weightIH(_ l: Int, reverse: Bool = false) -> String { "rnn.weight_ih_l\(l)" + suffix(reverse) }
    public static func weightHH(_ l: Int, reverse: Bool = false) -> String { "rnn.weight_hh_l\(l)" + suffix(reverse) }
    public static func biasIH(_ l: Int, reverse: Bool = false) -> String { "rnn.bias_ih_l\(l)" + suffix(reverse) }
    public static func biasHH(_ l: Int, reverse: Bool = false) -> String { "rnn.bias_hh_l\(l)" + suffix(reverse) }
    public static let fcWeight = "fc.weight"
    public static let fcBias = "fc.bias"

    /// The file for `params`, with `extra` metadata (vocabulary, training state) merged in.
    public static func file<T: ElmanFloat>(_ params: Parameters<T>, metadata extra: [String: String] = [:])
        -> SafeTensorsFile
    {
        let config = params.config
        let meta = extra.merging(ModelSchema.metadata([
            .format: ModelSchema.format, .head: config.head.rawValue, .nonlinearity: config.nonlinearity.rawValue,
            .config: ModelSchema.json(config),
        ])) { _, own in own }
        return SafeTensorsFile(tensors: tensors(params), metadata: meta)
    }

    /// Every parameter under its PyTorch name and layout.
    public static func tensors<T: ElmanFloat>(_ params: Parameters<T>) -> [String: SafeTensor] {
        var out: [String: SafeTensor] = [:]
        for (id, name) in names(params.config) {
            guard let m = params.matrix(id) else { continue }
            switch id {
            case .inputBias, .hiddenBias, .outputBias:
                out[name] = SafeTensor(sized: [m.cols], values: m.storage)
            default:
                let t = m.transposed
                out[name] = SafeTensor(sized: [t.rows, t.cols], values: t.storage)
            }
        }
        return out
    }

    /// The PyTorch name of each parameter.
    public static func names(_ config: ModelConfig) -> [(ParameterID, String)] {
        ParameterLayout(config).entries.map { e in
            switch e.id {
            case .inputWeights(let l, let r): return (e.id, weightIH(l, reverse: r))
            case .recurrentWeights(let l, let r): return (e.id, weightHH(l, reverse: r))
            case .inputBias(let l, let r): return (e.id, biasIH(l, reverse: r))
            case .hiddenBias(let l, let r): return (e.id, biasHH(l, reverse: r))
            case .outputWeights: return (e.id, fcWeight)
            case .outputBias: return (e.id, fcBias)
            }
        }
    }

    /// The config a file describes: sizes and directions from the tensor shapes; head and nonlinearity from the
    /// metadata, else `headHint`, else sigmoid for one output and softmax otherwise; the readout from the metadata
    /// config, else every step.
    public static func config(of file: SafeTensorsFile, name: String, headHint: Head? = nil) throws -> ModelConfig {
        func fail(_ what: String) -> ElmanError { ElmanError("\(name): \(what)") }
        _ = try ModelSchema.version(of: file, name: name)
        func shape(_ tensor: String) throws -> [Int] {
            guard let t = file.tensors[tensor] else { throw fail("missing tensor '\(tensor)'") }
            guard t.dtype.isFloatingPoint else {
                throw fail("tensor '\(tensor)' has dtype \(t.dtype.rawValue); expected F32 or F64")
            }
            return t.shape
        }
        for key in file.tensors.keys where key.hasPrefix("rnn.") || key.hasPrefix("fc.") {
            let known = key == fcWeight || key == fcBias
                || ["rnn.weight_ih_l", "rnn.weight_hh_l", "rnn.bias_ih_l", "rnn.bias_hh_l"].contains { p in
                    key.hasPrefix(p) && Int(key.dropFirst(p.count).replacing("_reverse", with: "")) != nil
                }
            if !known { throw fail("unsupported tensor '\(key)' (Elman models are nn.RNN + nn.Linear)") }
        }
        var layers = 0
        while file.tensors[weightIH(layers)] != nil || file.tensors[weightHH(layers)] != nil { layers += 1 }
        guard layers > 0 else { throw fail("missing tensor '\(weightIH(0))'") }
        let bidirectional = file.tensors[weightHH(0, reverse: true)] != nil || file.tensors[weightIH(0, reverse: true)] != nil
        let directions: [Bool] = bidirectional ? [false, true] : [false]
        let hh = try shape(weightHH(0))
        guard hh.count == 2, hh[0] == hh[1], hh[0] > 0 else {
            throw fail("tensor '\(weightHH(0))' has shape \(hh); expected [H, H]")
        }
        let h = hh[0], width = bidirectional ? 2 * h : h
        let ih0 = try shape(weightIH(0))
        guard ih0.count == 2, ih0[0] == h, ih0[1] > 0 else {
            throw fail("tensor '\(weightIH(0))' has shape \(ih0); expected [\(h), D]")
        }
        for l in 0..<layers {
            for reverse in directions {
                let ih = weightIH(l, reverse: reverse), expected = [h, l == 0 ? ih0[1] : width]
                if try shape(ih) != expected { throw fail("tensor '\(ih)' has shape \(try shape(ih)); expected \(expected)") }
                if try shape(weightHH(l, reverse: reverse)) != [h, h] {
                    throw fail("tensor '\(weightHH(l, reverse: reverse))' has shape \(try shape(weightHH(l, reverse: reverse))); expected [\(h), \(h)]")
                }
                for b in [biasIH(l, reverse: reverse), biasHH(l, reverse: reverse)] where file.tensors[b] != nil {
                    if try shape(b) != [h] { throw fail("tensor '\(b)' has shape \(try shape(b)); expected [\(h)]") }
                }
            }
        }
        let fc = try shape(fcWeight)
        guard fc.count == 2, fc[1] == width, fc[0] > 0 else {
            throw fail("tensor '\(fcWeight)' has shape \(fc); expected [C, \(width)]")
        }
        if file.tensors[fcBias] != nil, try shape(fcBias) != [fc[0]] {
            throw fail("tensor '\(fcBias)' has shape \(try shape(fcBias)); expected [\(fc[0])]")
        }
        let hasBias = file.tensors.keys.contains { $0.hasPrefix("rnn.bias_") || $0 == fcBias }
        let head: Head
        if let raw = try ModelSchema.string(.head, in: file, name: name) {
            guard let parsed = Head(rawValue: raw) else {
                throw fail("metadata head '\(raw)'; expected softmax, sigmoid or linear")
            }
            head = parsed
        } else {
            head = headHint ?? (fc[0] == 1 ? .sigmoid : .softmax)
        }
        var nonlinearity = Nonlinearity.tanh
        if let raw = try ModelSchema.string(.nonlinearity, in: file, name: name) {
            guard let parsed = Nonlinearity(rawValue: raw) else {
                throw fail("metadata nonlinearity '\(raw)'; expected tanh or relu")
            }
            nonlinearity = parsed
        }
        var config = ModelConfig(inputSize: ih0[1], hiddenSize: h, outputSize: fc[0], layers: layers, head: head,
                                 nonlinearity: nonlinearity, bias: hasBias, bidirectional: bidirectional)
        do { try config.validate() } catch let e as ElmanError { throw fail(e.message) }
        if let json = try ModelSchema.string(.config, in: file, name: name) { config.readout = try agree(config, declared: json, file, fail) }
        return config
    }

    /// A file that declares its config (Elman's own do) must hold exactly the tensors it declares: a tensor
    /// deleted from it (a bias, say) is an error, not a zero. Files without one (PyTorch's) are read as found.
    /// Returns the declared readout, which no tensor shows.
    private static func agree(_ found: ModelConfig, declared json: String, _ file: SafeTensorsFile,
                              _ fail: (String) -> ElmanError) throws -> Readout {
        guard let declared = try? JSONDecoder().decode(ModelConfig.self, from: Data(json.utf8)) else {
            throw fail("its metadata 'config' is not a model config: \(json.prefix(80))")
        }
        let fields: [(String, String, String)] = [
            ("inputSize", "\(declared.inputSize)", "\(found.inputSize)"),
            ("hiddenSize", "\(declared.hiddenSize)", "\(found.hiddenSize)"),
            ("outputSize", "\(declared.outputSize)", "\(found.outputSize)"),
            ("layers", "\(declared.layers)", "\(found.layers)"),
            ("head", declared.head.rawValue, found.head.rawValue),
            ("nonlinearity", declared.nonlinearity.rawValue, found.nonlinearity.rawValue),
            ("bias", "\(declared.bias)", "\(found.bias)"),
            ("bidirectional", "\(declared.bidirectional)", "\(found.bidirectional)"),
        ]
        for (field, said, has) in fields where said != has {
            throw fail("its metadata config has \(field) \(said), but its tensors make it \(has)")
        }
        guard declared.bias else { return declared.readout }
        let directions: [Bool] = declared.bidirectional ? [false, true] : [false]
        let biases = (0..<declared.layers).flatMap { l in directions.flatMap { [biasIH(l, reverse: $0), biasHH(l, reverse: $0)] } }
        for bias in biases + [fcBias] where file.tensors[bias] == nil {
            throw fail("missing tensor '\(bias)'; its metadata config has biases")
        }
        return declared.readout
    }

    /// The precision the file's parameters are stored in (that of `rnn.weight_hh_l0`).
    public static func isDouble(_ file: SafeTensorsFile) -> Bool { file.tensors[weightHH(0)]?.dtype == .f64 }

    /// Loads the parameters; a missing bias tensor counts as zero.
    public static func parameters<T: ElmanFloat>(from file: SafeTensorsFile, name: String, headHint: Head? = nil)
        throws -> Parameters<T>
    {
        let config = try config(of: file, name: name, headHint: headHint)
        var params = Parameters<T>(config: config)
        for (id, tensorName) in names(config) {
            guard let e = params.layout.entry(id) else { continue }
            var m = Matrix<T>(rows: e.rows, cols: e.cols)
            switch id {
            case .inputBias, .hiddenBias, .outputBias:
                if let t = file.tensors[tensorName] { m = Matrix(rows: 1, cols: e.cols, storage: t.values(as: T.self)) }
            default:
                guard let t = file.tensors[tensorName] else { throw ElmanError("\(name): missing tensor '\(tensorName)'") }
                m = Matrix(rows: e.cols, cols: e.rows, storage: t.values(as: T.self)).transposed
            }
            if let bad = m.storage.first(where: { !$0.isFinite }) {
                throw ElmanError("\(name): tensor '\(tensorName)' holds a non-finite value (\(bad))")
            }
            try params.setMatrix(id, m)
        }
        return params
    }

    /// The gradient under the names `file` uses, each in its own shape.
    public static func gradientTensors<T: ElmanFloat>(_ gradient: Parameters<T>, namedAs file: SafeTensorsFile)
        -> [String: SafeTensor]
    {
        tensors(gradient).filter { file.tensors[$0.key] != nil }
    }
}
