/// An error from the seccomp layer: a profile that cannot be read, parsed, validated
/// or compiled, with a message a person can act on.
///
/// Validation failures carry every issue found in `issues`, not only the first, so one run
/// of `profile validate` shows them all.
public struct SeccompError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure; extensible without breaking `switch`es that use `default`.
    ///
    /// Only this file mints codes (the wrapped enum is private); `description` is the snake_case
    /// code, which is also its `Codable` form (a ``ValidationIssue`` in JSON).
    public struct Code: Sendable, Hashable, Codable, CustomStringConvertible {
        private enum Value: String, Sendable, Hashable {
            case unreadable
            case invalidJSON = "invalid_json"
            case unknownField = "unknown_field"
            case missingField = "missing_field"
            case unknownSyscall = "unknown_syscall"
            case invalidAction = "invalid_action"
            case invalidOperator = "invalid_operator"
            case invalidArgument = "invalid_argument"
            case invalidArchitecture = "invalid_architecture"
            case invalidValue = "invalid_value"
            case compileFailed = "compile_failed"
            case writeFailed = "write_failed"
            case `internal`
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The file cannot be read.
        public static let unreadable = Code(.unreadable)
        /// The text is not JSON, or a value has the wrong type.
        public static let invalidJSON = Code(.invalidJSON)
        /// A key the format does not define (often a typo that would silently widen a rule).
        public static let unknownField = Code(.unknownField)
        /// A required key is missing.
        public static let missingField = Code(.missingField)
        /// A syscall name libseccomp does not know for an architecture of the profile.
        public static let unknownSyscall = Code(.unknownSyscall)
        /// An action that is not one of Docker's `SCMP_ACT_*` names, or a misplaced `errnoRet`.
        public static let invalidAction = Code(.invalidAction)
        /// An argument comparison that is not one of `SCMP_CMP_*`.
        public static let invalidOperator = Code(.invalidOperator)
        /// An argument index outside 0...5, or a value that cannot be compared.
        public static let invalidArgument = Code(.invalidArgument)
        /// An architecture name that is not `SCMP_ARCH_*`, or `architectures` together with `archMap`.
        public static let invalidArchitecture = Code(.invalidArchitecture)
        /// A value that is well-formed but cannot be used (e.g. a bad `minKernel`).
        public static let invalidValue = Code(.invalidValue)
        /// libseccomp refused the filter while compiling it.
        public static let compileFailed = Code(.compileFailed)
        /// Writing a file (e.g. `--emit-bpf`) failed.
        public static let writeFailed = Code(.writeFailed)
        /// A failure inside this program or libseccomp that the caller cannot fix.
        public static let `internal` = Code(.internal)

        /// The snake_case code, e.g. `unknown_syscall`.
        public var description: String { value.rawValue }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            // Decoding must not mint codes either: only the names above are accepted.
            guard let value = Value(rawValue: text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown seccomp error code '\(text)'")
            }
            self.value = value
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(value.rawValue)
        }
    }

    public let code: Code
    public let message: String
    public let cause: (any Error)?
    /// Every problem found when the error comes from validation; empty otherwise.
    public let issues: [ValidationIssue]

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil, issues: [ValidationIssue] = []) {
        self.code = code
        self.message = message
        self.cause = cause
        self.issues = issues
    }

    public var description: String { message }
}

/// A position in a profile's text, 1-based.
public struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }
}

/// One problem found while validating a profile.
public struct ValidationIssue: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable {
        /// The profile must not be used.
        case error
        /// The profile works, but probably not as its author thinks.
        case warning
    }

    public var severity: Severity
    public var code: SeccompError.Code
    public var message: String
    /// The file the profile came from, when it came from a file.
    public var file: String?
    /// Where in the JSON, e.g. `syscalls[3].names[2]`.
    public var jsonPath: String?
    /// Line and column, when the text could be searched for the offending token.
    public var location: SourceLocation?

    public init(
        _ severity: Severity, _ code: SeccompError.Code, _ message: String,
        file: String? = nil, jsonPath: String? = nil, location: SourceLocation? = nil
    ) {
        self.severity = severity
        self.code = code
        self.message = message
        self.file = file
        self.jsonPath = jsonPath
        self.location = location
    }

    /// `file:line:column: error: message (at json.path)`, the shape compilers use, so editors can jump to it.
    public var description: String {
        var prefix = ""
        if let file { prefix = file + ":" }
        if let location { prefix += "\(location.line):\(location.column):" }
        if !prefix.isEmpty { prefix += " " }
        let path = jsonPath.map { " (at \($0))" } ?? ""
        return "\(prefix)\(severity.rawValue): \(message)\(path)"
    }
}
