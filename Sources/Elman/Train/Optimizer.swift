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
public struct Optimizer<T: ElmanFloat>: Sendable {
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

    /// θ ← θ − update(g), with learning rate `lr`.
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public mutating func update(_ params: inout [T], gradient g: [T], lr: Double) {
        precondition(params.count == g.count && g.count == first.count, "optimizer: size mismatch")
        step += 1
        let lr = T(lr), b1 = T(beta1), b2 = T(beta2), eps = T(epsilon), mu = T(momentum), wd = T(weightDecay)
        let c1 = T(1 - Double.pow(beta1, Double(step))), c2 = T(1 - Double.pow(beta2, Double(step)))
        params.withUnsafeMutableBufferPointer { p in
            g.withUnsafeBufferPointer { g in
                first.withUnsafeMutableBufferPointer { m in
                    second.withUnsafeMutableBufferPointer { v in
                        for i in 0..<p.count {
                            var gi = g[i]
                            if kind != .adamw && wd != 0 { gi += wd * p[i] }  // L2 penalty in the gradient
                            switch kind {
                            case .sgd:
                                if mu == 0 { p[i] -= lr * gi; continue }
                                m[i] = mu * m[i] + gi
                                p[i] -= lr * (nesterov ? gi + mu * m[i] : m[i])
                            case .adagrad:
                                v[i] += gi * gi
                                p[i] -= lr * gi / (v[i].squareRoot() + eps)
                            case .rmsprop:
                                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                                p[i] -= lr * gi / (v[i].squareRoot() + eps)
                            case .adam, .adamw:
                                m[i] = b1 * m[i] + (1 - b1) * gi
                                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                                if kind == .adamw { p[i] -= lr * wd * p[i] }
                                p[i] -= lr * (m[i] / c1) / ((v[i] / c2).squareRoot() + eps)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Gradient clipping.
public enum Clipping {
    /// √Σ g², accumulated in Double.
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public static func globalNorm<T: ElmanFloat>(_ g: [T]) -> Double {
        g.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    }

    /// Scales g so its global norm is at most `maxNorm`; returns the norm before clipping.
    @discardableResult
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public static func clipGlobalNorm<T: ElmanFloat>(_ g: inout [T], maxNorm: Double) -> Double {
        let norm = globalNorm(g)
        if norm > maxNorm && maxNorm > 0 {
            let scale = T(maxNorm / norm)
            for i in g.indices { g[i] *= scale }
        }
        return norm
    }

    /// Clamps every element to [−limit, limit].
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    public static func clipValue<T: ElmanFloat>(_ g: inout [T], limit: Double) {
        let l = T(limit)
        for i in g.indices { g[i] = min(max(g[i], -l), l) }
    }
}
