/// How a real-valued sequence classifier reads a series: its channels standardized with the training data's
/// statistics, then cut into windows of `window` consecutive steps, each window one input step of D·k features.
///
/// The seed's §1 feeds one value per step (D = 1, k = 1). A vanilla RNN over hundreds of single values must
/// carry its evidence through hundreds of multiplications by W and barely learns; k values per step shorten the
/// recurrence k-fold while the input matrix U still sees every value. A series of L steps becomes ⌈L / k⌉ input
/// steps; when k does not divide L, the first window is padded at its start with zeros (each channel's training
/// mean), so that the last step the head reads is a full window of the series' newest values.
///
/// Feature j·D + c of input step s is channel c at series step s·k + j − pad (pad = ⌈L / k⌉·k − L).
public struct SeriesInput: Codable, Sendable, Equatable {
    /// D: the channels of every series.
    public var channels: Int
    /// k: consecutive steps per input step.
    public var window: Int
    /// Each channel's mean and standard deviation in the training data (one column per channel).
    public var standardization: Standardization

    public init(channels: Int, window: Int, standardization: Standardization) {
        self.channels = channels
        self.window = window
        self.standardization = standardization
    }

    /// The statistics of `examples` (every value of channel c, all examples together) and window `window`, or the
    /// default for their longest length (``defaultWindow(longest:)``).
    public init(measuring examples: [LabeledSeries.Example], channels: Int, window: Int? = nil) {
        var sum = [Double](repeating: 0, count: channels), count = [Double](repeating: 0, count: channels)
        for e in examples { for c in 0..<min(channels, e.channels) { sum[c] += e.channel(c).reduce(0, +); count[c] += Double(e.length) } }
        let mean = zip(sum, count).map { $1 > 0 ? $0 / $1 : 0 }
        var squares = [Double](repeating: 0, count: channels)
        for e in examples { for c in 0..<min(channels, e.channels) { squares[c] += e.channel(c).reduce(0) { $0 + ($1 - mean[c]) * ($1 - mean[c]) } } }
        let scale = zip(squares, count).map { $1 > 0 && $0 > 0 ? ($0 / $1).squareRoot() : 1 }
        let longest = examples.map(\.length).max() ?? 1
        self.init(channels: channels, window: window ?? Self.defaultWindow(longest: longest),
                  standardization: Standardization(mean: mean, scale: scale))
    }

    /// The window for series up to `longest` steps: the smallest k that reads them in at most
    /// ``defaultSteps`` input steps.
    public static func defaultWindow(longest: Int) -> Int { max(1, (longest + defaultSteps - 1) / defaultSteps) }

    /// The most input steps the default window gives: long enough to see a series' shape, short enough that
    /// backpropagation through time carries the gradient across all of it.
    public static let defaultSteps = 32

    /// D·k: the model's input size.
    public var features: Int { channels * window }

    /// The input steps of a series of `length` steps: ⌈length / k⌉.
    public func steps(length: Int) -> Int { (length + window - 1) / window }

    /// `example` as input steps: ``steps(length:)`` rows of ``features`` standardized values (the layout above).
    /// The example must have ``channels`` channels and at least one step (``check(_:name:)``).
    public func encode(_ example: LabeledSeries.Example) -> [Float] {
        let steps = steps(length: example.length), pad = steps * window - example.length
        var x = [Float](repeating: 0, count: steps * features)
        for c in 0..<channels {
            let values = example.channel(c)
            for (t, v) in values.enumerated() {
                let slot = t + pad  // position in the padded series
                x[(slot / window) * features + (slot % window) * channels + c] = Float(standardization.standardize(v, column: c))
            }
        }
        return x
    }

    /// Throws unless `example` has this input's channel count and at least one step; `name` names the file.
    public func check(_ example: LabeledSeries.Example, name: String) throws {
        guard example.length >= 1 else { throw ElmanError("\(name):\(example.line): the series is empty") }
        guard example.channels == channels else {
            throw ElmanError("\(name):\(example.line): \(example.channels) channel\(example.channels == 1 ? "" : "s"); the model reads \(channels)")
        }
    }
}
