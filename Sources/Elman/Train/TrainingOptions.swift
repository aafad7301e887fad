/// Learning-rate schedule.
public enum Schedule: String, Sendable, Codable, CaseIterable {
    case constant
    /// Linear warm-up, then cosine decay to a tenth of the peak at the last step.
    case cosine
    /// Halve the rate every quarter of the run.
    case step
}

/// Everything that defines a training run (saved in checkpoints as JSON).
public struct TrainingOptions: Codable, Equatable, Sendable {
    /// Hidden size H.
    public var hidden = 128
    /// Stacked recurrent layers L.
    public var layers = 1
    /// The recurrence's f: tanh or relu.
    public var nonlinearity = Nonlinearity.tanh
    /// BPTT steps per chunk T (language models).
    public var seq = 64
    /// Streams (language models) or sequences (classifiers) per step N.
    public var batch = 32
    /// The step target of the run.
    public var steps = 1000
    /// The update rule.
    public var optimizer = OptimizerKind.adam
    /// The peak learning rate (see ``learningRate(at:)``).
    public var lr = 2e-3
    /// Momentum of SGD.
    public var momentum = 0.9
    /// Weight decay: L2 added to the gradient, or decoupled for AdamW.
    public var weightDecay = 0.0
    /// The largest global gradient norm; larger gradients are scaled down to it (0: off).
    public var clip = 5.0
    /// The largest magnitude of one gradient element (nil: off).
    public var clipValue: Double?
    /// How the learning rate changes over the run.
    public var schedule = Schedule.constant
    /// Steps of linear warm-up from lr/warmup to lr.
    public var warmup = 0
    /// Seeds the initialization and the classifier's shuffling.
    public var seed: UInt64 = 1
    /// Nil: ``Initialization/standard(for:)`` of the nonlinearity.
    public var initialization: Initialization?
    /// Validate, checkpoint and keep the best model every this many steps.
    public var evalEvery = 100
    /// The probability of dropping each unit of a layer's output where it feeds the layer above or the head, in
    /// training only (inverted scaling: kept units are divided by 1 − p). Nil or 0: no dropout.
    public var dropout: Double?
    /// Bidirectional layers (``ModelConfig/bidirectional``), for tasks that read whole sequences (classifiers).
    /// Nil or false: unidirectional.
    public var bidirectional: Bool?

    /// The defaults shown on each property.
    public init() {}

    /// Throws a one-line error for the first option out of range.
    public func validate() throws {
        for (name, v) in [("hidden", hidden), ("layers", layers), ("seq", seq), ("batch", batch),
                          ("steps", steps), ("evalEvery", evalEvery)] where v < 1 {
            throw ElmanError("\(name) is \(v); expected a positive integer", parameters: [name])
        }
        guard lr > 0, lr.isFinite else { throw ElmanError("lr is \(lr); expected a positive finite number", parameters: ["lr"]) }
        guard clip >= 0, clip.isFinite else { throw ElmanError("clip is \(clip); expected a finite number ≥ 0 (0: off)", parameters: ["clip"]) }
        guard (0..<1).contains(momentum) else { throw ElmanError("momentum is \(momentum); expected 0 ≤ momentum < 1", parameters: ["momentum"]) }
        guard weightDecay >= 0, weightDecay.isFinite else {
            throw ElmanError("weightDecay is \(weightDecay); expected a finite number ≥ 0", parameters: ["weightDecay"])
        }
        if let p = dropout, !(p >= 0 && p < 1) { throw ElmanError("dropout is \(p); expected a probability 0 ≤ p < 1", parameters: ["dropout"]) }
        guard warmup >= 0 else { throw ElmanError("warmup is \(warmup); expected ≥ 0", parameters: ["warmup"]) }
        if let v = clipValue, !(v > 0 && v.isFinite) { throw ElmanError("clipValue is \(v); expected a positive number", parameters: ["clipValue"]) }
    }

    /// Non-finite steps in a row after which training stops (each one halves the learning rate).
    public static let maxRejectedSteps = 5

    /// Bytes a training run of these options needs, computed in floating point so that absurd sizes
    /// cannot overflow: parameters, gradient and two optimizer moments (4 × P floats), and the engine's
    /// activations for one chunk: S for T+1 steps per layer, dS, the layer below's dS, and the logits.
    public func estimatedTrainingBytes(inputSize d: Int, outputSize c: Int, steps t: Int? = nil) -> Double {
        let (parameters, activations) = estimatedValues(inputSize: d, outputSize: c, steps: t)
        return 4 * (4 * parameters + activations)
    }

