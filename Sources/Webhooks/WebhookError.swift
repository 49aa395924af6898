/// Why a webhook could not be built or a callback URL was refused.
///
/// The server answers a refused `callback_url` at submission with `INVALID_CALLBACK_URL`
/// (400), as Sandcastle does; ``message`` is the sentence to show ("… resolves to 10.0.0.5, a
/// private address"). Messages never carry a URL's credentials or query: only the host.
public struct WebhookError: Error, Sendable, Hashable, CustomStringConvertible {
    /// An open set of failure kinds, so new ones do not break callers' switches.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The URL is malformed, not http(s), carries credentials, cannot be resolved, or one of
        /// its addresses is one webhooks may not reach. Sandcastle's `INVALID_CALLBACK_URL`.
        public static let invalidCallbackURL = Code(rawValue: "invalid_callback_url")
        /// Even the minimal body (outputs and error dropped) exceeds the size limit.
        public static let payloadTooLarge = Code(rawValue: "payload_too_large")
        /// A setting (`WEBHOOK_SECRET`, `SANDCASTLE_WEBHOOK_ALLOW_PRIVATE_NETWORKS`) has a value it cannot take.
        public static let invalidConfiguration = Code(rawValue: "invalid_configuration")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The error code the API answers with: `INVALID_CALLBACK_URL` for ``Code/invalidCallbackURL``.
    public var apiCode: String { code.rawValue.uppercased() }

    public var description: String { message }
}
