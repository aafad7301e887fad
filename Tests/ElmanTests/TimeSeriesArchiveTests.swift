import Foundation
import Testing
@testable import Elman

/// The UCR/UEA archive's `.ts` and `.tsv` files as the archive writes them (headers copied from files sktime ships,
/// a few data lines quoted or made up), every refusal with its message, and the real files when
/// `ELMAN_UCR_DATA` names sktime's `datasets/data` folder.
@Suite struct TimeSeriesArchiveTests {
    /// ItalyPowerDemand_TRAIN.ts: its header and its first two examples.
    static let italy = """
        #The data was derived from twelve monthly electrical power demand
        #time series from Italy and first used in the paper "Intelligent
        #Icons: Integrating Lite-Weight Data Mining and Visualization into
        #GUI Operating Systems". The classification task is to distinguish
        #days from Oct to March (inclusive) from April to September.
        @problemName ItalyPowerDemand
        @timeStamps false
        @missing false
        @univariate true
        @equalLength true
        @seriesLength 24
        @classLabel true 1 2
        @data
        -0.71051757,-1.1833204,-1.3724416,-1.5930829,-1.4670021,-1.3724416,-1.0887599,0.045966947,0.92853223,1.0861332,1.2752543,0.96005242,0.61333034,0.014446758,-0.6474772,-0.26923494,-0.20619456,0.61333034,1.3698149,1.4643754,1.054613,0.58181015,0.1720477,-0.26923494:1
        -0.99300935,-1.4267865,-1.5798843,-1.6054006,-1.6309169,-1.3757539,-1.0185257,-0.35510183,0.71658276,1.2013925,1.1248436,1.0482947,0.79313166,0.46141977,0.48693607,0.56348497,0.61451757,0.30832197,0.25728936,1.0993273,1.0482947,0.69106647,-0.048906237,-0.38061813:1

        """

    /// The header of JapaneseVowels_TRAIN.ts (12 channels, unequal lengths); `rows` are the data lines.
    static func vowels(_ rows: [String]) -> String {
        """
        #A UCI Archive dataset. See this link for more detailed information: https://archive.ics.uci.edu/ml/datasets/Japanese+Vowels
        #
        @problemName JapaneseVowels
        @timeStamps false
        @missing false
        @univariate false
        @dimensions 12
        @equalLength false
        @classLabel true 1 2 3 4 5 6 7 8 9
        @data

        """ + rows.joined(separator: "\n") + "\n"
    }

    /// One example of `channels` channels of `length` values: channel c's step t is c + t/10.
    static func example(channels: Int, length: Int, label: String?) -> String {
        (0..<channels).map { c in (0..<length).map { t in "\(Double(c) + Double(t) / 10)" }.joined(separator: ",") }
            .joined(separator: ":") + (label.map { ":\($0)" } ?? "")
    }

    /// The header of BasicMotions_TRAIN.ts (6 channels of 100 values), above `rows`.
    static func motions(_ rows: [String]) -> String {
        """
        #The data was generated as part of a student project where four students performed four activities whilst wearing a smart watch.
        @problemName BasicMotions
        @timeStamps false
        @missing false
        @univariate false
        @dimensions 6
        @equalLength true
        @seriesLength 100
        @classLabel true Standing Running Walking Badminton
        @data

        """ + rows.joined(separator: "\n") + "\n"
    }

    func message(_ body: () throws -> some Any) -> String {
        do { _ = try body() } catch let e as ElmanError { return e.message } catch { return "not an ElmanError: \(error)" }
        return "no error"
    }

    @Test func readsAUnivariateFileAsTheArchiveWritesIt() throws {
        let data = try LabeledSeries.parse(Self.italy, name: "ItalyPowerDemand_TRAIN.ts")
        #expect(data.format == .ts)
        #expect(data.problemName == "ItalyPowerDemand")
        #expect(data.labels == ["1", "2"])
        #expect(data.channels == 1 && data.isEqualLength && data.isLabeled)
        #expect(data.examples.map(\.length) == [24, 24])
        #expect(data.examples.map(\.label) == ["1", "1"])
        #expect(data.examples.map(\.line) == [14, 15])
        #expect(data.examples[0].values.first == -0.71051757 && data.examples[0].values.last == -0.26923494)
        #expect(data.examples[1].channel(0).last == -0.38061813)
        #expect(data.examples[0].values[7] == 0.045966947)
    }

