import RunnerProtocol

/// An error talking to a runner.
///
/// `code` is extensible (a struct, not an enum) so callers can match the codes they
/// care about without breaking when new ones appear.
public struct RunnerClientError: Error, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The runner reported a failure; ``RunnerClientError/failure`` has its code and errno.
        public static let operationFailed = Code(rawValue: "operationFailed")
        /// The channel to the runner closed or broke (runner crashed, container killed, engine gone).
        public static let channelClosed = Code(rawValue: "channelClosed")
        /// The runner sent bytes that are not valid frames, or an unexpected message.
        public static let protocolViolation = Code(rawValue: "protocolViolation")
        /// The runner did not become ready in time.
        public static let timeout = Code(rawValue: "timeout")
        /// The runner speaks a protocol version this host does not.
        public static let unsupportedVersion = Code(rawValue: "unsupportedVersion")
        public static let cancelled = Code(rawValue: "cancelled")

        public var description: String { rawValue }
    }

    public var code: Code
    public var message: String
    /// What the runner said, for ``Code/operationFailed``.
    public var failure: RunnerFailure?
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, failure: RunnerFailure? = nil, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.failure = failure
        self.cause = cause
    }

    static func operationFailed(_ failure: RunnerFailure) -> RunnerClientError {
        RunnerClientError(.operationFailed, failure.message.isEmpty ? failure.code.description : failure.message, failure: failure)
    }

    public var description: String {
        if let cause { return "\(message) (\(cause))" }
        return message
    }
}
