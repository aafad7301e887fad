import Foundation
import RealModule

/// A classifier's pass over its training examples: a new shuffled order each epoch, read in batches, and kept in
/// checkpoints so a resumed run draws the batches an uninterrupted one would.
struct ExampleOrder {
    let count: Int
    private var order: [Int] = []
    private var cursor = 0
    private var shuffler = SeededGenerator(seed: 0)

    init(count: Int) { self.count = count }

    /// Restarts the pass with a shuffler seeded from the run's seed.
    mutating func reset(seed: UInt64) {
        shuffler = SeededGenerator(seed: seed &+ 1)
        order = []
        cursor = 0
    }

    /// The next `n` example indices, reshuffling at the end of each pass.
    mutating func next(_ n: Int) -> [Int] {
        var picked: [Int] = []
        picked.reserveCapacity(n)
        while picked.count < n {
            if cursor == order.count {
                order = Array(0..<count)
                for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(shuffler.next() % UInt64(i + 1))) }
                cursor = 0
            }
            picked.append(order[cursor])
            cursor += 1
        }
        return picked
    }

    private struct Position: Codable { var cursor: Int }

    func save(into file: inout SafeTensorsFile) {
        ModelSchema.set(.data, ModelSchema.json(Position(cursor: cursor)), in: &file)
        file.tensors[CheckpointTensor.order] = SafeTensor(sized: [order.count], int64s: order.map(Int64.init))
        file.tensors[CheckpointTensor.shuffler] = SafeTensor(sized: [shuffler.state.count],
                                                             int64s: shuffler.state.map { Int64(bitPattern: $0) })
    }

    /// `fail` makes the error of a file whose order is missing or does not fit.
    mutating func restore(from file: SafeTensorsFile, name: String, fail: (String) -> ElmanError) throws {
        guard let p = try ModelSchema.decode(.data, as: Position.self, in: file, name: name),
              let orderTensor = file.tensors[CheckpointTensor.order], !orderTensor.dtype.isFloatingPoint,
              let shufflerTensor = file.tensors[CheckpointTensor.shuffler], !shufflerTensor.dtype.isFloatingPoint,
              let generator = SeededGenerator(state: shufflerTensor.int64s().map { UInt64(bitPattern: $0) }) else {
            throw fail("data-order state missing or malformed (is it a classifier's last.safetensors?)")
        }
        let saved = orderTensor.int64s()
        guard saved.count == count || saved.isEmpty, saved.allSatisfy({ $0 >= 0 && $0 < count }),
              (0...saved.count).contains(p.cursor) else {
            throw fail("its data order covers \(saved.count) examples, this data has \(count) (is it the same data?)")
        }
        order = saved.map { Int($0) }
        cursor = p.cursor
        shuffler = generator
    }
}

/// The loss and accuracy of a classifier summed over sequences, from the head's logits at each one's last step.
struct LastStepScore {
    private(set) var loss = 0.0
    private(set) var right = 0
    private(set) var count = 0

    /// Adds one sequence: `logits` are its C head outputs (one for a sigmoid), `label` its label's index.
    mutating func add(_ logits: ArraySlice<Float>, label: Int32, head: Head) {
        let g = logits.map(Double.init)
        if head == .sigmoid {  // −log σ(±g), stably
            let sign = label == 1 ? 1.0 : -1.0
            loss += Double.log(onePlus: Double.exp(-sign * g[0]))
            right += (g[0] > 0) == (label == 1) ? 1 : 0
        } else {
            let m = g.max() ?? 0
            loss += Double.log(g.reduce(0) { $0 + Double.exp($1 - m) }) - (g[Int(label)] - m)
            right += g.firstIndex(of: m) == Int(label) ? 1 : 0
        }
        count += 1
    }

    /// Mean loss per sequence and accuracy.
    var score: ValidationScore {
        let n = Double(max(count, 1))
        return ValidationScore(loss: loss / n, accuracy: Double(right) / n, items: count)
    }

    /// A padded, time-major batch's mask and targets for sequences of `lengths` with `labels`: the loss at each
    /// sequence's last step only.
    static func targets(lengths: [Int], labels: [Int32], steps: Int, head: Head) -> (mask: [Float], targets: Batch<Float>.Targets) {
        let n = lengths.count
        var mask = [Float](repeating: 0, count: steps * n)
        var classes = [Int32](repeating: 0, count: steps * n)
        var binary = [Float](repeating: 0, count: steps * n)
        for i in 0..<n {
            let last = (lengths[i] - 1) * n + i
            mask[last] = 1
            classes[last] = labels[i]
            binary[last] = Float(labels[i])
        }
        return (mask, head == .softmax ? .classes(classes) : .binary(binary))
    }
}
