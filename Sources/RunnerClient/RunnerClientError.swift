import RunnerProtocol

/// An error talking to a runner.
public struct RunnerClientError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure; extensible without breaking `switch`es that use `default`.
    ///
    /// Only this file mints codes (the wrapped enum is private); `description` is the snake_case code.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable, Hashable {
            case operationFailed = "operation_failed"
            case channelClosed = "channel_closed"
            case protocolViolation = "protocol_violation"
            case timeout
            case unsupportedVersion = "unsupported_version"
            case cancelled
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The runner reported a failure; ``RunnerClientError/failure`` has its code and errno.
        public static let operationFailed = Code(.operationFailed)
        /// The channel to the runner closed or broke (runner crashed, container killed, engine gone).
        public static let channelClosed = Code(.channelClosed)
        /// The runner sent bytes that are not valid frames, or an unexpected message.
        public static let protocolViolation = Code(.protocolViolation)
        /// The runner did not become ready in time.
        public static let timeout = Code(.timeout)
        /// The runner speaks a protocol version this host does not.
        public static let unsupportedVersion = Code(.unsupportedVersion)
        /// The calling task was cancelled.
        public static let cancelled = Code(.cancelled)

        /// The snake_case code, e.g. `channel_closed`.
        public var description: String { value.rawValue }
    }

    public let code: Code
    public let message: String
    /// What the runner said, for ``Code/operationFailed``.
    public let failure: RunnerFailure?
    public let cause: (any Error)?

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
