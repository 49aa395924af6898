import HTTPTransport

/// Why a call to a remote Sandcastle server failed, said so that a person knows what to do:
/// the server's own code and message when it answered, the URL and a hint when it could not be
/// reached. Never carries the API key (the key travels only in a request header).
public struct RemoteAPIError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure; extensible without breaking `switch`es that use `default`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }

        /// The server answered with an error status (``RemoteAPIError/status``, ``RemoteAPIError/serverCode``).
        public static let server = Code("server")
        /// No connection: nothing listens there, DNS failed, TLS failed, or it timed out.
        public static let unreachable = Code("unreachable")
        /// The URL is not an `http://` or `https://` URL.
        public static let invalidURL = Code("invalid_url")
        /// The server answered something that is not Sandcastle's envelope.
        public static let invalidAnswer = Code("invalid_answer")
        /// What the caller asked for cannot be sent (a bad argument caught before the request).
        public static let invalidRequest = Code("invalid_request")

        public var description: String { rawValue }
    }

    public let code: Code
    /// A sentence naming the server and what went wrong.
    public let message: String
    /// The HTTP status of an answered request.
    public let status: Int?
    /// The server's error code (`NOT_FOUND`, `UNAUTHORIZED`, `INVALID_CRON`, …) when it gave one.
    public let serverCode: String?
    /// The server's own message, as it gave it.
    public let serverMessage: String?
    /// The server's `details`, when it gave any (an invalid cron's `field`, a workflow's problems).
    public let details: JSONDetails?

    /// `details` as received, kept as text so the error stays a plain value.
    public struct JSONDetails: Sendable, Hashable {
        public let json: String
    }

    public init(
        _ code: Code, _ message: String, status: Int? = nil, serverCode: String? = nil, serverMessage: String? = nil,
        details: JSONDetails? = nil
    ) {
        self.code = code
        self.message = message
        self.status = status
        self.serverCode = serverCode
        self.serverMessage = serverMessage
        self.details = details
    }

    public var description: String { message }

    /// A transport failure as a person reads it, naming the server's URL.
    static func unreachable(_ server: RemoteServer, _ error: HTTPTransportError) -> RemoteAPIError {
        let hint: String
        switch error.code {
        case .connectFailed:
            hint = "is a server running there? Start one with `sandcastle serve`, or point --url / SANDCASTLE_URL at one"
        case .timeout:
            hint = "it did not answer in time"
        case .tls:
            hint = "the TLS handshake failed"
        default:
            hint = "the connection failed"
        }
        return RemoteAPIError(.unreachable, "cannot reach a Sandcastle server at \(server.url): \(error.message); \(hint)")
    }
}
