/// Why an MCP server could not be started, answered or reached, with a message a person can act
/// on: the server's name, and what it wrote to stderr when that explains it.
///
/// Never carries a header value or an environment value of the server's configuration.
public struct MCPError: Error, Sendable, CustomStringConvertible {
    /// An open set of failure kinds, so new ones do not break callers' switches.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// `mcp_servers` is malformed: a bad name, both or neither of `command` and `url`, a
        /// `${VAR}` that is not set.
        public static let invalidConfiguration = Code(rawValue: "invalid_configuration")
        /// The server's process could not be started, or it failed the `initialize` handshake.
        public static let startFailed = Code(rawValue: "start_failed")
        /// The server's process ended (or its connection closed) while requests were waiting.
        public static let serverExited = Code(rawValue: "server_exited")
        /// The server answered a request with a JSON-RPC error object.
        public static let serverError = Code(rawValue: "server_error")
        /// No answer within the request's time limit.
        public static let timedOut = Code(rawValue: "timed_out")
        /// The server broke the protocol: an answer that is not JSON-RPC, a result of the wrong shape.
        public static let protocolViolation = Code(rawValue: "protocol_violation")
        /// One message was larger than the client accepts (``MCPOptions/maxMessageBytes``).
        public static let messageTooLarge = Code(rawValue: "message_too_large")
        /// The HTTP server answered with a status other than 2xx, or could not be reached.
        public static let httpFailed = Code(rawValue: "http_failed")
    }

    public var code: Code
    /// The server's name in `mcp_servers`.
    public var server: String
    public var message: String
    /// For a JSON-RPC error object: its `code`.
    public var rpcCode: Int?

    public init(_ code: Code, server: String, _ message: String, rpcCode: Int? = nil) {
        self.code = code
        self.server = server
        self.message = message
        self.rpcCode = rpcCode
    }

    public var description: String { "MCP server \(server.debugDescription): \(message)" }
}
