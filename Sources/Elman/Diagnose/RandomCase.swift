/// A random small model and batch, for gradient checks over every option of the engine.
package struct RandomCase: Sendable {
    public struct Options: Sendable {
        public var layers = 1, hidden = 4, steps = 5, size = 3, inputSize = 5, classes = 3
        public var denseInput = false
        public var head = Head.softmax
        public var nonlinearity = Nonlinearity.tanh
        public var bias = true
        /// Zero about a third of the mask, and the whole of sequence 0.
        public var masked = false
        public var initialState = false
        public var reduction = Reduction.sum
        /// A fixed dropout mask (p = 0.3, inverted scaling) on every layer's output.
        public var dropout = false
        public var bidirectional = false
        public var readout = Readout.everyStep
        /// Sequences of random lengths in 1...T (packed; the mask is 0 past each one's end).
        public var lengths = false

        public init() {}

        /// Every option drawn at random, sizes from 1 (the edge cases T = 1, N = 1, H = 1 included).
        public static func random(using g: inout SeededGenerator) -> Options {
            func pick(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(g.next() % UInt64(range.count)) }
            func coin() -> Bool { g.next() % 2 == 0 }
            var o = Options()
            o.layers = pick(1...2)
            o.hidden = pick(1...5)
            o.steps = pick(1...6)
            o.size = pick(1...3)
            o.inputSize = pick(1...5)
            o.denseInput = coin()
            o.head = [Head.softmax, .sigmoid, .linear][Int(g.next() % 3)]
            o.classes = o.head == .sigmoid ? 1 : o.head == .linear ? pick(1...3) : pick(2...4)
            o.nonlinearity = g.next() % 3 == 0 ? .relu : .tanh
            o.bias = coin()
            o.masked = coin()
            o.initialState = coin()
            o.reduction = coin() ? .sum : .mean
            o.dropout = g.next() % 4 == 0
            o.bidirectional = g.next() % 3 == 0
            o.readout = coin() ? .everyStep : .finalState
            o.lengths = coin()
            return o
        }

        public var summary: String {
            "L=\(layers) H=\(hidden) T=\(steps) N=\(size) D=\(inputSize) C=\(classes) "
                + "\(denseInput ? "dense" : "tokens") \(head.rawValue) \(nonlinearity.rawValue)"
                + (bias ? " bias" : " no-bias") + (masked ? " masked" : "") + (initialState ? " h0" : "")
                + " \(reduction.rawValue)" + (dropout ? " dropout" : "") + (lengths ? " lengths" : "")
                + (bidirectional ? " bidirectional \(readout.rawValue)" : "")
        }
    }

    public var options: Options
    public var params: Parameters<Double>
    public var batch: Batch<Double>

    public init(_ o: Options, seed: UInt64) {
        var g = SeededGenerator(seed: seed)
        options = o
        let config = ModelConfig(inputSize: o.inputSize, hiddenSize: o.hidden, outputSize: o.classes,
                                 layers: o.layers, head: o.head, nonlinearity: o.nonlinearity, bias: o.bias,
                                 bidirectional: o.bidirectional, readout: o.readout)
        params = Parameters(config: config)
        for i in params.values.indices { params.values[i] = g.uniform(-0.9, 0.9) }
        let cells = o.steps * o.size
        func draw(_ bound: Int) -> Int32 { Int32(g.next() % UInt64(bound)) }
        let inputs: Batch<Double>.Inputs = o.denseInput
            ? .dense((0..<(cells * o.inputSize)).map { _ in g.uniform(-1, 1) })
            : .tokens((0..<cells).map { _ in draw(o.inputSize) })
        let targets: Batch<Double>.Targets
        switch o.head {
        case .softmax: targets = .classes((0..<cells).map { _ in draw(o.classes) })
        case .sigmoid: targets = .binary((0..<cells).map { _ in g.nextUnit() < 0.5 ? 0 : 1 })
        case .linear: targets = .values((0..<(cells * o.classes)).map { _ in g.uniform(-2, 2) })
        }
        var mask: [Double]?
        if o.masked {
            var m = (0..<cells).map { _ in g.nextUnit() < 0.33 ? 0.0 : 1.0 }
            for t in 0..<o.steps { m[t * o.size] = 0 }  // sequence 0 fully masked (all of a batch of one)
            mask = m
        }
        var lengths: [Int]?
        if o.lengths {
            let drawn = (0..<o.size).map { _ in 1 + Int(g.next() % UInt64(o.steps)) }
            var m = mask ?? [Double](repeating: 1, count: cells)
            for t in 0..<o.steps { for n in 0..<o.size where t >= drawn[n] { m[t * o.size + n] = 0 } }
            mask = m
            lengths = drawn
        }
        let states = o.layers * config.directions
        let h0 = o.initialState
            ? (0..<(states * o.size * o.hidden)).map { _ in g.uniform(-0.8, 0.8) } : nil
        let dropout = o.dropout
            ? (0..<(o.layers * cells * config.outputWidth)).map { _ in g.nextUnit() < 0.3 ? 0.0 : 1 / 0.7 } : nil
        batch = Batch(steps: o.steps, size: o.size, inputs: inputs, targets: targets, mask: mask,
                      initialState: h0, dropout: dropout, lengths: lengths)
    }
}