    /// JapaneseVowels: 12 channels; each example's channels share its length, and examples differ.
    @Test func readsAMultivariateFileOfUnequalLengths() throws {
        let text = Self.vowels([Self.example(channels: 12, length: 3, label: "1"), Self.example(channels: 12, length: 7, label: "9")])
        let data = try LabeledSeries.parse(text, name: "JapaneseVowels_TRAIN.ts")
        #expect(data.channels == 12 && !data.isEqualLength && data.lengthRange == 3...7)
        #expect(data.labels == (1...9).map(String.init))
        #expect(data.examples[0].channels == 12)
        #expect(Array(data.examples[0].channel(11)) == (0..<3).map { 11 + Double($0) / 10 })
        #expect(Array(data.examples[1].channel(2)) == (0..<7).map { 2 + Double($0) / 10 })
        #expect(data.examples.map(\.label) == ["1", "9"])
    }

    /// BasicMotions: the labels in the order `@classLabel` declares them, with their case.
    @Test func keepsTheDeclaredLabelOrder() throws {
        let rows = ["Walking", "Standing", "Badminton"].map { Self.example(channels: 6, length: 100, label: $0) }
        let data = try LabeledSeries.parse(Self.motions(rows), name: "BasicMotions_TRAIN.ts")
        #expect(data.labels == ["Standing", "Running", "Walking", "Badminton"])
        #expect(data.examples.map(\.label) == ["Walking", "Standing", "Badminton"])
        #expect(data.channels == 6 && data.lengthRange == 100...100)
        #expect(data.examples[2].channel(5).last == 5 + 9.9)
    }

    /// Lower-case keys (Covid3Month writes them so), `@dimension`, quotes, `%` comments (UnitTest), a byte-order
    /// mark, CRLF, blank lines and spaces around values; keys the reader does not know are skipped.
    @Test func acceptsTheVariationsRealFilesHave() throws {
        let text = "\u{FEFF}%# cut down\r\n% more\r\n\r\n@problemname \"Gun Point\"\r\n@timestamps false\r\n@dimension 2\r\n"
            + "@SomethingNew 3\r\n@classlabel TRUE 'a b' c\r\n@DATA\r\n\r\n 1, 2 ,3 : 4,5,6 :'a b'\r\n\r\n7,8:9,10:c\r\n"
        let data = try LabeledSeries.parse(text, name: "f.ts")
        #expect(data.problemName == "Gun Point")
        #expect(data.labels == ["a b", "c"])
        #expect(data.examples.map(\.label) == ["a b", "c"])
        #expect(data.examples.map(\.values) == [[1, 2, 3, 4, 5, 6], [7, 8, 9, 10]])
        #expect(data.examples.map(\.line) == [11, 13])
        #expect(data.channels == 2)
        #expect(LabeledSeries.format(of: text) == .ts)
    }

    @Test func readsAnUnlabeledFile() throws {
        let data = try LabeledSeries.parse("@problemName X\n@classLabel false\n@data\n1,2,3\n4,5e-1,-6E2\n", name: "x.ts")
        #expect(!data.isLabeled && data.labels.isEmpty)
        #expect(data.examples.map(\.label) == [nil, nil])
        #expect(data.examples[1].values == [4, 0.5, -600])
        let target = try LabeledSeries.parse("@targetLabel false\n@data\n1,2\n", name: "x.ts")
        #expect(!target.isLabeled && target.examples.count == 1)
    }

