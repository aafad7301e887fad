import Elman

/// The graph of a regression model: standardize, recur, read out, restore the units.
enum RegressionGraph {
    static func build(_ b: inout GraphBuilder, _ model: TrainedModel, columns: RegressionTask.Columns) {
        let config = model.config, s = columns.standardization
        let inputNames = columns.inputs.map { columns.names[$0] }, targetNames = columns.targets.map { columns.names[$0] }
        b.input("series", .float, [.named("batch"), .named("time"), .fixed(columns.inputs.count)],
                doc: "The input columns (\(inputNames.joined(separator: ", "))), in original units, one row per step.")
        func constants(_ name: String, _ values: [Double]) -> String { b.floats(name, values.map(Float.init), dims: [values.count]) }
        let centered = b.op("Sub", ["series", constants("mean", columns.inputs.map { s.mean[$0] })])
        let standardized = b.op("Div", [centered, constants("scale", columns.inputs.map { s.scale[$0] })])
        let timeMajor = b.op("Transpose", [standardized], [Attribute.ints("perm", [1, 0, 2])])
        let stack = RecurrentStack(&b, x: timeMajor, params: model.params, lengths: nil, initial: nil)
        let g = TextGraphs.head(&b, stack.output, model.params)
        let scaled = b.op("Mul", [g, constants("scale", columns.targets.map { s.scale[$0] })])
        let original = b.op("Add", [scaled, constants("mean", columns.targets.map { s.mean[$0] })])
        b.node("Transpose", [original], outputs: ["prediction"], [Attribute.ints("perm", [1, 0, 2])])
        b.output("prediction", .float, [.named("batch"), .named("time"), .fixed(config.outputSize)],
                 doc: "After each step, the next step's target columns (\(targetNames.joined(separator: ", "))), in original units.")
    }
}
