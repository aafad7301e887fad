import RealModule

/// The update rule.
public enum OptimizerKind: String, Sendable, Codable, CaseIterable {
    /// SGD with optional (Nesterov) momentum.
    case sgd
    case adagrad
    case rmsprop
    case adam
    /// Adam with decoupled weight decay.
    case adamw
}

/// Optimizer settings and state, over the flat parameter vector: every rule is one loop.
package struct Optimizer<T: ElmanFloat>: Sendable {
    public var kind: OptimizerKind
    public var momentum: Double = 0
    public var nesterov = false
    public var beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8
    public var weightDecay: Double = 0
    /// Updates taken so far (Adam's bias correction uses it).
    public var step = 0
    /// First moment (momentum buffer) and second moment (squared-gradient average or sum).
    public var first: [T]
    public var second: [T]

    public init(kind: OptimizerKind, parameterCount: Int) {
        self.kind = kind
        first = [T](repeating: 0, count: parameterCount)
        second = [T](repeating: 0, count: parameterCount)
    }

    /// Adam's per-update constants at the current ``step`` (the update's number, from 1): the L2 penalty added
    /// to the gradient (AdamW decays θ directly instead), the decay of θ, lr / (1 − β₁ᵗ) and √(1 − β₂ᵗ).
    func adamConstants(lr: Double) -> AdamStep<T> {
        let lr = T(lr), wd = T(weightDecay)
        let c1 = T(1 - Double.pow(beta1, Double(step))), c2 = T(1 - Double.pow(beta2, Double(step)))
        return AdamStep(l2: kind == .adamw ? 0 : wd, beta1: T(beta1), beta2: T(beta2), eps: T(epsilon),
                        decay: kind == .adamw ? 1 - lr * wd : 1, stepSize: lr / c1, rootC2: c2.squareRoot())
    }

    /// θ ← θ − update(g), with learning rate `lr`.
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public mutating func update(_ params: inout [T], gradient g: [T], lr: Double) {
        precondition(params.count == g.count && g.count == first.count, "optimizer: size mismatch")
        step += 1
        let adamStep = adamConstants(lr: lr), decay = adamStep.decay, stepSize = adamStep.stepSize, rootC2 = adamStep.rootC2
        let lr = T(lr), b1 = T(beta1), b2 = T(beta2), eps = T(epsilon), mu = T(momentum), wd = T(weightDecay)
        params.withUnsafeMutableBufferPointer { p in
            g.withUnsafeBufferPointer { g in
                first.withUnsafeMutableBufferPointer { m in
                    second.withUnsafeMutableBufferPointer { v in
                        // One branch-free loop per rule, so each vectorizes.
                        let l2 = kind == .adamw ? 0 : wd  // L2 penalty in the gradient; AdamW decays θ directly
                        switch kind {
                        case .sgd where mu == 0:
                            for i in 0..<p.count { p[i] -= lr * (g[i] + l2 * p[i]) }
                        case .sgd:
                            let look: T = nesterov ? 1 : 0
                            for i in 0..<p.count {
                                let gi = g[i] + l2 * p[i]
                                m[i] = mu * m[i] + gi
                                p[i] -= lr * (look * (gi + mu * m[i]) + (1 - look) * m[i])
                            }
                        case .adagrad:
                            for i in 0..<p.count {
                                let gi = g[i] + l2 * p[i]
                                v[i] += gi * gi
                                p[i] -= lr * gi / (v[i].squareRoot() + eps)
                            }
                        case .rmsprop:
                            for i in 0..<p.count {
                                let gi = g[i] + l2 * p[i]
                                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                                p[i] -= lr * gi / (v[i].squareRoot() + eps)
                            }
                        case .adam, .adamw:
                            if let adam = T.kernels.fused.adam {  // the training path: vectorized, one block a lane
                                let pp = p.baseAddress!, gp = g.baseAddress!, mp = m.baseAddress!, vp = v.baseAddress!
                                LaneSplit.forEach(count: p.count) { r in
                                    let i = r.lowerBound
                                    adam(pp + i, gp + i, mp + i, vp + i, r.count, adamStep)
                                }
                                return
                            }
                            for i in 0..<p.count {
                                let gi = g[i] + l2 * p[i]
                                m[i] = b1 * m[i] + (1 - b1) * gi
                                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                                p[i] = decay * p[i] - stepSize * m[i] / (v[i].squareRoot() / rootC2 + eps)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Gradient clipping.
package enum Clipping {
    /// √Σ g², accumulated in Double (per lane, then in lane order).
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public static func globalNorm<T: ElmanFloat>(_ g: [T]) -> Double {
        g.withUnsafeBufferPointer { g in
            LaneSplit.sum(count: g.count) { r in  // four sums, so that it runs at the adder's throughput
                var s = (0.0, 0.0, 0.0, 0.0)
                var i = r.lowerBound
                while i + 4 <= r.upperBound {
                    let (a, b, c, d) = (Double(g[i]), Double(g[i + 1]), Double(g[i + 2]), Double(g[i + 3]))
                    s.0 += a * a; s.1 += b * b; s.2 += c * c; s.3 += d * d
                    i += 4
                }
                while i < r.upperBound { s.0 += Double(g[i]) * Double(g[i]); i += 1 }
                return (s.0 + s.1) + (s.2 + s.3)
            }
        }.squareRoot()
    }

    /// Scales g so its global norm is at most `maxNorm`; returns the norm before clipping.
    @discardableResult
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public static func clipGlobalNorm<T: ElmanFloat>(_ g: inout [T], maxNorm: Double) -> Double {
        let norm = globalNorm(g)
        if norm > maxNorm && maxNorm > 0 {
            let scale = T(maxNorm / norm)
            g.withUnsafeMutableBufferPointer { g in
                LaneSplit.forEach(count: g.count) { r in for i in r { g[i] *= scale } }
            }
        }
        return norm
    }

    /// The clipping `options` ask for, in order: by value, then by global norm. One pass for the norm.
    /// Returns the norm before norm clipping (non-finite if the gradient is) and whether it was clipped.
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public static func apply<T: ElmanFloat>(_ options: TrainingOptions, to g: inout [T]) -> (norm: Double, clipped: Bool) {
        if let limit = options.clipValue { clipValue(&g, limit: limit) }
        let norm = clipGlobalNorm(&g, maxNorm: options.clip)
        return (norm, options.clip > 0 && norm > options.clip)
    }

    /// Clamps every element to [−limit, limit].
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public static func clipValue<T: ElmanFloat>(_ g: inout [T], limit: Double) {
        let l = T(limit)
        for i in g.indices { g[i] = min(max(g[i], -l), l) }
    }
}
