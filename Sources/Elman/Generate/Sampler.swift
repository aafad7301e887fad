import RealModule

/// Draws tokens from a trained softmax model one step at a time, the hidden state carried.
public struct Sampler {
    public var temperature = 1.0
    /// Keep only the k most likely tokens (0: all).
    public var topK = 0

    public init(temperature: Double = 1.0, topK: Int = 0) {
        self.temperature = temperature
        self.topK = topK
    }

    /// `prime` (at least one token) is fed first; then `length` tokens are drawn and returned.
    public func sample(_ params: Parameters<Float>, prime: [Int32], length: Int,
                       generator g: inout SeededGenerator) throws -> [Int32] {
        guard !prime.isEmpty else { throw ElmanError("sampling needs at least one prime token") }
        guard temperature > 0, temperature.isFinite else {
            throw ElmanError("--temperature is \(temperature); expected a positive number")
        }
        let engine = try Engine<Float>(config: params.config)
        var (logits, state) = try engine.logits(params, inputs: .tokens(prime), steps: prime.count, size: 1)
        let c = params.config.outputSize
        var last = Array(logits[(logits.count - c)...])
        var out: [Int32] = []
        out.reserveCapacity(length)
        for _ in 0..<length {
            let next = draw(last, using: &g)
            out.append(next)
            (logits, state) = try engine.logits(params, inputs: .tokens([next]), steps: 1, size: 1, initialState: state)
            last = logits
        }
        return out
    }

    /// One token from softmax(logits / temperature), restricted to the top k.
    public func draw(_ logits: [Float], using g: inout SeededGenerator) -> Int32 {
        var scaled = logits.map { Double($0) / temperature }
        if topK > 0 && topK < scaled.count {
            for i in scaled.indices.sorted(by: { scaled[$0] > scaled[$1] }).dropFirst(topK) { scaled[i] = -.infinity }
        }
        let m = scaled.max() ?? 0
        let weights = scaled.map { Double.exp($0 - m) }
        var u = g.nextUnit() * weights.reduce(0, +)
        for (i, w) in weights.enumerated() {
            u -= w
            if u < 0 { return Int32(i) }
        }
        return Int32(weights.lastIndex { $0 > 0 } ?? 0)
    }
}
