/// Turns generated ids into text one id at a time, so that a caller can show each symbol as it is drawn; the
/// pieces joined equal ``Vocabulary/decode(_:)`` of all the ids (after `context`, at word level). Characters are
/// their own text; a word is spaced from the token before it by the word rule; bytes are held until they complete
/// a UTF-8 sequence (or cannot), then decoded as ``Vocabulary/decode(_:)`` decodes them.
struct TextStream {
    private let vocabulary: Vocabulary
    private var previousWord: String?
    private var pendingBytes: [UInt8] = []
    private var expectedBytes = 0

    /// `context`: the ids before the first generated one (the prime), which a first word is spaced from.
    init(_ vocabulary: Vocabulary, after context: [Int32] = []) {
        self.vocabulary = vocabulary
        if vocabulary.level == .word, let last = context.last { previousWord = vocabulary.decode([last]) }
    }

    /// The text `id` adds; empty while a byte sequence is incomplete.
    mutating func append(_ id: Int32) -> String {
        switch vocabulary.level {
        case .char:
            return vocabulary.decode([id])
        case .word:
            let word = vocabulary.decode([id])
            defer { previousWord = word }
            guard let previousWord else { return word }
            return String(Vocabulary.joinWords([previousWord, word]).dropFirst(previousWord.count))
        case .byte:
            guard let byte = vocabulary.decodeByte(id) else { return "" }  // as decode(_:), which skips it
            var out = ""
            if !pendingBytes.isEmpty && byte & 0xC0 != 0x80 { out = flush() }  // not a continuation: the sequence ends
            pendingBytes.append(byte)
            if pendingBytes.count == 1 { expectedBytes = Self.sequenceLength(lead: byte) }
            if pendingBytes.count >= expectedBytes { out += flush() }
            return out
        }
    }

    /// The text of bytes still held at the end.
    mutating func flush() -> String {
        defer { pendingBytes.removeAll(keepingCapacity: true) }
        return pendingBytes.isEmpty ? "" : String(decoding: pendingBytes, as: UTF8.self)
    }

    /// Bytes in the UTF-8 sequence a lead byte starts (1 for ASCII, a continuation or an invalid lead).
    private static func sequenceLength(lead: UInt8) -> Int {
        switch lead {
        case 0xC2...0xDF: return 2
        case 0xE0...0xEF: return 3
        case 0xF0...0xF4: return 4
        default: return 1
        }
    }
}
