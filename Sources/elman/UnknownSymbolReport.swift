import ArgumentParser
import Elman

// The one policy for symbols a model never saw, as predict, eval and sample --prime apply it: read as <unk>
// (where the vocabulary has one) with one warning line, or refused with --strict.

/// `--strict`'s help, the same on every command that has it.
let strictHelp: ArgumentHelp = "Refuse input with symbols the model never saw (default: read them as <unk> and print one warning)."

/// The symbols of `texts` that `vocabulary` reads as `<unk>`. A text it refuses (no `<unk>`) adds nothing here:
/// the command's own reading of it reports the refusal where it happens (with its line number).
func unknownSymbols(in texts: some Sequence<String>, vocabulary: Vocabulary) -> UnknownSymbols {
    var unknown = UnknownSymbols()
    for text in texts { _ = try? vocabulary.encode(text, unknown: &unknown) }
    return unknown
}

/// One line on standard error with the count and the first few unknown symbols of `source` (a file, standard
/// input, --prime); with `strict` a one-line error instead.
func reportUnknownSymbols(_ unknown: UnknownSymbols, in source: String, strict: Bool) throws {
    guard !unknown.isEmpty else { return }
    if strict { throw ElmanError("\(source): \(unknown); --strict refuses them") }
    let symbols = unknown.count == 1 ? "symbol" : "symbols"
    printToStandardError("warning: \(source): \(unknown.count) \(symbols) not in the model's vocabulary, read as <unk>: "
                         + "\(unknown.shown) (--strict refuses them)")
}
