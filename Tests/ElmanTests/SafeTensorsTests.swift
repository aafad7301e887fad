import Foundation
import Testing
@testable import Elman

@Suite struct SafeTensorsTests {
    /// A file as Python's safetensors writes it: u64 header length, JSON, bytes.
    static func handMade(_ header: String, data: [UInt8]) -> [UInt8] {
        let json = Array(header.utf8)
        var out: [UInt8] = []
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        return out + json + data
    }

    static func floats(_ values: [Float]) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
    }

    @Test func readsAFileWrittenByHand() throws {
        let header = #"{"__metadata__":{"format":"pt"},"b":{"dtype":"I64","shape":[],"data_offsets":[8,16]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        let data = Self.floats([1.5, -2]) + withUnsafeBytes(of: Int64(-7).littleEndian) { Array($0) }
        let file = try SafeTensorsFile.parse(Self.handMade(header, data: data), name: "x")
        #expect(file.metadata == ["format": "pt"])
        #expect(file.tensors["a"]?.doubles() == [1.5, -2])
        #expect(file.tensors["b"]?.shape == [] && file.tensors["b"]?.doubles() == [-7])
    }

    static func le<I: FixedWidthInteger>(_ values: [I]) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    }

    /// The bytes Python's safetensors writes and reads: u64 little-endian header length, a JSON header with the
    /// keys sorted (metadata first), padded with spaces to a multiple of 8, then the tensors in name order,
    /// each at the offsets its entry gives, little-endian.
    @Test func writesTheExactBytesOfTheFormat() throws {
        var file = SafeTensorsFile(metadata: ["k": "v"])
        file.tensors["w"] = try SafeTensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6.25] as [Double])
        file.tensors["f"] = try SafeTensor(shape: [1], values: [Float(0.1)])
        file.tensors["i"] = try SafeTensor(shape: [2], int64s: [3, -4])
        let json = #"{"__metadata__":{"k":"v"},"f":{"data_offsets":[0,4],"dtype":"F32","shape":[1]},"#
            + #""i":{"data_offsets":[4,20],"dtype":"I64","shape":[2]},"#
            + #""w":{"data_offsets":[20,68],"dtype":"F64","shape":[2,3]}}"#
        let padded = Array(json.utf8) + [UInt8](repeating: 0x20, count: (8 - json.utf8.count % 8) % 8)
        let data = Self.le([Float(0.1).bitPattern]) + Self.le([Int64(3), -4])
            + Self.le([1, 2, 3, 4, 5, 6.25].map(\.bitPattern))
        let expected = Self.le([UInt64(padded.count)]) + padded + data
        let bytes = file.serialized()
        #expect(bytes == expected, "\(String(decoding: bytes.prefix(8 + padded.count), as: UTF8.self))")
        let back = try SafeTensorsFile.parse(bytes, name: "mem")
        #expect(back.tensors == file.tensors && back.metadata == file.metadata)
    }

    /// Every dtype keeps its name, shape, bytes and values through a file on disk.
    @Test func everyDtypeRoundTripsThroughAFile() throws {
        let tensors: [String: (SafeTensor, [Double])] = [
            "f32": (try SafeTensor(dtype: .f32, shape: [3], bytes: Self.le([Float(1.5), -0.0, .greatestFiniteMagnitude].map(\.bitPattern))),
                    [1.5, 0, Double(Float.greatestFiniteMagnitude)]),
            "f64": (try SafeTensor(dtype: .f64, shape: [1, 2], bytes: Self.le([1e300, -2.5].map(\.bitPattern))), [1e300, -2.5]),
            "i64": (try SafeTensor(dtype: .i64, shape: [2], bytes: Self.le([Int64(1) << 40, -7])), [Double(1 << 40), -7]),
            "i32": (try SafeTensor(dtype: .i32, shape: [2, 1], bytes: Self.le([Int32.min, 9])), [Double(Int32.min), 9]),
            "u8": (try SafeTensor(dtype: .u8, shape: [3], bytes: [0, 200, 255]), [0, 200, 255]),
            "bool": (try SafeTensor(dtype: .bool, shape: [2], bytes: [1, 0]), [1, 0]),
            "scalar": (try SafeTensor(dtype: .f32, shape: [], bytes: Self.le([Float(-3).bitPattern])), [-3]),
            "empty": (try SafeTensor(dtype: .f64, shape: [0, 4], bytes: []), []),
        ]
        #expect(Set(tensors.values.map(\.0.dtype)) == Set(DType.allCases))
        var file = SafeTensorsFile(metadata: ["format": "pt", "note": "ünïcode \"quoted\""])
        for (name, (t, _)) in tensors { file.tensors[name] = t }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("elman-st-\(getpid()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try file.write(to: path)
        let back = try SafeTensorsFile.read(path)
        #expect(back.metadata == file.metadata)
        #expect(Set(back.tensors.keys) == Set(tensors.keys))
        for (name, (t, values)) in tensors {
            let r = try #require(back.tensors[name])
            #expect(r.dtype == t.dtype && r.shape == t.shape && r.bytes == t.bytes, "\(name)")
            #expect(r.doubles() == values, "\(name): \(r.doubles())")
        }
    }

    /// A file cut short anywhere (in the length, the header or the data, by one byte or more) is refused with
    /// its path and what is wrong, never read with a tensor missing or short.
    @Test func refusesATruncatedFile() throws {
        var file = SafeTensorsFile(metadata: ["k": "v"])
        file.tensors["a"] = try SafeTensor(shape: [4], values: [Float(1), 2, 3, 4])
        file.tensors["b"] = try SafeTensor(shape: [2], int64s: [5, 6])
        let bytes = file.serialized()
        let headerEnd = 8 + Int(bytes[0]) + Int(bytes[1]) << 8
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("elman-cut-\(getpid()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let cuts: [(length: Int, message: String)] = [
            (0, "0 bytes, shorter than the 8-byte header length"), (7, "7 bytes, shorter than the 8-byte header length"),
            (8, "header length \(headerEnd - 8) exceeds the 0 bytes after it"),
            (headerEnd - 1, "header length \(headerEnd - 8) exceeds the \(headerEnd - 9) bytes after it"),
            (headerEnd, "holds more elements than the file has bytes"),
            (headerEnd + 17, "are outside the 17 data bytes"),  // a whole, b cut
            (bytes.count - 1, "tensor 'b' data_offsets [16, 32] are outside the 31 data bytes"),
        ]
        for (length, message) in cuts {
            try FileIO.writeAtomically(Array(bytes.prefix(length)), to: path)
            let error = #expect(throws: ElmanError.self, "cut at \(length)") { try SafeTensorsFile.read(path) }
            #expect(error?.message.hasPrefix("\(path): not a valid safetensors file: ") == true, "\(error?.message ?? "")")
            #expect(error?.message.contains(message) == true, "cut at \(length): \(error?.message ?? "")")
        }
        try FileIO.writeAtomically(bytes, to: path)
        let whole = try SafeTensorsFile.read(path)
        #expect(whole.tensors == file.tensors && whole.metadata == file.metadata)
    }

    @Test(arguments: [
        ("short", [UInt8](repeating: 0, count: 5), "shorter than the 8-byte header length"),
        ("length beyond file", handMade("{}", data: []).enumerated().map { $0.offset == 0 ? 200 : $0.element },
         "exceeds the"),
        ("not JSON", handMade("{nope", data: []), "not valid JSON"),
        ("not an object", handMade("[1]", data: []), "not a JSON object"),
        ("bad dtype", handMade(#"{"a":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}"#, data: [0, 0]), "dtype F16"),
        ("offsets outside", handMade(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0]), "outside"),
        ("byte count", handMade(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "needs 8"),
        ("overflowing shape", handMade(#"{"a":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "more elements"),
        ("negative dim", handMade(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "bad dimension"),
        ("fractional dim", handMade(#"{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "bad dimension"),
        ("overlap", handMade(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}"#, data: [UInt8](repeating: 0, count: 8)), "overlap"),
        ("metadata not string", handMade(#"{"__metadata__":{"a":1}}"#, data: []), "not a string"),
        ("text for a model", Array("First Citizen:\nBefore we proceed any further, hear me speak.\n".utf8),
         "it begins with text ('First Ci…'), not a model file"),
        // A tensor deleted from the header, its bytes left behind: first, in the middle, at the end.
        ("hole at the start", handMade(#"{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: [UInt8](repeating: 0, count: 8)),
         "data bytes 0..<4 belong to no tensor"),
        ("hole between", handMade(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"c":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#,
                                  data: [UInt8](repeating: 0, count: 12)), "data bytes 4..<8 belong to no tensor"),
        ("trailing bytes", handMade(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: [UInt8](repeating: 0, count: 6)),
         "data bytes 4..<6 belong to no tensor"),
    ])
    func rejectsHostileFiles(name: String, bytes: [UInt8], expected: String) {
        do {
            _ = try SafeTensorsFile.parse(bytes, name: "evil.safetensors")
            Issue.record("\(name): accepted")
        } catch {
            #expect("\(error)".hasPrefix("evil.safetensors: not a valid safetensors file"), "\(name)")
            #expect("\(error)".contains(expected), "\(name): \(error)")
        }
    }

    /// A model file whose tensors contradict its own metadata config does not load: a deleted bias is not a
    /// zero bias. The same tensors without Elman's metadata (as PyTorch writes them) still load.
    @Test func aModelContradictingItsConfigIsRejected() throws {
        var g = SeededGenerator(seed: 2)
        let config = ModelConfig(inputSize: 5, hiddenSize: 3, outputSize: 4, layers: 2)
        var file = ModelFile.file(Parameters<Float>(config: config, generator: &g))
        let intact: Parameters<Float> = try ModelFile.parameters(from: file, name: "m")
        #expect(intact.config == config)
        for deleted in [ModelFile.fcBias, ModelFile.biasHH(1)] {
            var holed = file
            holed.tensors[deleted] = nil
            let reread = try SafeTensorsFile.parse(holed.serialized(), name: "m")
            let error = #expect(throws: ElmanError.self) { try ModelFile.parameters(from: reread, name: "m") as Parameters<Float> }
            #expect(error?.message == "m: missing tensor '\(deleted)'; its metadata config has biases")
            holed.metadata = [:]  // no declared config: read as PyTorch's files are, a missing bias counts as zero
            #expect(throws: Never.self) { try ModelFile.parameters(from: holed, name: "m") as Parameters<Float> }
        }
        file.metadata["config"] = ModelSchema.json(ModelConfig(inputSize: 5, hiddenSize: 3, outputSize: 4, layers: 1))
        let error = #expect(throws: ElmanError.self) { try ModelFile.parameters(from: file, name: "m") as Parameters<Float> }
        #expect(error?.message == "m: its metadata config has layers 1, but its tensors make it 2")
    }

    @Test func modelFileUsesPyTorchNamesAndLayouts() throws {
        var g = SeededGenerator(seed: 1)
        let config = ModelConfig(inputSize: 5, hiddenSize: 3, outputSize: 4, layers: 2)
        let params = Parameters<Double>(config: config, generator: &g)
        let file = ModelFile.file(params)
        #expect(file.tensors["rnn.weight_ih_l0"]?.shape == [3, 5])  // Uᵀ: H×D
        #expect(file.tensors["rnn.weight_ih_l1"]?.shape == [3, 3])
        #expect(file.tensors["fc.weight"]?.shape == [4, 3])  // Vᵀ: C×H
        let u = params.matrix(.inputWeights(layer: 0))!
        #expect(file.tensors["rnn.weight_ih_l0"]?.doubles() == u.transposed.storage)
        #expect(file.tensors["rnn.bias_ih_l0"]?.doubles() == params.matrix(.inputBias(layer: 0))!.storage)
        #expect(file.tensors["rnn.bias_hh_l0"]?.doubles() == params.matrix(.hiddenBias(layer: 0))!.storage)
        let back: Parameters<Double> = try ModelFile.parameters(from: try SafeTensorsFile.parse(file.serialized(), name: "m"), name: "m")
        #expect(back == params)
    }

    /// nn.RNN's two bias vectors stay two parameters, and the recurrence adds them: a model with b_ih = 1, 2 and
    /// b_hh = 10, 20 computes what one with b_ih = 11, 22 and b_hh = 0 computes.
    @Test func theTwoBiasHalvesLoadApartAndAddUp() throws {
        let config = ModelConfig(inputSize: 2, hiddenSize: 2, outputSize: 2)
        var g = SeededGenerator(seed: 3)
        var file = ModelFile.file(Parameters<Float>(config: config, generator: &g))
        file.tensors["rnn.bias_ih_l0"] = try SafeTensor(shape: [2], values: [Float(1), 2])
        file.tensors["rnn.bias_hh_l0"] = try SafeTensor(shape: [2], values: [Float(10), 20])
        let p: Parameters<Float> = try ModelFile.parameters(from: file, name: "m")
        #expect(p.matrix(.inputBias(layer: 0))?.storage == [1, 2])
        #expect(p.matrix(.hiddenBias(layer: 0))?.storage == [10, 20])
        file.tensors["rnn.bias_ih_l0"] = try SafeTensor(shape: [2], values: [Float(11), 22])
        file.tensors["rnn.bias_hh_l0"] = try SafeTensor(shape: [2], values: [Float(0), 0])
        let folded: Parameters<Float> = try ModelFile.parameters(from: file, name: "m")
        let engine = try Engine<Float>(config: config)
        let a = try engine.logits(p, inputs: .tokens([0, 1, 1]), steps: 3, size: 1).logits
        let b = try engine.logits(folded, inputs: .tokens([0, 1, 1]), steps: 3, size: 1).logits
        #expect(zip(a, b).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test func inferenceOfTheConfigAndItsErrors() throws {
        let config = ModelConfig(inputSize: 3, hiddenSize: 2, outputSize: 1, head: .sigmoid, nonlinearity: .relu, bias: false)
        var file = ModelFile.file(Parameters<Double>(config: config))
        #expect(try ModelFile.config(of: file, name: "m") == config)
        file.metadata = [:]
        let inferred = try ModelFile.config(of: file, name: "m")
        #expect(inferred.head == .sigmoid && inferred.nonlinearity == .tanh)  // one output → sigmoid
        var wrong = file
        wrong.tensors["rnn.weight_hh_l0"] = try SafeTensor(shape: [2, 3], values: [Double](repeating: 0, count: 6))
        #expect(throws: ElmanError("m: tensor 'rnn.weight_hh_l0' has shape [2, 3]; expected [H, H]")) {
            try ModelFile.config(of: wrong, name: "m")
        }
        var missing = file
        missing.tensors["fc.weight"] = nil
        #expect(throws: ElmanError("m: missing tensor 'fc.weight'")) { try ModelFile.config(of: missing, name: "m") }
        var reverse = file
        reverse.tensors["rnn.weight_ih_l0_reverse"] = file.tensors["rnn.weight_ih_l0"]
        #expect(throws: ElmanError.self) { try ModelFile.config(of: reverse, name: "m") }
        var nonFinite = file
        nonFinite.tensors["fc.weight"] = try SafeTensor(shape: [1, 2], values: [Double.infinity, 0])
        #expect(throws: ElmanError.self) { let _: Parameters<Double> = try ModelFile.parameters(from: nonFinite, name: "m") }
    }

    @Test func atomicWriteReplacesTheWholeFileAndLeavesNoTemporary() throws {
        let dir = NSTemporaryDirectory() + "elman-atomic-\(getpid())"
        try FileIO.createDirectory(dir)
        let path = dir + "/f.bin"
        try FileIO.writeAtomically([1, 2, 3], to: path)
        try FileIO.writeAtomically([4, 5], to: path)
        #expect(try FileIO.read(path) == [4, 5])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["f.bin"])
        #expect(throws: ElmanError.self) { try FileIO.writeAtomically([1], to: dir + "/no/such/dir/f") }
        #expect(throws: ElmanError("'\(dir)' is a directory; expected a file")) { try FileIO.read(dir) }
        try FileManager.default.removeItem(atPath: dir)
    }
}

/// A model file whose parts disagree is refused as a whole, before sample or eval can index out of range.
@Suite struct TrainedModelTests {
    static func lmFile(vocabulary symbols: [String], inputs: Int, outputs: Int, head: Head = .softmax) -> SafeTensorsFile {
        var g = SeededGenerator(seed: 1)
        let config = ModelConfig(inputSize: inputs, hiddenSize: 3, outputSize: outputs, head: head)
        let params = Parameters<Float>(config: config, generator: &g)
        return ModelFile.file(params, metadata: ["vocabulary": ModelSchema.json(Vocabulary(level: .char, symbols: symbols))])
    }

    @Test func loadsAConsistentLanguageModel() throws {
        let model = try TrainedModel(file: Self.lmFile(vocabulary: ["a", "b", "c"], inputs: 3, outputs: 3), name: "m")
        #expect(!model.isClassifier && model.vocabulary.count == 3)
    }

    @Test(arguments: [(["a", "b"], 3, 3, "vocabulary has 2 symbols but the model takes 3 inputs"),
                      (["a", "b", "c"], 3, 4, "softmax over its 3 symbols"),
                      ([], 3, 3, "vocabulary has 0 symbols")])
    func refusesAMismatch(symbols: [String], inputs: Int, outputs: Int, message: String) {
        let error = #expect(throws: ElmanError.self) {
            try TrainedModel(file: Self.lmFile(vocabulary: symbols, inputs: inputs, outputs: outputs), name: "m.safetensors")
        }
        #expect(error?.message.contains(message) == true && error?.message.hasPrefix("m.safetensors") == true, "\(error?.message ?? "")")
    }

    @Test func refusesAClassifierWhoseHeadDoesNotFitItsLabels() {
        var file = Self.lmFile(vocabulary: ["a", "b"], inputs: 2, outputs: 3)  // softmax over 3, but 2 labels
        file.metadata["task"] = "classify"
        file.metadata["labels"] = ModelSchema.json(["no", "yes"])
        let error = #expect(throws: ElmanError.self) { try TrainedModel(file: file, name: "c") }
        #expect(error?.message.contains("2 labels but a softmax head with 3 outputs") == true)
    }
}
