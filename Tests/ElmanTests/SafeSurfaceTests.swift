import Foundation
import Testing
@testable import Elman

/// Each way the public API used to let a caller reach past a buffer or trap now throws an error that names the
/// sizes. (What no longer compiles — assigning `Parameters.values`, a trainer's bookkeeping or a matrix's
/// storage — is checked from outside the module by Tests/ElmanAPITests/PublicSurfaceTests.swift.)
@Suite struct SafeSurfaceTests {
    static let config = ModelConfig(inputSize: 3, hiddenSize: 4, outputSize: 3)

    @Test func parametersAreMadeOnlyFromTheRightNumberOfFiniteValues() throws {
        let count = ParameterLayout(Self.config).count
        let made = try Parameters<Float>(config: Self.config, values: (0..<count).map { Float($0) })
        #expect(made.values.count == count && made.values[5] == 5)
        let short = #expect(throws: ElmanError.self) { try Parameters<Float>(config: Self.config, values: [1, 2]) }
        #expect(short?.message.contains("2 values for a model of \(count)") == true, "\(short?.message ?? "")")
        var values = [Float](repeating: 0, count: count)
        values[7] = .nan
        let nan = #expect(throws: ElmanError.self) { try Parameters<Float>(config: Self.config, values: values) }
        #expect(nan?.message.contains("index 7") == true)
    }

    @Test func setMatrixRefusesAMissingTensorOrAnotherShape() throws {
        var p = Parameters<Double>(config: Self.config)
        try p.setMatrix(.recurrentWeights(layer: 0), .identity(4))
        #expect(p.matrix(.recurrentWeights(layer: 0)) == .identity(4))
        let shape = #expect(throws: ElmanError.self) { try p.setMatrix(.recurrentWeights(layer: 0), .identity(3)) }
        #expect(shape?.message.contains("W_l0 is 4×4; the matrix is 3×3") == true, "\(shape?.message ?? "")")
        let missing = #expect(throws: ElmanError.self) { try p.setMatrix(.recurrentWeights(layer: 1), .identity(4)) }
        #expect(missing?.message.contains("no tensor W_l1") == true)
        #expect(p.matrix(.recurrentWeights(layer: 0)) == .identity(4))  // a refused call changed nothing
    }

    /// Inside the library values can still be resized; the engine checks the count where the kernels take the
    /// buffer, so even then nothing is read past its end.
    @Test func theEngineRefusesParametersOfTheWrongCount() throws {
        let engine = try Engine<Double>(config: Self.config)
        var p = Parameters<Double>(config: Self.config)
        p.values.removeLast()
        let batch = Batch<Double>(steps: 2, size: 1, inputs: .tokens([0, 1]), targets: .classes([1, 2]))
        let error = #expect(throws: ElmanError.self) { try engine.evaluate(p, batch) }
        #expect(error?.message.contains("\(p.values.count) values; this engine's model has \(p.values.count + 1)") == true)
        var gradient = Parameters<Double>(config: Self.config)
        gradient.values.removeLast(3)  // a short gradient is replaced by one of the right size, not written past
        _ = try engine.gradient(Parameters(config: Self.config), batch, into: &gradient)
        #expect(gradient.values.count == ParameterLayout(Self.config).count)
    }

    @Test func tensorsAreMadeOnlyFromTheBytesTheirShapeNeeds() throws {
        #expect(try SafeTensor(dtype: .f32, shape: [2, 3], bytes: [UInt8](repeating: 0, count: 24)).count == 6)
        let short = #expect(throws: ElmanError.self) { try SafeTensor(dtype: .f32, shape: [2, 3], bytes: [0, 0, 0, 0]) }
        #expect(short?.message.contains("4 bytes") == true)
        #expect(throws: ElmanError.self) { try SafeTensor(dtype: .f32, shape: [-1, -4], bytes: [0, 0, 0, 0]) }
        #expect(throws: ElmanError.self) { try SafeTensor(dtype: .f64, shape: [1 << 40, 1 << 40], bytes: []) }  // overflows
        #expect(throws: ElmanError.self) { try SafeTensor(shape: [3], values: [Float(1), 2]) }
        #expect(throws: ElmanError.self) { try SafeTensor(shape: [2], int64s: [1, 2, 3]) }
        #expect(try SafeTensor(shape: [], values: [Double(4)]).doubles() == [4])
    }

    @Test func diagnosticsOfMismatchedInputsAnswerInsteadOfTrapping() {
        #expect(GradientCheck.maxRelativeError([1, 2], [1]) == .infinity)
        #expect(GradientCheck.maxRelativeError([1, 2], [1, 2]) == 0)
        #expect(Spectral.spectralRadius(Matrix<Double>(rows: 2, cols: 3)).isNaN)
        #expect(abs(Spectral.spectralRadius(Matrix<Double>.identity(3)) - 1) < 1e-9)
    }
}

/// Generated text streamed symbol by symbol joins to what ``Vocabulary/decode(_:)`` gives for all the symbols at
/// once, at every level, including bytes that are not valid UTF-8 and words spaced from the prime.
@Suite struct TextStreamTests {
    static func streamed(_ v: Vocabulary, _ ids: [Int32], after context: [Int32] = []) -> (String, Int) {
        var stream = TextStream(v, after: context)
        var pieces = ids.map { stream.append($0) }
        pieces.append(stream.flush())
        return (pieces.joined(), pieces.filter { !$0.isEmpty }.count)
    }

    @Test func bytesJoinToTheDecodedText() throws {
        let v = Vocabulary.build(bytes: [])
        var g = SeededGenerator(seed: 3)
        let text = "héllo — 日本語 🙂 ok"
        let ids = try v.encode(text)
        let (joined, pieces) = Self.streamed(v, ids)
        #expect(joined == text)
        #expect(pieces == text.count)  // one piece a character: each multi-byte character whole
        for _ in 0..<200 {  // random bytes: truncated, overlong and stray sequences decode as decode(_:) does
            let random = (0..<Int(g.next() % 12)).map { _ in Int32(g.next() % 256) }
            #expect(Self.streamed(v, random).0 == v.decode(random), "\(random)")
        }
    }

    @Test func wordsAreSpacedFromThePrimeAndEachOther() throws {
        let v = Vocabulary.build(from: "ROMEO: speak , hear me .\n( yes ) no", level: .word)
        let prime = try v.encode("ROMEO:")
        let generated = try v.encode("speak, hear me.\n(yes) no")
        let whole = v.decode(prime + generated)
        #expect(Self.streamed(v, generated, after: prime).0 == String(whole.dropFirst(v.decode(prime).count)))
        #expect(Self.streamed(v, generated).0 == v.decode(generated))
        let chars = Vocabulary.build(from: "abc", level: .char)
        #expect(Self.streamed(chars, [2, 0, 1]).0 == "cab")
    }
}
