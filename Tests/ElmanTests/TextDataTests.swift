import Foundation
import Testing
@testable import Elman

/// Text data as people hand it over: CRLF line ends, a header line, files sorted by label, any byte.
@Suite struct TextDataTests {
    @Test func crlfLineEndsAreLineBreaks() throws {
        let data = try LabeledSequences.parse("a\txy\r\nb\tyx\r\na\txx\r\n", name: "f.tsv", level: .char)
        #expect(data.labels == ["a", "b"])
        #expect(data.examples.count == 3)
        #expect(data.examples.map(\.tokens.count) == [2, 2, 2])  // no '\r' swallowed into a sequence
        #expect(!data.vocabulary.symbols.contains("\r") && !data.vocabulary.symbols.contains("\r\n"))
    }

    @Test func aHeaderLineIsDetectedOrSet() throws {
        let text = "label\ttext\npos\tgood\nneg\tbad\npos\tfine\nneg\tawful\n"
        let (rows, header) = try LabeledSequences.rows(text, name: "f", header: nil)
        #expect(header == "label\ttext")
        #expect(rows.map(\.label) == ["pos", "neg", "pos", "neg"])
        #expect(rows.first?.line == 2)
        #expect(try LabeledSequences.rows(text, name: "f", header: false).rows.count == 5)
        // A first line whose label repeats is data.
        let plain = "pos\tgood\nneg\tbad\npos\tfine\nneg\tawful\n"
        #expect(try LabeledSequences.rows(plain, name: "f").header == nil)
        #expect(try LabeledSequences.rows(plain, name: "f", header: true).rows.count == 3)
    }

    /// A file sorted by label validates on every label, in the same share.
    @Test func theValidationSplitIsStratifiedByLabel() throws {
        let text = (0..<30).map { "a\tx\($0 % 3)" }.joined(separator: "\n") + "\n"
            + (0..<10).map { "b\ty\($0 % 3)" }.joined(separator: "\n") + "\nc\tz\n"
        let rows = try LabeledSequences.rows(text, name: "f").rows
        let split = LabeledSequences.stratifiedSplit(rows, validationFraction: 0.1)
        let counts = Dictionary(grouping: split.validation, by: \.label).mapValues(\.count)
        #expect(counts == ["a": 3, "b": 1])
        #expect(split.unvalidated == ["c"])  // one line: kept for training, and reported
        #expect(split.train.count + split.validation.count == rows.count)
        #expect(split.validation.allSatisfy { v in !split.train.contains(v) })
        // The last rows of each label validate (file order kept within each part).
        #expect(split.validation.map(\.line) == [28, 29, 30, 40])
    }

    @Test func aByteModelReadsEveryByte() throws {
        let vocabulary = Vocabulary.build(from: .bytes([65, 66, 65]), level: .byte)
        #expect(vocabulary.count == 256)
        #expect(try vocabulary.encode(Corpus.bytes([0, 255, 200])) == [0, 255, 200])
    }

    /// Words, punctuation and line breaks by the documented rule, and text rebuilt with its layout.
    @Test func wordsSplitOffPunctuationAndKeepLineBreaks() throws {
        let text = "KING:\nWell-met, my lord; don't go!\n\n(He exits.)"
        let tokens = Vocabulary.words(text)
        #expect(tokens == ["KING", ":", "\n", "Well-met", ",", "my", "lord", ";", "don't", "go", "!", "\n", "\n",
                           "(", "He", "exits", ".", ")"])
        let vocabulary = Vocabulary.build(from: text, level: .word)
        #expect(vocabulary.decode(try vocabulary.encode(text)) == text)
        #expect(Vocabulary.words("the dogs' bones -") == ["the", "dogs", "'", "bones", "-"])
    }

    /// A word-level prime is followed by a space: "the king" + "Gloucester", not "the kingGloucester".
    @Test func aWordLevelPrimeIsFollowedByASpace() throws {
        let text = String(repeating: "the king Gloucester speaks .\n", count: 50)
        let vocabulary = Vocabulary.build(from: text, level: .word)
        let tokens = try vocabulary.encode(text)
        var o = TrainingOptions()
        o.hidden = 8
        o.seq = 4
        o.batch = 2
        let trainer = try Trainer(options: o, vocabulary: vocabulary, train: tokens, validation: [])
        let model = try TrainedModel(params: trainer.params, vocabulary: vocabulary)
        for seed: UInt64 in 1...20 {
            let next = try model.generate(prime: "the king", length: 1, topK: 0, seed: seed)
            let symbol = next.trimmingCharacters(in: .whitespaces)
            let expected = [".", "\n"].contains(symbol) ? symbol : " " + symbol
            #expect(next == expected, "seed \(seed): '\(next)'")
        }
    }
}
