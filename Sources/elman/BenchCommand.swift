import ArgumentParser
import Elman
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time the full training step (forward, backward, clipping, Adam) in Float.",
        discussion: """
            GFLOP/s counts 6H²·L + 6H²·(L−1) + 6HC FLOPs per token (matrix products only; the token \
            input is a gather). sgemm is the median rate of a 1024³ Float product through the same backend.
            """)

    @Option(help: "Hidden size H.") var hidden: Int = 512
    @Option(help: "Steps per chunk T.") var seq: Int = 64
    @Option(help: "Streams N.") var batch: Int = 64
    @Option(help: "Vocabulary size V (= classes C).") var vocab: Int = 65
    @Option(help: "Layers L.") var layers: Int = 1
    @Option(help: "Timed training steps (after 2 warm-up steps).") var steps: Int = 20
    @Flag(help: "Print one JSON object.") var json = false
    @Flag(help: "Also print the wall time of each phase of the step (mean over the timed steps).") var phases = false

    func run() throws {
        if let note = Backend.note { printToStandardError(note) }
        for (name, v) in [("--hidden", hidden), ("--seq", seq), ("--batch", batch), ("--steps", steps), ("--layers", layers)] where v < 1 {
            throw ElmanError("\(name) is \(v); expected a positive integer")
        }
        guard steps <= 1_000_000 else { throw ElmanError("--steps is \(steps); expected at most 1000000 timed steps") }
        guard vocab >= 2 else { throw ElmanError("--vocab is \(vocab); expected at least 2") }
        // Times exactly what `elman train` runs: Trainer.trainStep on a random token stream.
        var options = TrainingOptions()
        options.hidden = hidden
        options.layers = layers
        options.seq = seq
        options.batch = batch
        options.steps = steps + 2
        try options.checkMemory(inputSize: vocab, outputSize: vocab)
        guard Double(seq) * Double(batch) * Double(steps + 3) < 1e9 else {
            throw ElmanError("--seq × --batch × --steps is \(Double(seq) * Double(batch) * Double(steps)) tokens; expected below 10⁹")
        }
        var g = SeededGenerator(seed: 1)
        let tokens = (0..<(seq * batch * (steps + 3) + 1)).map { _ in Int32(g.next() % UInt64(vocab)) }
        let vocabulary = Vocabulary(level: .word, symbols: (0..<vocab).map { "s\($0)" })
        let trainer = try Trainer(options: options, vocabulary: vocabulary, train: tokens, validation: [])
        let timer = phases ? PhaseTimer() : nil
        trainer.phaseTimer = timer
        var times: [Double] = []
        for i in 0..<(steps + 2) {
            if i == 2 { timer?.reset() }
            let start = monotonicSeconds()
            try trainer.trainStep()
            if i >= 2 { times.append(monotonicSeconds() - start) }
        }
        let seconds = Benchmark.median(times)
        let tokensPerSecond = Double(seq * batch) / seconds
        let gflops = tokensPerSecond * Benchmark.flopsPerToken(hidden: hidden, classes: vocab, layers: layers) / 1e9
        var usage = rusage()
        // Read before the sgemm measurement allocates its matrices. Linux counts KiB, Darwin bytes.
        #if canImport(Darwin)
        getrusage(RUSAGE_SELF, &usage)
        let peakRSS = Int(usage.ru_maxrss)
        #else
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let peakRSS = Int(usage.ru_maxrss) * 1024
        #endif
        let sgemm = Benchmark.sgemmGFLOPS(clock: monotonicSeconds)
        if json {
            struct Result: Encodable {
                var tokensPerSecond, gflops: Double, backend: String, sgemmGflops, stepSeconds: Double
                var hidden, seq, batch, vocab, layers, steps, peakRssBytes, trainingBytes: Int
            }
            printJSON(Result(tokensPerSecond: tokensPerSecond, gflops: gflops, backend: Backend.description, sgemmGflops: sgemm,
                             stepSeconds: seconds, hidden: hidden, seq: seq, batch: batch, vocab: vocab, layers: layers,
                             steps: steps, peakRssBytes: peakRSS, trainingBytes: trainer.trainingBytes))
        } else {
            print("H=\(hidden) T=\(seq) N=\(batch) V=\(vocab) L=\(layers) · backend \(Backend.description)")
            print("median step \(fixed(seconds * 1000, 2)) ms over \(steps) steps · \(Int(tokensPerSecond)) tokens/s · "
                  + "\(fixed(gflops, 1)) GFLOP/s (\(fixed(100 * gflops / sgemm, 0))% of sgemm \(fixed(sgemm, 1)) GFLOP/s)")
            print("peak memory \(fixed(Double(peakRSS) / 1048576, 1)) MiB; parameters, gradient, Adam moments and "
                  + "activations: \(fixed(Double(trainer.trainingBytes) / 1048576, 1)) MiB")
            if let timer {
                let total = timer.totals.reduce(0) { $0 + $1.seconds }
                let width = timer.totals.map(\.phase.count).max() ?? 0
                for (phase, seconds) in timer.totals {
                    print("  \(pad(phase, width))  \(padLeft(fixed(seconds / Double(steps) * 1000, 3), 8)) ms  "
                          + "\(padLeft(fixed(100 * seconds / total, 1), 5))%")
                }
            }
        }
    }
}
