/// A credential that cannot be stored, found or opened, with a message a person can act on.
/// Messages name credentials and key ids, never a value or a key.
public struct CredentialError: Error, Sendable, CustomStringConvertible {
    /// What went wrong; extensible without breaking `switch`es that use `default`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable, Hashable {
            case invalidName = "invalid_name"
            case emptyValue = "empty_value"
            case tooLarge = "too_large"
            case notFound = "not_found"
            case wrongKey = "wrong_key"
            case invalidKey = "invalid_key"
            case keyFile = "key_file"
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The name is not `service:connection` in `[a-z0-9_.-]`, at most 100 characters.
        public static let invalidName = Code(.invalidName)
        /// An empty value was given; a credential always has one.
        public static let emptyValue = Code(.emptyValue)
        /// The value is longer than ``CredentialVault/maximumValueBytes``.
        public static let tooLarge = Code(.tooLarge)
        /// No credential has this name.
        public static let notFound = Code(.notFound)
        /// The credential was sealed under another key than the one given.
        public static let wrongKey = Code(.wrongKey)
        /// `SANDCASTLE_CREDENTIAL_KEY` (or a new key) is not 32 bytes in base64 or hex.
        public static let invalidKey = Code(.invalidKey)
        /// The key file cannot be read, written or replaced.
        public static let keyFile = Code(.keyFile)

        /// The snake_case code, e.g. `wrong_key`.
        public var description: String { value.rawValue }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
