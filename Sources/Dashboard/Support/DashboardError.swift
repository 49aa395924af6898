import Hummingbird

/// Why a dashboard page could not be served. Pages answer it as an HTML error page (not the
/// APIs' JSON), with the status ``code`` maps to.
public struct DashboardError: Error, Sendable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The templates are not where the server looked (a broken install).
        public static let resourcesMissing = Code(rawValue: "resources_missing")
        /// A template does not parse.
        public static let templateInvalid = Code(rawValue: "template_invalid")
        /// No such page, run, step or file (or not one the caller may see).
        public static let notFound = Code(rawValue: "not_found")
        /// A form's value is missing or wrong.
        public static let invalidInput = Code(rawValue: "invalid_input")
        /// The form's CSRF token is missing or not the session's, or the request came from another origin.
        public static let forbidden = Code(rawValue: "forbidden")
        /// The key given at sign-in is wrong, inactive or not allowed from here.
        public static let unauthorized = Code(rawValue: "unauthorized")
        /// The action was refused by the service (a decided approval, a finished run).
        public static let conflict = Code(rawValue: "conflict")
        /// The store or the service failed.
        public static let internalFailure = Code(rawValue: "internal_failure")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    var status: HTTPResponse.Status {
        switch code {
        case .notFound: .notFound
        case .invalidInput: .badRequest
        case .forbidden: .forbidden
        case .unauthorized: .unauthorized
        case .conflict: .conflict
        default: .internalServerError
        }
    }
}
