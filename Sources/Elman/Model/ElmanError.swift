/// A user-facing error: one line that names the file or value at fault and what was expected.
public struct ElmanError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
