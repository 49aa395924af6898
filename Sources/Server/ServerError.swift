import Foundation
import Hummingbird
import Sandbox
import Store

/// An error the API reports to its client as `{"error":{"code":"…","message":"…"}}`.
///
/// `code` is an extensible struct whose raw values are the stable codes clients switch on;
/// each code carries its HTTP status, so a user mistake can never surface as a 500.
public struct ServerError: Error, CustomStringConvertible, HTTPResponseError {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        /// The HTTP status this code is reported with.
        public var status: HTTPResponse.Status
        public init(rawValue: String) {
            self.rawValue = rawValue
            self.status = .internalServerError
        }
        public init(_ rawValue: String, _ status: HTTPResponse.Status) {
            self.rawValue = rawValue
            self.status = status
        }
        public static func == (lhs: Code, rhs: Code) -> Bool { lhs.rawValue == rhs.rawValue }
        public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

        /// The request is malformed: bad JSON, a missing or invalid field, a bad path.
        public static let invalidInput = Code("invalid_input", .badRequest)
        /// No API key, or an unknown one.
        public static let unauthorized = Code("unauthorized", .unauthorized)
        /// The key may not touch this sandbox (reported as not found: no existence oracle).
        public static let notFound = Code("not_found", .notFound)
        /// No such route.
        public static let routeNotFound = Code("route_not_found", .notFound)
        /// The sandbox expired (its TTL ran out) and was removed.
        public static let expired = Code("sandbox_expired", .gone)
        /// The sandbox is gone: deleted, killed, or lost over a server restart.
        public static let gone = Code("sandbox_gone", .gone)
        /// Too many sandboxes, globally or for this key.
        public static let atCapacity = Code("at_capacity", .tooManyRequests)
        /// The command ran past its timeout and was killed.
        public static let commandTimeout = Code("command_timeout", .gatewayTimeout)
        /// The request body is larger than the server accepts.
        public static let bodyTooLarge = Code("body_too_large", .contentTooLarge)
        /// The path exists already, or the operation conflicts with the current state.
        public static let conflict = Code("conflict", .conflict)
        /// The sandbox does not allow the operation (permissions, read-only root).
        public static let forbidden = Code("permission_denied", .forbidden)
        /// The image is not in the engine.
        public static let imageNotFound = Code("image_not_found", .badRequest)
        /// Wrong method on an existing route, or a WebSocket route without an upgrade.
        public static let methodNotAllowed = Code("method_not_allowed", .methodNotAllowed)
        /// The sandbox's container started but its runner never became ready (an image without the runner?).
        public static let startFailed = Code("sandbox_start_failed", .badGateway)
        /// The Docker engine does not answer.
        public static let engineUnavailable = Code("engine_unavailable", .serviceUnavailable)
        /// The sandbox's disk is full.
        public static let noSpace = Code("no_space", HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"))
        /// The server's own configuration is unusable (reported at start-up, never to clients).
        public static let invalidConfiguration = Code("invalid_configuration", .internalServerError)
        /// A failure the client cannot fix.
        public static let `internal` = Code("internal", .internalServerError)

        public var description: String { rawValue }
    }

    public var code: Code
    public var message: String
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { "\(code): \(message)" }
    public var status: HTTPResponse.Status { code.status }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Self.jsonResponse(code: code, message: message)
    }

    static func jsonResponse(code: Code, message: String) -> Response {
        let body = ErrorBody(error: .init(code: code.rawValue, message: message))
        let data = (try? HTTP.encoder.encode(body)) ?? Data(#"{"error":{"code":"internal","message":"?"}}"#.utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: code.status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
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
            let code: Code = switch error.code {
            case .invalidArgument, .invalidProfile, .wrongFileKind, .shellExited: .invalidInput
            case .imageNotFound: .imageNotFound
            case .notFound: .notFound
            case .permissionDenied: .forbidden
            case .alreadyExists: .conflict
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
            let code: Code = switch error.status {
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
            return ServerError(.invalidInput, "the request body is not valid JSON for this route: \(Self.describe(error))",
                               cause: error)
        }
        return ServerError(.internal, "\(error)", cause: error)
    }

    static func describe(_ error: any Error) -> String {
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