    /// The parts of ``estimatedTrainingBytes(inputSize:outputSize:steps:)``, in 4-byte values: the parameters P
    /// (held four times) and the activations of one chunk.
    func estimatedValues(inputSize d: Int, outputSize c: Int, steps t: Int?) -> (parameters: Double, activations: Double) {
        let h = Double(hidden), l = Double(layers), d = Double(d), c = Double(c)
        let t = Double(t ?? seq), n = Double(batch)
        let k = bidirectional == true ? 2.0 : 1.0  // directions
        let parameters = k * (d * h + h * h + 2 * h + (l - 1) * (k * h * h + h * h + 2 * h)) + k * h * c + c
        let activations = k * l * (t + 1) * n * h + t * n * h * (layers > 1 ? 2 : 1) + t * n * (c + 3) + h * h
            + (k > 1 ? l * t * n * 2 * h + t * n * (2 * h + h + max(d, 2 * h)) : 0)
        return (parameters, activations)
    }

    /// Throws when ``estimatedTrainingBytes(inputSize:outputSize:steps:)`` exceeds `limit` (default: 80% of
    /// this machine's memory), with the estimate and what to lower.
    public func checkMemory(inputSize d: Int, outputSize c: Int, steps t: Int? = nil, limit: Double? = nil) throws {
        let memory = Double(physicalMemoryBytes())
        let allowed = limit.map { "the \(bytesText($0)) allowed" } ?? "the \(bytesText(0.8 * memory)) allowed (80% of this machine's \(bytesText(memory)))"
        let (parameters, activations) = estimatedValues(inputSize: d, outputSize: c, steps: t)
        let need = 4 * (4 * parameters + activations)
        guard need <= limit ?? 0.8 * memory else {
            throw ElmanError("H=\(hidden), L=\(layers), T=\(t ?? seq), N=\(batch) with \(d) inputs and \(c) outputs needs about "
                + "\(bytesText(need)) to train: \(bytesText(16 * parameters)) for \(count(parameters)) parameters (held 4 times: "
                + "values, gradient, optimizer moments) and \(bytesText(4 * activations)) for \(count(activations)) activations of one chunk; "
                + "more than \(allowed); lower hidden, seq or batch", parameters: ["hidden", "seq", "batch"])
        }
    }

    /// The learning rate at (0-based) step `step`.
    public func learningRate(at step: Int) -> Double {
        let warm = warmup > 0 ? min(1, Double(step + 1) / Double(warmup)) : 1
        switch schedule {
        case .constant: return lr * warm
        case .step: return lr * warm * pow2(-(4 * step / max(steps, 1)))
        case .cosine:
            let progress = Double(max(0, step - warmup)) / Double(max(1, steps - warmup))
            return lr * warm * (0.1 + 0.9 * 0.5 * (1 + cosPi(min(progress, 1))))
        }
    }
}

private func pow2(_ e: Int) -> Double { e >= 0 ? Double(1 << e) : 1 / Double(1 << -e) }

import RealModule
private func cosPi(_ x: Double) -> Double { Double.cos(Double.pi * x) }

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Physical memory of this machine in bytes (16 GiB if it cannot be read).
package func physicalMemoryBytes() -> Int {
    let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
    return pages > 0 && size > 0 ? pages * size : 16 << 30
}

/// A byte count in binary units with one decimal: 30.1 GiB, 1.2 TiB; beyond 1024 EiB, bytes in
/// scientific notation (2.4e+25 bytes), never an unreadable "1.86e+16 GiB".
private func bytesText(_ bytes: Double) -> String {
    var value = bytes
    for unit in ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"] {
        if value < 1024 {
            return unit == "bytes" ? "\(Int(value)) bytes" : "\((value * 10).rounded() / 10) \(unit)"
        }
        value /= 1024
    }
    return "\(count(bytes)) bytes"
}

/// A count with two significant digits past a million (1.6e+19), whole below it.
private func count(_ x: Double) -> String {
    guard x.isFinite, x >= 1e6 else { return x.isFinite ? "\(Int(x))" : "\(x)" }
    var exponent = 0, mantissa = x
    while mantissa >= 10 { mantissa /= 10; exponent += 1 }
    mantissa = (mantissa * 10).rounded() / 10
    if mantissa >= 10 { mantissa /= 10; exponent += 1 }
    return "\(mantissa)e+\(exponent)"
}
