/// Reading training text.
public enum TextFile {
    /// The UTF-8 text of `path`; errors name the file and, for bad UTF-8, the byte offset.
    public static func read(_ path: String) throws -> String {
        let bytes = try FileIO.read(path)
        guard !bytes.isEmpty else { throw ElmanError("'\(path)' is empty; expected text") }
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        var scalars = String.UnicodeScalarView()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let s):
                scalars.append(s)
                offset += String(s).utf8.count
            case .emptyInput:
                return String(scalars)
            case .error:
                throw ElmanError("'\(path)' is not valid UTF-8 (first bad byte near offset \(offset)); "
                    + "expected UTF-8 text")
            }
        }
    }
}
