import Elman

/// The model's recurrent layers as ONNX `RNN` nodes, one per layer, time-major (`layout` 0, the only layout
/// onnxruntime's CPU kernel takes).
///
/// ONNX's `RNN` computes Hₜ = f(Xₜ·Wᵀ + Hₜ₋₁·Rᵀ + Wb + Rb), nn.RNN's recurrence; Elman's U (D×H, x·U) is therefore
/// ONNX's Wᵀ, Elman's W (H×H, S·W) is Rᵀ, and B is concat(b_ih, b_hh), per direction (forward first).
struct RecurrentStack {
    /// The last layer's outputs, time-major, both directions side by side: [time, batch, H·directions].
    var output: String
    /// The last layer's raw `Y`: [time, directions, batch, H].
    var lastY: String
    /// Each layer's `Y_h`, [directions, batch, H]: the forward state after each sequence's last real step and
    /// the reverse state after its first.
    var finalStates: [String]

    /// Builds the layers over `x` ([time, batch, D], float); `lengths` (int32 [batch]) and `initial`
    /// ([layers·directions, batch, H]) are optional graph values (nil: full length, zero state).
    init(_ b: inout GraphBuilder, x: String, params: Parameters<Float>, lengths: String?, initial: String?) {
        let config = params.config, h = config.hiddenSize, dirs = config.directions
        let activation = config.nonlinearity == .relu ? "Relu" : "Tanh"
        var input = x
        var lastY = "", finalStates: [String] = []
        for l in 0..<config.layers {
            let reverses = config.bidirectional ? [false, true] : [false]
            let width = config.inputWidth(layer: l)
            // The layout guarantees these tensors for every layer and direction of the config.
            func tensor(_ id: ParameterID) -> Matrix<Float> { params.matrix(id) ?? Matrix(rows: 0, cols: 0) }
            let w = b.floats("W_l\(l)", reverses.flatMap { tensor(.inputWeights(layer: l, reverse: $0)).transposed.storage },
                             dims: [dirs, h, width])
            let r = b.floats("R_l\(l)", reverses.flatMap { tensor(.recurrentWeights(layer: l, reverse: $0)).transposed.storage },
                             dims: [dirs, h, h])
            var bias = ""
            if config.bias {
                bias = b.floats("B_l\(l)", reverses.flatMap {
                    tensor(.inputBias(layer: l, reverse: $0)).storage + tensor(.hiddenBias(layer: l, reverse: $0)).storage
                }, dims: [dirs, 2 * h])
            }
            var state = ""
            if let initial {
                state = b.op("Slice", [initial, b.int64s("start", [l * dirs]), b.int64s("end", [(l + 1) * dirs]),
                                       b.int64s("axis", [0])])
            }
            let outs = b.node("RNN", [input, w, r, bias, lengths ?? "", state], count: 2, [
                Attribute.int("hidden_size", h),
                Attribute.string("direction", config.bidirectional ? "bidirectional" : "forward"),
                Attribute.strings("activations", Array(repeating: activation, count: dirs)),
            ])
            lastY = outs[0]
            finalStates.append(outs[1])
            if dirs == 1 {
                input = b.op("Squeeze", [outs[0], b.int64s("axis", [1])])
            } else {  // [T, 2, N, H] → [T, N, 2, H] → [T, N, 2H]: forward then reverse, as nn.RNN's output
                let t = b.op("Transpose", [outs[0]], [Attribute.ints("perm", [0, 2, 1, 3])])
                input = b.op("Reshape", [t, b.int64s("shape", [0, 0, -1])])
            }
        }
        output = input
        self.lastY = lastY
        self.finalStates = finalStates
    }
}
