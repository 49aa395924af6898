import Crypto
import Foundation

/// The server's own API keys: `sc_` + 32 random bytes in base64url without padding (as Python's
/// `secrets.token_urlsafe(32)` makes Sandcastle's), stored as the lowercase hex
/// HMAC-SHA256(pepper, key) and found by their first ``prefixLength`` characters.
public enum APIKeyFormat {
    public static let scheme = "sc_"
    /// Characters kept in clear for the lookup (`sc_` and 5 random ones: not enough to guess with).
    public static let prefixLength = 8

    /// A new key from the system's cryptographic random source.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return scheme + base64URL(bytes)
    }

    /// The characters a key is looked up by.
    public static func prefix(of key: String) -> String { String(key.prefix(prefixLength)) }

    /// Lowercase hex HMAC-SHA256(pepper, key): what the store keeps instead of the key.
    public static func hash(_ key: String, pepper: APIKeyPepper) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Array(key.utf8), using: SymmetricKey(data: pepper.bytes))
        return Data(code).map { String(format: "%02x", $0) }.joined()
    }

    /// An id for a stored key: `key_` + 24 random hex digits (never derived from the key).
    public static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return "key_" + (0..<12).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

/// The server's secret for hashing stored API keys (`API_KEY_PEPPER`). Kept out of every
/// description, so it cannot reach a log line by accident.
public struct APIKeyPepper: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Shorter peppers are refused: the pepper is what makes a stolen database useless.
    public static let minimumLength = 16
    let bytes: [UInt8]

    /// - Throws: ``ServerError`` `invalidConfiguration` when `text` (trimmed) is shorter than ``minimumLength``.
    public init(_ text: String, source: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.utf8.count >= Self.minimumLength else {
            throw ServerError(.invalidConfiguration, "\(source) must be at least \(Self.minimumLength) characters (use a long random value)")
        }
        bytes = Array(trimmed.utf8)
    }

    public var description: String { "APIKeyPepper(redacted)" }
    public var debugDescription: String { description }
}

/// A plaintext secret read from the configuration (`ADMIN_API_KEY`), redacted in every description.
public struct RedactedSecret: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public let value: String
    public init(_ value: String) { self.value = value }
    public var description: String { "(redacted)" }
    public var debugDescription: String { description }
}
