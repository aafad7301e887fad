/// Truncated BPTT batching: the token sequence is cut into N contiguous streams, read T steps at a
/// time, so that the hidden state at the end of one chunk is the right h0 for the next.
package struct TokenStreams: Sendable {
    public let tokens: [Int32]
    /// N.
    public let size: Int
    /// T.
    public let steps: Int
    /// Tokens per stream (each stream also reads one more, for the last target).
    public let streamLength: Int
    /// Offset of the next chunk within every stream.
    public var position: Int = 0

    public init(tokens: [Int32], size: Int, steps: Int) throws {
        let streamLength = size > 0 ? (tokens.count - 1) / size : 0
        guard streamLength >= steps, steps > 0 else {
            throw ElmanError("the text has \(tokens.count) tokens; \(size) streams of \(steps) steps need at "
                + "least \(Double(size) * Double(steps) + 1 < 1e15 ? "\(size * steps + 1)" : "\(Double(size) * Double(steps))") (lower batch or seq)", parameters: ["batch", "seq"])
        }
        self.tokens = tokens
        self.size = size
        self.steps = steps
        self.streamLength = streamLength
    }

    /// The next chunk (inputs and next-token targets, T×N time-major). `restarted` is true when the
    /// streams wrapped to their start, where the carried hidden state must be reset.
    public mutating func next() -> (inputs: [Int32], targets: [Int32], restarted: Bool) {
        var restarted = false
        if position + steps > streamLength {
            position = 0
            restarted = true
        }
        var inputs = [Int32](repeating: 0, count: steps * size)
        var targets = inputs
        for t in 0..<steps {
            for n in 0..<size {
                let at = n * streamLength + position + t
                inputs[t * size + n] = tokens[at]
                targets[t * size + n] = tokens[at + 1]
            }
        }
        position += steps
        return (inputs, targets, restarted)
    }

    /// Chunks in one pass over the streams.
    public var chunksPerEpoch: Int { streamLength / steps }
}
