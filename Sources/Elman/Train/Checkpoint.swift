/// What the checkpoints of both trainers share: the model's parameters, and the optimizer's moments
/// (`optim.first`, `optim.second`) and step count.
enum Checkpoint {
    static func add(_ optimizer: Optimizer<Float>, to file: inout SafeTensorsFile) {
        file.tensors["optim.first"] = SafeTensor(shape: [optimizer.first.count], values: optimizer.first)
        file.tensors["optim.second"] = SafeTensor(shape: [optimizer.second.count], values: optimizer.second)
    }

    /// Loads the parameters (their config must be `params`'s) and the optimizer state saved in `file`.
    static func restore(_ params: inout Parameters<Float>, _ optimizer: inout Optimizer<Float>, step: Int,
                        from file: SafeTensorsFile, name: String) throws {
        func fail(_ what: String) -> ElmanError { ElmanError("\(name): cannot resume: \(what)") }
        let loaded: Parameters<Float> = try ModelFile.parameters(from: file, name: name)
        guard loaded.config == params.config else { throw fail("its model config does not match its training options") }
        guard let m = file.tensors["optim.first"], let v = file.tensors["optim.second"],
              m.count == loaded.values.count, v.count == loaded.values.count else {
            throw fail("optimizer state missing or of the wrong size")
        }
        params = loaded
        optimizer.first = m.values(as: Float.self)
        optimizer.second = v.values(as: Float.self)
        optimizer.step = step
    }
}
