import Foundation

/// What a task that reads its data as N carried streams (language models, regression) keeps in a checkpoint: its
/// position in the streams (metadata `data`) and the hidden state carried into the next chunk (`state.hidden`,
/// L×N×H; absent at the start of a pass).
enum StreamCheckpoint {
    private struct Position: Codable { var position: Int }

    static func save(position: Int, hidden: [Float]?, shape: [Int], into file: inout SafeTensorsFile) {
        file.metadata["data"] = ModelFile.encodeJSON(Position(position: position))
        if let hidden { file.tensors["state.hidden"] = SafeTensor(sized: shape, values: hidden) }
    }

    /// The saved position (nil if there is none) and carried state; `fail` words an error in the task's terms.
    static func restore(from file: SafeTensorsFile, hiddenShape shape: [Int], fail: (String) -> ElmanError) throws
        -> (position: Int?, hidden: [Float]?)
    {
        let position = file.metadata["data"].flatMap { try? JSONDecoder().decode(Position.self, from: Data($0.utf8)) }?.position
        guard let h = file.tensors["state.hidden"] else { return (position, nil) }
        guard h.shape == shape, h.dtype.isFloatingPoint else { throw fail("state.hidden has shape \(h.shape), expected \(shape)") }
        return (position, h.values(as: Float.self))
    }
}
