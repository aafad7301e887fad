/// The bidirectional pass: each layer runs its forward direction as a unidirectional layer does, and its reverse
/// direction on the same input in reversed time (each sequence from its last real step back to its first, as a
/// packed sequence in `nn.RNN`), with the same stages and their own weights; the layer's output O(t) is the two
/// directions' states side by side, T·N×2H.
extension Engine {
    func projectBidirectional(_ p: UnsafePointer<T>, _ ws: Workspace<T>) {
        for l in 0..<config.layers {
            var input = Recurrence.Input<T>()
            inputStage.forward(layer: l, p, ws, into: &input)
            recurrenceStage.forward(layer: l, p, ws, input: input)
            reverseInput(layer: l, ws)
            var reversed = Recurrence.Input<T>()
            inputStage.forward(layer: l, reverse: true, p, ws, into: &reversed)
            recurrenceStage.forward(layer: l, reverse: true, p, ws, input: reversed)
            joinDirections(layer: l, ws)
            ws.applyDropout(layer: l)
            phaseTimer?.lap("forward recurrence, both directions")
        }
        outputStage.forward(p, ws)
        phaseTimer?.lap("output projection G = O·V")
    }

    func backwardBidirectional(_ p: UnsafePointer<T>, _ grad: UnsafeMutablePointer<T>, _ ws: Workspace<T>) {
        outputStage.weightGradients(grad, ws)
        let dO = ws.outputGrad.pointer  // ∂L/∂O of the layer being swept: T·N×2H
        outputStage.backward(p, ws, into: dO)
        phaseTimer?.lap("dV, dc, dO = dG·Vᵀ")
        let forwardGrad = ws.grad.pointer, reverseGrad = ws.reversedGrad.pointer  // T·N×H each
        for l in stride(from: config.layers - 1, through: 0, by: -1) {
            ws.maskGradient(dO, layer: l)
            splitDirections(dO, layer: l, ws)
            recurrenceStage.backward(layer: l, p, ws, grad: forwardGrad)
            recurrenceStage.weightGradients(layer: l, grad, ws, dZ: forwardGrad)
            inputStage.backward(layer: l, p, grad, ws, dZ: forwardGrad, below: dO)  // dO_{l−1}, forward part
            recurrenceStage.backward(layer: l, reverse: true, p, ws, grad: reverseGrad)
            recurrenceStage.weightGradients(layer: l, reverse: true, grad, ws, dZ: reverseGrad)
            reverseInput(layer: l, ws)  // the layer above overwrote it
            let below = ws.reversedInput.pointer
            inputStage.backward(layer: l, reverse: true, p, grad, ws, dZ: reverseGrad, below: below)
            if l > 0 { ws.reverseTime(below, into: dO, width: config.outputWidth, accumulate: true) }
            phaseTimer?.lap("backward recurrence, both directions")
        }
    }

    /// The reverse direction's input of layer l in reversed time, into ``Workspace/reversedInput``: the output of
    /// the layer below, or dense X (token ids were reversed once per batch).
    private func reverseInput(layer l: Int, _ ws: Workspace<T>) {
        if l > 0 {
            ws.reverseTime(ws.output(of: l - 1), into: ws.reversedInput.pointer, width: config.outputWidth)
        } else if ws.dense.count > 0 {
            ws.reverseTime(ws.dense.pointer, into: ws.reversedInput.pointer, width: config.inputSize)
        }
    }

    /// O_l(t) = [S(t), S_reverse(ρ(t))], or for the top layer read as `.finalState`, [S(t), S_reverse(length)]: the
    /// reverse direction's state after the whole sequence, the same on every row of a sequence. O: T·N×2H.
    private func joinDirections(layer l: Int, _ ws: Workspace<T>) {
        let h = config.hiddenSize, n = ws.size
        let final = l == config.layers - 1 && config.readout == .finalState
        let forward = ws.states[l].pointer + n * h, reverse = ws.reversedStates[l].pointer, out = ws.outputs[l].pointer
        for t in 0..<ws.steps {
            for i in 0..<n {
                let row = out + (t * n + i) * 2 * h
                row.update(from: forward + (t * n + i) * h, count: h)
                let reverseRow = final ? ws.lengths[i] * n + i : ws.reversedRow(t, i) + n  // S(1..T) start one row in
                (row + h).update(from: reverse + reverseRow * h, count: h)
            }
        }
    }

    /// dO (T·N×2H) split into the forward direction's dS (``Workspace/grad``) and the reverse direction's, in
    /// reversed time (``Workspace/reversedGrad``); a top layer read as `.finalState` sends the sum of its rows'
    /// reverse halves to the reverse direction's last step.
    private func splitDirections(_ dO: UnsafePointer<T>, layer l: Int, _ ws: Workspace<T>) {
        let h = config.hiddenSize, n = ws.size
        let final = l == config.layers - 1 && config.readout == .finalState
        let forward = ws.grad.pointer, reverse = ws.reversedGrad.pointer
        if final { reverse.update(repeating: 0, count: ws.steps * n * h) }
        for t in 0..<ws.steps {
            for i in 0..<n {
                let row = dO + (t * n + i) * 2 * h
                (forward + (t * n + i) * h).update(from: row, count: h)
                if final {
                    let last = reverse + ((ws.lengths[i] - 1) * n + i) * h
                    for j in 0..<h { last[j] += row[h + j] }
                } else {
                    (reverse + ws.reversedRow(t, i) * h).update(from: row + h, count: h)
                }
            }
        }
    }
}
