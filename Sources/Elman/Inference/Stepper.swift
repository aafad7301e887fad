import RealModule

/// One symbol at a time through a trained model, in buffers allocated once: the forward equations of the seed's
/// vector form for a batch of one (Eqs. 74–76), with every layer stacked.
package final class Stepper {
    private let params: Parameters<Float>
    private let layout: ParameterLayout
    private let h: Int, c: Int
    /// Z of the layer being stepped: 1×H.
    private var z: [Float]
    /// The output logits G of the last symbol: 1×C.
    package var logits: [Float]
    private var probabilitiesBuffer: [Float]
    /// The sampler's weights: 1×C.
    private var weights: [Double]

    package init(_ params: Parameters<Float>) {
        self.params = params
        layout = ParameterLayout(params.config)
        h = params.config.hiddenSize
        c = params.config.outputSize
        z = [Float](repeating: 0, count: h)
        logits = [Float](repeating: 0, count: c)
        probabilitiesBuffer = logits
        weights = [Double](repeating: 0, count: c)
    }

    /// Feeds symbol `token`: every layer's S(t) in `state` (L·H) from S(t−1), then G(t).
    package func step(_ token: Int32, state: inout [Float]) { step(token: token, dense: nil, state: &state) }

    /// Feeds the input vector `x` (1×D).
    package func step(dense x: [Float], state: inout [Float]) { step(token: 0, dense: x, state: &state) }

    private func step(token: Int32, dense: [Float]?, state: inout [Float]) {
        let config = params.config
        params.values.withUnsafeBufferPointer { p in
            state.withUnsafeMutableBufferPointer { s in
                z.withUnsafeMutableBufferPointer { z in
                    for l in 0..<config.layers {
                        let u = p.baseAddress! + layout.offset(.inputWeights(layer: l))
                        let w = p.baseAddress! + layout.offset(.recurrentWeights(layer: l))
                        let own = s.baseAddress! + l * h  // S_l(t−1), then S_l(t): 1×H
                        // Z = x·U (+ b) + S(t−1)·W   (Eq. 74); x one-hot below, S_{l−1}(t) above the first layer
                        if l == 0, let dense {  // x: 1×D, U: D×H
                            for j in 0..<h { z[j] = 0 }
                            for q in 0..<dense.count { let v = dense[q]; for j in 0..<h { z[j] += v * u[q * h + j] } }
                        } else if l == 0 {
                            for j in 0..<h { z[j] = u[Int(token) * h + j] }
                        } else {
                            let below = s.baseAddress! + (l - 1) * h
                            for j in 0..<h { z[j] = 0 }
                            for q in 0..<h { let x = below[q]; for j in 0..<h { z[j] += x * u[q * h + j] } }
                        }
                        if config.bias {
                            let bi = p.baseAddress! + layout.offset(.inputBias(layer: l))
                            let bh = p.baseAddress! + layout.offset(.hiddenBias(layer: l))
                            for j in 0..<h { z[j] += bi[j] + bh[j] }
                        }
                        for q in 0..<h { let x = own[q]; for j in 0..<h { z[j] += x * w[q * h + j] } }  // S: 1×H, W: H×H
                        // S(t) = f(Z)   (Eq. 75)
                        for j in 0..<h { own[j] = config.nonlinearity == .tanh ? Float.tanh(z[j]) : max(0, z[j]) }
                    }
                    // G = S_top(t)·V (+ c)   (Eq. 76); S: 1×H, V: H×C
                    let top = s.baseAddress! + (config.layers - 1) * h
                    let v = p.baseAddress! + layout.offset(.outputWeights)
                    logits.withUnsafeMutableBufferPointer { g in
                        if config.bias {
                            let bias = p.baseAddress! + layout.offset(.outputBias)
                            for k in 0..<c { g[k] = bias[k] }
                        } else {
                            for k in 0..<c { g[k] = 0 }
                        }
                        for q in 0..<h { let x = top[q]; for k in 0..<c { g[k] += x * v[q * c + k] } }
                    }
                }
            }
        }
    }

    /// The next token drawn by `sampler` from the last symbol's logits, never `excluded` (`<unk>`: generated text
    /// has no placeholder in it).
    func draw(_ sampler: Sampler, excluding excluded: Int32? = nil, using g: inout SeededGenerator) -> Int32 {
        if let excluded, logits.count > 1 { logits[Int(excluded)] = -.infinity }
        return sampler.draw(logits, weights: &weights, using: &g)
    }

    /// The head's outputs of the last symbol (``Head/outputs(of:into:)``): softmax(G), σ(G) or G.
    package func probabilities(head: Head) -> [Float] {
        head.outputs(of: logits, into: &probabilitiesBuffer)
        return probabilitiesBuffer
    }
}
