import RealModule

/// How the next token is drawn from a softmax model's logits: softmax(logits / temperature), restricted to the
/// k most likely tokens; temperature 0 is greedy, the most likely token (the limit of a falling temperature).
public struct Sampler: Sendable {
    /// Divides the logits before the softmax: below 1 sharper, above 1 flatter; 0 takes the largest logit.
    public var temperature = 1.0
    /// Keep only the k most likely tokens (0: all).
    public var topK = 0

    /// A sampler with this temperature and top-k cut.
    public init(temperature: Double = 1.0, topK: Int = 0) {
        self.temperature = temperature
        self.topK = topK
    }

    /// One token from softmax(logits / temperature) restricted to the top k (ties at the k-th value: the lower
    /// ids), using `weights` (resized to the logits' count) as scratch so that drawing allocates nothing.
    public func draw(_ logits: [Float], weights: inout [Double], using g: inout SeededGenerator) -> Int32 {
        let c = logits.count
        if temperature == 0 {  // greedy: the largest logit, the lowest id among equal ones; draws no random number
            var best = 0
            for i in 1..<max(c, 1) where logits[i] > logits[best] { best = i }
            return Int32(best)
        }
        if weights.count != c { weights = [Double](repeating: 0, count: c) }
        var threshold = -Double.infinity, atThreshold = c
        if topK > 0 && topK < c {
            // The k-th largest logit by repeated selection over a copy: k·C, small next to a step's H·C.
            for i in 0..<c { weights[i] = Double(logits[i]) }
            for _ in 0..<topK {
                var best = 0
                for i in 1..<c where weights[i] > weights[best] { best = i }
                threshold = weights[best]
                weights[best] = -.infinity
            }
            var above = 0
            for i in 0..<c where Double(logits[i]) > threshold { above += 1 }
            atThreshold = topK - above  // how many of the logits equal to the threshold are kept, lowest ids first
        }
        // exp((x − max)/T), not exp(x/T − max/T): at a tiny T, x/T overflows to ±∞ and ∞ − ∞ is NaN.
        var m = -Double.infinity
        for i in 0..<c { m = max(m, Double(logits[i])) }
        var total = 0.0
        for i in 0..<c {
            let x = Double(logits[i])
            var keep = x >= threshold
            if x == threshold && threshold > -.infinity {
                keep = atThreshold > 0
                atThreshold -= 1
            }
            weights[i] = keep ? Double.exp((x - m) / temperature) : 0
            total += weights[i]
        }
        var u = g.nextUnit() * total
        for i in 0..<c {
            u -= weights[i]
            if u < 0 { return Int32(i) }
        }
        return Int32((0..<c).last { weights[$0] > 0 } ?? 0)
    }
}
