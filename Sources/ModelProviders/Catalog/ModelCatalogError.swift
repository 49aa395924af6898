/// A problem with the models file or with a model name: where it is (file, line, column, key)
/// and what to do about it.
public struct ModelCatalogError: Error, Sendable, Hashable, CustomStringConvertible {
    /// An open set of problem kinds, so new ones do not break callers' switches.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The text is not YAML (or not UTF-8).
        public static let yamlSyntax = Code(rawValue: "yaml_syntax")
        /// A file named by `--models` or `SANDCASTLE_MODELS_FILE` does not exist or cannot be read.
        public static let unreadableFile = Code(rawValue: "unreadable_file")
        /// The file is larger than any models file needs to be.
        public static let fileTooLarge = Code(rawValue: "file_too_large")
        /// A value of the wrong kind (a list where a mapping belongs, text where a number does).
        public static let wrongType = Code(rawValue: "wrong_type")
        /// A key the file does not have.
        public static let unknownKey = Code(rawValue: "unknown_key")
        /// A key an entry needs is missing.
        public static let missingKey = Code(rawValue: "missing_key")
        /// A value of the right kind but not allowed (a negative price, a URL without a scheme).
        public static let invalidValue = Code(rawValue: "invalid_value")
        /// An entry or a model name names a provider that is neither built in nor defined.
        public static let unknownProvider = Code(rawValue: "unknown_provider")
        /// A model name is in no file and has no provider prefix.
        public static let unknownModel = Code(rawValue: "unknown_model")
        /// One name given twice in a way that cannot both hold (an alias and a model).
        public static let conflictingName = Code(rawValue: "conflicting_name")
    }

    /// A place in a models file; line and column count from 1.
    public struct Location: Sendable, Hashable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var column: Int

        public init(file: String, line: Int, column: Int) {
            self.file = file
            self.line = line
            self.column = column
        }

        public var description: String { "\(file):\(line):\(column)" }
    }

    public var code: Code
    /// Where in which file, when the problem is in a file.
    public var location: Location?
    /// The key's path in the file (`models.sonnet.prices.input`), when there is one.
    public var key: String?
    public var message: String
    /// What to do, when there is something to say.
    public var hint: String?

    public init(_ code: Code, at location: Location? = nil, key: String? = nil, _ message: String, hint: String? = nil) {
        self.code = code
        self.location = location
        self.key = key
        self.message = message
        self.hint = hint
    }

    public var description: String {
        var text = ""
        if let location { text += "\(location): " }
        if let key { text += "`\(key)`: " }
        text += message
        if let hint { text += " (\(hint))" }
        return text
    }
}

/// Text that came from outside (a model name in a request, a value in a file), made safe to
/// put in a message: control characters escaped, and cut short when very long, so a hostile
/// name can neither forge terminal output nor flood a log line.
enum UntrustedText {
    static let maximumLength = 80

    static func quoted(_ text: String) -> String {
        var escaped = ""
        for (index, scalar) in text.unicodeScalars.enumerated() {
            if index == maximumLength {
                escaped += "…"
                break
            }
            switch scalar {
            case "`": escaped += "\\`"
            case "\\": escaped += "\\\\"
            default:
                if scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format {
                    escaped += scalar.escaped(asASCII: true)
                } else {
                    escaped.unicodeScalars.append(scalar)
                }
            }
        }
        return "`\(escaped)`"
    }
}
