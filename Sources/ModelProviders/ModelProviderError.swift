/// Why a model call failed, with what the caller needs to decide to retry, fail over or stop.
public struct ModelProviderError: Error, Sendable, CustomStringConvertible {
    /// An open set of failure kinds, so new ones do not break callers' switches.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// 401: the key is missing or wrong. The message names the variable to set.
        public static let authentication = Code(rawValue: "authentication")
        /// 403: the key may not use this model or endpoint.
        public static let permissionDenied = Code(rawValue: "permission_denied")
        /// 429.
        public static let rateLimited = Code(rawValue: "rate_limited")
        /// 529, or an `overloaded_error` event mid-stream.
        public static let overloaded = Code(rawValue: "overloaded")
        /// 5xx other than 529.
        public static let serverError = Code(rawValue: "server_error")
        /// 400/404/413/422: the request itself is wrong; retrying cannot help.
        public static let invalidRequest = Code(rawValue: "invalid_request")
        /// The prompt no longer fits the model's context window.
        public static let contextWindowExceeded = Code(rawValue: "context_window_exceeded")
        /// The answer was not the protocol: bad JSON, missing fields, unknown events.
        public static let malformedResponse = Code(rawValue: "malformed_response")
        /// The stream ended before the message did (connection cut, no `message_stop`/`[DONE]`).
        public static let streamInterrupted = Code(rawValue: "stream_interrupted")
        /// Could not connect, TLS failed, timed out.
        public static let transport = Code(rawValue: "transport")
        /// No provider is configured for this model (no key, no base URL).
        public static let notConfigured = Code(rawValue: "not_configured")
        /// The circuit breaker for this provider is open.
        public static let circuitOpen = Code(rawValue: "circuit_open")
    }

    public var code: Code
    /// The provider the call went to.
    public var provider: String
    /// The HTTP status, when there was one.
    public var status: Int?
    /// How long the provider asked us to wait (`retry-after-ms`, `retry-after`).
    public var retryAfter: Duration?
    /// The provider's own error type (`overloaded_error`, `rate_limit_error`), when given.
    public var providerErrorType: String?
    /// What happened, for people; never contains a key.
    public var message: String

    public init(
        _ code: Code, provider: String, status: Int? = nil, retryAfter: Duration? = nil,
        providerErrorType: String? = nil, message: String
    ) {
        self.code = code
        self.provider = provider
        self.status = status
        self.retryAfter = retryAfter
        self.providerErrorType = providerErrorType
        self.message = message
    }

    /// Whether the same call may succeed later: rate limits, overload, server errors, cut
    /// streams and transport failures. Authentication and bad requests never do.
    public var isRetryable: Bool {
        [.rateLimited, .overloaded, .serverError, .streamInterrupted, .transport].contains(code)
    }

    public var description: String {
        var text = "\(provider): \(message)"
        if let status { text += " (HTTP \(status))" }
        return text
    }
}