    /// Each refusal names the file, the line and what was expected.
    @Test func headerErrorsNameTheLine() {
        let h = "@problemName P\n@timeStamps false\n"
        let cases: [(String, String)] = [
            (h + "@timeStamps true\n@classLabel true a\n@data\n1:a\n",
             "f.ts:3: @timeStamps true: timestamped values (t,v) are not supported; expected @timeStamps false"),
            // Tecator_TRAIN.ts's header: regression.
            ("@problemName TECATOR\n@timeStamps false\n@missing false\n@univariate true\n@equalLength true\n@targetLabel true\n@data\n1,2:22.5\n",
             "f.ts:6: @targetLabel true: a regression file (a number per example) is not supported; expected a classification file with @classLabel true LABEL…"),
            (h + "@classLabel true\n@data\n", "f.ts:3: @classLabel true without labels; expected @classLabel true LABEL…"),
            (h + "@classLabel maybe a\n@data\n", "f.ts:3: @classLabel maybe a; expected @classLabel true LABEL… or @classLabel false"),
            (h + "@classLabel true a b a\n@data\n", "f.ts:3: @classLabel lists 'a' twice; expected each label once"),
            (h + "@equalLength yes\n", "f.ts:3: @equalLength yes; expected @equalLength true or @equalLength false"),
            (h + "@dimensions two\n", "f.ts:3: @dimensions two; expected @dimensions and a whole number ≥ 1"),
            (h + "@seriesLength 0\n", "f.ts:3: @seriesLength 0; expected @seriesLength and a whole number ≥ 1"),
            (h + "@data\n1,2\n", "f.ts:3: @data before @classLabel; expected '@classLabel true LABEL…' or '@classLabel false' in the header"),
            (h + "@classLabel true a\n@data 5\n", "f.ts:4: '@data 5'; expected @data alone on its line"),
            (h + "@classLabel true a\n", "f.ts: no @data line; expected a header ending with @data, then one example per line"),
            (h + "@classLabel true a\n@data\n\n# nothing\n", "f.ts: no examples after @data; expected one line per example"),
            ("", "f.ts: no @data line; expected a header ending with @data, then one example per line"),
        ]
        for (text, expected) in cases { #expect(message { try LabeledSeries.parse(ts: text, name: "f.ts") } == expected) }
    }

    @Test func dataErrorsNameTheLineAndChannel() {
        let vowels = Self.vowels([Self.example(channels: 12, length: 3, label: "1"), "LINE"])  // the second example is line 12
        func v(_ line: String) -> String { message { try LabeledSeries.parse(vowels.replacingOccurrences(of: "LINE", with: line), name: "JV.ts") } }
        let twelve = Self.example(channels: 12, length: 2, label: nil)
        #expect(v(twelve + ":10") == "JV.ts:12: the label '10' is not in @classLabel (1, 2, 3, 4, 5, 6, 7, 8, 9)")
        #expect(v(twelve + ":") == "JV.ts:12: no label after the last ':'; expected one of 1, 2, 3, 4, 5, 6, 7, 8, 9")
        #expect(v("1,2,3") == "JV.ts:12: no ':' before a label; expected CHANNEL:…:LABEL with LABEL one of 1, 2, 3, 4, 5, 6, 7, 8, 9")
        #expect(v(Self.example(channels: 11, length: 2, label: "3")) == "JV.ts:12: 11 channels; expected 12 (@dimensions 12)")
        let shortChannel = twelve.replacingOccurrences(of: "7.0,7.1", with: "7.0") + ":2"
        #expect(v(shortChannel) == "JV.ts:12: channel 8 has 1 value; expected 2 as channel 1 has (the channels of one example share its length)")
        let missing = twelve.replacingOccurrences(of: "4.0,4.1", with: "4.0,?") + ":2"
        #expect(v(missing) == "JV.ts:12: channel 5, value 2 is missing ('?'); expected a number (missing values are not supported)")
        let nan = twelve.replacingOccurrences(of: "0.0,0.1", with: "NaN,0.1") + ":2"
        #expect(v(nan) == "JV.ts:12: channel 1, value 1 is missing ('NaN'); expected a number (missing values are not supported)")
        let word = twelve.replacingOccurrences(of: "3.0,3.1", with: "3.0,3.1x") + ":2"
        #expect(v(word) == "JV.ts:12: channel 4, value 2 is '3.1x'; expected a finite decimal number")
        let infinite = twelve.replacingOccurrences(of: "3.0,3.1", with: "3.0,1e999") + ":2"
        #expect(v(infinite) == "JV.ts:12: channel 4, value 2 is '1e999'; expected a finite decimal number")
        let empty = twelve.replacingOccurrences(of: "3.0,3.1", with: "3.0,,3.1") + ":2"
        #expect(v(empty) == "JV.ts:12: channel 4, value 2 is empty; expected a number between the commas")
        let emptyChannel = twelve.replacingOccurrences(of: "3.0,3.1", with: "") + ":2"
        #expect(v(emptyChannel) == "JV.ts:12: channel 4 is empty; expected values separated by ','")
        let stamped = "(1,0.5),(2,0.6)" + twelve.drop { $0 != ":" } + ":2"
        #expect(v(stamped) == "JV.ts:12: channel 1 starts with '('; timestamped values (t,v) are not supported (expected @timeStamps false)")

        // BasicMotions declares 100 values per channel.
        let motions = Self.motions([Self.example(channels: 6, length: 99, label: "Running")])
        #expect(message { try LabeledSeries.parse(motions, name: "BM.ts") } == "BM.ts:11: 99 values per channel; expected 100 (@seriesLength 100)")
        // Without @dimensions or @seriesLength, the first example sets them.
        let bare = "@classLabel true a\n@equalLength true\n@data\n1,2:3,4:a\n1,2:a\n1,2,3:4,5,6:a\n"
        #expect(message { try LabeledSeries.parse(bare, name: "b.ts") } == "b.ts:5: 1 channel; expected 2 as on line 4")
        let lengths = "@classLabel true a\n@equalLength true\n@data\n1,2:3,4:a\n1,2,3:4,5,6:a\n"
        #expect(message { try LabeledSeries.parse(lengths, name: "b.ts") } == "b.ts:5: 3 values per channel; expected 2 as on line 4 (@equalLength true)")
        let univariate = "@univariate true\n@classLabel true a\n@data\n1,2:3,4:a\n"
        #expect(message { try LabeledSeries.parse(univariate, name: "u.ts") } == "u.ts:4: 2 channels; expected 1 (@univariate true)")
    }

    /// The 2018 form: trailing NaN pads a shorter series; a NaN before the last value is refused.
    @Test func readsTheTabSeparatedFormAndStripsItsPadding() throws {
        let text = "1\t-0.5\t0.25\t1e-2\tNaN\tNaN\n2\t3\t4\t5\t6\t7\n\n10\t1\t2\tNaN\tNaN\tNaN\n-1\t0\t0\t0\t0\t0\n"
        let data = try LabeledSeries.parse(text, name: "X_TRAIN.tsv")
        #expect(data.format == .tsv && data.problemName == nil && data.channels == 1)
        #expect(data.examples.map(\.values) == [[-0.5, 0.25, 0.01], [3, 4, 5, 6, 7], [1, 2], [0, 0, 0, 0, 0]])
        #expect(data.examples.map(\.line) == [1, 2, 4, 5])
        #expect(data.labels == ["-1", "1", "2", "10"])  // numeric order
        #expect(!data.isEqualLength && data.lengthRange == 2...5)
        let commas = try LabeledSeries.parse(tsv: "b,1,2,3\na,4,5,NaN\n", name: "old.csv")
        #expect(commas.labels == ["a", "b"] && commas.examples.map(\.values) == [[1, 2, 3], [4, 5]])
        let cases: [(String, String)] = [
            ("1\t2\t3\n1\t2\tNaN\t4\n", "f.tsv:2: column 3 is 'NaN' before the last value; expected a number (NaN may only pad the end of a shorter series)"),
            ("1\t2\t\t4\n", "f.tsv:1: column 3 is empty before the last value; expected a number (NaN may only pad the end of a shorter series)"),
            ("1\t2\t3\n1\t2\tx\n", "f.tsv:2: column 3 is 'x'; expected a finite decimal number"),
            ("1\t2\t3\n7\n", "f.tsv:2: no tab; expected LABEL<TAB>VALUE<TAB>VALUE…"),
            ("1,2\n7\n", "f.tsv:2: no comma; expected LABEL,VALUE,VALUE…"),
            ("\t2\t3\n", "f.tsv:1: column 1 (the label) is empty; expected LABEL<TAB>VALUE<TAB>VALUE…"),
            ("1\tNaN\tNaN\n", "f.tsv:1: no values after the label (only NaN padding); expected LABEL<TAB>VALUE<TAB>VALUE…"),
            ("\n \n", "f.tsv: no examples; expected lines LABEL<TAB>VALUE<TAB>VALUE…"),
        ]
        for (text, expected) in cases { #expect(message { try LabeledSeries.parse(tsv: text, name: "f.tsv") } == expected) }
    }

    /// Numbers after a label, or Elman's text lines `LABEL<TAB>SEQUENCE`.
    @Test func sniffingTellsNumbersFromText() {
        #expect(LabeledSeries.looksNumeric("1\t-0.5\t0.25\tNaN\n2\t3\t4\t5\n"))
        #expect(LabeledSeries.looksNumeric("1,-0.5,0.25\n2,3,4\n"))
        #expect(LabeledSeries.looksNumeric(Self.italy))
        #expect(!LabeledSeries.looksNumeric(LabeledSequences.parity(count: 20, maxLength: 8, seed: 1)))  // even<TAB>0110
        #expect(!LabeledSeries.looksNumeric("pos\tgood film\nneg\tbad film\n"))
        #expect(!LabeledSeries.looksNumeric("pos\t1 2 3\nneg\t4 5 6\n"))
        #expect(!LabeledSeries.looksNumeric("1\t2\t3\nneg\tbad\tfilm\n"))
        #expect(!LabeledSeries.looksNumeric(""))
        #expect(LabeledSeries.format(of: "1\t2\t3\n") == .tsv)
    }

    /// The fast path for short decimals agrees with the standard library's correctly rounded reading.
    @Test func decimalsReadAsSwiftReadsThem() {
        var g = SeededGenerator(seed: 7)
        var parser = DecimalParser()
        for _ in 0..<20_000 {
            let digits = (0..<(1 + Int(g.next() % 18))).map { _ in String(g.next() % 10) }.joined()
            let point = Int(g.next() % UInt64(digits.count + 1))
            var text = String(digits.prefix(point)) + "." + String(digits.dropFirst(point))
            if g.next() % 2 == 0 { text = "-" + text }
            if g.next() % 5 == 0 { text += "e\(Int(g.next() % 40) - 20)" }
            let bytes = Array(text.utf8)
            #expect(parser.parse(bytes, 0..<bytes.count) == Double(text), "\(text)")
        }
        for bad in ["", "-", ".", "1e", "0x10", "inf", "nan", "1 2", "+-1", "1..2", "1e5.5"] {
            let bytes = Array(bad.utf8)
            #expect(parser.parse(bytes, 0..<bytes.count) == nil, "\(bad)")
        }
    }

    /// Random bytes and random edits of a valid file: a parse or an ElmanError naming the file, never a trap.
    @Test func noInputCrashesTheReader() {
        var g = SeededGenerator(seed: 22)
        let pieces = [":", ",", "?", "NaN", "\n", "\r", "\t", "1", "-", ".", "e", "(", "\"", "#", "@data\n", "@classLabel true 1 2\n",
                      "@dimensions 0\n", "@seriesLength 3\n", "@equalLength true\n", "\u{FEFF}", "é", " "]
        let seeds = [Self.italy, Self.vowels([Self.example(channels: 12, length: 2, label: "3")]), "1\t2\t3\n2\t4\tNaN\n"]
        for round in 0..<600 {
            var bytes: [UInt8]
            if round % 3 == 0 {
                bytes = (0..<Int(g.next() % 300)).map { _ in UInt8(truncatingIfNeeded: g.next()) }
            } else {
                bytes = Array(seeds[Int(g.next() % UInt64(seeds.count))].utf8)
                for _ in 0..<(1 + Int(g.next() % 6)) where !bytes.isEmpty {
                    let at = Int(g.next() % UInt64(bytes.count))
                    let piece = Array(pieces[Int(g.next() % UInt64(pieces.count))].utf8)
                    if g.next() % 2 == 0 { bytes.replaceSubrange(at..<min(bytes.count, at + piece.count), with: piece) } else { bytes.insert(contentsOf: piece, at: at) }
                }
            }
            for format in [LabeledSeries.Format.ts, .tsv, nil] {
                do {
                    let data = try LabeledSeries.parse(bytes: bytes, name: "fuzz", format: format)
                    #expect(data.examples.allSatisfy { $0.channels == data.channels && $0.values.count == $0.length * data.channels })
                } catch let e as ElmanError {
                    #expect(e.message.hasPrefix("fuzz") && !e.message.contains("\n"))
                } catch {
                    Issue.record("not an ElmanError: \(error)")
                }
            }
            _ = LabeledSeries.looksNumeric(String(decoding: bytes, as: UTF8.self))
        }
    }

    @Test func aMissingFileIsAnErrorNamingIt() {
        #expect(message { try LabeledSeries.read("/nonexistent/X_TRAIN.ts") }.contains("/nonexistent/X_TRAIN.ts"))
    }
}

/// The archive's files that sktime ships (`sktime/datasets/data`), read when `ELMAN_UCR_DATA` names that folder.
/// Only the files are needed, not sktime's dependencies: `python3 -m venv V && V/bin/pip install --no-deps sktime==1.2.0`,
/// then `ELMAN_UCR_DATA=$(V/bin/python -c "import importlib.util as u; print(u.find_spec('sktime').submodule_search_locations[0])")/datasets/data`.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["ELMAN_UCR_DATA"] != nil, "ELMAN_UCR_DATA is not set"))
struct TimeSeriesArchiveFileTests {
    static var folder: String { ProcessInfo.processInfo.environment["ELMAN_UCR_DATA"] ?? "" }

    /// What sktime 1.2.0's `load_from_tsfile` (pandas' `read_csv` for the `.tsv`) reads from each file. sktime
    /// lowercases the labels; the counts below are keyed by the lowercased label.
    struct Expected: Sendable {
        var path: String, format: String, examples: Int, channels: Int, lengths: ClosedRange<Int>
        var labelCounts: [String: Int], sumOfAbs: Double, sumOfSquares: Double, first: Double, last: Double
        init(_ path: String, _ format: String, examples: Int, channels: Int, lengths: ClosedRange<Int>, labelCounts: [String: Int],
             sumOfAbs: Double, sumOfSquares: Double, first: Double, last: Double) {
            (self.path, self.format, self.examples, self.channels, self.lengths) = (path, format, examples, channels, lengths)
            (self.labelCounts, self.sumOfAbs, self.sumOfSquares, self.first, self.last) = (labelCounts, sumOfAbs, sumOfSquares, first, last)
        }
    }

    static let expected: [Expected] = [
        .init("ArrowHead/ArrowHead_TRAIN.ts", "ts", examples: 36, channels: 1, lengths: 251...251, labelCounts: ["0": 12, "1": 12, "2": 12], sumOfAbs: 7817.54043719107, sumOfSquares: 9000.000005254691, first: -1.9630089, last: -1.80105),
        .init("ArrowHead/ArrowHead_TEST.ts", "ts", examples: 175, channels: 1, lengths: 251...251, labelCounts: ["0": 69, "1": 53, "2": 53], sumOfAbs: 38418.51280048211, sumOfSquares: 43750.00001218259, first: -1.9077772, last: -1.6207831),
        .init("BasicMotions/BasicMotions_TRAIN.ts", "ts", examples: 40, channels: 6, lengths: 100...100, labelCounts: ["badminton": 10, "running": 10, "standing": 10, "walking": 10], sumOfAbs: 61841.765629, sumOfSquares: 552681.4557393101, first: 0.079106, last: 0.428803),
        .init("BasicMotions/BasicMotions_TEST.ts", "ts", examples: 40, channels: 6, lengths: 100...100, labelCounts: ["badminton": 10, "running": 10, "standing": 10, "walking": 10], sumOfAbs: 58233.253597, sumOfSquares: 492377.49465805717, first: -0.740653, last: -1.77647),
        .init("JapaneseVowels/JapaneseVowels_TRAIN.ts", "ts", examples: 270, channels: 12, lengths: 7...26, labelCounts: ["1": 30, "2": 30, "3": 30, "4": 30, "5": 30, "6": 30, "7": 30, "8": 30, "9": 30], sumOfAbs: 15497.426957, sumOfSquares: 9465.77964274105, first: 1.860936, last: 0.173642),
        .init("JapaneseVowels/JapaneseVowels_TEST.ts", "ts", examples: 370, channels: 12, lengths: 7...29, labelCounts: ["1": 31, "2": 35, "3": 88, "4": 44, "5": 29, "6": 24, "7": 40, "8": 50, "9": 29], sumOfAbs: 19892.291674, sumOfSquares: 11368.212121590472, first: 1.635533, last: 0.224688),
        .init("PLAID/PLAID_TRAIN.ts", "ts", examples: 537, channels: 1, lengths: 100...1344, labelCounts: ["0": 33, "1": 88, "10": 13, "2": 57, "3": 19, "4": 78, "5": 18, "6": 57, "7": 86, "8": 69, "9": 19], sumOfAbs: 1817918.477808661, sumOfSquares: 197558771.540924, first: 0.17339, last: 34.116),
        .init("PLAID/PLAID_TEST.ts", "ts", examples: 537, channels: 1, lengths: 134...1000, labelCounts: ["0": 33, "1": 87, "10": 13, "2": 58, "3": 19, "4": 78, "5": 17, "6": 57, "7": 86, "8": 70, "9": 19], sumOfAbs: 1758425.2729407512, sumOfSquares: 172603125.56692415, first: -0.021696, last: 0.4609),
        .init("ACSF1/ACSF1_TRAIN.ts", "ts", examples: 100, channels: 1, lengths: 1460...1460, labelCounts: ["0": 10, "1": 10, "2": 10, "3": 10, "4": 10, "5": 10, "6": 10, "7": 10, "8": 10, "9": 10], sumOfAbs: 123252.97361832472, sumOfSquares: 145999.9999642964, first: -0.58475375, last: -0.66068454),
        .init("ACSF1/ACSF1_TEST.ts", "ts", examples: 100, channels: 1, lengths: 1460...1460, labelCounts: ["0": 10, "1": 10, "2": 10, "3": 10, "4": 10, "5": 10, "6": 10, "7": 10, "8": 10, "9": 10], sumOfAbs: 122436.02551986859, sumOfSquares: 145999.99997282473, first: -0.57796699, last: -0.64664617),
        .init("GunPoint/GunPoint_TRAIN.ts", "ts", examples: 50, channels: 1, lengths: 150...150, labelCounts: ["1": 24, "2": 26], sumOfAbs: 6842.7954728665, sumOfSquares: 7450.000001077004, first: -0.6478854, last: -1.4308845),
        .init("GunPoint/GunPoint_TEST.ts", "ts", examples: 150, channels: 1, lengths: 150...150, labelCounts: ["1": 76, "2": 74], sumOfAbs: 20280.33621200175, sumOfSquares: 22349.999999638872, first: -1.1250133, last: -1.222043),
        .init("ItalyPowerDemand/ItalyPowerDemand_TRAIN.ts", "ts", examples: 67, channels: 1, lengths: 24...24, labelCounts: ["1": 34, "2": 33], sumOfAbs: 1348.5150007718, sumOfSquares: 1541.0000013066335, first: -0.71051757, last: 1.1719652),
        .init("ItalyPowerDemand/ItalyPowerDemand_TEST.ts", "ts", examples: 1029, channels: 1, lengths: 24...24, labelCounts: ["1": 513, "2": 516], sumOfAbs: 20790.6642724661, sumOfSquares: 23666.999991184028, first: 0.47297301, last: -0.0025421181),
        .init("OSULeaf/OSULeaf_TRAIN.ts", "ts", examples: 200, channels: 1, lengths: 427...427, labelCounts: ["1": 34, "2": 29, "3": 33, "4": 53, "5": 36, "6": 15], sumOfAbs: 69110.23411769193, sumOfSquares: 85199.99999575964, first: 0.55067091, last: 2.9071083),
        .init("OSULeaf/OSULeaf_TEST.ts", "ts", examples: 242, channels: 1, lengths: 427...427, labelCounts: ["1": 32, "2": 55, "3": 42, "4": 44, "5": 46, "6": 23], sumOfAbs: 83704.0284688962, sumOfSquares: 103091.99996826878, first: 1.3045772, last: 2.0671124),
        .init("UnitTest/UnitTest_TRAIN.ts", "ts", examples: 20, channels: 1, lengths: 24...24, labelCounts: ["1": 10, "2": 10], sumOfAbs: 305436.0, sumOfSquares: 330474264.0, first: 573.0, last: 150.0),
        .init("UnitTest/UnitTest_TEST.ts", "ts", examples: 22, channels: 1, lengths: 24...24, labelCounts: ["1": 12, "2": 10], sumOfAbs: 347122.0, sumOfSquares: 377070332.0, first: 501.0, last: 224.0),
        .init("ArrowHead/ArrowHead_TRAIN.tsv", "tsv", examples: 36, channels: 1, lengths: 251...251, labelCounts: ["0": 12, "1": 12, "2": 12], sumOfAbs: 7817.54043719107, sumOfSquares: 9000.000005254691, first: -1.9630089, last: -1.80105)
    ]

    @Test(arguments: expected) func readsAsSktimeDoes(_ e: Expected) throws {
        let data = try LabeledSeries.read("\(Self.folder)/\(e.path)")
        #expect(data.format.rawValue == e.format)
        #expect(data.examples.count == e.examples)
        #expect(data.channels == e.channels)
        #expect(data.lengthRange == e.lengths)
        #expect(data.isEqualLength == (e.lengths.count == 1))
        let counts = Dictionary(grouping: data.examples, by: { ($0.label ?? "").lowercased() }).mapValues(\.count)
        #expect(counts == e.labelCounts)
        #expect(Set(data.labels.map { $0.lowercased() }) == Set(e.labelCounts.keys))
        let all = data.examples.flatMap(\.values)
        #expect(abs(all.reduce(0) { $0 + abs($1) } - e.sumOfAbs) <= 1e-9 * e.sumOfAbs)
        #expect(abs(all.reduce(0) { $0 + $1 * $1 } - e.sumOfSquares) <= 1e-9 * e.sumOfSquares)
        #expect(data.examples.first?.values.first == e.first)
        #expect(data.examples.last?.values.last == e.last)
    }

    @Test func basicMotionsDeclaresItsLabelsInThisOrder() throws {
        let data = try LabeledSeries.read("\(Self.folder)/BasicMotions/BasicMotions_TRAIN.ts")
        #expect(data.problemName == "BasicMotions")
        #expect(data.labels == ["Standing", "Running", "Walking", "Badminton"])
    }

    /// The same examples in both of the archive's forms.
    @Test func arrowHeadReadsTheSameFromTsAndTsv() throws {
        let ts = try LabeledSeries.read("\(Self.folder)/ArrowHead/ArrowHead_TRAIN.ts")
        let tsv = try LabeledSeries.read("\(Self.folder)/ArrowHead/ArrowHead_TRAIN.tsv")
        #expect(ts.examples.map(\.values) == tsv.examples.map(\.values))
        #expect(ts.examples.map(\.label) == tsv.examples.map(\.label))
        #expect(LabeledSeries.looksNumeric(try TextFile.read("\(Self.folder)/ArrowHead/ArrowHead_TRAIN.tsv")))
    }

    /// Regression files are refused by name.
    @Test(arguments: ["Tecator/Tecator_TRAIN.ts", "Covid3Month/Covid3Month_TRAIN.ts"]) func regressionFilesAreRefused(_ path: String) {
        do {
            _ = try LabeledSeries.read("\(Self.folder)/\(path)")
            Issue.record("\(path) was read")
        } catch {
            #expect("\(error)".contains("@targetLabel true: a regression file"))
        }
    }

    /// A short run on ItalyPowerDemand's training file, scored on its test file (1,029 series): far above chance
    /// (50%). The archive's published 1-NN DTW accuracy is 95.0%; the README's benchmark runs Elman's defaults.
    @Test func aShortRunClassifiesItalyPowerDemandsTestSeries() throws {
        let train = try LabeledSeries.read("\(Self.folder)/ItalyPowerDemand/ItalyPowerDemand_TRAIN.ts")
        let test = try LabeledSeries.read("\(Self.folder)/ItalyPowerDemand/ItalyPowerDemand_TEST.ts")
        var options = TrainingOptions()
        options.hidden = 16
        options.steps = 150
        options.lr = 0.01
        options.bidirectional = true
        let trainer = try Trainer(options: options, task: try SeriesClassificationTask(train: train, validation: nil))
        for _ in 0..<options.steps { _ = try trainer.trainStep() }
        let task = trainer.task
        let examples = try SeriesClassificationTask.encode(test, name: "test", labels: task.labels, input: task.input)
        let score = try SeriesClassificationTask.score(trainer.params, examples)
        #expect(score.items == 1029)
        #expect(score.accuracy ?? 0 > 0.85, "test accuracy \(score.accuracy ?? 0)")
    }
}
