import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A failure below HTTP semantics: the connection, TLS, timeouts, cancellation, framing.
///
/// A response with a 4xx/5xx status is *not* a transport error; ``HTTPClient/send(_:)`` returns it.
/// The one exception is ``HTTPClient/upgrade(_:)``, which throws ``Code-swift.struct/upgradeRejected``
/// carrying the server's ``response`` when it refuses to switch protocols.
public struct HTTPTransportError: Error, Sendable, CustomStringConvertible, LocalizedError {
    /// What kind of failure; extensible without breaking `switch`es that use `default`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable, Hashable {
            case connectFailed = "connect_failed"
            case timeout
            case cancelled
            case tls
            case protocolError = "protocol_error"
            case closed
            case io
            case invalidRequest = "invalid_request"
            case upgradeRejected = "upgrade_rejected"
            case internalError = "internal_error"
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The connection could not be established (missing socket, refused, DNS).
        public static let connectFailed = Code(.connectFailed)
        /// A connect or request timeout expired.
        public static let timeout = Code(.timeout)
        /// The calling task was cancelled or the stream was closed by its consumer.
        public static let cancelled = Code(.cancelled)
        /// TLS handshake or certificate failure.
        public static let tls = Code(.tls)
        /// The peer spoke something that is not valid HTTP.
        public static let protocolError = Code(.protocolError)
        /// The peer closed the connection before the exchange completed, or the stream was closed locally.
        public static let closed = Code(.closed)
        /// A socket or file read/write failed.
        public static let io = Code(.io)
        /// The request itself cannot be sent (bad header, unreadable body file, …).
        public static let invalidRequest = Code(.invalidRequest)
        /// An upgrade request got a response other than 101/200; see ``HTTPTransportError/response``.
        public static let upgradeRejected = Code(.upgradeRejected)
        /// A libcurl failure that fits no other code.
        public static let internalError = Code(.internalError)

        /// The snake_case code, e.g. `connect_failed`.
        public var description: String { value.rawValue }
    }

    public let code: Code
    /// A sentence naming the endpoint and what went wrong.
    public let message: String
    /// The libcurl `CURLcode`, when libcurl reported the failure.
    public let curlCode: Int?
    /// The underlying error (e.g. a `POSIXError` or `CancellationError`), if any.
    public let cause: (any Error)?
    /// The response head and (bounded) body of a rejected upgrade.
    public let response: HTTPResponse?

    public init(_ code: Code, _ message: String, curlCode: Int? = nil, cause: (any Error)? = nil, response: HTTPResponse? = nil) {
        self.code = code
        self.message = message
        self.curlCode = curlCode
        self.cause = cause
        self.response = response
    }

    public var description: String { message }
    public var errorDescription: String? { message }
}

/// `strerror` for an errno value, as Swift text.
func errnoDescription(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "errno \(code)" }
    return String(cString: text)
}

/// An errno value as Foundation's `POSIXError` (the `cause` of socket and file failures).
func posixError(_ code: Int32) -> POSIXError {
    POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
}
