import Foundation
import Guardrails
import Hummingbird
import Sandbox
import Store

/// An error the API reports to its client as `{"error":{"code":"…","message":"…"}}`.
///
/// Each code carries its HTTP status, so a user mistake can never surface as a 500.
public struct ServerError: Error, Sendable, CustomStringConvertible, HTTPResponseError {
    /// What kind of failure; extensible without breaking `switch`es that use `default`.
    ///
    /// Only this file mints codes (the wrapped enum is private). `description` is the stable
    /// snake_case code clients switch on, e.g. `sandbox_gone`; a code in Sandkasten's spelling
    /// (see ``sandkastenSpelling``) shows the same name in upper case, as Sandkasten does.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable, Hashable {
            case invalidInput = "invalid_input"
            case unauthorized
            case keyExpired = "key_expired"
            case ipBlocked = "ip_blocked"
            case notFound = "not_found"
            case routeNotFound = "route_not_found"
            case expired = "sandbox_expired"
            case gone = "sandbox_gone"
            case atCapacity = "at_capacity"
            case busy = "server_busy"
            case commandTimeout = "command_timeout"
            case bodyTooLarge = "body_too_large"
            case conflict
            case forbidden = "permission_denied"
            case imageNotFound = "image_not_found"
            case methodNotAllowed = "method_not_allowed"
            case startFailed = "sandbox_start_failed"
            case engineUnavailable = "engine_unavailable"
            case noSpace = "no_space"
            case invalidConfiguration = "invalid_configuration"
            case requestHeadTooLarge = "request_head_too_large"
            case requestTimeout = "request_timeout"
            case tooManyConnections = "too_many_connections"
            case clientClosedRequest = "client_closed_request"
            case `internal`
            // Sandkasten's own codes, which have no native counterpart.
            case invalidRequest = "invalid_request"
            case sessionNotFound = "session_not_found"
            case sessionNotRunning = "session_not_running"
            case sessionExpired = "session_expired"
            case fileNotFound = "file_not_found"
            case workspaceNotFound = "workspace_not_found"
            case workspaceInUse = "workspace_in_use"
            case invalidImage = "invalid_image"
            case internalError = "internal_error"
        }
        private let value: Value
        /// Whether the code is in Sandkasten's upper-case spelling (its compat routes' vocabulary).
        package let isSandkasten: Bool
        private init(_ value: Value, sandkasten: Bool = false) {
            self.value = value
            self.isSandkasten = sandkasten
        }

        /// The request is malformed: bad JSON, a missing or invalid field, a bad path.
        public static let invalidInput = Code(.invalidInput)
        /// No API key, or an unknown one.
        public static let unauthorized = Code(.unauthorized)
        /// The API key is past its expiry (a rotation's grace ended).
        public static let keyExpired = Code(.keyExpired)
        /// The API key's CIDR allowlist does not include the client's address.
        public static let ipBlocked = Code(.ipBlocked)
        /// The key may not touch this sandbox (reported as not found: no existence oracle).
        public static let notFound = Code(.notFound)
        /// No such route.
        public static let routeNotFound = Code(.routeNotFound)
        /// The sandbox expired (its TTL ran out) and was removed.
        public static let expired = Code(.expired)
        /// The sandbox is gone: deleted, killed, or lost over a server restart.
        public static let gone = Code(.gone)
        /// Too many sandboxes, globally or for this key.
        public static let atCapacity = Code(.atCapacity)
        /// The server moves as many file transfers as it allows at once and none ended in time;
        /// answered with `Retry-After`.
        public static let busy = Code(.busy)
        /// The command ran past its timeout and was killed.
        public static let commandTimeout = Code(.commandTimeout)
        /// The request body is larger than the server accepts.
        public static let bodyTooLarge = Code(.bodyTooLarge)
        /// The path exists already, or the operation conflicts with the current state.
        public static let conflict = Code(.conflict)
        /// The sandbox does not allow the operation (permissions, read-only root).
        public static let forbidden = Code(.forbidden)
        /// The image is not in the engine.
        public static let imageNotFound = Code(.imageNotFound)
        /// Wrong method on an existing route, or a WebSocket route without an upgrade.
        public static let methodNotAllowed = Code(.methodNotAllowed)
        /// The sandbox's container started but its runner never became ready (an image without the runner?).
        public static let startFailed = Code(.startFailed)
        /// The Docker engine does not answer.
        public static let engineUnavailable = Code(.engineUnavailable)
        /// The sandbox's disk is full.
        public static let noSpace = Code(.noSpace)
        /// The server's own configuration is unusable (reported at start-up, never to clients).
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// The request line and headers are over `max_request_head_bytes` (the connection is then closed).
        public static let requestHeadTooLarge = Code(.requestHeadTooLarge)
        /// The request head, or a request body the server was waiting for, did not arrive in time
        /// (the connection is then closed).
        public static let requestTimeout = Code(.requestTimeout)
        /// The client address has `max_connections_per_client` connections open already.
        public static let tooManyConnections = Code(.tooManyConnections)
        /// The client closed the connection before the answer and its request was cancelled; no one
        /// receives this (it is logged and counted, like nginx's 499).
        public static let clientClosedRequest = Code(.clientClosedRequest)
        /// A failure the client cannot fix.
        public static let `internal` = Code(.internal)

        // MARK: Sandkasten's codes (its compat routes only; see SandkastenErrorMiddleware)

        /// `INVALID_REQUEST` (400): Sandkasten's word for any malformed request.
        package static let sandkastenInvalidRequest = Code(.invalidRequest, sandkasten: true)
        /// `SESSION_NOT_FOUND` (404).
        package static let sandkastenSessionNotFound = Code(.sessionNotFound, sandkasten: true)
        /// `SESSION_NOT_RUNNING` (409): the session's sandbox is gone.
        package static let sandkastenSessionNotRunning = Code(.sessionNotRunning, sandkasten: true)
        /// `SESSION_EXPIRED` (410).
        package static let sandkastenSessionExpired = Code(.sessionExpired, sandkasten: true)
        /// `FILE_NOT_FOUND` (404).
        package static let sandkastenFileNotFound = Code(.fileNotFound, sandkasten: true)
        /// `WORKSPACE_NOT_FOUND` (404).
        package static let sandkastenWorkspaceNotFound = Code(.workspaceNotFound, sandkasten: true)
        /// `WORKSPACE_IN_USE` (409).
        package static let sandkastenWorkspaceInUse = Code(.workspaceInUse, sandkasten: true)
        /// `INVALID_IMAGE` (400).
        package static let sandkastenInvalidImage = Code(.invalidImage, sandkasten: true)
        /// `COMMAND_TIMEOUT` (504).
        package static let sandkastenCommandTimeout = Code(.commandTimeout, sandkasten: true)
        /// `INTERNAL_ERROR` (500): Sandkasten's spelling of ``internal``.
        package static let sandkastenInternalError = Code(.internalError, sandkasten: true)

        /// The same code in Sandkasten's upper-case spelling (`at_capacity` → `AT_CAPACITY`), same status.
        package var sandkastenSpelling: Code { Code(value, sandkasten: true) }
        /// The same code in the native snake_case spelling (`INVALID_REQUEST` → `invalid_request`).
        package var nativeSpelling: Code { Code(value) }

        /// The HTTP status this code is reported with.
        public var status: HTTPResponse.Status {
            switch value {
            case .invalidInput, .imageNotFound, .invalidRequest, .invalidImage: .badRequest
            case .unauthorized, .keyExpired: .unauthorized
            case .ipBlocked: .forbidden
            case .notFound, .routeNotFound, .sessionNotFound, .fileNotFound, .workspaceNotFound: .notFound
            case .expired, .gone, .sessionExpired: .gone
            case .atCapacity, .tooManyConnections: .tooManyRequests
            case .requestHeadTooLarge: .requestHeaderFieldsTooLarge
            case .requestTimeout: .requestTimeout
            case .commandTimeout: .gatewayTimeout
            case .bodyTooLarge: .contentTooLarge
            case .conflict, .sessionNotRunning, .workspaceInUse: .conflict
            case .forbidden: .forbidden
            case .methodNotAllowed: .methodNotAllowed
            case .startFailed: .badGateway
            case .engineUnavailable, .busy: .serviceUnavailable
            case .noSpace: HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")
            case .invalidConfiguration, .internal, .internalError: .internalServerError
            case .clientClosedRequest: HTTPResponse.Status(code: 499, reasonPhrase: "Client Closed Request")
            }
        }

        /// The code clients see: snake_case (`sandbox_gone`), or upper case in Sandkasten's spelling.
        public var description: String { isSandkasten ? value.rawValue.uppercased() : value.rawValue }
    }

    public let code: Code
    public let message: String
    public let cause: (any Error)?
    /// Headers the response must carry besides its body's (`Allow` on a 405).
    public let headers: HTTPFields
    /// When the client may try again, in seconds (sent as `Retry-After`); nil when it should not.
    public let retryAfterSeconds: Int?

    public init(
        _ code: Code, _ message: String, cause: (any Error)? = nil, headers: HTTPFields = [:], retryAfterSeconds: Int? = nil
    ) {
        self.code = code
        // An error's message is sent to clients and logged: scrubbed of secrets (issue 15 §2),
        // whatever a lower layer quoted into it.
        self.message = ScrubbingSystem.scrub(message)
        self.cause = cause
        self.headers = headers
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// Too many file transfers under way for `waited`; a turn usually frees within a second or two.
    package static func busy(limit: Int, waited: Duration) -> ServerError {
        ServerError(
            .busy,
            "the server is moving \(limit) file transfers already (max_transfers) and none finished within "
                + String(format: "%g s", waited.milliseconds / 1000) + "; retry shortly",
            retryAfterSeconds: 1)
    }

    /// The request body broke off (the client hung up, or sent less than it announced): a
    /// request that is not whole, not a fault of the server.
    package static func bodyCutShort(_ cause: any Error) -> ServerError {
        if let error = cause as? ServerError { return error }
        return ServerError(.invalidInput, "the request body stopped before its end (did the client go away?)", cause: cause)
    }

    /// Adds `Retry-After` when the error has one.
    package func addRetryAfter(to headers: inout HTTPFields) {
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
    }

    /// Every header the answer carries: ``headers`` and `Retry-After`.
    package var responseHeaders: HTTPFields {
        var all = headers
        addRetryAfter(to: &all)
        return all
    }

    public var description: String { "\(code): \(message)" }
    public var status: HTTPResponse.Status { code.status }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Self.jsonResponse(code: code, message: message, headers: responseHeaders)
    }

    static func jsonResponse(code: Code, message: String, headers extra: HTTPFields = [:]) -> Response {
        let data = jsonBody(code: code, message: message)
        var headers = extra
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: code.status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The one error shape, `{"error":{"code":"…","message":"…"}}`, as bytes (also for answers
    /// written below Hummingbird, on the raw connection).
    package static func jsonBody(code: Code, message: String) -> Data {
        let body = ErrorBody(error: .init(code: code.description, message: message))
        return (try? HTTP.encoder.encode(body)) ?? Data(#"{"error":{"code":"internal","message":"?"}}"#.utf8)
    }

    struct ErrorBody: Codable {
        struct Detail: Codable {
            var code: String
            var message: String
        }
        var error: Detail
    }
}

extension ServerError {
    /// Maps any error into the API's vocabulary. Sandbox and store codes that describe a
    /// caller's mistake keep a 4xx status; only genuine failures become `internal`.
    public static func from(_ error: any Error) -> ServerError {
        if let error = error as? ServerError { return error }
        if let error = error as? SandboxError {
            // Our own error (e.g. an upload over its limit) thrown from inside a sandbox call.
            if let inner = error.cause as? ServerError { return inner }
            let code: Code =
                switch error.code {
                case .invalidArgument, .invalidProfile, .wrongFileKind, .shellExited: .invalidInput
                case .imageNotFound: .imageNotFound
                case .notFound: .notFound
                case .permissionDenied: .forbidden
                case .alreadyExists, .inUse: .conflict
                case .noSpace: .noSpace
                case .sandboxGone: .gone
                case .engineUnavailable: .engineUnavailable
                default: .internal
                }
            return ServerError(code, error.message, cause: error)
        }
        if let error = error as? StoreError {
            if error.code == .notFound { return ServerError(.notFound, error.message, cause: error) }
            return ServerError(.internal, "state store: \(error.message)", cause: error)
        }
        if let error = error as? HTTPError {
            let code: Code =
                switch error.status {
                case .notFound: .routeNotFound
                case .methodNotAllowed: .methodNotAllowed
                case .contentTooLarge: .bodyTooLarge
                case .unauthorized: .unauthorized
                case let status where (400..<500).contains(status.code): .invalidInput
                default: .internal
                }
            return ServerError(code, error.body ?? error.status.reasonPhrase, cause: error)
        }
        if error is DecodingError {
            return ServerError(
                .invalidInput, "the request body is not valid JSON for this route: \(Self.describe(error))",
                cause: error)
        }
        return ServerError(.internal, "\(error)", cause: error)
    }

    package static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context),
            .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
