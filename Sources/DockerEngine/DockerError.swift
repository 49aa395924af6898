import Foundation
import HTTPTransport

/// A failure talking to the Docker engine: an error status with the engine's own message,
/// an unreachable engine, or a malformed reply.
public struct DockerError: Error, Sendable, CustomStringConvertible, LocalizedError {
    /// What kind of failure; extensible without breaking `switch`es that use `default`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable, Hashable {
            case badRequest = "bad_request"
            case unauthorized
            case forbidden
            case notFound = "not_found"
            case conflict
            case notRunning = "not_running"
            case server
            case unavailable
            case engineUnreachable = "engine_unreachable"
            case timeout
            case cancelled
            case transport
            case invalidResponse = "invalid_response"
            case invalidArgument = "invalid_argument"
            case buildFailed = "build_failed"
            case fileSystem = "file_system"
            case unexpectedStatus = "unexpected_status"
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// 400: the engine rejected the request's parameters.
        public static let badRequest = Code(.badRequest)
        /// 401.
        public static let unauthorized = Code(.unauthorized)
        /// 403.
        public static let forbidden = Code(.forbidden)
        /// 404: no such container, image, volume, network, or path in a container.
        public static let notFound = Code(.notFound)
        /// 409: a name is taken, an object is in use, or the operation conflicts with its state.
        public static let conflict = Code(.conflict)
        /// 409 for an operation that needs a running container (kill, attach to a stopped one, …).
        public static let notRunning = Code(.notRunning)
        /// 500: the engine failed internally.
        public static let server = Code(.server)
        /// 503: the engine is up but cannot serve the request (e.g. no registry reachable).
        public static let unavailable = Code(.unavailable)
        /// No connection to the engine could be made.
        public static let engineUnreachable = Code(.engineUnreachable)
        /// A request timed out.
        public static let timeout = Code(.timeout)
        /// The calling task was cancelled.
        public static let cancelled = Code(.cancelled)
        /// The connection failed mid-request.
        public static let transport = Code(.transport)
        /// The engine answered with something this client cannot decode.
        public static let invalidResponse = Code(.invalidResponse)
        /// The caller passed something that cannot be sent (e.g. a bad `DOCKER_HOST`).
        public static let invalidArgument = Code(.invalidArgument)
        /// An image build reported an error; ``DockerError/message`` includes the end of the build log.
        public static let buildFailed = Code(.buildFailed)
        /// A local file (tar archive, build context, download target) could not be read or written.
        public static let fileSystem = Code(.fileSystem)
        /// Any other non-success status.
        public static let unexpectedStatus = Code(.unexpectedStatus)

        /// The snake_case code, e.g. `engine_unreachable`.
        public var description: String { value.rawValue }
    }

    public let code: Code
    /// For engine error responses, the engine's message verbatim (e.g. `No such image: x:latest`);
    /// otherwise a sentence saying what failed and what to do.
    public let message: String
    /// The HTTP status, when the engine answered.
    public let statusCode: Int?
    /// The underlying error (usually an ``HTTPTransportError`` or a `DecodingError`).
    public let cause: (any Error)?

    public init(_ code: Code, _ message: String, statusCode: Int? = nil, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.statusCode = statusCode
        self.cause = cause
    }

    public var description: String { message }
    public var errorDescription: String? { message }

    /// Maps an engine error response: the JSON body's `message` is kept verbatim.
    static func fromResponse(status: Int, body: [UInt8], request: String) -> DockerError {
        let engineMessage = Self.engineMessage(in: body)
        let message = engineMessage ?? "\(request) failed with HTTP status \(status)"
        let code: Code
        switch status {
        case 400: code = .badRequest
        case 401: code = .unauthorized
        case 403: code = .forbidden
        case 404: code = .notFound
        case 409:
            code = message.localizedCaseInsensitiveContains("is not running") ? .notRunning : .conflict
        case 500: code = .server
        case 503: code = .unavailable
        default: code = .unexpectedStatus
        }
        return DockerError(code, message, statusCode: status)
    }

    private static func engineMessage(in body: [UInt8]) -> String? {
        struct Body: Decodable { let message: String? }
        if let decoded = try? JSONDecoder().decode(Body.self, from: Data(body)), let message = decoded.message {
            return message
        }
        let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    /// Maps a transport failure, turning "cannot connect" into one clear sentence on how to fix it.
    static func fromTransport(_ error: HTTPTransportError, host: DockerHost) -> DockerError {
        switch error.code {
        case .connectFailed:
            var reason = error.message
            if let prefix = reason.range(of: "cannot connect to \(host.endpoint): ") {
                reason = String(reason[prefix.upperBound...])
            }
            var advice = "Start it with `dockerd` or `systemctl start docker`."
            if reason.localizedCaseInsensitiveContains("permission denied") {
                advice = "Run as root or add this user to the `docker` group."
            } else if case .tcp = host.kind {
                advice = "Check DOCKER_HOST and that the engine listens there."
            }
            return DockerError(.engineUnreachable, "Docker engine not reachable at \(host) (\(reason)). \(advice)", cause: error)
        case .timeout:
            return DockerError(.timeout, "Docker engine at \(host): \(error.message)", cause: error)
        case .cancelled:
            return DockerError(.cancelled, error.message, cause: error)
        case .tls:
            return DockerError(
                .engineUnreachable, "Docker engine at \(host): \(error.message). Check DOCKER_CERT_PATH and DOCKER_TLS_VERIFY.",
                cause: error)
        case .upgradeRejected:
            if let response = error.response {
                let mapped = fromResponse(status: response.status, body: response.body, request: "attach")
                return DockerError(mapped.code, mapped.message, statusCode: mapped.statusCode, cause: error)
            }
            return DockerError(.unexpectedStatus, error.message, cause: error)
        case .invalidRequest:
            return DockerError(.invalidArgument, error.message, cause: error)
        default:
            return DockerError(.transport, "Docker engine at \(host): \(error.message)", cause: error)
        }
    }
}
