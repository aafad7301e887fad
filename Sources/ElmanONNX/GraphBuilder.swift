import Foundation

/// Appends nodes, constants, inputs and outputs to an ONNX graph, naming every intermediate value uniquely.
/// Every node is in the default domain (the standard operators).
struct GraphBuilder {
    /// A dimension of an input's or output's shape: a fixed size, or a symbolic one (`batch`, `time`).
    enum Dim {
        case fixed(Int)
        case named(String)
    }

    private(set) var graph = Onnx_GraphProto()
    private var counter = 0

    init(name: String, doc: String) {
        graph.name = name
        graph.docString = doc
    }

    /// A value name not used before, from `base`.
    mutating func fresh(_ base: String) -> String {
        counter += 1
        return "\(base)_\(counter)"
    }

    /// Appends one node of the standard operator `op` and returns its outputs' names (`outputs` given: those,
    /// else `count` fresh ones). An empty input name is an omitted optional input, as ONNX writes it.
    @discardableResult
    mutating func node(_ op: String, _ inputs: [String], outputs: [String]? = nil, count: Int = 1,
                       _ attributes: [Onnx_AttributeProto] = []) -> [String] {
        var n = Onnx_NodeProto()
        n.opType = op
        n.name = fresh(op)
        n.input = inputs
        n.output = outputs ?? (0..<count).map { _ in fresh(op.lowercased()) }
        n.attribute = attributes
        graph.node.append(n)
        return n.output
    }

    /// As ``node(_:_:outputs:count:_:)`` for a node with one output.
    mutating func op(_ op: String, _ inputs: [String], output: String? = nil, _ attributes: [Onnx_AttributeProto] = []) -> String {
        node(op, inputs, outputs: output.map { [$0] }, attributes)[0]
    }

    /// A float32 constant (an initializer) of shape `dims`, stored as little-endian raw data.
    mutating func floats(_ base: String, _ values: [Float], dims: [Int]) -> String {
        precondition(values.count == dims.reduce(1, *), "constant \(base): \(values.count) values for shape \(dims)")
        var t = Onnx_TensorProto()
        t.name = fresh(base)
        t.dims = dims.map(Int64.init)
        t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        var raw = Data(capacity: values.count * 4)
        for v in values {
            let bits = v.bitPattern
            raw.append(contentsOf: [UInt8(bits & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits >> 16 & 0xFF), UInt8(bits >> 24)])
        }
        t.rawData = raw
        graph.initializer.append(t)
        return t.name
    }

    /// An int64 constant (shapes, axes, indices) of shape `dims` (empty: a scalar).
    mutating func int64s(_ base: String, _ values: [Int], dims: [Int]? = nil) -> String {
        var t = Onnx_TensorProto()
        t.name = fresh(base)
        t.dims = (dims ?? [values.count]).map(Int64.init)
        t.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        t.int64Data = values.map(Int64.init)
        graph.initializer.append(t)
        return t.name
    }

    /// Declares a graph input.
    mutating func input(_ name: String, _ type: Onnx_TensorProto.DataType, _ dims: [Dim], doc: String) {
        graph.input.append(Self.valueInfo(name, type, dims, doc: doc))
    }

    /// Declares a graph output.
    mutating func output(_ name: String, _ type: Onnx_TensorProto.DataType, _ dims: [Dim], doc: String) {
        graph.output.append(Self.valueInfo(name, type, dims, doc: doc))
    }

    private static func valueInfo(_ name: String, _ type: Onnx_TensorProto.DataType, _ dims: [Dim], doc: String) -> Onnx_ValueInfoProto {
        var shape = Onnx_TensorShapeProto()
        shape.dim = dims.map { d in
            var dim = Onnx_TensorShapeProto.Dimension()
            switch d {
            case .fixed(let n): dim.dimValue = Int64(n)
            case .named(let s): dim.dimParam = s
            }
            return dim
        }
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = Int32(type.rawValue)
        tensor.shape = shape
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type.tensorType = tensor
        info.docString = doc
        return info
    }
}

/// Node attributes.
enum Attribute {
    static func int(_ name: String, _ value: Int) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .int
        a.i = Int64(value)
        return a
    }

    static func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .ints
        a.ints = values.map(Int64.init)
        return a
    }

    static func string(_ name: String, _ value: String) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .string
        a.s = Data(value.utf8)
        return a
    }

    static func strings(_ name: String, _ values: [String]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .strings
        a.strings = values.map { Data($0.utf8) }
        return a
    }
}
