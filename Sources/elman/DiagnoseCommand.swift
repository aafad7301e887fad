import ArgumentParser
import Elman
import RealModule

struct DiagnoseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diagnose",
        abstract: "Measure vanishing and exploding gradients of a trained language model.",
        discussion: """
            On chunks of the text (state carried, as in training) measures ‖∂L_t/∂s_k‖ against the lag t − k, \
            averaged over every loss term, the norms of the step Jacobians diag(f′(z))·Wᵀ, and the spectral \
            radius and largest singular value of W (the top layer's). Without FILE, uses the built-in \
            Reber grammar corpus.
            """)

    @Argument(help: "Model file written by elman train.") var model: String
    @Argument(help: "UTF-8 text (default: the built-in Reber grammar corpus).") var file: String?
    @Option(help: "Steps per chunk T: the longest lag measured is T − 1.") var chunk: Int = 64
    @Option(help: "Parallel streams N.") var batch: Int = 16
    @Option(help: "Chunks to average over.") var chunks: Int = 4
    @Option(help: "Write the plot (gradient norm against lag, log scale) to this SVG file.") var svg: String?
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        for (name, value) in [("--chunk", chunk), ("--batch", batch), ("--chunks", chunks)] where value < 1 {
            throw ElmanError("\(name) is \(value); expected a positive integer")
        }
        guard chunk <= 4096 else {
            throw ElmanError("--chunk is \(chunk); expected at most 4096 (the lag profile costs T² steps of work per chunk)")
        }
        guard batch <= 4096 else { throw ElmanError("--batch is \(batch); expected at most 4096 streams") }
        let trained = try TrainedModel.load(model)
        if trained.isClassifier || trained.isRegressor {
            throw ElmanError("\(model): a \(trained.isClassifier ? "sequence classifier" : "regression model"); diagnose measures language models")
        }
        let source = file ?? "built-in Reber grammar corpus"
        let text = try file.map { try Corpus.read($0, level: trained.vocabulary.level) } ?? .text(ReberGrammar.corpus(strings: 2000, seed: 77))
        let tokens: [Int32]
        do {
            tokens = try trained.vocabulary.encode(text)
        } catch let e as ElmanError {
            guard let file else {  // a model of other text: its own text is what to measure it on
                throw ElmanError("\(model) was not trained on the built-in Reber grammar corpus (\(e.message)); "
                    + "give the text it was trained on: elman diagnose \(model) FILE")
            }
            throw ElmanError("\(file): \(e.message)")
        }
        let unknown = trained.vocabulary.unknownShare(tokens)
        if file == nil && unknown > 0 {  // a model of other text: its own text is what to measure it on
            throw ElmanError("\(model) was not trained on the built-in Reber grammar corpus (\(fixed(100 * unknown, 1))% of its "
                + "symbols are unknown to the model); give the text it was trained on: elman diagnose \(model) FILE")
        }
        guard tokens.count > chunk else {
            throw ElmanError("\(source): \(tokens.count) tokens; --chunk \(chunk) needs at least \(chunk + 1)")
        }
        let report = try GradientFlow.measure(trained.params, tokens: tokens, seq: chunk, batch: batch, chunks: chunks)
        if let svg {
            try FileIO.writeAtomically(Array(report.svg(title: "\(model) on \(source)").utf8), to: svg)
        }
        if json { return printJSON(report) }
        let config = trained.params.config
        let jac = report.stepJacobianNorms
        print("elman diagnose: \(model) on \(source) · H=\(config.hiddenSize) \(config.nonlinearity.rawValue)"
              + (config.layers > 1 ? " (top of \(config.layers) layers)" : "") + " · \(report.terms) loss terms, lags 0…\(report.lagRatios.count - 1)")
        print("W: spectral radius \(fixed(report.spectralRadius, 4)), largest singular value \(fixed(report.maxSingularValue, 4))")
        if !jac.isEmpty {
            print("step Jacobians ‖diag(f′(z))·Wᵀ‖₂ over \(jac.count) sampled steps: mean \(fixed(jac.reduce(0, +) / Double(jac.count), 4)), "
                  + "min \(fixed(jac.min() ?? 0, 4)), max \(fixed(jac.max() ?? 0, 4))")
        }
        for line in Self.lagTable(report) { print(line) }
        func lagText(_ x: Double?) -> String { x.map { "\(fixed($0, 1)) steps" } ?? "not within \(report.lagRatios.count - 1) steps" }
        print("falls 2× in \(lagText(report.halfLife)), 10× in \(lagText(report.lagAt10x)), 1000× in \(lagText(report.lagAt1000x)); "
              + "\(fixed(report.decayPerStep, 4))× per step")
        print("\(report.verdict.rawValue): \(report.evidence)")
        if let svg { print("wrote \(svg)") }
    }

    /// The lag table: which column is an arithmetic mean of norms and which a geometric mean of ratios, with
    /// units, rows at lags 0, 1, 2, 4, … and the last, and a line on how to read it.
    static func lagTable(_ report: GradientFlowReport) -> [String] {
        let last = report.lagRatios.count - 1
        let shown = Set([0] + (0...20).map { 1 << $0 }.filter { $0 < last } + [last]).sorted()
        let widths = (lag: 9, norm: 35)
        var lines = [
            "  " + pad("lag", widths.lag) + pad("mean ‖∂L_t/∂s_(t−lag)‖", widths.norm) + "geometric mean of ‖∂L_t/∂s_(t−lag)‖ / ‖∂L_t/∂s_t‖",
            "  " + pad("(steps)", widths.lag) + pad("(arithmetic; nats per unit of s)", widths.norm) + "(a ratio, no unit; 1 at lag 0)",
        ]
        for lag in shown {
            lines.append("  " + pad("\(lag)", widths.lag) + pad(scientific(report.lagNorms[lag]), widths.norm) + scientific(report.lagRatios[lag]))
        }
        lines.append("  reading: the ratio is how much of a loss term's gradient reaches lag steps back; below 1e-3, dependencies "
                     + "that long barely train (vanishing); growing past 1, training is unstable (exploding)")
        return lines
    }
}
