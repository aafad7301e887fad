import Testing
@testable import Elman

/// One policy for symbols a vocabulary lacks: `<unk>` where it has one, counted; refused where it has none.
@Suite struct UnknownSymbolsTests {
    @Test func charLevelCountsEveryOccurrenceAndKeepsTheFirstFiveDistinct() throws {
        let vocabulary = Vocabulary.build(from: "abc", level: .char)
        var unknown = UnknownSymbols()
        let ids = try vocabulary.encode("aéxéb\tyzwv", unknown: &unknown)
        let unk = try #require(vocabulary.id(Vocabulary.unknown))
        #expect(ids == [0, unk, unk, unk, 1, unk, unk, unk, unk, unk])
        #expect(unknown.count == 8)
        #expect(unknown.first == ["é", "x", "\t", "y", "z"])
        #expect(unknown.hasMore)
        #expect(unknown.description == "8 symbols not in the model's vocabulary: 'é', 'x', '\\t', 'y', 'z', …")
        // The plain form gives the same ids, and a second text adds to the count.
        #expect(try vocabulary.encode("aéxéb\tyzwv") == ids)
        _ = try vocabulary.encode("q", unknown: &unknown)
        #expect(unknown.count == 9 && unknown.first.count == 5)
    }

    @Test func wordLevelCountsWords() throws {
        let vocabulary = Vocabulary.build(from: "the cat sat", level: .word)
        var unknown = UnknownSymbols()
        _ = try vocabulary.encode("the dog sat on the dog", unknown: &unknown)
        #expect(unknown.count == 3)
        #expect(unknown.first == ["dog", "on"])
        #expect(!unknown.hasMore)
        #expect(unknown.description == "3 symbols not in the model's vocabulary: 'dog', 'on'")
    }

    @Test func aVocabularyWithoutUnkRefusesAndCountsNothing() throws {
        let vocabulary = Vocabulary(level: .char, symbols: ["a", "b"])
        var unknown = UnknownSymbols()
        #expect(throws: ElmanError.self) { try vocabulary.encode("abé", unknown: &unknown) }
        do {
            _ = try vocabulary.encode("abé", unknown: &unknown)
        } catch let e as ElmanError {
            #expect(e.message == "symbols not in the model's vocabulary (which has no <unk>): 'é'")
        }
        #expect(unknown.isEmpty)
    }

    @Test func byteLevelNeverMeetsAnUnknownSymbol() throws {
        let vocabulary = Vocabulary.build(bytes: [])
        var unknown = UnknownSymbols()
        _ = try vocabulary.encode(Corpus.bytes([0, 200, 255]), unknown: &unknown)
        _ = try vocabulary.encode("é€", unknown: &unknown)
        #expect(unknown.isEmpty)
    }
}
