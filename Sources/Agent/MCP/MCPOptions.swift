/// Limits of the MCP client: how long it waits and how much it accepts from a server.
public struct MCPOptions: Sendable, Hashable {
    /// Starting a server and its `initialize` handshake (a stdio server's interpreter may take a
    /// while to import its SDK).
    public var startTimeout: Duration
    /// `tools/list` and the other short requests.
    public var requestTimeout: Duration
    /// One `tools/call`.
    public var toolCallTimeout: Duration
    /// The largest message accepted (one stdout line, one HTTP body or SSE event); a larger
    /// answer fails its request with `message_too_large` and is never held whole.
    public var maxMessageBytes: Int
    /// The most of a server's stderr kept for error messages (its last bytes).
    public var stderrExcerptBytes: Int
    /// The most tools taken from one server (a `tools/list` that pages on forever stops here).
    public var maxTools: Int
    /// Where a stdio server starts inside the sandbox.
    public var workingDirectory: String

    /// The protocol version offered in `initialize`; the server's answer is accepted as it is.
    public static let protocolVersion = "2025-06-18"

    public init(
        startTimeout: Duration = .seconds(60), requestTimeout: Duration = .seconds(60), toolCallTimeout: Duration = .seconds(300),
        maxMessageBytes: Int = 16 << 20, stderrExcerptBytes: Int = 4096, maxTools: Int = 500,
        workingDirectory: String = AgentConfiguration.defaultWorkingDirectory
    ) {
        self.startTimeout = startTimeout
        self.requestTimeout = requestTimeout
        self.toolCallTimeout = toolCallTimeout
        self.maxMessageBytes = maxMessageBytes
        self.stderrExcerptBytes = stderrExcerptBytes
        self.maxTools = maxTools
        self.workingDirectory = workingDirectory
    }
}
