/// An error from the sandbox layer, with a message a person can act on.
///
/// `code` is an extensible struct: new codes can be added without breaking callers
/// that switch on the ones they know.
public struct SandboxError: Error, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The Docker engine cannot be reached.
        public static let engineUnavailable = Code(rawValue: "engine_unavailable")
        /// The requested image is not in the engine.
        public static let imageNotFound = Code(rawValue: "image_not_found")
        /// An isolation profile is missing or invalid.
        public static let invalidProfile = Code(rawValue: "invalid_profile")
        /// The caller asked for something malformed.
        public static let invalidArgument = Code(rawValue: "invalid_argument")
        /// A path does not exist in the sandbox.
        public static let notFound = Code(rawValue: "not_found")
        /// The sandbox does not allow the operation (permissions, read-only root).
        public static let permissionDenied = Code(rawValue: "permission_denied")
        /// The path is a directory where a file was expected (or the reverse).
        public static let wrongFileKind = Code(rawValue: "wrong_file_kind")
        /// The target already exists.
        public static let alreadyExists = Code(rawValue: "already_exists")
        /// The sandbox's disk is full.
        public static let noSpace = Code(rawValue: "no_space")
        /// The sandbox's container or runner is gone (killed, crashed, out of memory).
        public static let sandboxGone = Code(rawValue: "sandbox_gone")
        /// The command ended the persistent shell (e.g. `exit`); the runner started a fresh one.
        public static let shellExited = Code(rawValue: "shell_exited")
        /// The runner did not become ready or broke its protocol.
        public static let runnerFailed = Code(rawValue: "runner_failed")
        /// Building images failed.
        public static let imageBuildFailed = Code(rawValue: "image_build_failed")
        /// The backend cannot do this at all (e.g. find its sandboxes by label).
        public static let unsupported = Code(rawValue: "unsupported")
        /// A remote backend's credentials are missing or not accepted (HTTP 401).
        public static let unauthorized = Code(rawValue: "unauthorized")
        /// A remote backend asked us to slow down (HTTP 429) and retries ran out; the message has its Retry-After.
        public static let rateLimited = Code(rawValue: "rate_limited")
        /// A remote backend failed or is unreachable (HTTP 5xx, connection errors).
        public static let unavailable = Code(rawValue: "unavailable")
        /// A command ran past its timeout.
        public static let timeout = Code(rawValue: "timeout")
        /// The operation was cancelled.
        public static let cancelled = Code(rawValue: "cancelled")
        /// A failure inside the engine or this program that the caller cannot fix.
        public static let `internal` = Code(rawValue: "internal")

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

    public var description: String { message }
}
