/// A user-facing error: one line that names the file or value at fault and what was expected.
public struct ElmanError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The one-line message.
    public let message: String
    /// The ``TrainingOptions`` properties the message names (as written in it), so that a front end can say them
    /// its own way (the command line names its flags).
    public let parameters: [String]

    /// An error with its message and the option properties it names.
    public init(_ message: String, parameters: [String] = []) {
        self.message = message
        self.parameters = parameters
    }

    public var description: String { message }
}
