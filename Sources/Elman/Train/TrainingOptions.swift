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
    public var hidden = 128
    public var layers = 1
    public var nonlinearity = Nonlinearity.tanh
    public var seq = 64
    public var batch = 32
    public var steps = 1000
    public var optimizer = OptimizerKind.adam
    public var lr = 2e-3
    public var momentum = 0.9
    public var weightDecay = 0.0
    public var clip = 5.0
    public var clipValue: Double?
    public var schedule = Schedule.constant
    public var warmup = 0
    public var seed: UInt64 = 1
    /// Nil: ``Initialization/standard(for:)`` of the nonlinearity.
    public var initialization: Initialization?
    public var evalEvery = 100

    public init() {}

    /// Throws a one-line error for the first option out of range.
    public func validate() throws {
        for (name, v) in [("--hidden", hidden), ("--layers", layers), ("--seq", seq), ("--batch", batch),
                          ("--steps", steps), ("--eval-every", evalEvery)] where v < 1 {
            throw ElmanError("\(name) is \(v); expected a positive integer")
        }
        guard lr > 0, lr.isFinite else { throw ElmanError("--lr is \(lr); expected a positive finite number") }
        guard clip >= 0, clip.isFinite else { throw ElmanError("--clip is \(clip); expected a finite number ≥ 0 (0: off)") }
        guard warmup >= 0 else { throw ElmanError("--warmup is \(warmup); expected ≥ 0") }
        if let v = clipValue, !(v > 0 && v.isFinite) { throw ElmanError("--clip-value is \(v); expected a positive number") }
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
