import Foundation

/// What a task that reads its data as N carried streams (language models, regression) keeps in a checkpoint: its
/// position in the streams (metadata ``ModelSchema/Key/data``) and the hidden state carried into the next chunk
/// (``CheckpointTensor/hidden``, L×N×H; absent at the start of a pass).
enum StreamCheckpoint {
    private struct Position: Codable { var position: Int }

    static func save(position: Int, hidden: [Float]?, shape: [Int], into file: inout SafeTensorsFile) {
        ModelSchema.set(.data, ModelSchema.json(Position(position: position)), in: &file)
        if let hidden { file.tensors[CheckpointTensor.hidden] = SafeTensor(sized: shape, values: hidden) }
    }

    /// The saved position (nil if there is none) and carried state; `fail` words an error in the task's terms.
    static func restore(from file: SafeTensorsFile, name: String, hiddenShape shape: [Int], fail: (String) -> ElmanError)
        throws -> (position: Int?, hidden: [Float]?)
    {
        let position = try ModelSchema.decode(.data, as: Position.self, in: file, name: name)?.position
        guard let h = file.tensors[CheckpointTensor.hidden] else { return (position, nil) }
        guard h.shape == shape, h.dtype.isFloatingPoint else { throw fail("\(CheckpointTensor.hidden) has shape \(h.shape), expected \(shape)") }
        return (position, h.values(as: Float.self))
    }
}
