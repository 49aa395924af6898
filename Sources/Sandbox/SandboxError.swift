/// An error from the sandbox layer, with a message a person can act on.
public struct SandboxError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure; extensible without breaking `switch`es that use `default`.
    ///
    /// Only this file mints codes (the wrapped enum is private), so a code's text is always
    /// one of the snake_case names below; the API shows them to clients through ``ServerError``.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable, Hashable {
            case engineUnavailable = "engine_unavailable"
            case imageNotFound = "image_not_found"
            case invalidProfile = "invalid_profile"
            case invalidArgument = "invalid_argument"
            case notFound = "not_found"
            case permissionDenied = "permission_denied"
            case wrongFileKind = "wrong_file_kind"
            case alreadyExists = "already_exists"
            case inUse = "in_use"
            case noSpace = "no_space"
            case sandboxGone = "sandbox_gone"
            case shellExited = "shell_exited"
            case runnerFailed = "runner_failed"
            case imageBuildFailed = "image_build_failed"
            case cancelled
            case `internal`
            case unauthorized
            case rateLimited = "rate_limited"
            case unavailable
            case unsupported
            case timeout
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The Docker engine cannot be reached.
        public static let engineUnavailable = Code(.engineUnavailable)
        /// The requested image is not in the engine.
        public static let imageNotFound = Code(.imageNotFound)
        /// An isolation profile is missing or invalid.
        public static let invalidProfile = Code(.invalidProfile)
        /// The caller asked for something malformed.
        public static let invalidArgument = Code(.invalidArgument)
        /// A path does not exist in the sandbox.
        public static let notFound = Code(.notFound)
        /// The sandbox does not allow the operation (permissions, read-only root).
        public static let permissionDenied = Code(.permissionDenied)
        /// The path is a directory where a file was expected (or the reverse).
        public static let wrongFileKind = Code(.wrongFileKind)
        /// The target already exists.
        public static let alreadyExists = Code(.alreadyExists)
        /// Something else still uses it (a workspace a sandbox mounts).
        public static let inUse = Code(.inUse)
        /// The sandbox's disk is full.
        public static let noSpace = Code(.noSpace)
        /// The sandbox's container or runner is gone (killed, crashed, out of memory).
        public static let sandboxGone = Code(.sandboxGone)
        /// The command ended the persistent shell (e.g. `exit`); the runner started a fresh one.
        public static let shellExited = Code(.shellExited)
        /// The runner did not become ready or broke its protocol.
        public static let runnerFailed = Code(.runnerFailed)
        /// Building images failed.
        public static let imageBuildFailed = Code(.imageBuildFailed)
        /// The operation was cancelled.
        public static let cancelled = Code(.cancelled)
        /// A failure inside the engine or this program that the caller cannot fix.
        public static let `internal` = Code(.internal)

        // Remote backends (E2B and E2B-compatible servers).

        /// The E2B API key is missing or not accepted (HTTP 401).
        public static let unauthorized = Code(.unauthorized)
        /// E2B asked us to slow down (HTTP 429) and retries ran out; the message has its Retry-After.
        public static let rateLimited = Code(.rateLimited)
        /// The remote service failed or is unreachable (HTTP 5xx, connection errors).
        public static let unavailable = Code(.unavailable)
        /// The backend does not offer the operation (e.g. finding its sandboxes by label).
        public static let unsupported = Code(.unsupported)
        /// A command ran past its timeout.
        public static let timeout = Code(.timeout)

        /// The snake_case code, e.g. `sandbox_gone`.
        public var description: String { value.rawValue }
    }

    public let code: Code
    public let message: String
    public let cause: (any Error)?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { message }
}