extension RandomCase.Options {
    /// The edge cases every gradient check covers, by name.
    package static let edgeCases: [(name: String, options: RandomCase.Options)] = {
        func make(_ change: (inout RandomCase.Options) -> Void) -> RandomCase.Options {
            var o = RandomCase.Options()
            change(&o)
            return o
        }
        return [
            ("T=1", make { $0.steps = 1 }),
            ("N=1", make { $0.size = 1 }),
            ("H=1", make { $0.hidden = 1 }),
            ("two classes", make { $0.classes = 2 }),
            ("fully masked batch", make { $0.masked = true; $0.size = 1; $0.steps = 1 }),
            ("one sequence masked", make { $0.masked = true; $0.initialState = true; $0.reduction = .mean }),
            ("L=2", make { $0.layers = 2; $0.initialState = true }),
            ("L=3 relu dense", make { $0.layers = 3; $0.nonlinearity = .relu; $0.denseInput = true }),
            ("sigmoid head, seed model", make { $0.head = .sigmoid; $0.classes = 1; $0.bias = false }),
            ("linear head, dense, masked", make { $0.head = .linear; $0.classes = 3; $0.denseInput = true; $0.masked = true }),
            ("linear head, one output, L=2", make { $0.head = .linear; $0.classes = 1; $0.layers = 2; $0.reduction = .mean }),
            ("dropout, L=3 relu dense", make { $0.dropout = true; $0.layers = 3; $0.nonlinearity = .relu; $0.denseInput = true }),
            ("dropout, L=1 tokens, h0", make { $0.dropout = true; $0.initialState = true }),
            ("bidirectional, L=2, lengths", make { $0.bidirectional = true; $0.layers = 2; $0.lengths = true }),
            ("bidirectional classifier readout", make {
                $0.bidirectional = true; $0.readout = .finalState; $0.lengths = true; $0.head = .sigmoid; $0.classes = 1
            }),
            ("bidirectional, L=3 dense, dropout, h0", make {
                $0.bidirectional = true; $0.layers = 3; $0.denseInput = true; $0.dropout = true; $0.initialState = true
                $0.readout = .finalState; $0.size = 4; $0.steps = 6; $0.lengths = true
            }),
            ("bidirectional, T=1, H=1", make { $0.bidirectional = true; $0.steps = 1; $0.hidden = 1; $0.layers = 2 }),
            ("seed §1 sizes", make {
                $0.head = .sigmoid; $0.classes = 1; $0.bias = false; $0.hidden = 1; $0.inputSize = 1
                $0.denseInput = true; $0.size = 1
            }),
        ]
    }()
}
